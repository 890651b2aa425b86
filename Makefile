# Operations for the Moodle MCP stack. `make` alone lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help local local-down local-status test build clean bench-sessions bench-cache

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

local: ## start the stack natively in the background (demo Moodle unless MOODLE_URL is set)
	@bash scripts/local.sh up

local-down: ## stop everything `make local` started
	@bash scripts/local.sh down

local-status: ## show the processes of the native stack
	@bash scripts/local.sh status

test: ## run every test (installs missing packages, npm ci, build, jest)
	@bash scripts/test.sh

build: ## compile the TypeScript
	@bash scripts/npm-install.sh

clean: ## remove build output
	@npx tsc -b --clean

bench-sessions: ## sessions benchmark: 1,000 clients at once, then RSS per idle session (SESSIONS=N)
	@bash scripts/ensure-deps.sh ncat:ncat && bash scripts/npm-install.sh
	@node bench/dist/sessions.js --sessions $${SESSIONS:-1000}

bench-cache: ## cache benchmark: 1,000 identical cold calls over 2 workers + a mixed read workload (hit ratio)
	@bash scripts/ensure-deps.sh redis-server:redis-server && bash scripts/npm-install.sh
	@node bench/dist/cache.js --workers $${WORKERS:-2}
