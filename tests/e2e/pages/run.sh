#!/usr/bin/env bash
# The status pages in headless Chromium: installs playwright-core from the lock
# file (npm ci; no browser download: Debian's /usr/bin/chromium is used), then runs
# pages.test.mjs against a real `mlgate serve --public-read` on its embedded PostgreSQL, with real
# pipelines run by a real `mlgate runner`. Screenshots go to tests/e2e/out/.
# Needs MLGATE_BUILD (the build directory holding `mlgate`). Prints "pages e2e: N passed, M failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${MLGATE_BUILD:?set MLGATE_BUILD to the build directory}"
[ -x /usr/bin/chromium ] || { echo "pages e2e: /usr/bin/chromium is missing (scripts/deps installs it)"; exit 1; }
cd "$here"
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
exec node pages.test.mjs
