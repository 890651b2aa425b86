# shellcheck shell=bash
# Helpers of the native runner (sourced by scripts/local.sh): its settings,
# process bookkeeping under RUN_DIR, HAProxy's runtime API and tiny HTTP probes.
# Nothing here prints a secret.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# An operator's .env (see .env.example) configures the native run too; a
# variable already set in the environment wins, so tests and one-off
# commands (`MCP_PORT=4000 make local`) can override it. ENV_FILE=/dev/null
# ignores .env.
load_env_file() {
  local file=$1 line key value
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key=${BASH_REMATCH[2]} value=${BASH_REMATCH[3]}
    [ -n "${!key+x}" ] && continue
    value=${value%%[[:space:]]#*}
    value=${value%"${value##*[![:space:]]}"}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    export "$key=$value"
  done <"$file"
}

# Settings of the native run; defaults here, every one documented in .env.example.
load_settings() {
  load_env_file "${ENV_FILE:-$ROOT/.env}"
  RUN_DIR=${RUN_DIR:-$ROOT/run/local}
  mkdir -p "$RUN_DIR"
  RUN_DIR=$(cd "$RUN_DIR" && pwd)
  LOG_DIR=$RUN_DIR/logs
  # A running stack keeps the settings it was started with (ports, counts):
  # status, scale, restart-worker and down use them whatever the shell says.
  if [ "${1:-}" != up ] && [ -f "$RUN_DIR/stack.env" ]; then
    # shellcheck disable=SC1091
    . "$RUN_DIR/stack.env"
  fi
  HAPROXY_BIND=${HAPROXY_BIND:-0.0.0.0}
  MCP_PORT=${MCP_PORT:-3000}
  STATS_PORT=${STATS_PORT:-8404}
  STATS_USER=${STATS_USER:-admin}
  REDIS_PORT=${REDIS_PORT:-6379}
  SIM_PORT=${SIM_PORT:-8088}
  WORKERS=${WORKERS:-3}
  WORKER_MCP_BASE_PORT=${WORKER_MCP_BASE_PORT:-3100}
  WORKER_HTTP_BASE_PORT=${WORKER_HTTP_BASE_PORT:-9500}
  HAPROXY_ALLOWLIST=${HAPROXY_ALLOWLIST:-$ROOT/haproxy/allowlist.txt}
  HAPROXY_CHECK_INTER=${HAPROXY_CHECK_INTER:-2s}
  HAPROXY_CHECK_FASTINTER=${HAPROXY_CHECK_FASTINTER:-500ms}
  # TLS on TLS_PORT (certificates in CERT_DIR, made by scripts/certs.sh on the
  # first `up`), and HAProxy's limits per client address.
  TLS=${TLS:-1}
  TLS_PORT=${TLS_PORT:-3443}
  CERT_DIR=${CERT_DIR:-haproxy/certs}
  # Set by the operator (kept), else `up` makes it `required` in per-teacher mode.
  [ -n "${HAPROXY_TLS_VERIFY:-}" ] && HAPROXY_TLS_VERIFY_SET=1
  HAPROXY_TLS_VERIFY=${HAPROXY_TLS_VERIFY:-none}
  HAPROXY_SRC_MAXCONN=${HAPROXY_SRC_MAXCONN:-500}
  HAPROXY_SRC_CONN_RATE=${HAPROXY_SRC_CONN_RATE:-300}
  # HAProxy sends every worker a PROXY v2 header; `required` also refuses
  # anyone else on the workers' ports (the proxy's checks send LOCAL).
  PROXY_PROTOCOL=${PROXY_PROTOCOL:-required}
  # The teacher registry (teacher -> own Moodle token, encrypted; flags): its
  # own Redis, persisted (redis/registry.conf), in STATE_DIR, which `make
  # local-down` keeps: enrolled teachers survive every restart. The
  # encryption key and the password are generated there once (mode 600).
  STATE_DIR=${STATE_DIR:-$ROOT/state/local}
  REGISTRY_PORT=${REGISTRY_PORT:-6380}
  # per-teacher (each teacher acts as their own Moodle user) or shared (one
  # token for everyone: MOODLE_TOKEN). Empty: per-teacher, and on the demo
  # Moodle the plain port acts as DEMO_PLAIN_TEACHER.
  IDENTITY_MODE=${IDENTITY_MODE:-}
  DEMO_PLAIN_TEACHER=${DEMO_PLAIN_TEACHER:-tessa}
  # haproxy.cfg reads files relative to its own directory: paths given to it are made absolute.
  [[ $CERT_DIR == /* ]] || CERT_DIR=$ROOT/$CERT_DIR
  [[ $HAPROXY_ALLOWLIST == /* ]] || HAPROXY_ALLOWLIST=$ROOT/$HAPROXY_ALLOWLIST
  [[ $STATE_DIR == /* ]] || STATE_DIR=$ROOT/$STATE_DIR
  REGISTRY_KEY_FILE=$STATE_DIR/registry.key
  REGISTRY_PASSWORD_FILE=$STATE_DIR/registry.password
  HAPROXY_BIN=${HAPROXY_BIN:-/usr/sbin/haproxy}
  REDIS_BIN=${REDIS_BIN:-$(command -v redis-server || echo /usr/bin/redis-server)}
  READY_TIMEOUT=${READY_TIMEOUT:-60}
  WORKER_MAX_RESTARTS=${WORKER_MAX_RESTARTS:-5}
  WORKER_RESTART_WINDOW=${WORKER_RESTART_WINDOW:-60}
  HAPROXY_SOCKET=$RUN_DIR/haproxy.sock
  HAPROXY_STATE_FILE=$RUN_DIR/haproxy.state
  # The proxy service (control plane, API, UI on PROXY_BIND:PROXY_PORT).
  PROXY=${PROXY:-1}
  PROXY_BIND=${PROXY_BIND:-127.0.0.1}
  PROXY_PORT=${PROXY_PORT:-4000}
  STANDBY_WORKERS=${STANDBY_WORKERS:-0}
  PROXY_HEALTH_INTERVAL_MS=${PROXY_HEALTH_INTERVAL_MS:-10000}
  PROXY_HEALTH_TIMEOUT_MS=${PROXY_HEALTH_TIMEOUT_MS:-3000}
  PROXY_FAILOVER_THRESHOLD=${PROXY_FAILOVER_THRESHOLD:-3}
  PROXY_WORKER_FALL=${PROXY_WORKER_FALL:-3}
  PROXY_FAILBACK=${PROXY_FAILBACK:-manual}
  # Prometheus and the Redis exporter (OBSERVABILITY=1; scripts/local-observability.sh).
  OBSERVABILITY=${OBSERVABILITY:-0}
  PROMETHEUS_BIND=${PROMETHEUS_BIND:-127.0.0.1}
  PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
  REDIS_EXPORTER_PORT=${REDIS_EXPORTER_PORT:-9121}
  PROMETHEUS_SCRAPE_INTERVAL=${PROMETHEUS_SCRAPE_INTERVAL:-15s}
  PROMETHEUS_RETENTION=${PROMETHEUS_RETENTION:-15d}
  PROMETHEUS_BIN=${PROMETHEUS_BIN:-$(command -v prometheus || echo /usr/bin/prometheus)}
  PROMTOOL_BIN=${PROMTOOL_BIN:-$(command -v promtool || echo /usr/bin/promtool)}
  REDIS_EXPORTER_BIN=${REDIS_EXPORTER_BIN:-$(command -v prometheus-redis-exporter || echo /usr/bin/prometheus-redis-exporter)}
  local v
  for v in MCP_PORT TLS_PORT STATS_PORT REDIS_PORT REGISTRY_PORT SIM_PORT PROXY_PORT PROMETHEUS_PORT REDIS_EXPORTER_PORT; do check_port "$v"; done
  for v in WORKERS READY_TIMEOUT WORKER_MAX_RESTARTS WORKER_RESTART_WINDOW WORKER_MCP_BASE_PORT WORKER_HTTP_BASE_PORT STANDBY_WORKERS \
    PROXY_HEALTH_INTERVAL_MS PROXY_HEALTH_TIMEOUT_MS PROXY_FAILOVER_THRESHOLD PROXY_WORKER_FALL HAPROXY_SRC_MAXCONN HAPROXY_SRC_CONN_RATE; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
  done
  [ "$WORKERS" -ge 1 ] && [ "$WORKERS" -le "$MAX_WORKERS" ] || die "WORKERS must be 1-$MAX_WORKERS, got $WORKERS"
  [ $((WORKER_MCP_BASE_PORT + MAX_WORKERS)) -le 65535 ] || die "WORKER_MCP_BASE_PORT must leave room for $MAX_WORKERS ports below 65536"
  [ $((WORKER_HTTP_BASE_PORT + MAX_WORKERS)) -le 65535 ] || die "WORKER_HTTP_BASE_PORT must leave room for $MAX_WORKERS ports below 65536"
  [ -r "$HAPROXY_ALLOWLIST" ] || die "HAPROXY_ALLOWLIST: cannot read $HAPROXY_ALLOWLIST"
  [[ $PROXY =~ ^[01]$ ]] || die "PROXY must be 1 (start the proxy service) or 0, got '$PROXY'"
  [ "$STANDBY_WORKERS" -lt "$WORKERS" ] || die "STANDBY_WORKERS ($STANDBY_WORKERS) must leave at least one of the $WORKERS workers in the primary target"
  [[ $PROXY_FAILBACK =~ ^(auto|manual)$ ]] || die "PROXY_FAILBACK must be auto or manual, got '$PROXY_FAILBACK'"
  [[ $TLS =~ ^[01]$ ]] || die "TLS must be 1 (serve TLS on TLS_PORT) or 0, got '$TLS'"
  [[ $HAPROXY_TLS_VERIFY =~ ^(none|optional|required)$ ]] || die "HAPROXY_TLS_VERIFY must be none, optional or required, got '$HAPROXY_TLS_VERIFY'"
  [[ $PROXY_PROTOCOL =~ ^(optional|required)$ ]] || die "PROXY_PROTOCOL must be required or optional in the native run (HAProxy sends the workers a PROXY v2 header), got '$PROXY_PROTOCOL'"
  [[ $IDENTITY_MODE =~ ^(|per-teacher|shared)$ ]] || die "IDENTITY_MODE must be per-teacher or shared (or empty: per-teacher), got '$IDENTITY_MODE'"
  [[ $OBSERVABILITY =~ ^[01]$ ]] || die "OBSERVABILITY must be 1 (start Prometheus and the Redis exporter) or 0, got '$OBSERVABILITY'"
  [[ $PROMETHEUS_SCRAPE_INTERVAL =~ ^[1-9][0-9]*(ms|s|m)$ ]] || die "PROMETHEUS_SCRAPE_INTERVAL must be a Prometheus duration such as 15s, got '$PROMETHEUS_SCRAPE_INTERVAL'"
}

# Most workers one native run may have (each needs two ports above the bases).
MAX_WORKERS=64

check_port() {
  local name=$1 value=${!1}
  [[ $value =~ ^[0-9]+$ ]] && [ "$value" -ge 1 ] && [ "$value" -le 65535 ] || die "$name must be a TCP port (1-65535), got '$value'"
}

say() { printf 'local: %s\n' "$*"; }
die() { printf 'local: %s\n' "$*" >&2; exit 2; }

worker_mcp_port() { echo $((WORKER_MCP_BASE_PORT + $1)); }
worker_http_port() { echo $((WORKER_HTTP_BASE_PORT + $1)); }

# pid_alive NAME: the process recorded in RUN_DIR/NAME.pid runs (not a zombie,
# and the same process: its start time matches, so a reused pid is not ours).
pid_alive() {
  local f=$RUN_DIR/$1.pid pid stat
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ] || return 1
  if [ -f "$RUN_DIR/$1.start" ]; then
    [ "$(awk '{print $20}' <<<"$stat")" = "$(cat "$RUN_DIR/$1.start")" ] || return 1
  fi
}

# record NAME PID: writes NAME.pid and the process's start time (NAME.start).
record() {
  local stat
  echo "$2" >"$RUN_DIR/$1.pid"
  stat=$(cat "/proc/$2/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  awk '{print $20}' <<<"$stat" >"$RUN_DIR/$1.start"
}

forget() { rm -f "$RUN_DIR/$1.pid" "$RUN_DIR/$1.start"; }

# start NAME COMMAND...: runs COMMAND in the background with its output in
# LOG_DIR/NAME.log. Secrets reach it through the environment, never argv.
start() {
  local name=$1; shift
  nohup "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null 9>&- &
  record "$name" $!
}

# stop_pids TIMEOUT PID...: SIGTERM, wait up to TIMEOUT s, then SIGKILL what is left.
stop_pids() {
  local timeout=$1 p deadline; shift
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  for p in "$@"; do
    while kill -0 "$p" 2>/dev/null && ! is_zombie "$p" && [ $SECONDS -lt "$deadline" ]; do sleep 0.1; done
    if kill -0 "$p" 2>/dev/null && ! is_zombie "$p"; then
      say "pid $p did not stop within ${timeout}s; killing it"
      kill -KILL "$p" 2>/dev/null || true
    fi
  done
}

is_zombie() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" = Z ]
}

# with_lock COMMAND...: one change to the set of workers at a time
# (the supervisor, scale, restart-worker, down).
with_lock() {
  (
    flock -w 30 9 || die "could not take $RUN_DIR/.lock within 30 s"
    "$@"
  ) 9>"$RUN_DIR/.lock"
}

# hx COMMAND: one HAProxy runtime API command; prints the answer.
hx() {
  [ -S "$HAPROXY_SOCKET" ] || return 1
  printf '%s\n' "$*" | timeout 5 ncat -U "$HAPROXY_SOCKET" 2>/dev/null
}

# hx_servers: "name status check_status scur stot addr" per server of backend
# `workers` in use (unused slots, on port 1, are left out: haproxy.cfg); a
# status with spaces ("UP 1/2": up, one failed check from DOWN, or not checked
# yet) has them replaced by "_".
hx_servers() {
  hx "show stat -1 4 -1" | awk -F, '
    NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == "workers" && $col["addr"] !~ /:1$/ { st = $col["status"]; gsub(/ /, "_", st); print $col["svname"], st, ($col["check_status"] == "" ? "-" : $col["check_status"]), $col["scur"], $col["stot"], $col["addr"] }'
}

# http_get PORT PATH: the raw HTTP response of 127.0.0.1:PORT (empty on failure).
http_get() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3 && cat <&3' _ "$1" "$2" 2>/dev/null || true
}

http_ok() { [[ $(http_get "$1" "$2" | head -n 1) =~ ^HTTP/1\.[01]\ 2 ]]; }

# port_busy PORT: something accepts connections on 127.0.0.1:PORT.
port_busy() { timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

# secret FILE [BYTES]: prints FILE's content, creating it (mode 600, BYTES (24) random bytes in hex) when missing.
secret() {
  if [ ! -s "$1" ]; then
    mkdir -p "$(dirname "$1")"
    (umask 077 && od -An -N"${2:-24}" -tx1 /dev/urandom | tr -d ' \n' >"$1")
  fi
  cat "$1"
}

# The address clients use: VIP when set, else the bind address, else this
# host's first address (HAProxy listening on all of them).
vip() {
  if [ -n "${VIP:-}" ]; then echo "$VIP"; return; fi
  if [ "$HAPROXY_BIND" != 0.0.0.0 ] && [ "$HAPROXY_BIND" != "::" ]; then echo "$HAPROXY_BIND"; return; fi
  local a
  a=$(hostname -I 2>/dev/null | awk '{print $1}')
  echo "${a:-127.0.0.1}"
}
