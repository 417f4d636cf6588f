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
# Go 1.26's fuzz coordinator can report "context deadline exceeded" as a
# failure when -fuzztime ends while a worker is mid-call (go.dev/issue/75804,
# fixed in Go 1.27). Such a run found nothing: it wrote no failing input, and
# the output has no other failure. It is run once more; any other failure,
# and a second such run, fails.
deadline_flake() {
  local log=$1
  grep -q 'context deadline exceeded' "${log}" &&
    ! grep -q 'Failing input written to' "${log}" &&
    ! grep -qE 'panic:|fuzz_test\.go:[0-9]+:|_test\.go:[0-9]+:' "${log}"
}

log=$(mktemp)
trap 'rm -f "${log}"' EXIT
for target in "${targets[@]}"; do
  read -r dir name <<<"${target}"
  for attempt in 1 2; do
    echo "==> ${name} in ${dir} for ${fuzztime}$([[ ${attempt} == 1 ]] || echo ', once more')"
    if go test -run '^$' -fuzz "^${name}\$" -fuzztime "${fuzztime}" "${dir}" 2>&1 | tee "${log}"; then
      break
    fi
    if [[ ${attempt} == 1 ]] && deadline_flake "${log}"; then
      echo "==> ${name}: the fuzz coordinator's deadline race (go.dev/issue/75804), no failing input: running it once more"
      continue
    fi
    exit 1
  done
done
