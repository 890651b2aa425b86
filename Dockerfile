# The stack's three images, one target each (docker-compose.yml builds them):
#   mcp-worker  the MCP server: MCP sessions over TCP on 3000 (one newline-
#               delimited JSON-RPC session per connection), HTTP on 9464
#               (/health, /ready, /metrics)
#   moodle-sim  the Moodle REST simulator (seeded, made-up data): the demo
#               Moodle when no MOODLE_URL is configured; HTTP on 8088
#   proxy       health checks, failover, HAProxy control, API, UI and CLI; 4000
# Configured by environment (.env.example).
#
# Build from the repository root, which is the build context (npm workspace):
#   docker build --target mcp-worker --build-arg SERVICE=mcp-worker -t moodle-mcp/mcp-worker .
# (SERVICE names the workspace whose production dependencies and build output
# the target ships; it must equal the target.) The build stage is the same
# for all three, so building them together compiles once. Every stage is
# Debian bookworm based (NODE_IMAGE), so the images can be built on a
# stand-in base image made from Debian packages (Podman, no Docker Hub).
ARG NODE_IMAGE=node:20-bookworm-slim

# Manifests only (package.json files + lockfile): the `npm ci` layers below are
# reused for as long as no dependency changes, whatever the sources do.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete \
 && find . -depth -mindepth 1 -type d -empty -delete

# Build: every dependency of the workspace, then compile the three services and
# the packages they reference (tsc -b follows the project references).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /src/ ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -b services/mcp-worker services/moodle-sim services/proxy

# What every image has: production dependencies of its workspace only
# (@moodle-mcp/common comes along as a workspace link, node_modules/@moodle-mcp/common
# -> packages/common), the compiled common package and service, the health
# check. Owned by root, run as node (USER in each target): a process cannot
# change its own code.
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
RUN case "$SERVICE" in mcp-worker|moodle-sim|proxy) ;; *) echo "build argument SERVICE must be mcp-worker, moodle-sim or proxy (the target), not '$SERVICE'" >&2; exit 1 ;; esac
LABEL org.opencontainers.image.base.name="node:20-bookworm-slim"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=manifests /src/ ./
RUN npm ci --omit=dev --workspace "@moodle-mcp/$SERVICE" --include-workspace-root=false \
      --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/packages/common/dist/ packages/common/dist/
COPY --from=build /app/services/${SERVICE}/dist/ services/${SERVICE}/dist/
COPY docker/healthcheck.cjs /usr/local/lib/moodle-mcp/healthcheck.cjs

FROM runtime AS mcp-worker
LABEL org.opencontainers.image.title="moodle-mcp-worker" \
      org.opencontainers.image.description="Moodle MCP stack: MCP server over TCP (3000), health and metrics over HTTP (9464)"
COPY docker/mcp-worker-entrypoint.sh /usr/local/bin/mcp-worker-entrypoint
USER node
EXPOSE 3000 9464
# Ready = Moodle answers or the shared cache can (see readiness in worker.ts).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/usr/local/lib/moodle-mcp/healthcheck.cjs", "http://127.0.0.1:9464/ready"]
# No tini: node is PID 1 and main.ts handles SIGTERM/SIGINT (drain, then exit);
# the worker spawns no child processes, so there are no zombies to reap.
ENTRYPOINT ["mcp-worker-entrypoint"]
CMD ["node", "services/mcp-worker/dist/main.js"]

FROM runtime AS moodle-sim
LABEL org.opencontainers.image.title="moodle-mcp-moodle-sim" \
      org.opencontainers.image.description="Moodle MCP stack: Moodle REST simulator with made-up data (demo and tests), HTTP 8088"
ENV SIM_HOST=0.0.0.0 \
    SIM_PORT=8088
USER node
EXPOSE 8088
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "/usr/local/lib/moodle-mcp/healthcheck.cjs", "http://127.0.0.1:8088/health"]
# No tini: node is PID 1 and main.ts handles SIGTERM/SIGINT; no child processes.
CMD ["node", "services/moodle-sim/dist/main.js"]

FROM runtime AS proxy
LABEL org.opencontainers.image.title="moodle-mcp-proxy" \
      org.opencontainers.image.description="Moodle MCP stack: health checks, failover, HAProxy control, API, UI and CLI (4000)"
ENV PROXY_LOG_DIR=/var/log/moodle-mcp-proxy PROXY_LOCK_FILE=/var/lib/moodle-mcp-proxy/active_system.lock
COPY services/proxy/public/ services/proxy/public/
COPY services/proxy/config/ services/proxy/config/
# The lock file (active target) and the logs live on volumes the node user owns.
RUN mkdir -p /var/log/moodle-mcp-proxy /var/lib/moodle-mcp-proxy \
 && chown node:node /var/log/moodle-mcp-proxy /var/lib/moodle-mcp-proxy \
 && ln -s /app/services/proxy/dist/cli.js /usr/local/bin/mcpctl && chmod +x /app/services/proxy/dist/cli.js
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/usr/local/lib/moodle-mcp/healthcheck.cjs", "http://127.0.0.1:4000/ready"]
CMD ["node", "services/proxy/dist/main.js"]
