#!/usr/bin/env bash
# Regenerates every generated file: the internal types mirror, deepcopy, defaults,
# conversions, OpenAPI, clientset, listers, informers and apply configurations.
# Run through `make generate`; `make verify` checks the result is current.
set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${ROOT}"
THIS_PKG="capstan.dev/capstan"
BOILERPLATE="${ROOT}/hack/boilerplate.go.txt"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOBIN="${ROOT}/_output/bin/codegen"
mkdir -p "${GOBIN}"
# Parallel runs would delete each other's output: take a lock.
exec 9>"${ROOT}/_output/codegen.lock"
flock 9

if [[ -z "$(go list -m -f '{{.Dir}}' k8s.io/code-generator 2>/dev/null)" ]]; then
  go mod download k8s.io/code-generator
fi
CODEGEN_PKG="$(go list -m -f '{{.Dir}}' k8s.io/code-generator)"
# shellcheck source=/dev/null
source "${CODEGEN_PKG}/kube_codegen.sh"

go run ./hack/internal-types \
  -from pkg/apis/capstan/v1alpha1 -to pkg/apis/capstan -boilerplate "${BOILERPLATE}"

kube::codegen::gen_helpers \
  --boilerplate "${BOILERPLATE}" \
  "${ROOT}/pkg/apis"

kube::codegen::gen_openapi \
  --output-dir "${ROOT}/pkg/generated/openapi" \
  --output-pkg "${THIS_PKG}/pkg/generated/openapi" \
  --extra-pkgs k8s.io/apimachinery/pkg/util/intstr \
  --report-filename "${ROOT}/hack/api-rule-violations.list" \
  --update-report \
  --output-model-name-file "zz_generated.model_name.go" \
  --boilerplate "${BOILERPLATE}" \
  "${ROOT}/pkg/apis"

kube::codegen::gen_client \
  --with-watch \
  --with-applyconfig \
  --applyconfig-openapi-schema <(go run ./hack/models-schema) \
  --output-dir "${ROOT}/pkg/generated" \
  --output-pkg "${THIS_PKG}/pkg/generated" \
  --boilerplate "${BOILERPLATE}" \
  "${ROOT}/pkg/apis"
