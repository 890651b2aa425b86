# shellcheck shell=bash
# Prometheus and the Redis exporter for the native runner (sourced by
# scripts/local.sh; uses the helpers of scripts/local-lib.sh). Started by
# `scripts/local.sh up` when OBSERVABILITY=1 (`make local-observability`),
# stopped by `down` with the rest.
#
# Prometheus runs on prometheus/prometheus.yml, rendered into
# RUN_DIR/prometheus/: the compose-only blocks (Docker DNS discovery) left out,
# the intervals set to PROMETHEUS_SCRAPE_INTERVAL, alerts.yml linked beside
# it, and each job's targets written to RUN_DIR/prometheus/targets/<job>.json
# (file_sd: Prometheus picks up a rewrite, e.g. after `scale`, by itself).
# Its data stays in RUN_DIR/prometheus/data across restarts.

PROM_DIR_NAME=prometheus

prom_dir() { echo "$RUN_DIR/$PROM_DIR_NAME"; }

# targets_json ADDRESS[=WORKER]...: a file_sd target list, one group per target
# (a worker's group also names it, so `up` carries the worker's name).
targets_json() {
  local t sep="" out="["
  for t in "$@"; do
    if [[ $t == *=* ]]; then out+="$sep{\"targets\":[\"${t%%=*}\"],\"labels\":{\"worker\":\"${t#*=}\"}}"
    else out+="$sep{\"targets\":[\"$t\"]}"; fi
    sep=","
  done
  printf '%s]\n' "$out"
}

# write_target_file FILE JSON: replaces FILE atomically (Prometheus never reads half a file).
write_target_file() {
  printf '%s' "$2" >"$1.tmp" && mv -f "$1.tmp" "$1"
}

# The workers' targets: worker-1 .. worker-N, N from workers.desired (follows `scale`).
write_worker_targets() {
  local dir n i list=()
  dir=$(prom_dir)/targets
  [ -d "$dir" ] || return 0
  n=$(cat "$RUN_DIR/workers.desired" 2>/dev/null || echo "$WORKERS")
  for ((i = 1; i <= n; i++)); do list+=("127.0.0.1:$(worker_http_port "$i")=worker-$i"); done
  write_target_file "$dir/mcp-worker.json" "$(targets_json "${list[@]}")"
}

write_prometheus_config() {
  local dir
  dir=$(prom_dir)
  mkdir -p "$dir/targets" "$dir/data"
  sed -e '/# compose-only:begin/,/# compose-only:end/d' \
    -e "s/^\([[:space:]]*[a-z_]*:[[:space:]]*\)[0-9][0-9a-z]*\([[:space:]]*# native: PROMETHEUS_SCRAPE_INTERVAL\)/\1$PROMETHEUS_SCRAPE_INTERVAL\2/" \
    "$ROOT/prometheus/prometheus.yml" >"$dir/prometheus.yml"
  ln -sfn "$ROOT/prometheus/alerts.yml" "$dir/alerts.yml"
  write_worker_targets
  write_target_file "$dir/targets/haproxy.json" "$(targets_json "127.0.0.1:$STATS_PORT")"
  if [ "$PROXY" = 1 ]; then write_target_file "$dir/targets/proxy.json" "$(targets_json "127.0.0.1:$PROXY_PORT")"
  else write_target_file "$dir/targets/proxy.json" "[]"; fi
  write_target_file "$dir/targets/redis.json" "$(targets_json "127.0.0.1:$REDIS_EXPORTER_PORT")"
  write_target_file "$dir/targets/prometheus.json" "$(targets_json "127.0.0.1:$PROMETHEUS_PORT")"
}

observability_ports() { echo PROMETHEUS_PORT REDIS_EXPORTER_PORT; }

# Starts the Redis exporter and Prometheus (after Redis, HAProxy and the workers).
start_observability() {
  bash "$ROOT/scripts/ensure-deps.sh" prometheus:prometheus prometheus-redis-exporter:prometheus-redis-exporter
  REDIS_PASSWORD=$(cat "$RUN_DIR/redis.password") start redis-exporter "$REDIS_EXPORTER_BIN" \
    -redis.addr "redis://127.0.0.1:$REDIS_PORT" -web.listen-address "127.0.0.1:$REDIS_EXPORTER_PORT" -log-format json
  wait_until redis-exporter "metrics on http://127.0.0.1:$REDIS_EXPORTER_PORT/metrics" http_ok "$REDIS_EXPORTER_PORT" /health
  write_prometheus_config
  local dir
  dir=$(prom_dir)
  if ! "$PROMTOOL_BIN" check config "$dir/prometheus.yml" >"$dir/promtool.out" 2>&1; then
    cat "$dir/promtool.out" >&2
    fail "promtool check config failed on $dir/prometheus.yml (rendered from prometheus/prometheus.yml)"
  fi
  start prometheus "$PROMETHEUS_BIN" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --storage.tsdb.retention.time="$PROMETHEUS_RETENTION" --web.listen-address="$PROMETHEUS_BIND:$PROMETHEUS_PORT" --log.format=json
  wait_until prometheus "ready on http://$PROMETHEUS_BIND:$PROMETHEUS_PORT/ (scrape interval $PROMETHEUS_SCRAPE_INTERVAL)" http_ok "$PROMETHEUS_PORT" /-/ready
}

# Removes the rendered configuration and targets (the data directory stays).
forget_prometheus_config() {
  local dir
  dir=$(prom_dir)
  rm -rf "$dir/targets" "$dir/prometheus.yml" "$dir/alerts.yml" "$dir/promtool.out"
}
