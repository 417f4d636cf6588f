#!/usr/bin/env bash
# Runs every Go fuzz target of the repository for FUZZTIME each (default 10s):
# `make test` runs them briefly, `make fuzz` for longer. A crash fails the run
# and leaves its input under the package's testdata/fuzz, where `go test`
# replays it from then on: commit it with the fix as a regression test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime=${FUZZTIME:-10s}

# Every "func FuzzX(" in a _test.go file, as "package-dir target".
mapfile -t targets < <(git ls-files --cached --others --exclude-standard '*_test.go' |
  xargs grep -H -o '^func Fuzz[A-Za-z0-9_]*(' | sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#./\1 \2#' | sort -u)
if ((${#targets[@]} == 0)); then
  echo "no fuzz targets"
  exit 0
fi
for target in "${targets[@]}"; do
  read -r dir name <<<"${target}"
  echo "==> ${name} in ${dir} for ${fuzztime}"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "${fuzztime}" "${dir}"
done
