#!/usr/bin/env bash
# The native runner: the stack's topology as local processes, for tests,
# benchmarks, CI and machines without Docker.
#
#   scripts/local.sh up                 start everything, return once every worker is UP in HAProxy
#   scripts/local.sh down               stop everything `up` started (nothing is left behind)
#   scripts/local.sh status             processes, HAProxy's view of each worker, sessions
#   scripts/local.sh scale N            run N workers (fills/empties HAProxy server slots; no config edit, no reload)
#   scripts/local.sh restart-worker I   restart worker-I gracefully (also clears a given-up worker)
#   scripts/local.sh restart-proxy      restart the proxy service (it reads its lock file back)
#   scripts/local.sh restart-redis      restart Redis (the workers reconnect by themselves; data is gone)
#   scripts/local.sh client-config      the MCP client configuration for this host, per OS
#   scripts/local.sh check-config       `haproxy -c` on haproxy/haproxy.cfg with the runner's environment
#   scripts/local.sh reload-haproxy     start a new HAProxy on the (changed) config; open sessions stay on the old one
#   scripts/local.sh logs [SERVICE]     follow RUN_DIR/logs/SERVICE.log (mcp-worker: every worker; none: all)
#   scripts/local.sh running            exit 0 when the native stack runs in RUN_DIR (for make logs)
#
# Processes: HAProxy (haproxy/haproxy.cfg, WORKER_DISCOVERY=runtime), Redis
# (redis/redis.conf on 127.0.0.1 with a password generated into RUN_DIR),
# workers worker-1..N on 127.0.0.1 (MCP on WORKER_MCP_BASE_PORT+i, HTTP on
# WORKER_HTTP_BASE_PORT+i), moodle-sim when MOODLE_URL is not set (demo), and
# a supervisor that restarts a worker that dies (at most WORKER_MAX_RESTARTS
# times per WORKER_RESTART_WINDOW seconds) and puts each ready worker into its
# HAProxy server slot through the runtime API. Pid files, logs, the runtime API socket and
# the generated secrets (mode 600) live under RUN_DIR (default run/local).
set -euo pipefail
# shellcheck source=scripts/local-lib.sh
. "$(dirname "$0")/local-lib.sh"
# shellcheck source=scripts/local-observability.sh
. "$(dirname "$0")/local-observability.sh"
cd "$ROOT"

CFG=$ROOT/haproxy/haproxy.cfg

# The password of the stats page: STATS_PASSWORD, else one generated at `up`.
stats_password() {
  if [ -n "${STATS_PASSWORD:-}" ]; then echo "$STATS_PASSWORD"; else secret "$RUN_DIR/stats.password"; fi
}

# tls_file NAME: CERT_DIR/NAME when TLS is on, else nothing (haproxy.cfg then binds no TLS port).
tls_file() { if [ "$TLS" = 1 ]; then echo "$CERT_DIR/$1"; fi; }

# with_haproxy_env COMMAND...: COMMAND with the variables haproxy.cfg reads.
with_haproxy_env() {
  TLS_PORT=$TLS_PORT HAPROXY_TLS_CERT=$(tls_file server.pem) HAPROXY_TLS_CA=$(tls_file ca.pem) HAPROXY_TLS_VERIFY=$HAPROXY_TLS_VERIFY \
    HAPROXY_SRC_MAXCONN=$HAPROXY_SRC_MAXCONN HAPROXY_SRC_CONN_RATE=$HAPROXY_SRC_CONN_RATE \
    HAPROXY_BIND=$HAPROXY_BIND MCP_PORT=$MCP_PORT STATS_PORT=$STATS_PORT STATS_USER=$STATS_USER \
    STATS_PASSWORD=$(stats_password) HAPROXY_ALLOWLIST=$HAPROXY_ALLOWLIST HAPROXY_SOCKET=$HAPROXY_SOCKET \
    HAPROXY_CHECK_INTER=$HAPROXY_CHECK_INTER HAPROXY_CHECK_FASTINTER=$HAPROXY_CHECK_FASTINTER \
    WORKER_DISCOVERY=runtime WORKER_SLOTS=$MAX_WORKERS HAPROXY_STATE_FILE=$HAPROXY_STATE_FILE "$@"
}

check_config() {
  local out
  if ! out=$(with_haproxy_env "$HAPROXY_BIN" -c -f "$CFG" 2>&1); then
    printf '%s\n' "$out" >&2
    say "haproxy/haproxy.cfg does not pass 'haproxy -c' with this environment (see above)" >&2
    return 1
  fi
  say "haproxy -c: $CFG is valid"
}

# --- the supervisor ---------------------------------------------------------

slog() {
  local level=$1; shift
  local msg=$*
  printf '{"time":"%s","level":"%s","service":"local-supervisor","message":"%s"}\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$level" "${msg//\"/\\\"}"
}

