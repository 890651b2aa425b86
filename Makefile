# Operations for the Moodle MCP stack. `make` alone lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help local local-down local-status test test-reliability build clean bench bench-sessions bench-cache

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# --- Native runner: the same topology as local processes (scripts/local.sh) ---
# Settings come from the environment and .env (see .env.example); the run
# directory is RUN_DIR (run/local). `make status` and `make client-config`
# below serve both ways of running.
.PHONY: local-scale local-restart-worker local-restart-proxy local-reload-haproxy status client-config mcpctl switch drain enable local-observability dashboard-picture

local: ## start the stack natively in the background: HAProxy, Redis, WORKERS=3 workers (demo Moodle unless MOODLE_URL is set)
	@bash scripts/local.sh up

local-down: ## stop everything `make local` started
	@bash scripts/local.sh down

.PHONY: certs
certs: ## TLS: a CA and the server certificate (CERT_DIR, haproxy/certs); TEACHER=alice adds alice's client certificate
	@bash scripts/ensure-deps.sh openssl:openssl
	@bash scripts/certs.sh $(if $(TEACHER),teacher $(TEACHER),ensure)

local-observability: ## `make local` plus Prometheus (alert rules) and the Redis exporter (OBSERVABILITY=1)
	@OBSERVABILITY=1 bash scripts/local.sh up

