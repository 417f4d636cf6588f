#!/usr/bin/env bash
# Builds the dashboard (web/, plain TypeScript) into pkg/dashboard/assets
# with the toolchain pinned in web/package-lock.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../web"
if [[ ! -x node_modules/.bin/esbuild || ! -x node_modules/.bin/tsc || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
