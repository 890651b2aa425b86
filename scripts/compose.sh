#!/usr/bin/env bash
# The Docker Compose path (docker-compose.yml), behind the Makefile's targets.
# Usage: scripts/compose.sh up | down | restart [SERVICE] | logs [SERVICE] | scale N | config
#
# Works with `docker compose` (v2) and `docker-compose` (Debian's 1.29 or a
# standalone v2), whichever is installed; says so and points at the native
# runner (`make local`) when there is no compose or no running engine.
set -euo pipefail
cd "$(dirname "$0")/.."
READY_TIMEOUT=${READY_TIMEOUT:-120}
# Every profile, for the commands that must see every service (down, logs).
ALL_PROFILES=(--profile observability --profile proxy)

say() { printf 'compose: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

# An operator's .env configures compose; it is read here too for what the
# messages print (MCP_PORT, VIP_BIND, MOODLE_URL, WORKER_SLOTS).
if [ -f .env ]; then set -a; . ./.env; set +a; fi

COMPOSE=()
find_compose() {
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  else
    die "neither 'docker compose' nor 'docker-compose' is installed. Install Docker with its compose plugin (https://docs.docker.com/engine/install/), or run the same stack without Docker: make local"
  fi
}

need_engine() {
  find_compose
  if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
    die "no Docker engine answers here ('docker info' fails: not installed, not running, or no permission on its socket). Start it, or run the same stack without Docker: make local"
  fi
}

need_env() {
  [ -f .env ] || die "no .env: cp .env.example .env, then set REDIS_PASSWORD, STATS_PASSWORD and GRAFANA_ADMIN_PASSWORD in it (e.g. openssl rand -hex 24 for each)"
  # Names a missing required secret before anything is built.
  "${COMPOSE[@]}" config -q
}

# container_health SERVICE: the health status of the service's first container
container_health() {
  local id
  id=$("${COMPOSE[@]}" ps -q "$1" 2>/dev/null | head -n 1)
  [ -n "$id" ] || { echo missing; return; }
  docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing
}

wait_healthy() {
  local service=$1 start=$SECONDS status
  while :; do
    status=$(container_health "$service")
    [ "$status" = healthy ] && { say "$service healthy"; return 0; }
    if [ "$status" = unhealthy ] || [ $((SECONDS - start)) -ge "$READY_TIMEOUT" ]; then
      say "$service is $status after $((SECONDS - start))s; its last log lines:" >&2
      "${COMPOSE[@]}" logs --tail=20 "$service" >&2 || true
      return 1
    fi
    sleep 1
  done
}

# The address teachers' clients connect to: VIP_BIND, or this host's first address.
vip_host() {
  local bind=${VIP_BIND:-0.0.0.0} addr
  if [ "$bind" != 0.0.0.0 ]; then echo "$bind"; return; fi
  addr=$(hostname -I 2>/dev/null | awk '{print $1}')
  echo "${addr:-127.0.0.1}"
}

up() {
  need_engine
  need_env
  if [ -z "${MOODLE_URL:-}" ]; then
    say "MOODLE_URL is not set: DEMO MODE, the workers use the built-in Moodle simulator (made-up data)"
  elif [ -z "${MOODLE_TOKEN:-}" ]; then
    say "warning: MOODLE_URL is set but MOODLE_TOKEN is not: the workers refuse to start unless MOODLE_TOKEN_FILE is set (see README.md, With Docker Compose)" >&2
  fi
  "${COMPOSE[@]}" up -d --build --remove-orphans
  wait_healthy haproxy
  local host port=${MCP_PORT:-3000} demo=''
  host=$(vip_host)
  [ -n "${MOODLE_URL:-}" ] || demo=' (DEMO Moodle)'
  echo
  say "the stack is up. MCP endpoint (VIP): $host:$port$demo"
  say "client configuration:"
  printf '  { "mcpServers": { "moodle": { "command": "ncat", "args": ["%s", "%s"] } } }\n' "$host" "$port"
  say "HAProxy statistics: http://${ADMIN_BIND:-127.0.0.1}:${STATS_PORT:-8404}/ (user ${STATS_USER:-admin}), metrics on /metrics"
  case ",${COMPOSE_PROFILES:-}," in
    *,observability,*) say "Grafana: http://${ADMIN_BIND:-127.0.0.1}:${GRAFANA_PORT:-3001}/  Prometheus: http://${ADMIN_BIND:-127.0.0.1}:${PROMETHEUS_PORT:-9090}/" ;;
  esac
  say "logs: make logs [SERVICE=mcp-worker]   workers: make scale N=5   stop: make down"
}

down() {
  need_engine
  # Named volumes (Prometheus and Grafana data) are kept; `down -v` removes them.
  "${COMPOSE[@]}" "${ALL_PROFILES[@]}" down --remove-orphans
}

restart() {
  need_engine
  # In place: the containers keep their configuration; after editing .env, run make up.
  "${COMPOSE[@]}" restart ${1:+"$1"}
}

logs() {
  need_engine
  "${COMPOSE[@]}" "${ALL_PROFILES[@]}" logs -f --tail=100 ${1:+"$1"}
}

scale() {
  local n=${1:-}
  [[ "$n" =~ ^[1-9][0-9]{0,2}$ ]] || die "usage: make scale N=<number of workers, 1-999>"
  need_engine
  need_env
  if [ "$n" -gt "${WORKER_SLOTS:-10}" ]; then
    say "warning: N=$n is more than WORKER_SLOTS=${WORKER_SLOTS:-10}: HAProxy sends sessions to ${WORKER_SLOTS:-10} workers at most (raise WORKER_SLOTS in .env, then make up)" >&2
  fi
  "${COMPOSE[@]}" up -d --scale "mcp-worker=$n" --no-recreate
  say "mcp-worker: $n replicas (HAProxy picks up the change through DNS within about 10 s)"
}

# Validates docker-compose.yml without an engine: with .env when there is one,
# otherwise with .env.example's values and placeholder secrets.
config() {
  find_compose
  if [ -f .env ]; then
    "${COMPOSE[@]}" config -q
    say "docker-compose.yml is valid with .env ($("${COMPOSE[@]}" version --short 2>/dev/null || echo "${COMPOSE[*]}"))"
  else
    REDIS_PASSWORD=${REDIS_PASSWORD:-placeholder} STATS_PASSWORD=${STATS_PASSWORD:-placeholder} \
      GRAFANA_ADMIN_PASSWORD=${GRAFANA_ADMIN_PASSWORD:-placeholder} \
      "${COMPOSE[@]}" --env-file .env.example config -q
    say "docker-compose.yml is valid (no .env: checked with .env.example and placeholder secrets)"
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  restart) restart "${2:-}" ;;
  logs) logs "${2:-}" ;;
  scale) scale "${2:-}" ;;
  config) config ;;
  *) echo "usage: $0 up|down|restart [SERVICE]|logs [SERVICE]|scale N|config" >&2; exit 2 ;;
esac
