#!/usr/bin/env bash
# Starts or stops the 3-member etcd cluster of the HA local plane
# (hack/lib/etcd-cluster.sh): `make up HA=N` (N > 1) starts it before the
# replicas; this script is for restarting members by hand, and for tests that
# move a running plane's replicas onto the cluster.
#
#   hack/local-etcd-cluster.sh start [N...]   start members N (default 1 2 3), wait until ready
#   hack/local-etcd-cluster.sh stop [N...]    stop members N (default all)
#   hack/local-etcd-cluster.sh flags          print capstan-apiserver's flags for the cluster
#
# The members are recorded as capstan-etcd-N in pids/, so `make down` stops them.
set -euo pipefail

CAPSTAN_SCRIPT=etcd-cluster
# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=hack/lib/process.sh
source "${CAPSTAN_ROOT}/hack/lib/process.sh"
# shellcheck source=hack/lib/certs.sh
source "${CAPSTAN_ROOT}/hack/lib/certs.sh"
# shellcheck source=hack/lib/etcd-cluster.sh
source "${CAPSTAN_ROOT}/hack/lib/etcd-cluster.sh"

main() {
  local command=${1:-}
  shift || true
  local n
  for n in "$@"; do
    [[ ${n} =~ ^[1-3]$ ]] || capstan::die "member '${n}': the cluster's members are 1, 2 and 3"
  done
  capstan::ports
  case ${command} in
    start)
      [[ -f ${PKI_DIR}/.complete ]] || capstan::die "no local plane in ${CAPSTAN_LOCAL_DIR} (no certificates): \`make up\` first"
      mkdir -p "${LOG_DIR}" "${PID_DIR}"
      capstan::etcd_cluster::start "$@"
      ;;
    stop) capstan::etcd_cluster::stop "$@" ;;
    flags) capstan::etcd_cluster::client_flags ;;
    *) capstan::die "usage: hack/local-etcd-cluster.sh start|stop [N...] | flags" ;;
  esac
}

main "$@"
