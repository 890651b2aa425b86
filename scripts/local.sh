#!/usr/bin/env bash
# The native runner: the stack as local processes, for tests, benchmarks and
# machines without Docker.  Usage: scripts/local.sh up|down|status
#
# Today it runs one mcp-worker on MCP_PORT (default 3000) and, when MOODLE_URL
# is not set, the built-in Moodle simulator (demo mode, labelled as such).
# Everything it starts is recorded under RUN_DIR (default ./run/local): one
# .pid and one log file per process; `down` stops exactly those processes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN_DIR=${RUN_DIR:-$ROOT/run/local}
LOG_DIR=$RUN_DIR/logs
# An operator's .env (see .env.example) configures the native run too.
if [ -f .env ]; then set -a; . ./.env; set +a; fi
MCP_HOST=${MCP_HOST:-127.0.0.1}
MCP_PORT=${MCP_PORT:-3000}
HTTP_PORT=${HTTP_PORT:-9464}
SIM_PORT=${SIM_PORT:-8088}
READY_TIMEOUT=${READY_TIMEOUT:-60}

say() { printf 'local: %s\n' "$*"; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# start NAME COMMAND... : runs COMMAND in the background, logs to LOG_DIR/NAME.log
start() {
  local name=$1; shift
  if pid_alive "$RUN_DIR/$name.pid"; then say "$name already running (pid $(cat "$RUN_DIR/$name.pid"))"; return; fi
  nohup "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
  say "started $name (pid $!, log $LOG_DIR/$name.log)"
}

# wait_ready NAME URL : polls URL until it answers 2xx, the process dies, or READY_TIMEOUT
wait_ready() {
  local name=$1 url=$2 deadline=$((SECONDS + READY_TIMEOUT))
  until node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url" 2>/dev/null; do
    if ! pid_alive "$RUN_DIR/$name.pid"; then
      say "$name exited during start-up; last lines of its log:"; tail -n 20 "$LOG_DIR/$name.log" >&2; return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      say "$name not ready at $url after ${READY_TIMEOUT}s; last lines of its log:"; tail -n 20 "$LOG_DIR/$name.log" >&2; return 1
    fi
    sleep 0.2
  done
  say "$name ready ($url)"
}

up() {
  bash scripts/ensure-deps.sh ncat:ncat
  bash scripts/npm-install.sh
  mkdir -p "$LOG_DIR"
  if [ -z "${MOODLE_URL:-}" ]; then
    say "MOODLE_URL is not set: DEMO MODE with the built-in Moodle simulator (made-up data)"
    start moodle-sim env SIM_HOST=127.0.0.1 SIM_PORT="$SIM_PORT" node services/moodle-sim/dist/main.js
    wait_ready moodle-sim "http://127.0.0.1:$SIM_PORT/health" || { down; exit 1; }
    export MOODLE_URL="http://127.0.0.1:$SIM_PORT"
    MOODLE_TOKEN=$(node -p 'require("./services/moodle-sim/dist/index.js").DEMO_TOKEN')
    export MOODLE_TOKEN MOODLE_DEMO=true
  elif [ -z "${MOODLE_TOKEN:-}" ]; then
    say "MOODLE_URL is set but MOODLE_TOKEN is not; put both in .env (see .env.example)"; exit 2
  fi
  start mcp-worker-1 env MCP_HOST="$MCP_HOST" MCP_PORT="$MCP_PORT" HTTP_HOST=127.0.0.1 HTTP_PORT="$HTTP_PORT" WORKER_ID=worker-1 \
    node services/mcp-worker/dist/main.js
  wait_ready mcp-worker-1 "http://127.0.0.1:$HTTP_PORT/ready" || { down; exit 1; }
  echo
  say "the stack is up. MCP endpoint: $MCP_HOST:$MCP_PORT${MOODLE_DEMO:+ (DEMO Moodle)}"
  say "client configuration:"
  printf '  { "mcpServers": { "moodle": { "command": "ncat", "args": ["%s", "%s"] } } }\n' "$MCP_HOST" "$MCP_PORT"
  say "stop it with: make local-down"
}

down() {
  shopt -s nullglob
  local pids=() names=()
  for f in "$RUN_DIR"/*.pid; do
    if pid_alive "$f"; then pids+=("$(cat "$f")"); names+=("$(basename "$f" .pid)"); kill -TERM "$(cat "$f")" 2>/dev/null || true; fi
    rm -f "$f"
  done
  [ ${#pids[@]} -eq 0 ] && { say "nothing running"; return 0; }
  say "stopping ${names[*]}"
  local deadline=$((SECONDS + 20))
  for p in "${pids[@]}"; do
    while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then say "pid $p did not stop in time; killing it"; kill -KILL "$p" 2>/dev/null || true; fi
  done
  say "stopped"
}

status() {
  shopt -s nullglob
  local any=0
  for f in "$RUN_DIR"/*.pid; do
    any=1
    if pid_alive "$f"; then echo "$(basename "$f" .pid): running (pid $(cat "$f"))"; else echo "$(basename "$f" .pid): not running"; fi
  done
  [ $any -eq 1 ] || echo "nothing started by the native runner"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