start_worker() {
  local i=$1 name=worker-$1
  MCP_HOST=127.0.0.1 MCP_PORT=$(worker_mcp_port "$i") HTTP_HOST=127.0.0.1 HTTP_PORT=$(worker_http_port "$i") \
    WORKER_ID=$name PROXY_PROTOCOL=$PROXY_PROTOCOL REDIS_URL=redis://127.0.0.1:$REDIS_PORT REDIS_PASSWORD=$(cat "$RUN_DIR/redis.password") \
    start "$name" node "$ROOT/services/mcp-worker/dist/main.js"
  slog info "started $name (pid $(cat "$RUN_DIR/$name.pid"), MCP 127.0.0.1:$(worker_mcp_port "$i"), HTTP 127.0.0.1:$(worker_http_port "$i"))"
}

# Puts worker-I into its slot of backend `workers` (haproxy.cfg: unused slots
# sit at 127.0.0.1:1 in maintenance) and enables it; it is UP at once (it
# answered /ready). The slot's settings (checks, PROXY header) are the
# backend's default-server.
register_worker() {
  local i=$1 name=worker-$1 answer
  answer=$(hx "set server workers/$name addr 127.0.0.1 port $(worker_mcp_port "$i")") || true
  if [[ $answer != *"port changed"* && $answer != *"no need to change"* ]]; then
    slog warn "HAProxy refused to set the address of $name (slots: worker-1..worker-$MAX_WORKERS): ${answer//$'\n'/ }"
    return 0
  fi
  hx "set server workers/$name check-port $(worker_http_port "$i");set server workers/$name state ready" >/dev/null
  slog info "added $name to HAProxy backend workers"
}

# release_slot NAME: takes NAME out of HAProxy for good: maintenance, its
# sessions cut, and the slot back to unused (port 1, as in haproxy.cfg).
release_slot() {
  hx "set server workers/$1 state maint;shutdown sessions server workers/$1;set server workers/$1 addr 127.0.0.1 port 1;set server workers/$1 check-port 1" >/dev/null || true
}

