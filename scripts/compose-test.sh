#!/usr/bin/env bash
# `make compose-test`: docker-compose.yml run for real, under Podman, on a
# machine without a Docker engine or a container registry (README, "Compose test").
#
# Builds every image through the compose file (on stand-in base images made
# from Debian packages: scripts/podman-base-images.sh), starts the stack with
# Debian's docker-compose 1.29 against Podman's Docker-compatible API, waits
# for every health check, then: the MCP SDK client over ncat to the published
# VIP lists the tools and calls one; the workers are scaled to 3 and HAProxy
# spreads sessions over all 3; one worker is killed and the restart policy
# brings it back while new sessions keep succeeding; `down -v` leaves no
# container, network or volume. One PASS/FAIL line per step with its time,
# then a summary; exits non-zero when a step failed.
#
# Needs root (rootful Podman; missing packages are installed with apt-get).
# Settings: COMPOSE_TEST_HEALTH_TIMEOUT (s, each wait for health, 240),
# COMPOSE_TEST_BUILD_TIMEOUT (s, 1800), COMPOSE_TEST_PROJECT (moodle-mcp-compose-test),
# COMPOSE_TEST_KEEP=1 (after a failed step, leave the stack and the API up to
# look at: DOCKER_HOST=unix://$PWD/run/compose-test/podman.sock; run again to clean up).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/podman-lib.sh

PROJECT=${COMPOSE_TEST_PROJECT:-moodle-mcp-compose-test}
HEALTH_TIMEOUT=${COMPOSE_TEST_HEALTH_TIMEOUT:-240}
BUILD_TIMEOUT=${COMPOSE_TEST_BUILD_TIMEOUT:-1800}
WORK=$PWD/run/compose-test
ENV_FILE=$WORK/test.env
# What runs: the core and the observability services that have stand-ins.
# grafana has none (no Debian package); proxy is built but not started (its
# profile needs a targets file of the operator's: see docker-compose.yml).
SERVICES=(redis moodle-sim mcp-worker haproxy prometheus redis-exporter)
export DOCKER_HOST=unix://$WORK/podman.sock
# docker-compose builds through the API (no docker CLI, no BuildKit needed).
export COMPOSE_DOCKER_CLI_BUILD=0 DOCKER_BUILDKIT=0
COMPOSE=(docker-compose --project-name "$PROJECT" --env-file "$ENV_FILE")
EVERY_PROFILE=(--profile observability --profile proxy)

say() { printf 'compose-test: %s\n' "$*"; }
fail() { say "$*" >&2; return 1; }

# --- helpers --------------------------------------------------------------

# wait_until SECONDS WHAT COMMAND...: polls COMMAND every second until it
# succeeds; fails naming WHAT after SECONDS.
wait_until() {
  local limit=$1 what=$2 start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $((SECONDS - start)) -lt "$limit" ] || fail "timed out after ${limit}s waiting for $what"
    sleep 1
  done
}

# project_ids: the project's containers, whatever their state
project_ids() {
  podman ps -aq --no-trunc --filter "label=com.docker.compose.project=$PROJECT"
}

# service_ids SERVICE: containers of one compose service, by container number
service_ids() {
  podman ps -a --no-trunc --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" --format '{{index .Labels "com.docker.compose.container-number"}} {{.ID}}' |
    sort -n | awk '{print $2}'
}

