#!/usr/bin/env bash
# Installs what the project needs from the distribution when it is missing.
# Usage: scripts/ensure-deps.sh [command:package ...]   (default: the test set)
# As root it runs apt-get (update once, then install); otherwise it names the
# packages to install and exits 1. Node.js 20+ must already be there.
set -euo pipefail

need=("$@")
if [ ${#need[@]} -eq 0 ]; then
  need=(ncat:ncat redis-server:redis-server haproxy:haproxy openssl:openssl socat:socat docker-compose:docker-compose chromium:chromium
    promtool:prometheus prometheus-redis-exporter:prometheus-redis-exporter python3:python3)
fi

if ! command -v node >/dev/null 2>&1; then
  echo "ensure-deps: Node.js 20 or later is required (https://nodejs.org or your distribution's nodejs package)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "ensure-deps: Node.js 20 or later is required, found $(node --version)" >&2
  exit 1
fi

missing=()
for pair in "${need[@]}"; do
  cmd=${pair%%:*}
  pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-deps: missing system packages: ${missing[*]}" >&2
  echo "ensure-deps: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-deps: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
  exit 1
fi
echo "ensure-deps: installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/moodle-mcp-update-stamp
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
  apt-get update -qq
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts packaged daemons on install; the project runs its own instances.
for svc in redis-server haproxy prometheus prometheus-redis-exporter; do
  if printf '%s\n' "${missing[@]}" | grep -qx "$svc" && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done
echo "ensure-deps: installed ${missing[*]}"
