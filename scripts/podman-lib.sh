# Sourced by scripts/compose-test.sh and scripts/podman-base-images.sh: Podman
# as these machines can run it (rootful, runc, cgroupfs; no systemd, no
# container registry), and the packages it needs.

# The project's own Podman configuration (see the file); every podman command
# of the caller, and the processes they start, read it.
export CONTAINERS_CONF="$PWD/test/compose/containers.conf"

# Podman and what it runs containers with; docker-compose 1.29 drives Podman's
# Docker-compatible API; ncat is the MCP clients' transport. netavark and
# aardvark-dns are not on PATH, hence their full paths.
PODMAN_PACKAGES=(podman:podman runc:runc /usr/lib/podman/netavark:netavark /usr/lib/podman/aardvark-dns:aardvark-dns
  iptables:iptables debootstrap:debootstrap docker-compose:docker-compose ncat:ncat openssl:openssl curl:curl)

podman_install() {
  bash scripts/ensure-deps.sh "${PODMAN_PACKAGES[@]}"
}

# qualified_image NAME: the name Podman stores an image under when a Docker
# client asks for NAME (node:20 -> docker.io/library/node:20).
qualified_image() {
  local name=$1 first=${1%%/*}
  if [[ "$name" != */* ]]; then
    echo "docker.io/library/$name"
  elif [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then
    echo "$name"
  else
    echo "docker.io/$name"
  fi
}

# compose_default VAR: the default docker-compose.yml gives ${VAR:-default}.
compose_default() {
  local value
  value=$(grep -o "\${$1:-[^}]*}" docker-compose.yml | head -n 1)
  [ -n "$value" ] || { echo "podman-lib: docker-compose.yml has no \${$1:-…}" >&2; return 1; }
  value=${value#*:-}
  echo "${value%\}}"
}
