#!/usr/bin/env bash
# Stand-in base images for `make compose-test`, and for nothing else.
# Usage: scripts/podman-base-images.sh [--rebuild]     (root; Podman installed)
#        scripts/podman-base-images.sh --remove        (delete them again)
#
# No container registry is reachable on the test machines, so the base images
# that docker-compose.yml and the Dockerfile name cannot be pulled.
# This builds them from Debian bookworm packages instead and tags them with
# exactly those names, so the project's images build FROM them unchanged:
#   1. a debootstrap minbase root file system (the mirror is the one this
#      machine's apt uses), imported as localhost/moodle-mcp-standin/debian:bookworm;
#   2. test/compose/base-images/Containerfile, one stage per image: node
#      (this machine's Node 20 and npm), haproxy, redis, prometheus and the
#      redis exporter (Debian's packages at the official images' paths).
# Grafana has no Debian package: it has no stand-in, and the test runs without it.
#
# Cached: an image is rebuilt only when it is missing or its recipe changed
# (label moodle-mcp.standin.recipe: a hash of the recipe files, the mirror and
# the Node version). Production never sees these images: `make up` on a Docker
# host pulls the real ones.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/podman-lib.sh

SUITE=bookworm
DEBIAN_IMAGE=localhost/moodle-mcp-standin/debian:$SUITE
RECIPE_DIR=test/compose/base-images
LABEL=moodle-mcp.standin.recipe
# Containerfile stage -> the docker-compose.yml variable whose default names the image.
STAGES=(node:NODE_IMAGE haproxy:HAPROXY_IMAGE redis:REDIS_IMAGE prometheus:PROMETHEUS_IMAGE redis-exporter:REDIS_EXPORTER_IMAGE)

say() { printf 'base-images: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

# The stand-in tags, qualified as Podman stores them.
standin_tags() {
  local pair
  echo "$DEBIAN_IMAGE"
  for pair in "${STAGES[@]}"; do qualified_image "$(compose_default "${pair#*:}")"; done
}

if [ "${1:-}" = --remove ]; then
  # shellcheck disable=SC2046 # one tag per word
  podman rmi --ignore $(standin_tags) >/dev/null
  say "removed the stand-in base images"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, rootful Podman)"
rebuild=${1:-}

# recipe_of IMAGE: the recipe label of a stored image, empty when missing.
recipe_of() {
  podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$1" 2>/dev/null || true
}

# apt_uri SUITE: the URI this machine's apt fetches SUITE/main from (empty if none).
apt_uri() {
  apt-cache policy | awk -v want="$1/main" '$3 == want && $2 ~ /^https?:/ { print $2; exit }'
}

MIRROR=$(apt_uri "$SUITE")
MIRROR=${MIRROR:-$(apt_uri "$(. /etc/os-release && echo "$VERSION_CODENAME")")}
[ -n "$MIRROR" ] || die "this machine's apt has no Debian mirror configured (apt-cache policy lists none)"
SECURITY=$(apt_uri "$SUITE-security")

# 1. The Debian base: debootstrap, then `podman import`.
debian_recipe=$(printf '%s\n' "$SUITE" "$MIRROR" "$SECURITY" | sha256sum | cut -c1-16)
if [ "$rebuild" != --rebuild ] && [ "$(recipe_of "$DEBIAN_IMAGE")" = "$debian_recipe" ]; then
  say "$DEBIAN_IMAGE: cached"
else
  say "$DEBIAN_IMAGE: debootstrap $SUITE from $MIRROR (about a minute)"
  rootfs=$(mktemp -d /var/tmp/moodle-mcp-standin.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$rootfs.log" 2>&1 ||
    { tail -n 20 "$rootfs.log" >&2; rm -f "$rootfs.log"; die "debootstrap failed"; }
  rm -f "$rootfs.log"
  {
    echo "deb $MIRROR $SUITE main"
    echo "deb $MIRROR $SUITE-updates main"
    [ -z "$SECURITY" ] || echo "deb $SECURITY $SUITE-security main"
  } >"$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import --quiet --change "LABEL $LABEL=$debian_recipe" --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
  say "$DEBIAN_IMAGE: built"
fi

# 2. One stage per official image. The node stage carries this machine's Node,
# which must be the major version the image name promises.
node_image=$(compose_default NODE_IMAGE)
want_major=$(sed -E 's/^node:([0-9]+).*/\1/' <<<"$node_image")
have_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$want_major" = "$have_major" ] || die "$node_image needs Node $want_major, this machine has $(node --version)"
npm_dir="$(npm root -g)/npm"
[ -f "$npm_dir/bin/npm-cli.js" ] || die "npm is not at $npm_dir"

# The CA file this machine's npm trusts (a TLS-inspecting egress), if any.
cafile=$(npm config get cafile 2>/dev/null || true)
[ "$cafile" != null ] && [ -f "$cafile" ] || cafile=''

recipe=$( {
  cat "$RECIPE_DIR"/*
  echo "$debian_recipe $(node --version) $(npm --version) $cafile"
  [ -z "$cafile" ] || cat "$cafile"
} | sha256sum | cut -c1-16)
context=''
for pair in "${STAGES[@]}"; do
  stage=${pair%%:*}
  tag=$(qualified_image "$(compose_default "${pair#*:}")")
  if [ "$rebuild" != --rebuild ] && [ "$(recipe_of "$tag")" = "$recipe" ]; then
    say "$tag: cached"
    continue
  fi
  if [ -z "$context" ]; then
    context=$(mktemp -d /var/tmp/moodle-mcp-standin-context.XXXXXX)
    trap 'rm -rf "$context"' EXIT
    cp "$RECIPE_DIR"/* "$context/"
    cp "$(readlink -f "$(command -v node)")" "$context/node"
    cp -a "$npm_dir" "$context/npm"
    mkdir -p "$context/npm-config"
    if [ -n "$cafile" ]; then
      mkdir -p "$context/npm-config$(dirname "$cafile")" "$context/npm-config/usr/local/etc"
      cp "$cafile" "$context/npm-config$cafile"
      echo "cafile=$cafile" >"$context/npm-config/usr/local/etc/npmrc"
    fi
  fi
  say "$tag: building (stage $stage)"
  # Host network: apt reaches the mirror the way this machine does.
  podman build --quiet --network host --target "$stage" --build-arg "DEBIAN=$DEBIAN_IMAGE" \
    --label "$LABEL=$recipe" --label "org.opencontainers.image.description=stand-in for $tag built from Debian packages (make compose-test only)" \
    -t "$tag" -f "$context/Containerfile" "$context" 2> >(grep -v "^debconf: delaying package configuration" >&2) >/dev/null
  say "$tag: built"
done
[ -z "$context" ] || rm -rf "$context"