# all_healthy: every container of the project running and healthy
all_healthy() {
  local ids
  mapfile -t ids < <(project_ids)
  [ ${#ids[@]} -gt 0 ] || return 1
  ! podman inspect --format '{{.State.Status}}/{{.State.Health.Status}}' "${ids[@]}" | grep -qv '^running/healthy$'
}

# health_report: one line per container: service, number, state, health
health_report() {
  local ids
  mapfile -t ids < <(project_ids)
  [ ${#ids[@]} -gt 0 ] || { echo "  (no container)"; return; }
  podman inspect --format '  {{index .Config.Labels "com.docker.compose.service"}}#{{index .Config.Labels "com.docker.compose.container-number"}} {{.State.Status}} {{.State.Health.Status}} restarts={{.RestartCount}}' "${ids[@]}" | sort
}

# metrics: HAProxy's Prometheus text (no password on /metrics)
metrics() { curl -fsS --max-time 5 "$STATS_URL/metrics"; }

# workers_up N: HAProxy's backend has N servers UP (and no more)
workers_up() {
  [ "$(metrics | grep -cE '^haproxy_server_status\{proxy="workers",server="[^"]+",state="UP"\} 1$')" -eq "$1" ]
}

backend_sessions() {
  metrics | awk '/^haproxy_backend_sessions_total\{proxy="workers"\}/ {print $2}'
}

# sessions_beyond N: HAProxy's backend has taken more than N sessions
sessions_beyond() { [ "$(backend_sessions)" -gt "$1" ]; }

# mcp_case NAME [VAR=value ...]: one case of test/compose/stack.podman.ts;
# prints its result lines (all of jest's output when it fails)
mcp_case() {
  local name=$1 log status=0
  shift
  log=$WORK/jest-${name// /-}.log
  env VIP_HOST=127.0.0.1 VIP_PORT="$MCP_PORT" STATS_URL="$STATS_URL" "$@" \
    timeout --kill-after=10 300 npx jest --testMatch '**/test/compose/*.podman.ts' -t "$name" >"$log" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then
    grep -E '^compose-test: |✓' "$log" || true
  else
    grep -vE '^\s*$' "$log" | grep -vE '^\s+at ' | tail -n 40
    "${COMPOSE[@]}" logs --no-color --timestamps >"$WORK/compose.log" 2>&1 || true
    say "every service's log: $WORK/compose.log; the workers' tool calls that did not end ok, and HAProxy's MCP sessions:"
    grep -E '"tool call"' "$WORK/compose.log" | grep -v '"outcome":"ok"' | cut -c1-400 || true
    grep -E 'haproxy_1 .* mcp workers/' "$WORK/compose.log" | tail -n 20 || true
  fi
  return "$status"
}

# restarted ID COUNT: the container has been restarted COUNT times and runs
restarted() {
  [ "$(podman inspect --format '{{.RestartCount}}/{{.State.Status}}' "$1")" = "$2/running" ]
}

# --- the steps ------------------------------------------------------------

step_prerequisites() {
  [ "$(id -u)" -eq 0 ] || fail "needs root: Podman runs the stack rootful (sudo make compose-test)"
  podman_install
  [ -d node_modules ] || bash scripts/npm-install.sh
  mkdir -p "$WORK"
  podman --version
  docker-compose version --short | sed 's/^/docker-compose /'
  say "Podman configuration: $CONTAINERS_CONF (runc, no default ulimits, cgroupfs)"
}

step_base_images() {
  bash scripts/podman-base-images.sh
}

# Podman's Docker-compatible API for docker-compose, and the health-check
# scheduler systemd would otherwise be (scripts/podman-healthchecks.sh).
step_engine() {
  rm -f "$WORK/podman.sock"
  podman system service --time=0 "$DOCKER_HOST" >"$WORK/podman-service.log" 2>&1 &
  echo $! >"$WORK/podman-service.pid"
  bash scripts/podman-healthchecks.sh "$PROJECT" >"$WORK/healthchecks.log" 2>&1 &
  echo $! >"$WORK/healthchecks.pid"
  wait_until 30 "Podman's API on $DOCKER_HOST" curl -fsS --unix-socket "$WORK/podman.sock" http://podman/_ping
  say "API: $DOCKER_HOST ($(curl -fsS --unix-socket "$WORK/podman.sock" http://podman/version | node -pe 'JSON.parse(require("fs").readFileSync(0)).Components[0].Name'))"
}

# A test .env: generated secrets (never printed), free loopback ports, one
# worker to start with (scaled to 3 later).
step_environment() {
  local ports
  read -r -a ports < <(node -e '
    const net = require("net");
    Promise.all([0, 1, 2, 3].map(() => new Promise((ok) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); })))
      .then((p) => console.log(p.join(" ")));')
  (
    umask 077
    cat >"$ENV_FILE" <<EOF
# Written by scripts/compose-test.sh for one run; removed at its end.
REDIS_PASSWORD=$(openssl rand -hex 24)
STATS_PASSWORD=$(openssl rand -hex 24)
GRAFANA_ADMIN_PASSWORD=$(openssl rand -hex 24)
VIP_BIND=127.0.0.1
ADMIN_BIND=127.0.0.1
MCP_PORT=${ports[0]}
TLS_PORT=${ports[1]}
STATS_PORT=${ports[2]}
PROMETHEUS_PORT=${ports[3]}
WORKER_REPLICAS=1
EOF
  )
  "${COMPOSE[@]}" "${EVERY_PROFILE[@]}" config -q
  say "project $PROJECT; VIP 127.0.0.1:${ports[0]}, stats 127.0.0.1:${ports[2]}, Prometheus 127.0.0.1:${ports[3]}; secrets generated (not shown)"
}

step_build() {
  timeout --kill-after=30 "$BUILD_TIMEOUT" "${COMPOSE[@]}" "${EVERY_PROFILE[@]}" build >"$WORK/build.log" 2>&1 ||
    { tail -n 30 "$WORK/build.log" >&2; fail "docker-compose build failed (log: $WORK/build.log)"; }
  local image size
  for image in mcp-worker moodle-sim proxy; do
    size=$(podman image inspect --format '{{.Size}}' "moodle-mcp/$image:latest")
    say "built moodle-mcp/$image:latest ($((size / 1000000)) MB)"
  done
}

step_up() {
  timeout --kill-after=30 "$HEALTH_TIMEOUT" "${COMPOSE[@]}" --profile observability up -d "${SERVICES[@]}" 2>&1 | grep -v '^$' ||
    fail "docker-compose up -d failed or did not finish within ${HEALTH_TIMEOUT}s"
  say "grafana: not started: no stand-in image (Grafana has no Debian package)"
  say "proxy: image built, not started (its profile needs an operator's targets file naming each worker)"
}

step_healthy() {
  wait_until "$HEALTH_TIMEOUT" "every container to be healthy" all_healthy || { health_report; return 1; }
  wait_until 60 "HAProxy to find the worker through DNS" workers_up 1
  health_report
  say "HAProxy: 1 worker UP (found through the container engine's DNS)"
}

step_mcp() {
  mcp_case 'lists the tools'
}

step_scale() {
  timeout --kill-after=30 "$HEALTH_TIMEOUT" "${COMPOSE[@]}" up -d --scale mcp-worker=3 --no-recreate 2>&1 | grep -v '^$' ||
    fail "docker-compose up -d --scale mcp-worker=3 failed"
  wait_until "$HEALTH_TIMEOUT" "3 healthy workers" all_healthy
  wait_until 60 "HAProxy to have 3 workers UP" workers_up 3
  say "HAProxy: 3 workers UP"
  mcp_case 'spreads concurrent sessions' WORKERS=3
}

# Kills worker #2's main process from the host, as a crash would (Docker
# counts `docker kill` as a stop by hand, which its restart policy leaves
# down), while a client keeps opening new sessions through the VIP.
step_kill() {
  local victim before started pid pid_victim loop_status
  victim=$(service_ids mcp-worker | sed -n 2p)
  [ -n "$victim" ] || fail "no second worker container"
  before=$(podman inspect --format '{{.RestartCount}}' "$victim")
  rm -f "$WORK/stop" "$WORK/killed"
  mcp_case 'keeps opening new sessions' STOP_FILE="$WORK/stop" KILL_FILE="$WORK/killed" >"$WORK/loop.log" 2>&1 &
  pid=$!
  started=$(backend_sessions)
  wait_until 60 "the session loop to start" sessions_beyond "$started"
  # The time is taken once the kill is done: a session started before it may
  # have landed on the victim (and may fail, fast); every later one must succeed.
  pid_victim=$(podman inspect --format '{{.State.Pid}}' "$victim")
  kill -9 "$pid_victim"
  date +%s%3N >"$WORK/killed"
  say "killed worker #2 at $(date -u +%T.%3N) (container ${victim:0:12}, restart policy unless-stopped)"
  local t0=$SECONDS
  wait_until 60 "worker #2 to be restarted" restarted "$victim" $((before + 1))
  say "worker #2 restarted by Podman after $((SECONDS - t0))s"
  wait_until "$HEALTH_TIMEOUT" "worker #2 to be healthy again" all_healthy
  wait_until 60 "HAProxy to have 3 workers UP again" workers_up 3
  say "worker #2 healthy and UP in HAProxy $((SECONDS - t0))s after the kill"
  # A few more sessions with all 3 back, then the loop stops.
  started=$(backend_sessions)
  wait_until 60 "sessions after the restart" sessions_beyond $((started + 2))
  touch "$WORK/stop"
  loop_status=0
  wait "$pid" || loop_status=$?
  cat "$WORK/loop.log"
  health_report
  return "$loop_status"
}

step_down() {
  timeout --kill-after=30 180 "${COMPOSE[@]}" "${EVERY_PROFILE[@]}" down -v --remove-orphans 2>&1 | grep -v '^$' ||
    fail "docker-compose down -v failed"
  leftovers
}

# leftovers: fails naming what the project still has
leftovers() {
  local containers networks volumes
  containers=$(podman ps -aq --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
  networks=$(podman network ls -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
  volumes=$(podman volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
  say "left behind: $containers containers, $networks networks, $volumes volumes"
  [ "$containers" -eq 0 ] && [ "$networks" -eq 0 ] && [ "$volumes" -eq 0 ]
}

# --- running them -----------------------------------------------------------

declare -a SUMMARY=()
failed=0
# run_step TITLE FUNCTION: runs it in a subshell with errexit (any failing
# command fails the step), prints PASS/FAIL and the time; after a failure
# the remaining steps are skipped.
run_step() {
  local title=$1 fn=$2 start=$SECONDS status=0 result
  if [ "$failed" -ne 0 ]; then
    SUMMARY+=("$(printf '%-5s %5s  %s' SKIP - "$title")")
    return
  fi
  echo
  say "== $title"
  set +e
  (
    set -e
    "$fn"
  )
  status=$?
  set -e
  result=PASS
  [ "$status" -eq 0 ] || { result=FAIL; failed=1; }
  say "$result: $title ($((SECONDS - start))s)"
  SUMMARY+=("$(printf '%-5s %4ss  %s' "$result" $((SECONDS - start)) "$title")")
}

# teardown: no container, network or volume of the project, no engine
# process, no build container half made, no test .env. Fails if any is left.
teardown() {
  local pid status=0
  [ ! -d "$WORK" ] || touch "$WORK/stop"
  if ! leftovers >/dev/null 2>&1; then
    say "cleanup: removing the project's containers, networks and volumes"
    [ ! -S "$WORK/podman.sock" ] || [ ! -f "$ENV_FILE" ] ||
      timeout 180 "${COMPOSE[@]}" "${EVERY_PROFILE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    # Without the API (it died, or never started): Podman directly.
    local label="label=com.docker.compose.project=$PROJECT"
    podman ps -aq --filter "$label" | xargs -r podman rm -f -t 10 >/dev/null 2>&1 || true
    podman network ls -q --filter "$label" | xargs -r podman network rm -f >/dev/null 2>&1 || true
    podman volume ls -q --filter "$label" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
    leftovers || status=1
  fi
  for pid in healthchecks podman-service; do
    if [ -f "$WORK/$pid.pid" ]; then
      kill "$(cat "$WORK/$pid.pid")" 2>/dev/null || true
      rm -f "$WORK/$pid.pid"
    fi
  done
  # Build containers a killed build left (Podman lists them as "storage").
  if [ -f "$WORK/external.before" ]; then
    podman ps -a --external --no-trunc --format '{{.ID}} {{.Status}}' 2>/dev/null | awk '$2 == "Storage" {print $1}' |
      grep -vxFf "$WORK/external.before" | xargs -r podman rm -f >/dev/null 2>&1 || true
    rm -f "$WORK/external.before"
  fi
  rm -f "$ENV_FILE" "$WORK/podman.sock" "$WORK/stop" "$WORK/killed"
  return "$status"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ "$status" -ne 0 ] && [ -n "${COMPOSE_TEST_KEEP:-}" ]; then
    say "COMPOSE_TEST_KEEP: the stack is left up: DOCKER_HOST=$DOCKER_HOST docker-compose -p $PROJECT --env-file $ENV_FILE ps"
    exit "$status"
  fi
  teardown || status=1
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK"
# What an earlier run left (COMPOSE_TEST_KEEP, or a kill -9) goes first.
if command -v podman >/dev/null && { compgen -G "$WORK/*.pid" >/dev/null || ! leftovers >/dev/null 2>&1; }; then
  say "an earlier run left processes or containers: cleaning up first"
  teardown
fi
podman ps -a --external --no-trunc -q 2>/dev/null | sort >"$WORK/external.before" || true
rm -f "$WORK"/*.log # the last run's logs only
say "docker-compose.yml under Podman, project $PROJECT ($(date -u +%FT%TZ))"
total_start=$SECONDS
run_step "prerequisites (root, Podman, docker-compose, ncat, node_modules)" step_prerequisites
run_step "stand-in base images (built when missing, else cached)" step_base_images
run_step "Podman's Docker-compatible API and health-check scheduler" step_engine
run_step "test environment (.env with generated secrets; docker-compose config -q)" step_environment
# STATS_URL and MCP_PORT for the steps below, from the .env just written.
if [ -f "$ENV_FILE" ]; then
  MCP_PORT=$(sed -n 's/^MCP_PORT=//p' "$ENV_FILE")
  STATS_URL=http://127.0.0.1:$(sed -n 's/^STATS_PORT=//p' "$ENV_FILE")
fi
run_step "build every image through the compose file" step_build
run_step "up -d (${SERVICES[*]}; 1 worker)" step_up
run_step "every health check passes" step_healthy
run_step "MCP SDK client over ncat to the VIP: lists tools, calls get_courses" step_mcp
run_step "scale mcp-worker to 3: HAProxy uses all 3" step_scale
run_step "kill a worker: restart policy brings it back, new sessions keep succeeding" step_kill
run_step "down -v leaves no container, network or volume" step_down

echo
say "summary ($((SECONDS - total_start))s in all):"
printf '  %s\n' "${SUMMARY[@]}"
count() { printf '%s\n' "${SUMMARY[@]}" | grep -c "^$1" || true; }
say "$(count PASS) passed, $(count FAIL) failed, $(count SKIP) skipped"
[ "$failed" -eq 0 ]
