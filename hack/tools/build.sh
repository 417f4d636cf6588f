#!/usr/bin/env bash
# Builds the local control plane's binaries from Go modules into _output/bin:
#   kube-apiserver kube-controller-manager kube-scheduler kubectl  (hack/tools/kubernetes)
#   etcd                                                            (hack/tools/etcd)
#   kwok                                                            (hack/tools/kwok)
#
# Usage: hack/tools/build.sh [NAME...]        (default: all of them)
#
# Incremental: every binary has a stamp file in _output/bin/.stamps holding the
# inputs that decide its content (Go version, the module's go.mod and go.sum,
# package, ldflags). A binary whose stamp matches is not rebuilt, so a second
# run does nothing. The flags never depend on the clock or the work tree, so a
# rebuild after a version bump reuses the GOCACHE for everything unchanged.
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "${TOOLS_DIR}/../.." && pwd)
BIN_DIR=${CAPSTAN_BIN_DIR:-${ROOT_DIR}/_output/bin}
STAMP_DIR=${BIN_DIR}/.stamps
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
ALL_BINARIES=("${KUBE_BINARIES[@]}" etcd kwok)

log() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }

# module_version MODULE_DIR PATH prints the version of PATH required by the
# go.mod in MODULE_DIR (read from the file: no network, no go invocation).
module_version() {
  local version
  version=$(awk -v path="$2" '$1 == "require" { $1 = ""; $0 = $0 } $1 == path && $2 ~ /^v/ { print $2; exit }' "$1/go.mod")
  [[ -n ${version} ]] || die "$1/go.mod does not require $2"
  printf '%s\n' "${version}"
}

# module_time MODULE_DIR PATH VERSION prints the publication time of a module
# version as recorded by the module proxy; it is the build date stamped into
# the Kubernetes binaries, so the link step is the same on every run.
module_time() {
  (cd "$1" && go list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$2@$3")
}

kube_ldflags() {
  local version=$1 build_date=$2 major minor pkg flags="-s -w"
  major=${version#v}; major=${major%%.*}
  minor=${version#v"${major}".}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
    flags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${build_date} -X ${pkg}.gitCommit="
  done
  printf '%s\n' "${flags}"
}

# stamp_key MODULE_DIR PACKAGE LDFLAGS prints what a binary's content depends on.
stamp_key() {
  printf '%s\npackage=%s\nldflags=%s\n' "${GO_ENV_KEY}" "$2" "$3"
  cat "$1/go.mod" "$1/go.sum" | sha256sum | cut -d' ' -f1
}

up_to_date() { # NAME KEY
  [[ -x ${BIN_DIR}/$1 && -f ${STAMP_DIR}/$1 ]] && [[ $(cat "${STAMP_DIR}/$1") == "$2" ]]
}

# build MODULE_DIR LDFLAGS NAME=PACKAGE... builds the binaries that are out of
# date with one `go build` (they share most packages) and records their stamps.
build() {
  local module_dir=$1 ldflags=$2 spec name package key
  shift 2
  local -a names=() packages=() keys=()
  for spec in "$@"; do
    name=${spec%%=*}; package=${spec#*=}
    key=$(stamp_key "${module_dir}" "${package}" "${ldflags}")
    if up_to_date "${name}" "${key}"; then
      log "${name}: up to date"
      continue
    fi
    names+=("${name}"); packages+=("${package}"); keys+=("${key}")
  done
  ((${#names[@]} > 0)) || return 0

  local start i
  BUILD_TMP=$(mktemp -d "${BIN_DIR}/.build.XXXXXX")
  start=${SECONDS}
  log "building ${names[*]} in ${module_dir#"${ROOT_DIR}"/}${BUILD_NOTE:+ (${BUILD_NOTE})}"
  (cd "${module_dir}" && go build -buildvcs=false -ldflags "${ldflags}" -o "${BUILD_TMP}/" "${packages[@]}") ||
    die "go build of ${names[*]} failed (module ${module_dir})"
  for i in "${!names[@]}"; do
    mv -f "${BUILD_TMP}/${names[i]}" "${BIN_DIR}/${names[i]}"
    printf '%s\n' "${keys[i]}" >"${STAMP_DIR}/${names[i]}"
  done
  rm -rf "${BUILD_TMP}"
  log "built ${names[*]} in $((SECONDS - start)) s"
}

want() { # NAME: was it asked for?
  local n
  for n in "${REQUESTED[@]}"; do [[ ${n} == "$1" ]] && return 0; done
  return 1
}

# A build that fails or is interrupted leaves no half-written binary behind.
BUILD_TMP=
trap '[[ -z ${BUILD_TMP} ]] || rm -rf "${BUILD_TMP}"' EXIT

main() {
  command -v go >/dev/null || die "go is not installed (needed to build the local control plane)"
  REQUESTED=("$@")
  ((${#REQUESTED[@]} > 0)) || REQUESTED=("${ALL_BINARIES[@]}")
  local n
  for n in "${REQUESTED[@]}"; do
    [[ " ${ALL_BINARIES[*]} " == *" ${n} "* ]] || die "unknown tool '${n}' (known: ${ALL_BINARIES[*]})"
  done
  mkdir -p "${BIN_DIR}" "${STAMP_DIR}"
  GO_ENV_KEY=$(go env GOVERSION GOOS GOARCH CGO_ENABLED | paste -sd' ' -)

  local kube_dir=${TOOLS_DIR}/kubernetes kube_version kube_date
  local -a kube_specs=()
  for n in "${KUBE_BINARIES[@]}"; do
    want "${n}" && kube_specs+=("${n}=k8s.io/kubernetes/cmd/${n}")
  done
  if ((${#kube_specs[@]} > 0)); then
    kube_version=$(module_version "${kube_dir}" k8s.io/kubernetes)
    kube_date=$(module_time "${kube_dir}" k8s.io/kubernetes "${kube_version}")
    [[ -n ${kube_date} ]] || die "no publication time known for k8s.io/kubernetes@${kube_version}"
    BUILD_NOTE="a cold build takes 10-20 min on 2 cores" build "${kube_dir}" "$(kube_ldflags "${kube_version}" "${kube_date}")" "${kube_specs[@]}"
  fi

  if want etcd; then
    local etcd_version
    etcd_version=$(module_version "${TOOLS_DIR}/etcd" go.etcd.io/etcd/server/v3)
    build "${TOOLS_DIR}/etcd" "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${etcd_version}-gomod" \
      "etcd=capstan.dev/capstan/hack/tools/etcd"
  fi

  if want kwok; then
    local kwok_version
    kwok_version=$(module_version "${TOOLS_DIR}/kwok" sigs.k8s.io/kwok)
    build "${TOOLS_DIR}/kwok" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${kwok_version#v}" \
      "kwok=sigs.k8s.io/kwok/cmd/kwok"
  fi
}

main "$@"