dashboard-picture: ## render the overview dashboard's panels from Prometheus (PROMETHEUS_URL) into docs/overview-dashboard.png
	@node scripts/render-dashboard.mjs --prometheus $${PROMETHEUS_URL:-http://127.0.0.1:$${PROMETHEUS_PORT:-9090}} --minutes $${MINUTES:-15} --png docs/overview-dashboard.png

local-status: ## native stack: processes, HAProxy's server states, sessions per worker
	@bash scripts/local.sh status

local-scale: ## native stack: run N workers (N=5); HAProxy is changed through its runtime API
	@bash scripts/local.sh scale $(N)

local-restart-worker: ## native stack: restart worker-I gracefully (I=2)
	@bash scripts/local.sh restart-worker $(I)

local-restart-proxy: ## native stack: restart the proxy service (the active target survives)
	@bash scripts/local.sh restart-proxy

local-reload-haproxy: ## native stack: HAProxy on the changed haproxy.cfg (checked first); open sessions are kept
	@bash scripts/local.sh reload-haproxy

# --- The proxy's CLI (services/proxy, mcpctl). PROXY_URL defaults to the native
# stack's proxy; the admin token is read from PROXY_ADMIN_TOKEN, else run/local/proxy.token.
MCPCTL = PROXY_ADMIN_TOKEN=$${PROXY_ADMIN_TOKEN:-$$(cat $${RUN_DIR:-run/local}/proxy.token 2>/dev/null)} node services/proxy/dist/cli.js

mcpctl: ## the proxy's CLI: make mcpctl ARGS="list --json"
	@$(MCPCTL) $(ARGS)

switch: ## make TARGET the active worker pool (make switch TARGET=standby [FORCE=1])
	@test -n "$(TARGET)" || { echo "usage: make switch TARGET=<target> [FORCE=1]" >&2; exit 2; }
	@$(MCPCTL) switch $(TARGET) $(if $(FORCE),--force)

drain: ## no new sessions for one worker; its open sessions go on (make drain WORKER=worker-2)
	@test -n "$(WORKER)" || { echo "usage: make drain WORKER=<worker>" >&2; exit 2; }
	@$(MCPCTL) drain $(WORKER)

enable: ## let a drained worker take new sessions again (make enable WORKER=worker-2)
	@test -n "$(WORKER)" || { echo "usage: make enable WORKER=<worker>" >&2; exit 2; }
	@$(MCPCTL) enable $(WORKER)

status: ## the running stack: native processes and HAProxy server states; compose services too when they run
	@bash scripts/local.sh status
	@if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1 && [ -n "$$(docker compose ps -q 2>/dev/null)" ]; then \
	  echo; echo "Docker Compose stack:"; docker compose ps; fi

client-config: ## print the MCP client configuration (Linux, macOS, Windows) for this host's VIP
	@bash scripts/local.sh client-config

test: ## run every test (installs missing packages, npm ci, build, jest)
	@bash scripts/test.sh

test-reliability: ## fault scenarios under load (worker kill/stop, rolling restart, Redis, proxy, Moodle faults); prints a table
	@bash scripts/test.sh test/reliability

.PHONY: test-security
test-security: ## bad input and abuse through HAProxy (~47,000 generated inputs) + secrets check; prints a table (SECURITY_PROFILE=ci for the small run)
	@bash scripts/test-security.sh

build: ## compile the TypeScript
	@bash scripts/npm-install.sh

clean: ## remove build output
	@npx tsc -b --clean

.PHONY: bench-quick

bench: ## the stack vs the old way (socat fork per client) vs an echo server, 5 scenarios; tables + chart in bench/results/ (~5 min)
	@bash scripts/ensure-deps.sh haproxy:haproxy redis-server:redis-server socat:socat && bash scripts/npm-install.sh
	@node bench/dist/compare.js $(BENCH_ARGS)

bench-quick: ## the same five scenarios at tiny sizes (a smoke run: fails only when the benchmark breaks); bench/results/<date>-quick.*
	@bash scripts/ensure-deps.sh haproxy:haproxy redis-server:redis-server socat:socat && bash scripts/npm-install.sh
	@node bench/dist/compare.js --quick $(BENCH_ARGS)

bench-sessions: ## sessions benchmark: 1,000 clients at once, then RSS per idle session (SESSIONS=N)
	@bash scripts/ensure-deps.sh ncat:ncat && bash scripts/npm-install.sh
	@node bench/dist/sessions.js --sessions $${SESSIONS:-1000}

bench-cache: ## cache benchmark: 1,000 identical cold calls over 2 workers + a mixed read workload (hit ratio)
	@bash scripts/ensure-deps.sh redis-server:redis-server && bash scripts/npm-install.sh
	@node bench/dist/cache.js --workers $${WORKERS:-2}

# --- Docker Compose: the production path (docker-compose.yml, scripts/compose.sh) ---
.PHONY: up down restart logs scale compose-config

up: ## start the stack with Docker Compose (builds; demo Moodle unless MOODLE_URL is set in .env)
	@bash scripts/compose.sh up

down: ## stop and remove the compose stack (Prometheus/Grafana data volumes are kept)
	@bash scripts/compose.sh down

restart: ## restart the compose stack's containers in place (SERVICE=name for one)
	@bash scripts/compose.sh restart $(SERVICE)

logs: ## follow logs, SERVICE=name for one: the native stack's while it runs (worker-1, mcp-worker, haproxy, prometheus...), else compose's
	@if bash scripts/local.sh running 2>/dev/null; then bash scripts/local.sh logs $(SERVICE); else bash scripts/compose.sh logs $(SERVICE); fi

scale: ## set the number of mcp-worker replicas of the running compose stack (N=5)
	@bash scripts/compose.sh scale $(N)

compose-config: ## validate docker-compose.yml (no engine needed; uses .env, else .env.example)
	@bash scripts/compose.sh config

.PHONY: compose-test
compose-test: ## docker-compose.yml for real under Podman (root, no Docker or registry needed): build, up, MCP over ncat, scale, kill, down -v
	@bash scripts/compose-test.sh

# --- Teachers: each acts in Moodle with their own token (scripts/teachers.sh,
# native stack; the CLI is services/mcp-worker/dist/teachersCli.js). A token
# comes from TOKEN_FILE, from standard input (make teacher-add NAME=alice <
# token.txt), from Moodle's login with MOODLE_USERNAME (password asked once),
# or is asked for without echo.
.PHONY: teacher-add teacher-list teacher-show teacher-set teacher-rotate teacher-revoke

teacher-add: ## enrol NAME=alice with their Moodle token (TOKEN_FILE=, MOODLE_USERNAME=, READ_ONLY=1, COURSES=2,3, FORCE=1), issue their certificate
	@test -n "$(NAME)" || { echo "usage: make teacher-add NAME=<name> [TOKEN_FILE=<file> | MOODLE_USERNAME=<user>] [READ_ONLY=1] [COURSES=2,3] [FORCE=1]" >&2; exit 2; }
	@bash scripts/teachers.sh add '$(NAME)' $(if $(TOKEN_FILE),--token-file '$(TOKEN_FILE)') $(if $(MOODLE_USERNAME),--moodle-username '$(MOODLE_USERNAME)') \
	  $(if $(filter 1,$(READ_ONLY)),--read-only) $(if $(COURSES),--courses '$(COURSES)') $(if $(filter 1,$(FORCE)),--force)

teacher-list: ## every teacher: Moodle user, flags, last call, open sessions, problems (JSON=1 for scripts)
	@bash scripts/teachers.sh list $(if $(filter 1,$(JSON)),--json)

teacher-show: ## one teacher (make teacher-show NAME=alice)
	@test -n "$(NAME)" || { echo "usage: make teacher-show NAME=<name> [JSON=1]" >&2; exit 2; }
	@bash scripts/teachers.sh show '$(NAME)' $(if $(filter 1,$(JSON)),--json)

teacher-set: ## change flags without downtime: NAME=alice READ_ONLY=1|0 COURSES=2,3|all DISABLED=1|0
	@test -n "$(NAME)" || { echo "usage: make teacher-set NAME=<name> [READ_ONLY=1|0] [COURSES=2,3|all] [DISABLED=1|0]" >&2; exit 2; }
	@test -n "$(READ_ONLY)$(COURSES)$(DISABLED)" || { echo "usage: make teacher-set NAME=<name> [READ_ONLY=1|0] [COURSES=2,3|all] [DISABLED=1|0] (give at least one)" >&2; exit 2; }
	@bash scripts/teachers.sh set '$(NAME)' $(if $(READ_ONLY),$(if $(filter 1,$(READ_ONLY)),--read-only,--read-write)) \
	  $(if $(COURSES),$(if $(filter all,$(COURSES)),--all-courses,--courses '$(COURSES)')) $(if $(DISABLED),$(if $(filter 1,$(DISABLED)),--disable,--enable))

teacher-rotate: ## replace NAME=alice's token (TOKEN_FILE=, MOODLE_USERNAME=; FORCE=1 if it is another Moodle user)
	@test -n "$(NAME)" || { echo "usage: make teacher-rotate NAME=<name> [TOKEN_FILE=<file> | MOODLE_USERNAME=<user>] [FORCE=1]" >&2; exit 2; }
	@bash scripts/teachers.sh rotate '$(NAME)' $(if $(TOKEN_FILE),--token-file '$(TOKEN_FILE)') $(if $(MOODLE_USERNAME),--moodle-username '$(MOODLE_USERNAME)') $(if $(filter 1,$(FORCE)),--force)

teacher-revoke: ## remove NAME=alice: token deleted, sessions closed within seconds, certificate revoked (CRL pushed to HAProxy)
	@test -n "$(NAME)" || { echo "usage: make teacher-revoke NAME=<name>" >&2; exit 2; }
	@bash scripts/teachers.sh revoke '$(NAME)'
