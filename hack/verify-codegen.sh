#!/usr/bin/env bash
# Fails when a generated file differs from what hack/update-codegen.sh produces now.
set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TMP="$(mktemp -d -t capstan-verify-codegen.XXXXXX)"
trap 'rm -rf "${TMP}"' EXIT

# Generate into a copy of the sources so the working tree is never touched.
cp -a "${ROOT}/go.mod" "${ROOT}/go.sum" "${ROOT}/pkg" "${ROOT}/hack" "${TMP}/"
mkdir -p "${TMP}/_output/bin"
if [[ -d "${ROOT}/_output/bin/codegen" ]]; then
  cp -a "${ROOT}/_output/bin/codegen" "${TMP}/_output/bin/"
fi
(cd "${TMP}" && hack/update-codegen.sh >/dev/null)

status=0
for path in pkg hack/api-rule-violations.list; do
  if ! diff -Nru "${ROOT}/${path}" "${TMP}/${path}"; then
    status=1
  fi
done
if [[ ${status} -ne 0 ]]; then
  echo "generated code is out of date: run 'make generate'" >&2
fi
exit ${status}
