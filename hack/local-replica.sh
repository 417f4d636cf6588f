#!/usr/bin/env bash
# Starts one more replica of capstan-apiserver, capstan-apiserver-N, against
# the same etcd as the local control plane's own (hack/local-up.sh): the HA
# plane's 3-member etcd cluster when it runs (`make up HA=N`, or
# hack/local-etcd-cluster.sh), else the embedded etcd of the first replica,
# on loopback. Every replica serves the
# whole API; with --sharding they share the Applications by Lease (the first
# replica needs it too: `make up HA=N` starts it so and calls this script for
# replicas 2..N).
#
#   hack/local-replica.sh N     N = 2..9
#
# It listens on 127.0.0.1:$PORT_APISERVER+10*(N-1)+100 (printed), without a
# Git webhook receiver, is recorded as capstan-apiserver-N in pids/ (so
# hack/local-down.sh stops it) and waits for its /readyz. The APIService keeps
# pointing at the first replica.
#
# Settings (environment), besides those in hack/lib/common.sh:
#   CAPSTAN_APISERVER_EXTRA_ARGS  more flags for this replica (later flags win)
set -euo pipefail

CAPSTAN_SCRIPT=replica
# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=hack/lib/process.sh
source "${CAPSTAN_ROOT}/hack/lib/process.sh"
# shellcheck source=hack/lib/certs.sh
source "${CAPSTAN_ROOT}/hack/lib/certs.sh"
# shellcheck source=hack/lib/etcd-cluster.sh
source "${CAPSTAN_ROOT}/hack/lib/etcd-cluster.sh"

main() {
  local n=${1:-}
  [[ ${n} =~ ^[2-9]$ ]] || capstan::die "usage: hack/local-replica.sh N (N = 2..9; the plane's own capstan-apiserver is replica 1)"
  capstan::ports
  local name=capstan-apiserver-${n} port=$((PORT_APISERVER + 100 + 10 * (n - 1)))
  capstan::require_binary capstan-apiserver "run \`make build\`"
  local -a storage=()
  if capstan::etcd_cluster::running; then
    mapfile -t storage < <(capstan::etcd_cluster::client_flags)
  else
    capstan::process::alive capstan-apiserver ||
      capstan::die "neither the etcd cluster of \`make up HA=N\` nor the plane's capstan-apiserver (whose embedded etcd the replicas share) runs in ${CAPSTAN_LOCAL_DIR}: \`make up HA=3\` first"
    storage=(--etcd-servers="http://127.0.0.1:${PORT_APISERVER_ETCD}")
  fi
  ! capstan::process::alive "${name}" || capstan::die "${name} already runs in ${CAPSTAN_LOCAL_DIR}"
  ! capstan::port_in_use "${port}" || capstan::die "port ${port} for ${name} is already in use"

  local kubeconfig=${KUBECONFIG_DIR}/capstan-apiserver.kubeconfig
  local -a extra=()
  read -r -a extra <<<"${CAPSTAN_APISERVER_EXTRA_ARGS:-}"
  capstan::process::start "${name}" "${CAPSTAN_BIN_DIR}/capstan-apiserver" \
    --bind-address=127.0.0.1 \
    --secure-port="${port}" \
    --tls-cert-file="${PKI_DIR}/capstan-apiserver-serving.crt" \
    --tls-private-key-file="${PKI_DIR}/capstan-apiserver-serving.key" \
    --kubeconfig="${kubeconfig}" \
    --authentication-kubeconfig="${kubeconfig}" \
    --authorization-kubeconfig="${kubeconfig}" \
    "${storage[@]}" \
    --cache-dir="${CAPSTAN_LOCAL_DIR}/capstan-cache-${n}" \
    --webhook-port=0 \
    --sharding \
    --replica-name="${name}" \
    --v=2 \
    "${extra[@]}"
  capstan::process::wait_until "${name}" "/readyz on 127.0.0.1:${port}" \
    capstan::kubectl --server="https://127.0.0.1:${port}" get --raw /readyz
  capstan::log "${name} ready on 127.0.0.1:${port} (log ${LOG_DIR}/${name}.log)"
}

main "$@"
