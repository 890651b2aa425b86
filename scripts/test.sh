#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, type-checks the tests,
# then jest. Ends with one line "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/npm-install.sh
echo "typecheck: tests (tsc -p tsconfig.test.json)"
npx tsc -p tsconfig.test.json
mkdir -p run
report=run/jest-report.json
rm -f "$report"
status=0
# Bounded: a test that leaves a handle open would keep jest alive forever
# after the last test; fail instead, naming the cause.
limit=${TEST_TIMEOUT_SECONDS:-1800}
timeout --kill-after=10 "$limit" npx jest --json --outputFile="$report" "$@" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "tests: jest did not finish within ${limit} s (TEST_TIMEOUT_SECONDS); a test left a server, socket or timer running" >&2
fi
if [ -f "$report" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
    if (r.numTotalTests === 0) { console.error("tests: no test ran"); process.exit(1); }
  ' "$PWD/$report" || status=1
else
  echo "tests: 0 passed, 1 failed (jest wrote no report)"
  status=1
fi
exit $status
