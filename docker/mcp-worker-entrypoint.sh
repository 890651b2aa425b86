#!/bin/sh
# Entry point of the mcp-worker image: prepares the environment, then execs the
# command (CMD: node services/mcp-worker/dist/main.js), so node runs as PID 1
# and receives SIGTERM itself (main.ts drains on it).
#
# 1. Docker secrets: for MOODLE_TOKEN and REDIS_PASSWORD, VAR_FILE=/run/secrets/x
#    sets VAR to the file's contents (trailing newlines dropped). Setting both
#    VAR and VAR_FILE is an error. Values are never printed.
# 2. Demo mode: when MOODLE_URL is empty and DEMO_MOODLE_URL is set
#    (docker-compose.yml points it at the moodle-sim service), the worker is
#    pointed at the simulator with DEMO_MOODLE_TOKEN and MOODLE_DEMO=true; the
#    worker then logs a DEMO MODE warning and reports "demo": true in /health.
#    Compose cannot derive MOODLE_DEMO from MOODLE_URL being empty (no
#    conditional interpolation in docker-compose 1.29), hence this script.
set -eu

die() {
  echo "mcp-worker-entrypoint: $*" >&2
  exit 2 # the worker's own exit code for bad configuration
}

# file_env VAR: VAR_FILE → VAR
file_env() {
  eval "value=\${$1:-} file=\${$1_FILE:-}"
  if [ -n "$file" ]; then
    [ -z "$value" ] || die "both $1 and $1_FILE are set; set only one"
    [ -r "$file" ] || die "$1_FILE=$file is not a readable file"
    value=$(cat "$file")
    export "$1=$value"
  fi
  unset "$1_FILE"
}

file_env MOODLE_TOKEN
file_env REDIS_PASSWORD

if [ -z "${MOODLE_URL:-}" ] && [ -n "${DEMO_MOODLE_URL:-}" ]; then
  [ -n "${DEMO_MOODLE_TOKEN:-}" ] || die "DEMO_MOODLE_URL is set without DEMO_MOODLE_TOKEN"
  export MOODLE_URL="$DEMO_MOODLE_URL" MOODLE_TOKEN="$DEMO_MOODLE_TOKEN" MOODLE_DEMO=true
fi
unset DEMO_MOODLE_URL DEMO_MOODLE_TOKEN

exec "$@"
