#!/usr/bin/env bash
# Installs the npm dependencies from the lockfile when node_modules is missing
# or older than the lockfile (always in CI), then builds the TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${CI:-}" ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "npm: installing dependencies from package-lock.json (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "build: compiling TypeScript (tsc -b)"
npx tsc -b
