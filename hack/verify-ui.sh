#!/usr/bin/env bash
# Checks that the dashboard's built assets (pkg/dashboard/assets) are what
# `make ui` builds from web/. Skipped, with a message, where Node is missing:
# the committed assets let such a machine build and vet without it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "verify-ui: node/npm not found: skipping the check that pkg/dashboard/assets are current"
  exit 0
fi
assets=pkg/dashboard/assets
saved=$(mktemp -d)
trap 'rm -rf "${saved}"' EXIT
cp -a "${assets}/." "${saved}/"
hack/build-ui.sh >/dev/null
if ! diff -r "${saved}" "${assets}" >/dev/null; then
  diff -r "${saved}" "${assets}" | head -20 || true
  cp -a "${saved}/." "${assets}/"
  echo "verify-ui: ${assets} is not what web/ builds: run make ui and commit the result" >&2
  exit 1
fi
echo "verify-ui: ${assets} is current"
