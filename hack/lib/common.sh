#!/usr/bin/env bash
# Settings and small helpers shared by hack/local-up.sh, hack/local-down.sh and
# hack/local-demo.sh. Source it; it defines variables and functions only.
#
# Settings (environment):
#   CAPSTAN_LOCAL_DIR       state, certificates, kubeconfigs, logs, PIDs (default _output/local)
#   CAPSTAN_BIN_DIR         binaries (default _output/bin)
#   CAPSTAN_PORT_BASE       every port is this plus a fixed offset (default 27000)
#   CAPSTAN_PORT_<NAME>     override one port (see capstan::ports)
#   CAPSTAN_WAIT_TIMEOUT    seconds a component may take to become ready (default 120)
#   CAPSTAN_STOP_GRACE      seconds between SIGTERM and SIGKILL on stop (default 15)

# The variables below are read by the scripts that source this file.
# shellcheck disable=SC2034

CAPSTAN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CAPSTAN_LOCAL_DIR=${CAPSTAN_LOCAL_DIR:-${CAPSTAN_ROOT}/_output/local}
CAPSTAN_BIN_DIR=${CAPSTAN_BIN_DIR:-${CAPSTAN_ROOT}/_output/bin}
CAPSTAN_WAIT_TIMEOUT=${CAPSTAN_WAIT_TIMEOUT:-120}
CAPSTAN_STOP_GRACE=${CAPSTAN_STOP_GRACE:-15}

PKI_DIR=${CAPSTAN_LOCAL_DIR}/pki
LOG_DIR=${CAPSTAN_LOCAL_DIR}/logs
PID_DIR=${CAPSTAN_LOCAL_DIR}/pids
KUBECONFIG_DIR=${CAPSTAN_LOCAL_DIR}/kubeconfigs
ADMIN_KUBECONFIG=${CAPSTAN_LOCAL_DIR}/kubeconfig

capstan::log() { printf '[%s %5.1fs] %s\n' "${CAPSTAN_SCRIPT:-local}" "$(capstan::elapsed)" "$*" >&2; }
capstan::warn() { printf '[%s] WARNING: %s\n' "${CAPSTAN_SCRIPT:-local}" "$*" >&2; }
capstan::die() { printf '[%s] ERROR: %s\n' "${CAPSTAN_SCRIPT:-local}" "$*" >&2; exit 1; }

# Seconds since the script started, with one decimal (bash's EPOCHREALTIME).
CAPSTAN_START_TIME=${EPOCHREALTIME/[.,]/}
capstan::elapsed() {
  local now=${EPOCHREALTIME/[.,]/}
  printf '%d.%d' $(((now - CAPSTAN_START_TIME) / 1000000)) $((((now - CAPSTAN_START_TIME) / 100000) % 10))
}

# capstan::ports sets one variable per listening port. Fixed offsets from
# CAPSTAN_PORT_BASE keep two checkouts (or a test run next to `make up`) apart
# by choosing bases at least 1000 apart.
capstan::ports() {
  local base=${CAPSTAN_PORT_BASE:-27000}
  if ! [[ ${base} =~ ^[0-9]+$ ]] || ((base < 1024 || base > 65000)); then
    capstan::die "CAPSTAN_PORT_BASE=${base} must be a number between 1024 and 65000"
  fi
  PORT_ETCD=${CAPSTAN_PORT_ETCD:-$((base + 379))}
  PORT_ETCD_PEER=${CAPSTAN_PORT_ETCD_PEER:-$((base + 380))}
  PORT_APISERVER_ETCD=${CAPSTAN_PORT_APISERVER_ETCD:-$((base + 381))} # capstan's embedded etcd; peer = +1
  PORT_ETCD_CLUSTER=${CAPSTAN_PORT_ETCD_CLUSTER:-$((base + 391))} # HA etcd cluster: base+391..399 (hack/lib/etcd-cluster.sh)
  PORT_KUBE_APISERVER=${CAPSTAN_PORT_KUBE_APISERVER:-$((base + 443))}
  PORT_APISERVER=${CAPSTAN_PORT_APISERVER:-$((base + 444))}
  PORT_WEBHOOK=${CAPSTAN_PORT_WEBHOOK:-$((base + 445))} # capstan-apiserver's Git webhook receiver (HTTP)
  PORT_GIT=${CAPSTAN_PORT_GIT:-$((base + 80))} # demo Git server (make run)
}

# capstan::port_in_use PORT succeeds when something accepts connections on
# 127.0.0.1:PORT (bash's /dev/tcp: no extra tools needed).
capstan::port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# capstan::port_owner PORT describes the process listening there, when ss can tell.
capstan::port_owner() {
  command -v ss >/dev/null || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -1
}

# capstan::require_command NAME WHAT names a missing host tool and how to get it.
capstan::require_command() {
  command -v "$1" >/dev/null ||
    capstan::die "$1 is not installed; it is needed $2 (Debian: apt-get install -y $1)"
}

# capstan::require_binary NAME HINT checks a binary in CAPSTAN_BIN_DIR.
capstan::require_binary() {
  [[ -x ${CAPSTAN_BIN_DIR}/$1 ]] || capstan::die "$1 not found at ${CAPSTAN_BIN_DIR}/$1: $2"
}

# capstan::kubectl runs the built kubectl as the local cluster's admin, with a
# discovery cache of this plane's own (not the user's ~/.kube/cache).
capstan::kubectl() {
  "${CAPSTAN_BIN_DIR}/kubectl" --kubeconfig="${ADMIN_KUBECONFIG}" \
    --cache-dir="${CAPSTAN_LOCAL_DIR}/kubectl-cache" "$@"
}