# restart_allowed NAME: true while NAME restarted fewer than WORKER_MAX_RESTARTS
# times in the last WORKER_RESTART_WINDOW seconds (and records this restart).
restart_allowed() {
  local f=$RUN_DIR/$1.restarts now t recent=()
  now=$(date +%s)
  if [ -f "$f" ]; then
    while read -r t; do [ $((now - t)) -lt "$WORKER_RESTART_WINDOW" ] && recent+=("$t"); done <"$f"
  fi
  [ ${#recent[@]} -lt "$WORKER_MAX_RESTARTS" ] || return 1
  printf '%s\n' "${recent[@]}" "$now" >"$f"
}

supervise_once() {
  [ -f "$RUN_DIR/stopping" ] && return 0
  local desired registered i name
  desired=$(cat "$RUN_DIR/workers.desired" 2>/dev/null) || return 0
  registered=" $(hx_servers | awk '{printf "%s ", $1}')"
  for ((i = 1; i <= desired; i++)); do
    name=worker-$i
    [ -f "$RUN_DIR/$name.failed" ] && continue
    if ! pid_alive "$name"; then
      if [ -f "$RUN_DIR/$name.pid" ]; then
        if ! restart_allowed "$name"; then
          slog error "$name keeps exiting ($WORKER_MAX_RESTARTS restarts within ${WORKER_RESTART_WINDOW}s); giving up on it. See $LOG_DIR/$name.log, then: scripts/local.sh restart-worker $i"
          touch "$RUN_DIR/$name.failed"
          forget "$name"
          continue
        fi
        slog warn "$name (pid $(cat "$RUN_DIR/$name.pid")) is not running; restarting it"
      fi
      start_worker "$i"
    fi
    if [[ $registered != *" $name "* ]] && http_ok "$(worker_http_port "$i")" /ready; then
      register_worker "$i"
    fi
  done
}

supervise() {
  local nap=""
  trap 'slog info "supervisor stopping"; [ -z "$nap" ] || kill "$nap" 2>/dev/null; exit 0' TERM INT
  slog info "supervisor started (restarts a dead worker at most $WORKER_MAX_RESTARTS times per ${WORKER_RESTART_WINDOW}s)"
  while [ ! -f "$RUN_DIR/stopping" ]; do
    with_lock supervise_once || slog warn "supervisor pass failed; trying again"
    sleep 0.5 &
    nap=$!
    wait "$nap" || true
    nap=""
  done
  slog info "supervisor stopping"
}

# --- the proxy ----------------------------------------------------------------

# The proxy's configuration for this run: target `primary` (workers
# 1..WORKERS-STANDBY_WORKERS) and, with STANDBY_WORKERS, target `standby`
# (the last STANDBY_WORKERS workers). Workers added later by `scale` are not
# in it: the proxy leaves their HAProxy state alone.
write_proxy_config() {
  local primary=$((WORKERS - STANDBY_WORKERS))
  node -e '
    const [runDir, logDir, socket, workers, primary, mcpBase, httpBase] = process.argv.slice(1);
    // proxyProtocol: the workers expect a PROXY v2 header (PROXY_PROTOCOL); the deep checks send LOCAL.
    const w = (i) => ({ name: `worker-${i}`, host: "127.0.0.1", mcpPort: +mcpBase + i, httpPort: +httpBase + i, proxyProtocol: true });
    const range = (a, b) => Array.from({ length: b - a + 1 }, (_, k) => w(a + k));
    const targets = [{ name: "primary", priority: 1, minHealthy: 1, workers: range(1, +primary) }];
    if (+workers > +primary) targets.push({ name: "standby", priority: 2, minHealthy: 1, workers: range(+primary + 1, +workers) });
    const cfg = { targets, haproxy: { socket, backend: "workers", reconcileIntervalMs: 5000 }, lockFile: `${runDir}/active_system.lock`, logging: { level: "info", dir: `${logDir}/proxy` } };
    require("fs").writeFileSync(`${runDir}/proxy.json`, JSON.stringify(cfg, null, 2) + "\n");
  ' "$RUN_DIR" "$LOG_DIR" "$HAPROXY_SOCKET" "$WORKERS" "$primary" "$WORKER_MCP_BASE_PORT" "$WORKER_HTTP_BASE_PORT"
}

proxy_token() {
  if [ -n "${PROXY_ADMIN_TOKEN:-}" ]; then echo "$PROXY_ADMIN_TOKEN"; else secret "$RUN_DIR/proxy.token"; fi
}

start_proxy() {
  write_proxy_config
  PROXY_CONFIG_FILE=$RUN_DIR/proxy.json PROXY_HOST=$PROXY_BIND PROXY_PORT=$PROXY_PORT PROXY_ADMIN_TOKEN=$(proxy_token) \
    PROXY_HEALTH_INTERVAL_MS=$PROXY_HEALTH_INTERVAL_MS PROXY_HEALTH_TIMEOUT_MS=$PROXY_HEALTH_TIMEOUT_MS PROXY_FAILOVER_THRESHOLD=$PROXY_FAILOVER_THRESHOLD PROXY_WORKER_FALL=$PROXY_WORKER_FALL PROXY_FAILBACK=$PROXY_FAILBACK \
    start proxy node "$ROOT/services/proxy/dist/main.js"
  wait_until proxy "API and UI on http://$PROXY_BIND:$PROXY_PORT/ui/" http_ok "$PROXY_PORT" /ready
}

restart_redis() {
  pid_alive haproxy || die "the native stack is not running in $RUN_DIR (start it with: make local)"
  stop_stage 10 redis
  start redis "$REDIS_BIN" "$RUN_DIR/redis.conf"
  wait_until redis "answers on 127.0.0.1:$REDIS_PORT" redis_ping
}

restart_proxy() {
  # HAProxy, not the supervisor: the proxy is what an operator restarts when workers are in trouble.
  pid_alive haproxy || die "the native stack is not running in $RUN_DIR (start it with: make local)"
  [ "$PROXY" = 1 ] || die "this stack runs without the proxy (PROXY=0)"
  stop_stage 10 proxy
  start_proxy
}

# --- reload-haproxy -----------------------------------------------------------

# replaced_haproxies: the names (haproxy-old-PID) of HAProxy processes a reload
# replaced that still finish their sessions; the records of those that ended are dropped.
replaced_haproxies() {
  local f name
  for f in "$RUN_DIR"/haproxy-old-*.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    if pid_alive "$name"; then echo "$name"; else forget "$name"; fi
  done
}

# rename_record FROM TO: the process recorded as FROM is recorded as TO.
rename_record() { mv "$RUN_DIR/$1.pid" "$RUN_DIR/$2.pid" && mv "$RUN_DIR/$1.start" "$RUN_DIR/$2.start"; }

# hx_pid: the pid of the HAProxy process that answers on the runtime API socket.
hx_pid() { hx "show info" 2>/dev/null | sed -n 's/^Pid: //p'; }

# A new HAProxy on the config as it is now (haproxy.cfg and the environment:
# variables the runner does not pin, such as HAPROXY_MAXCONN, are read
# afresh), seamless for clients: it takes the listening sockets over from the
# old process (-x, through the runtime API's expose-fd) so no connection is
# refused, starts every server where the old one had it (the server-state
# file), then tells the old one to stop (-sf): that one stops accepting and
# exits once its open sessions have ended. Under the lock, so the supervisor
# changes no server between the dump and the new process.
reload_locked() {
  local old new old_conns state_tmp=$HAPROXY_STATE_FILE.tmp deadline=$((SECONDS + READY_TIMEOUT))
  old=$(cat "$RUN_DIR/haproxy.pid")
  [ "$(hx_pid)" = "$old" ] || die "HAProxy (pid $old) does not answer on $HAPROXY_SOCKET; not reloaded"
  old_conns=$(hx "show info" | sed -n 's/^CurrConns: //p')
  # Format version 1 ("1" on the first line) is what HAProxy 2.6 reads back.
  if ! hx "show servers state workers" >"$state_tmp" || [ "$(head -n 1 "$state_tmp")" != 1 ]; then
    rm -f "$state_tmp"
    die "could not read the server states from HAProxy (show servers state workers on $HAPROXY_SOCKET); not reloaded"
  fi
  mv "$state_tmp" "$HAPROXY_STATE_FILE"
  rename_record haproxy "haproxy-old-$old"
  with_haproxy_env start haproxy "$HAPROXY_BIN" -db -f "$CFG" -x "$HAPROXY_SOCKET" -sf "$old"
  new=$(cat "$RUN_DIR/haproxy.pid")
  until [ "$(hx_pid)" = "$new" ]; do
    if ! pid_alive haproxy || [ $SECONDS -ge $deadline ]; then
      pid_alive haproxy && stop_pids 5 "$new"
      rename_record "haproxy-old-$old" haproxy
      tail_log haproxy
      die "the new HAProxy (pid $new) did not take over the runtime API within ${READY_TIMEOUT}s; $(pid_alive haproxy && echo "the old one (pid $old) still serves" || echo "the old one (pid $old) is gone too: make local-down, then make local")"
    fi
    sleep 0.1
  done
  say "HAProxy reloaded: pid $new takes new connections; pid $old finishes its ${old_conns:-?} open connections, then exits (make local-down stops it too)"
}

reload_haproxy() {
  pid_alive haproxy || die "the native stack is not running in $RUN_DIR (start it with: make local)"
  check_config || die "HAProxy not reloaded: the running one (pid $(cat "$RUN_DIR/haproxy.pid")) is unchanged"
  with_lock reload_locked
}

# --- up ---------------------------------------------------------------------

fail() {
  say "$*" >&2
  down >&2 || true
  exit 1
}

tail_log() { [ -f "$LOG_DIR/$1.log" ] && { say "last lines of $LOG_DIR/$1.log:" >&2; tail -n 20 "$LOG_DIR/$1.log" >&2; }; return 0; }

# wait_until NAME WHAT COMMAND...: polls COMMAND until it succeeds, NAME's process dies, or READY_TIMEOUT.
wait_until() {
  local name=$1 what=$2 deadline=$((SECONDS + READY_TIMEOUT)); shift 2
  until "$@"; do
    if ! pid_alive "$name"; then tail_log "$name"; fail "$name exited during start-up"; fi
    if [ $SECONDS -ge $deadline ]; then tail_log "$name"; fail "$name: $what not reached within ${READY_TIMEOUT}s"; fi
    sleep 0.1
  done
  say "$name: $what"
}

redis_ping() { [[ $(REDISCLI_AUTH=$(cat "$RUN_DIR/redis.password") timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }
haproxy_answers() { [[ $(hx "show info" 2>/dev/null) == *"Name: HAProxy"* ]]; }

# unhealthy N: prints what keeps the first N workers from being ready and UP in
# HAProxy (UP exactly: at least one of HAProxy's own checks has passed; DRAIN
# is UP too, kept from new sessions by the proxy or the operator).
unhealthy() {
  local n=$1 i servers out=""
  servers=$(hx_servers)
  for ((i = 1; i <= n; i++)); do
    if ! http_ok "$(worker_http_port "$i")" /ready; then out+="worker-$i(/ready) "
    elif ! grep -Eq "^worker-$i (UP|DRAIN) " <<<"$servers"; then out+="worker-$i(HAProxy) "; fi
  done
  printf '%s' "$out"
}

wait_healthy() {
  local n=$1 deadline=$((SECONDS + READY_TIMEOUT)) bad i
  while bad=$(unhealthy "$n") && [ -n "$bad" ]; do
    pid_alive supervisor || { tail_log supervisor; fail "the supervisor exited"; }
    for ((i = 1; i <= n; i++)); do
      [ -f "$RUN_DIR/worker-$i.failed" ] && { tail_log "worker-$i"; fail "worker-$i keeps exiting"; }
    done
    if [ $SECONDS -ge $deadline ]; then
      for ((i = 1; i <= n; i++)); do [[ $bad == *"worker-$i("* ]] && tail_log "worker-$i"; done
      fail "not healthy within ${READY_TIMEOUT}s: $bad"
    fi
    sleep 0.2
  done
  say "all $n workers ready and UP in HAProxy"
}

write_stack_env() {
  local v
  {
    echo "# Settings of the running native stack (written by scripts/local.sh up; no secrets)."
    for v in HAPROXY_BIND MCP_PORT STATS_PORT STATS_USER REDIS_PORT SIM_PORT WORKERS WORKER_MCP_BASE_PORT \
      WORKER_HTTP_BASE_PORT HAPROXY_ALLOWLIST HAPROXY_CHECK_INTER HAPROXY_CHECK_FASTINTER VIP PROXY PROXY_BIND PROXY_PORT \
      STANDBY_WORKERS TLS TLS_PORT CERT_DIR HAPROXY_TLS_VERIFY HAPROXY_SRC_MAXCONN HAPROXY_SRC_CONN_RATE PROXY_PROTOCOL OBSERVABILITY PROMETHEUS_BIND PROMETHEUS_PORT REDIS_EXPORTER_PORT PROMETHEUS_SCRAPE_INTERVAL; do
      printf '%s=%q\n' "$v" "${!v:-}"
    done
  } >"$RUN_DIR/stack.env"
}

up() {
  if pid_alive supervisor; then
    say "already running (RUN_DIR $RUN_DIR)"
    [ "$OBSERVABILITY" = 1 ] && ! pid_alive prometheus && say "it runs without Prometheus: make local-down, then make local-observability"
    status
    return 0
  fi
  bash scripts/ensure-deps.sh haproxy:haproxy redis-server:redis-server ncat:ncat openssl:openssl
  [ -n "${LOCAL_SKIP_BUILD:-}" ] || bash scripts/npm-install.sh
  down >/dev/null # leftovers of a run that was not stopped cleanly
  mkdir -p "$LOG_DIR"
  chmod 700 "$RUN_DIR"
  rm -f "$RUN_DIR/stopping"
  local demo="" p i
  [ -n "${MOODLE_URL:-}" ] || demo=1
  for p in MCP_PORT $([ "$TLS" = 1 ] && echo TLS_PORT) STATS_PORT REDIS_PORT ${demo:+SIM_PORT} $([ "$PROXY" = 1 ] && echo PROXY_PORT) $([ "$OBSERVABILITY" = 1 ] && observability_ports); do
    port_busy "${!p}" && die "$p ${!p} is in use on 127.0.0.1 (another stack? 'make local-down', or choose another $p)"
  done
  for ((i = 1; i <= WORKERS; i++)); do
    port_busy "$(worker_mcp_port "$i")" && die "port $(worker_mcp_port "$i") (WORKER_MCP_BASE_PORT+$i) is in use"
    port_busy "$(worker_http_port "$i")" && die "port $(worker_http_port "$i") (WORKER_HTTP_BASE_PORT+$i) is in use"
  done
  write_stack_env

  if [ -n "$demo" ]; then
    say "**********************************************************************"
    say "MOODLE_URL is not set: DEMO MODE on the built-in Moodle simulator"
    say "(made-up courses and students). Set MOODLE_URL and MOODLE_TOKEN in .env"
    say "to use your school's Moodle."
    say "**********************************************************************"
    SIM_HOST=127.0.0.1 SIM_PORT=$SIM_PORT start moodle-sim node services/moodle-sim/dist/main.js
    wait_until moodle-sim "ready on 127.0.0.1:$SIM_PORT" http_ok "$SIM_PORT" /health
    export MOODLE_URL="http://127.0.0.1:$SIM_PORT" MOODLE_DEMO=true
    MOODLE_TOKEN=$(node -p 'require("./services/moodle-sim/dist/index.js").DEMO_TOKEN')
    export MOODLE_TOKEN
  elif [ -z "${MOODLE_TOKEN:-}" ]; then
    die "MOODLE_URL is set but MOODLE_TOKEN is not; put both in .env (see .env.example)"
  fi

  secret "$RUN_DIR/redis.password" >/dev/null
  mkdir -p "$RUN_DIR/redis"
  (
    umask 077
    printf '# Generated by scripts/local.sh (mode 600: holds the password).\ninclude %s\nport %s\nbind 127.0.0.1\ndir %s\nrequirepass %s\n' \
      "$ROOT/redis/redis.conf" "$REDIS_PORT" "$RUN_DIR/redis" "$(cat "$RUN_DIR/redis.password")" >"$RUN_DIR/redis.conf"
  )
  start redis "$REDIS_BIN" "$RUN_DIR/redis.conf"
  wait_until redis "answers on 127.0.0.1:$REDIS_PORT" redis_ping

  # The first TLS run makes a CA and a server certificate (make certs; kept in CERT_DIR).
  [ "$TLS" = 1 ] && { CERT_DIR=$CERT_DIR VIP=$(vip) bash "$ROOT/scripts/certs.sh" ensure || fail "could not make the TLS certificates"; }
  check_config || fail "HAProxy not started"
  printf '1\n' >"$HAPROXY_STATE_FILE" # no server state yet (version line only: HAProxy reads it without a warning)
  with_haproxy_env start haproxy "$HAPROXY_BIN" -db -f "$CFG"
  wait_until haproxy "runtime API answers on $HAPROXY_SOCKET" haproxy_answers

  echo "$WORKERS" >"$RUN_DIR/workers.desired"
  start supervisor bash "$ROOT/scripts/local.sh" _supervise
  say "starting $WORKERS workers (supervisor pid $(cat "$RUN_DIR/supervisor.pid"), log $LOG_DIR/supervisor.log)"
  wait_healthy "$WORKERS"
  [ "$PROXY" = 1 ] && start_proxy
  [ "$OBSERVABILITY" = 1 ] && start_observability

  echo
  say "the stack is up${demo:+ (DEMO Moodle)}. MCP endpoint (VIP): $(vip):$MCP_PORT"
  local where=$RUN_DIR/stats.password
  [ -z "${STATS_PASSWORD:-}" ] || where=STATS_PASSWORD
  say "stats page: http://$(vip):$STATS_PORT/ (user $STATS_USER, password in $where); Prometheus: /metrics"
  say "client configuration:"
  printf '  { "mcpServers": { "moodle": { "command": "ncat", "args": ["%s", "%s"] } } }\n' "$(vip)" "$MCP_PORT"
  [ "$TLS" = 1 ] && say "TLS: $(vip):$TLS_PORT (client certificates: $HAPROXY_TLS_VERIFY; CA $CERT_DIR/ca.pem; make certs TEACHER=name, then make client-config)"
  if [ "$PROXY" = 1 ]; then
    local tw=$RUN_DIR/proxy.token
    [ -z "${PROXY_ADMIN_TOKEN:-}" ] || tw=PROXY_ADMIN_TOKEN
    say "proxy: UI http://$PROXY_BIND:$PROXY_PORT/ui/, API /api/proxy/status (admin token in $tw); make mcpctl ARGS=status"
  fi
  [ "$OBSERVABILITY" = 1 ] && say "Prometheus: http://$PROMETHEUS_BIND:$PROMETHEUS_PORT/ (alerts: /alerts; Grafana needs Docker: make up with COMPOSE_PROFILES=observability)"
  say "more: make client-config | make status | make logs SERVICE=worker-1 | make local-down"
}

# --- down -------------------------------------------------------------------

pids_of() {
  local name
  for name in "$@"; do pid_alive "$name" && cat "$RUN_DIR/$name.pid"; done
  return 0
}

# stop_stage TIMEOUT NAME...: stops those processes together and forgets them.
stop_stage() {
  local timeout=$1 name; shift
  local pids
  mapfile -t pids < <(pids_of "$@")
  [ ${#pids[@]} -gt 0 ] && say "stopping $*"
  stop_pids "$timeout" "${pids[@]}"
  for name in "$@"; do forget "$name"; done
}

down() {
  shopt -s nullglob
  local f names=() workers=()
  for f in "$RUN_DIR"/*.pid; do names+=("$(basename "$f" .pid)"); done
  if [ ${#names[@]} -eq 0 ]; then say "nothing running (RUN_DIR $RUN_DIR)"; return 0; fi
  # The supervisor first, so it restarts nothing: it stops at the marker, and
  # the lock waits out a pass that is starting a worker right now.
  touch "$RUN_DIR/stopping"
  with_lock true
  stop_stage 5 supervisor
  # Prometheus next, so the stack's own shutdown leaves no alerts behind in its data.
  stop_stage 10 prometheus redis-exporter
  # The proxy before the workers, so it does not take their shutdown for a failure.
  stop_stage 10 proxy
  for f in "$RUN_DIR"/worker-*.pid "$RUN_DIR"/mcp-worker-*.pid; do workers+=("$(basename "$f" .pid)"); done
  # Workers drain first (in-flight calls finish, then sessions close), then the rest.
  [ ${#workers[@]} -gt 0 ] && stop_stage $(( ${DRAIN_TIMEOUT_MS:-10000} / 1000 + 5 )) "${workers[@]}"
  # With any HAProxy replaced by a reload and still finishing sessions.
  stop_stage 5 haproxy $(replaced_haproxies)
  stop_stage 10 redis moodle-sim
  names=()
  for f in "$RUN_DIR"/*.pid; do names+=("$(basename "$f" .pid)"); done
  [ ${#names[@]} -gt 0 ] && stop_stage 10 "${names[@]}"
  rm -f "$RUN_DIR"/*.failed "$RUN_DIR"/*.restarts "$RUN_DIR/workers.desired" "$RUN_DIR/stack.env" "$HAPROXY_SOCKET" \
    "$RUN_DIR/redis.conf" "$RUN_DIR/redis.password" "$RUN_DIR/stats.password" \
    "$RUN_DIR/proxy.token" "$RUN_DIR/proxy.json" "$HAPROXY_STATE_FILE"
  rm -rf "$RUN_DIR/redis"
  forget_prometheus_config
  rm -f "$RUN_DIR/stopping"
  say "stopped (logs kept in $LOG_DIR)"
}

# --- scale, restart-worker ----------------------------------------------------

require_running() { pid_alive supervisor || die "the native stack is not running in $RUN_DIR (start it with: make local)"; }

# Sets the wanted number of workers; prints "I PID" for each worker to remove
# (its pid file is forgotten first, so the supervisor leaves it alone).
set_desired() {
  local n=$1 f i
  echo "$n" >"$RUN_DIR/workers.desired"
  for f in "$RUN_DIR"/worker-*.pid; do
    i=${f##*/worker-}; i=${i%.pid}
    if [ "$i" -gt "$n" ]; then
      pid_alive "worker-$i" && echo "$i $(cat "$f")"
      forget "worker-$i"
      rm -f "$RUN_DIR/worker-$i.failed" "$RUN_DIR/worker-$i.restarts"
    fi
  done
  return 0
}

scale() {
  local n=${1:-}
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le "$MAX_WORKERS" ] || die "usage: scripts/local.sh scale N, or make local-scale N=5 (N = 1-$MAX_WORKERS workers)"
  require_running
  shopt -s nullglob
  local removed i pid name
  removed=$(with_lock set_desired "$n")
  while read -r i pid; do
    [ -n "$i" ] || continue
    name=worker-$i
    # No new sessions; the worker lets in-flight calls finish, then closes its sessions.
    hx "disable server workers/$name" >/dev/null || true
    say "removing $name (pid $pid)"
    stop_pids $(( ${DRAIN_TIMEOUT_MS:-10000} / 1000 + 5 )) "$pid"
    release_slot "$name"
  done <<<"$removed"
  # Slots above N still in use (e.g. a worker that had been given up on).
  for name in $(hx_servers | awk '{print $1}'); do
    i=${name#worker-}
    if [[ $i =~ ^[0-9]+$ ]] && [ "$i" -gt "$n" ]; then release_slot "$name"; fi
  done
  sed -i "s/^WORKERS=.*/WORKERS=$n/" "$RUN_DIR/stack.env"
  write_worker_targets
  wait_healthy "$n"
  say "running $n workers"
}

clear_failure() { rm -f "$RUN_DIR/worker-$1.failed" "$RUN_DIR/worker-$1.restarts"; }

restart_worker() {
  local i=${1:-} pid
  [[ $i =~ ^[0-9]+$ ]] && [ "$i" -ge 1 ] || die "usage: scripts/local.sh restart-worker I, or make local-restart-worker I=2 (I=1 is worker-1)"
  require_running
  [ "$i" -le "$(cat "$RUN_DIR/workers.desired")" ] || die "worker-$i is not part of the stack (it runs $(cat "$RUN_DIR/workers.desired") workers)"
  with_lock clear_failure "$i"
  if pid_alive "worker-$i"; then
    pid=$(cat "$RUN_DIR/worker-$i.pid")
    say "stopping worker-$i (pid $pid); the supervisor starts it again"
    stop_pids $(( ${DRAIN_TIMEOUT_MS:-10000} / 1000 + 5 )) "$pid"
  fi
  wait_healthy "$(cat "$RUN_DIR/workers.desired")"
}

# --- status, client-config ----------------------------------------------------

status() {
  shopt -s nullglob
  local f name any=0 i n servers body
  for f in "$RUN_DIR"/*.pid; do any=1; done
  if [ $any -eq 0 ]; then say "the native stack is not running (RUN_DIR $RUN_DIR)"; return 0; fi
  replaced_haproxies >/dev/null
  echo "Native stack in $RUN_DIR — VIP $(vip):$MCP_PORT$([ "$TLS" = 1 ] && echo ", TLS :$TLS_PORT (client certificates: $HAPROXY_TLS_VERIFY)"), stats :$STATS_PORT"
  echo
  printf '  %-16s %-8s %s\n' PROCESS PID STATE
  for f in "$RUN_DIR"/*.pid; do
    name=$(basename "$f" .pid)
    if pid_alive "$name"; then printf '  %-16s %-8s %s\n' "$name" "$(cat "$f")" running
    else printf '  %-16s %-8s %s\n' "$name" "$(cat "$f")" "NOT RUNNING"; fi
  done
  for f in "$RUN_DIR"/*.failed; do printf '  %-16s %-8s %s\n' "$(basename "$f" .failed)" - "GIVEN UP (restart-worker)"; done
  echo
  if servers=$(hx_servers | sort -V) && [ -n "$servers" ]; then
    echo "  HAProxy backend workers (runtime API):"
    printf '  %-10s %-8s %-8s %8s %8s  %s\n' SERVER STATUS CHECK SESSIONS TOTAL ADDRESS
    while read -r name st chk cur tot addr; do
      printf '  %-10s %-8s %-8s %8s %8s  %s\n' "$name" "$st" "$chk" "$cur" "$tot" "$addr"
    done <<<"$servers"
  else
    echo "  HAProxy: runtime API not answering ($HAPROXY_SOCKET)"
  fi
  echo
  n=$(cat "$RUN_DIR/workers.desired" 2>/dev/null || echo 0)
  printf '  %-10s %-10s %s\n' WORKER READY SESSIONS
  for ((i = 1; i <= n; i++)); do
    body=$(http_get "$(worker_http_port "$i")" /health | tail -n 1)
    printf '  %-10s %-10s %s\n' "worker-$i" \
      "$(http_get "$(worker_http_port "$i")" /ready | head -n 1 | awk '{print ($2 == 200) ? "ready" : ($2 == "" ? "no answer" : "not ready (" $2 ")")}')" \
      "$(grep -o '"sessions":[0-9]*' <<<"$body" | cut -d: -f2 || true)"
  done
  if pid_alive prometheus; then
    echo
    echo "  Prometheus: http://$PROMETHEUS_BIND:$PROMETHEUS_PORT/ (targets /targets, alerts /alerts)"
  fi
  if pid_alive proxy; then
    echo
    PROXY_URL=http://127.0.0.1:$PROXY_PORT node "$ROOT/services/proxy/dist/cli.js" status || true
  fi
}

# logs [SERVICE]: follows one service's log (compose's service names work too:
# mcp-worker is every worker), or every log without SERVICE.
logs() {
  local svc=${1:-} files=()
  shopt -s nullglob
  case "$svc" in
    "") files=("$LOG_DIR"/*.log) ;;
    mcp-worker | workers) files=("$LOG_DIR"/worker-*.log) ;;
    *) [ -f "$LOG_DIR/$svc.log" ] && files=("$LOG_DIR/$svc.log") ;;
  esac
  [ ${#files[@]} -gt 0 ] || die "no log for '${svc:-any service}' in $LOG_DIR; there are: $(cd "$LOG_DIR" 2>/dev/null && for f in *.log; do printf '%s ' "${f%.log}"; done)"
  exec tail -n 100 -F "${files[@]}"
}

client_config() {
  local host port=$MCP_PORT
  host=$(vip)
  cat <<EOF
MCP client configuration for the Moodle MCP stack at $host:$port
(Claude Desktop: Settings > Developer > Edit Config; macOS file
~/Library/Application Support/Claude/claude_desktop_config.json, Windows
%APPDATA%\\Claude\\claude_desktop_config.json)

Linux (ncat: sudo apt install ncat; or "command": "nc"):
  { "mcpServers": { "moodle": { "command": "ncat", "args": ["$host", "$port"] } } }

macOS (nc is built in; or ncat from: brew install nmap):
  { "mcpServers": { "moodle": { "command": "nc", "args": ["$host", "$port"] } } }

Windows (ncat.exe comes with Nmap for Windows, https://nmap.org/download.html):
  { "mcpServers": { "moodle": { "command": "ncat.exe", "args": ["$host", "$port"] } } }
  if ncat.exe is not on PATH, give its full path:
  { "mcpServers": { "moodle": { "command": "C:\\\\Program Files (x86)\\\\Nmap\\\\ncat.exe", "args": ["$host", "$port"] } } }
EOF
  [ "$TLS" = 1 ] || return 0
  cat <<EOF

Over TLS on port $TLS_PORT (ncat on every OS): copy $CERT_DIR/ca.pem to the
teacher's machine and, when the stack asks for client certificates
(HAPROXY_TLS_VERIFY=$HAPROXY_TLS_VERIFY), the teacher's NAME.crt and NAME.key
from 'make certs TEACHER=NAME' (without them, leave out --ssl-cert and --ssl-key):
  { "mcpServers": { "moodle": { "command": "ncat", "args": ["--ssl", "--ssl-verify", "--ssl-trustfile", "/path/to/ca.pem", "--ssl-cert", "/path/to/NAME.crt", "--ssl-key", "/path/to/NAME.key", "$host", "$TLS_PORT"] } } }
EOF
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  up | down | status | scale | restart-worker | restart-proxy | restart-redis | reload-haproxy | client-config | check-config | logs | running | _supervise) ;;
  *)
    echo "usage: $0 up|down|status|scale N|restart-worker I|restart-proxy|restart-redis|reload-haproxy|client-config|check-config|logs [SERVICE]|running" >&2
    exit 2
    ;;
esac
load_settings "$cmd"
case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  scale) scale "$@" ;;
  restart-worker) restart_worker "$@" ;;
  restart-proxy) restart_proxy ;;
  restart-redis) restart_redis ;;
  reload-haproxy) reload_haproxy ;;
  client-config) client_config ;;
  check-config) check_config ;;
  logs) logs "$@" ;;
  running) pid_alive supervisor ;;
  _supervise) supervise ;;
esac
