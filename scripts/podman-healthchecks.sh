#!/usr/bin/env bash
# Runs the health checks of one compose project's containers under Podman,
# the way the Docker engine does by itself. Used by scripts/compose-test.sh.
# Usage: scripts/podman-healthchecks.sh PROJECT      (runs until killed)
#
# Podman hands health checks to systemd timers; where no systemd runs (these
# machines, most CI containers) nothing runs them, every container stays
# "starting", and `depends_on: condition: service_healthy` never lets compose
# go on. This loop is that missing scheduler, nothing more: each running
# container of the project with a HEALTHCHECK gets `podman healthcheck run`
# every interval, its first one an interval after it is first seen (as the
# Docker engine does); Podman itself applies timeout, retries and start period
# and records the status compose and `docker inspect` read.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/podman-lib.sh

project=${1:?usage: $0 PROJECT}
declare -A due=() running=()
trap 'kill $(jobs -p) 2>/dev/null; exit 0' TERM INT

while :; do
  now=$(date +%s%N)
  mapfile -t ids < <(podman ps -q --no-trunc --filter "label=com.docker.compose.project=$project" --filter status=running 2>/dev/null)
  if [ ${#ids[@]} -gt 0 ]; then
    while read -r id interval; do
      [ "$interval" -gt 0 ] || continue
      if [ -z "${due[$id]:-}" ]; then
        due[$id]=$((now + interval))
      elif [ "$now" -ge "${due[$id]}" ]; then
        # One check at a time per container: a hung one ends at its timeout.
        if [ -z "${running[$id]:-}" ] || ! kill -0 "${running[$id]}" 2>/dev/null; then
          timeout 120 podman healthcheck run "$id" >/dev/null 2>&1 &
          running[$id]=$!
        fi
        due[$id]=$((now + interval))
      fi
    done < <(podman inspect --format '{{.ID}} {{if .Config.Healthcheck}}{{printf "%d" .Config.Healthcheck.Interval}}{{else}}0{{end}}' "${ids[@]}" 2>/dev/null)
  fi
  sleep 1
done
