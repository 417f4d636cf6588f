#!/usr/bin/env bash
# The 3-member etcd cluster that the replicas of capstan-apiserver share on the
# HA local plane (`make up HA=N`, N > 1). Source hack/lib/common.sh,
# hack/lib/process.sh and hack/lib/certs.sh first, and call capstan::ports.
#
# Member N (1..3) is the process capstan-etcd-N in pids/, built from the same
# module as the plane's own etcd (_output/bin/etcd), with its data in
# $CAPSTAN_LOCAL_DIR/capstan-etcd-N. On 127.0.0.1, from PORT_ETCD_CLUSTER:
#   client  PORT_ETCD_CLUSTER+N-1    https, client certificates required
#   peer    PORT_ETCD_CLUSTER+N+2    https, peer certificates required
#   metrics PORT_ETCD_CLUSTER+N+5    http: /readyz, /livez, /metrics
# Clients and peers authenticate with certificates of the CA pki/etcd-ca, as an
# external etcd cluster in production (artifacts/deploy/ha) would have them.

CAPSTAN_ETCD_MEMBERS=(1 2 3)

capstan::etcd_cluster::client_port() { echo $((PORT_ETCD_CLUSTER + $1 - 1)); }
capstan::etcd_cluster::peer_port() { echo $((PORT_ETCD_CLUSTER + $1 + 2)); }
capstan::etcd_cluster::metrics_port() { echo $((PORT_ETCD_CLUSTER + $1 + 5)); }

# capstan::etcd_cluster::ports lists every port of the cluster, for the port checks.
capstan::etcd_cluster::ports() {
  local n
  for n in "${CAPSTAN_ETCD_MEMBERS[@]}"; do
    capstan::etcd_cluster::client_port "${n}"
    capstan::etcd_cluster::peer_port "${n}"
    capstan::etcd_cluster::metrics_port "${n}"
  done
}

# capstan::etcd_cluster::running succeeds when a member of the cluster runs
# in this plane: the replicas then use the cluster instead of an embedded etcd.
capstan::etcd_cluster::running() {
  local n
  for n in "${CAPSTAN_ETCD_MEMBERS[@]}"; do
    capstan::process::alive "capstan-etcd-${n}" && return 0
  done
  return 1
}

# capstan::etcd_cluster::client_flags prints, one a line, the flags with which
# capstan-apiserver uses the cluster: every member, and its client certificate.
capstan::etcd_cluster::client_flags() {
  local n servers=()
  for n in "${CAPSTAN_ETCD_MEMBERS[@]}"; do
    servers+=("https://127.0.0.1:$(capstan::etcd_cluster::client_port "${n}")")
  done
  local IFS=,
  printf '%s\n' "--etcd-servers=${servers[*]}" \
    "--etcd-cafile=${PKI_DIR}/etcd-ca.crt" \
    "--etcd-certfile=${PKI_DIR}/capstan-apiserver-etcd-client.crt" \
    "--etcd-keyfile=${PKI_DIR}/capstan-apiserver-etcd-client.key"
}

# member_ready N succeeds when member N answers /readyz (it has a leader).
capstan::etcd_cluster::_member_ready() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$(capstan::etcd_cluster::metrics_port "$1")" || exit 1
    printf 'GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    IFS= read -r -t 5 status <&3 || exit 1
    [[ ${status} == *" 200 "* ]]
  )
}

# capstan::etcd_cluster::start [N...] starts the given members (default: all
# three) and waits until each is ready. A member whose data directory exists
# rejoins the cluster with its data (etcd then ignores --initial-cluster);
# the first start forms the cluster, so all three must start together.
capstan::etcd_cluster::start() {
  local -a members=("$@")
  ((${#members[@]})) || members=("${CAPSTAN_ETCD_MEMBERS[@]}")
  capstan::require_binary etcd "run \`make tools\` to build it"
  capstan::certs::ensure_etcd
  local n initial=() name
  for n in "${CAPSTAN_ETCD_MEMBERS[@]}"; do
    initial+=("capstan-etcd-${n}=https://127.0.0.1:$(capstan::etcd_cluster::peer_port "${n}")")
  done
  for n in "${members[@]}"; do
    name=capstan-etcd-${n}
    ! capstan::process::alive "${name}" || capstan::die "${name} already runs in ${CAPSTAN_LOCAL_DIR}"
    local port
    for port in $(capstan::etcd_cluster::client_port "${n}") $(capstan::etcd_cluster::peer_port "${n}") \
      $(capstan::etcd_cluster::metrics_port "${n}"); do
      ! capstan::port_in_use "${port}" || capstan::die "port ${port} for ${name} is already in use"
    done
    local client=https://127.0.0.1:$(capstan::etcd_cluster::client_port "${n}")
    local peer=https://127.0.0.1:$(capstan::etcd_cluster::peer_port "${n}")
    mkdir -p "${CAPSTAN_LOCAL_DIR}/${name}"
    chmod 700 "${CAPSTAN_LOCAL_DIR}/${name}"
    capstan::process::start "${name}" "${CAPSTAN_BIN_DIR}/etcd" \
      --name="${name}" \
      --data-dir="${CAPSTAN_LOCAL_DIR}/${name}" \
      --listen-client-urls="${client}" \
      --advertise-client-urls="${client}" \
      --listen-peer-urls="${peer}" \
      --initial-advertise-peer-urls="${peer}" \
      --listen-metrics-urls="http://127.0.0.1:$(capstan::etcd_cluster::metrics_port "${n}")" \
      --initial-cluster="$(IFS=,; echo "${initial[*]}")" \
      --initial-cluster-state=new \
      --initial-cluster-token=capstan-local-ha \
      --client-cert-auth \
      --trusted-ca-file="${PKI_DIR}/etcd-ca.crt" \
      --cert-file="${PKI_DIR}/etcd-member.crt" \
      --key-file="${PKI_DIR}/etcd-member.key" \
      --peer-client-cert-auth \
      --peer-trusted-ca-file="${PKI_DIR}/etcd-ca.crt" \
      --peer-cert-file="${PKI_DIR}/etcd-member.crt" \
      --peer-key-file="${PKI_DIR}/etcd-member.key" \
      --unsafe-no-fsync=true \
      --quota-backend-bytes=2147483648 \
      --log-level=warn
  done
  for n in "${members[@]}"; do
    capstan::process::wait_until "capstan-etcd-${n}" \
      "/readyz on 127.0.0.1:$(capstan::etcd_cluster::metrics_port "${n}")" capstan::etcd_cluster::_member_ready "${n}"
  done
  capstan::log "etcd cluster member(s) ${members[*]} of 3 ready (clients: https://127.0.0.1:$(capstan::etcd_cluster::client_port 1)..$(capstan::etcd_cluster::client_port 3))"
}

# capstan::etcd_cluster::stop [N...] stops the given members (default: all).
capstan::etcd_cluster::stop() {
  local -a members=("$@") names=()
  ((${#members[@]})) || members=("${CAPSTAN_ETCD_MEMBERS[@]}")
  local n
  for n in "${members[@]}"; do names+=("capstan-etcd-${n}"); done
  capstan::process::stop_all "${names[@]}"
}
