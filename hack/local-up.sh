#!/usr/bin/env bash
# Starts a local Kubernetes control plane built from Go modules, with
# capstan-apiserver registered behind it as the aggregated API v1alpha1.capstan.dev:
#
#   etcd -> kube-apiserver -> RBAC, fake nodes, APIService
#        -> kube-controller-manager, kube-scheduler, kwok, capstan-apiserver
#        -> readiness: nodes Ready, a probe Deployment Available, APIService Available
#
# Everything listens on 127.0.0.1 only. Binaries come from _output/bin
# (`make tools`, `make build`). State goes to $CAPSTAN_LOCAL_DIR (default
# _output/local): kubeconfig (admin), logs/, pids/, pki/, etcd/. Stop it with
# hack/local-down.sh (`make down`), which also cleans up after a failed start.
#
# Settings (environment), besides those in hack/lib/common.sh:
#   CAPSTAN_SKIP_APISERVER=1      run the cluster without capstan-apiserver (and
#                                 remove a stale APIService)
#   CAPSTAN_KWOK_NODES            number of fake nodes (default 3)
#   CAPSTAN_APISERVER_EXTRA_ARGS  more flags for capstan-apiserver (later flags win)
#   CAPSTAN_HA_REPLICAS           replicas of capstan-apiserver (default 1; `make up HA=3`).
#                                 With more than one, a 3-member etcd cluster with TLS
#                                 client certificates (capstan-etcd-1..3, hack/lib/etcd-cluster.sh)
#                                 replaces the embedded etcd, and every replica runs with
#                                 --sharding and --etcd-servers listing all three members:
#                                 the first is this script's capstan-apiserver (behind the
#                                 APIService), the others are started by hack/local-replica.sh
#   KUBE_APISERVER_EXTRA_ARGS     more flags for kube-apiserver
#
# Exit codes: 0 ready, 1 failure (the message names the component and its log),
# 2 a port is in use (nothing was started).
set -euo pipefail

CAPSTAN_SCRIPT=up
# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=hack/lib/process.sh
source "${CAPSTAN_ROOT}/hack/lib/process.sh"
# shellcheck source=hack/lib/certs.sh
source "${CAPSTAN_ROOT}/hack/lib/certs.sh"
# shellcheck source=hack/lib/etcd-cluster.sh
source "${CAPSTAN_ROOT}/hack/lib/etcd-cluster.sh"

LOCAL_MANIFESTS=${CAPSTAN_ROOT}/hack/local
RENDERED_DIR=${CAPSTAN_LOCAL_DIR}/manifests
SKIP_APISERVER=${CAPSTAN_SKIP_APISERVER:-0}
KWOK_NODES=${CAPSTAN_KWOK_NODES:-3}
HA_REPLICAS=${CAPSTAN_HA_REPLICAS:-1}
PROBE_IMAGE=registry.k8s.io/pause:3.10

preflight() {
  local name
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl; do
    capstan::require_binary "${name}" "run \`make tools\` to build it"
  done
  if [[ ${SKIP_APISERVER} != 1 ]]; then
    capstan::require_binary capstan-apiserver \
      "run \`make build\`, or set CAPSTAN_SKIP_APISERVER=1 to start the cluster without it"
  fi
  capstan::require_command openssl "to create the local control plane's certificates"
  [[ ${KWOK_NODES} =~ ^[1-9][0-9]?$ ]] || capstan::die "CAPSTAN_KWOK_NODES=${KWOK_NODES} must be 1..99"
  [[ ${HA_REPLICAS} =~ ^[1-9]$ ]] || capstan::die "CAPSTAN_HA_REPLICAS=${HA_REPLICAS} (HA) must be 1..9"

  local running
  running=$(for name in $(capstan::process::names); do capstan::process::alive "${name}" && echo "${name}"; done)
  [[ -z ${running} ]] || capstan::die "a local control plane is already running from ${CAPSTAN_LOCAL_DIR} (${running//$'\n'/ }); stop it with \`make down\` (or set CAPSTAN_LOCAL_DIR and CAPSTAN_PORT_BASE for a second one)"
}

# check_ports refuses ports that something already listens on, before anything starts.
check_ports() {
  local -a checks=(
    "etcd:${PORT_ETCD}" "etcd:${PORT_ETCD_PEER}" "kube-apiserver:${PORT_KUBE_APISERVER}"
  )
  [[ ${SKIP_APISERVER} == 1 ]] || checks+=(
    "capstan-apiserver:${PORT_APISERVER}" "capstan-apiserver (embedded etcd):${PORT_APISERVER_ETCD}"
    "capstan-apiserver (embedded etcd peer):$((PORT_APISERVER_ETCD + 1))"
    "capstan-apiserver (webhooks):${PORT_WEBHOOK}"
  )
  local port
  if [[ ${SKIP_APISERVER} != 1 ]] && ((HA_REPLICAS > 1)); then
    for port in $(capstan::etcd_cluster::ports); do checks+=("etcd cluster (HA):${port}"); done
  fi
  local check busy=0 owner
  for check in "${checks[@]}"; do
    if capstan::port_in_use "${check##*:}"; then
      owner=$(capstan::port_owner "${check##*:}")
      printf '[up] ERROR: port %s for %s is already in use%s\n' "${check##*:}" "${check%:*}" \
        "${owner:+ (by ${owner})}" >&2
      busy=1
    fi
  done
  if ((busy)); then
    printf '[up] Stop whatever holds it, or choose other ports with CAPSTAN_PORT_BASE (now %s).\n' \
      "${CAPSTAN_PORT_BASE:-27000}" >&2
    exit 2
  fi
}

# write_env records where this plane is, for local-down.sh, the demo and tests.
write_env() {
  local previous=${CAPSTAN_LOCAL_DIR}/env
  # etcd keeps its peer URL in its data: a plane moved to other ports starts afresh.
  if [[ -f ${previous} ]] && ! grep -qx "PORT_ETCD_PEER=${PORT_ETCD_PEER}" "${previous}"; then
    capstan::log "ports changed since the last start: discarding the old etcd data"
    rm -rf "${CAPSTAN_LOCAL_DIR}/etcd" "${CAPSTAN_LOCAL_DIR}"/capstan-etcd-*
  fi
  cat >"${previous}" <<EOF
# Written by hack/local-up.sh: the local control plane in this directory.
KUBECONFIG=${ADMIN_KUBECONFIG}
CAPSTAN_BIN_DIR=${CAPSTAN_BIN_DIR}
CAPSTAN_PORT_BASE=${CAPSTAN_PORT_BASE:-27000}
PORT_ETCD=${PORT_ETCD}
PORT_ETCD_PEER=${PORT_ETCD_PEER}
PORT_KUBE_APISERVER=${PORT_KUBE_APISERVER}
PORT_APISERVER=${PORT_APISERVER}
PORT_APISERVER_ETCD=${PORT_APISERVER_ETCD}
PORT_ETCD_CLUSTER=${PORT_ETCD_CLUSTER}
PORT_GIT=${PORT_GIT}
PORT_WEBHOOK=${PORT_WEBHOOK}
CAPSTAN_WEBHOOK_URL=http://127.0.0.1:${PORT_WEBHOOK}/api/webhook
EOF
}

write_kubeconfigs() {
  local server=https://127.0.0.1:${PORT_KUBE_APISERVER} identity
  capstan::certs::kubeconfig "${ADMIN_KUBECONFIG}" admin "${server}"
  for identity in kube-controller-manager kube-scheduler kwok capstan-apiserver; do
    capstan::certs::kubeconfig "${KUBECONFIG_DIR}/${identity}.kubeconfig" "${identity}" "${server}"
  done
}

render_manifests() {
  mkdir -p "${RENDERED_DIR}"
  local i nodes=${RENDERED_DIR}/nodes.yaml
  : >"${nodes}"
  for ((i = 0; i < KWOK_NODES; i++)); do
    echo '---' >>"${nodes}"
    sed -e "s/__INDEX__/${i}/g" -e "s/__IP_SUFFIX__/$((i + 11))/g" \
      "${LOCAL_MANIFESTS}/manifests/node.yaml.tmpl" >>"${nodes}"
  done
  sed -e "s|__CAPSTAN_PORT__|${PORT_APISERVER}|g" -e "s|__CA_BUNDLE__|$(base64 -w0 <"${PKI_DIR}/ca.crt")|g" \
    "${LOCAL_MANIFESTS}/manifests/capstan-apiservice.yaml.tmpl" >"${RENDERED_DIR}/capstan-apiservice.yaml"
  sed -e "s|__KUBECONFIG__|${KUBECONFIG_DIR}/kube-scheduler.kubeconfig|g" \
    "${LOCAL_MANIFESTS}/manifests/kube-scheduler-config.yaml.tmpl" >"${RENDERED_DIR}/kube-scheduler-config.yaml"
}

# http_ok PORT PATH succeeds when http://127.0.0.1:PORT/PATH answers 200 (bash only).
http_ok() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  IFS= read -r -t 5 status <&3 || exit 1
  [[ ${status} == *" 200 "* ]]
)

start_etcd() {
  mkdir -p "${CAPSTAN_LOCAL_DIR}/etcd"
  chmod 700 "${CAPSTAN_LOCAL_DIR}/etcd"
  capstan::process::start etcd "${CAPSTAN_BIN_DIR}/etcd" \
    --name=capstan-local \
    --data-dir="${CAPSTAN_LOCAL_DIR}/etcd" \
    --listen-client-urls="http://127.0.0.1:${PORT_ETCD}" \
    --advertise-client-urls="http://127.0.0.1:${PORT_ETCD}" \
    --listen-peer-urls="http://127.0.0.1:${PORT_ETCD_PEER}" \
    --initial-advertise-peer-urls="http://127.0.0.1:${PORT_ETCD_PEER}" \
    --initial-cluster="capstan-local=http://127.0.0.1:${PORT_ETCD_PEER}" \
    --initial-cluster-state=new \
    --unsafe-no-fsync=true \
    --quota-backend-bytes=2147483648 \
    --log-level=warn
  capstan::process::wait_until etcd "/readyz on 127.0.0.1:${PORT_ETCD}" http_ok "${PORT_ETCD}" /readyz
  capstan::log "etcd ready"
}

start_kube_apiserver() {
  local -a extra=()
  read -r -a extra <<<"${KUBE_APISERVER_EXTRA_ARGS:-}"
  capstan::process::start kube-apiserver "${CAPSTAN_BIN_DIR}/kube-apiserver" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="${PORT_KUBE_APISERVER}" \
    --endpoint-reconciler-type=none \
    --etcd-servers="http://127.0.0.1:${PORT_ETCD}" \
    --etcd-prefix=/registry \
    --service-cluster-ip-range=10.0.0.0/24 \
    --tls-cert-file="${PKI_DIR}/kube-apiserver.crt" \
    --tls-private-key-file="${PKI_DIR}/kube-apiserver.key" \
    --client-ca-file="${PKI_DIR}/ca.crt" \
    --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="${PKI_DIR}/sa.pub" \
    --service-account-signing-key-file="${PKI_DIR}/sa.key" \
    --requestheader-client-ca-file="${PKI_DIR}/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="${PKI_DIR}/front-proxy-client.crt" \
    --proxy-client-key-file="${PKI_DIR}/front-proxy-client.key" \
    --enable-aggregator-routing=false \
    --shutdown-send-retry-after=true \
    --profiling=false \
    --v=1 \
    "${extra[@]}"
  capstan::process::wait_until kube-apiserver "/readyz on 127.0.0.1:${PORT_KUBE_APISERVER}" \
    capstan::kubectl get --raw /readyz
  capstan::log "kube-apiserver ready"
}

# apply_cluster_config installs RBAC for kwok and capstan-apiserver, the fake
# nodes and the APIService. RBAC must exist before those components start.
apply_cluster_config() {
  local -a files=(
    -f "${LOCAL_MANIFESTS}/manifests/kwok-rbac.yaml"
    -f "${LOCAL_MANIFESTS}/manifests/kwok-lb-rbac.yaml"
    -f "${LOCAL_MANIFESTS}/manifests/capstan-rbac.yaml"
    -f "${RENDERED_DIR}/nodes.yaml"
  )
  # The user roles of the install (capstan-view/-edit aggregate into view, edit
  # and admin), so that namespace editors can use Capstan as in a real cluster.
  [[ ${SKIP_APISERVER} == 1 ]] || files+=(-f "${RENDERED_DIR}/capstan-apiservice.yaml" -f "${CAPSTAN_ROOT}/artifacts/deploy/base/rbac-users.yaml")
  # The first seconds after /readyz can still miss kube-system; retry until applied.
  capstan::process::wait_until kube-apiserver "the local RBAC, nodes and APIService to be applied" \
    capstan::kubectl apply --server-side --force-conflicts --field-manager=capstan-local-up "${files[@]}"
  if [[ ${SKIP_APISERVER} == 1 ]]; then
    # A stale APIService without a server behind it blocks namespace deletion.
    capstan::kubectl delete apiservice v1alpha1.capstan.dev --ignore-not-found >/dev/null
    capstan::kubectl delete service -n capstan-system capstan-apiserver --ignore-not-found >/dev/null
  fi
  # kwok only manages a node while it holds the node's Lease; a previous kwok's
  # leases stay valid for 40 s and would keep pods Pending after a restart.
  capstan::kubectl delete leases -n kube-node-lease --all --ignore-not-found >/dev/null
  capstan::log "RBAC, ${KWOK_NODES} fake nodes$([[ ${SKIP_APISERVER} == 1 ]] || echo ' and APIService') applied"
}

start_kube_controller_manager() {
  local kubeconfig=${KUBECONFIG_DIR}/kube-controller-manager.kubeconfig
  capstan::process::start kube-controller-manager "${CAPSTAN_BIN_DIR}/kube-controller-manager" \
    --kubeconfig="${kubeconfig}" \
    --authentication-kubeconfig="${kubeconfig}" \
    --authorization-kubeconfig="${kubeconfig}" \
    --bind-address=127.0.0.1 \
    --secure-port=0 \
    --leader-elect=false \
    --use-service-account-credentials=true \
    --controllers='*' \
    --root-ca-file="${PKI_DIR}/ca.crt" \
    --service-account-private-key-file="${PKI_DIR}/sa.key" \
    --cluster-signing-cert-file="${PKI_DIR}/ca.crt" \
    --cluster-signing-key-file="${PKI_DIR}/ca.key" \
    --flex-volume-plugin-dir="${CAPSTAN_LOCAL_DIR}/kcm-flexvolume" \
    --kube-api-qps=200 \
    --kube-api-burst=400 \
    --profiling=false \
    --v=1
}

start_kube_scheduler() {
  capstan::process::start kube-scheduler "${CAPSTAN_BIN_DIR}/kube-scheduler" \
    --config="${RENDERED_DIR}/kube-scheduler-config.yaml" \
    --bind-address=127.0.0.1 \
    --secure-port=0 \
    --profiling=false \
    --v=1
}

start_kwok() {
  # kwok reads ~/.kwok/kwok.yaml when it exists: give it a HOME of its own.
  mkdir -p "${CAPSTAN_LOCAL_DIR}/kwok-home"
  HOME=${CAPSTAN_LOCAL_DIR}/kwok-home capstan::process::start kwok "${CAPSTAN_BIN_DIR}/kwok" \
    --kubeconfig="${KUBECONFIG_DIR}/kwok.kubeconfig" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr=10.244.0.0/16 \
    --node-lease-duration-seconds=40 \
    --config="${LOCAL_MANIFESTS}/kwok/stages-fast.yaml" \
    --config="${LOCAL_MANIFESTS}/kwok/stages-capstan.yaml" \
    --config="${LOCAL_MANIFESTS}/kwok/stages-lb.yaml"
}

start_capstan_apiserver() {
  local kubeconfig=${KUBECONFIG_DIR}/capstan-apiserver.kubeconfig
  local -a extra=()
  read -r -a extra <<<"${CAPSTAN_APISERVER_EXTRA_ARGS:-}"
  # One replica keeps its data in an embedded etcd; several share the etcd cluster.
  local -a storage=(--data-dir="${CAPSTAN_LOCAL_DIR}/capstan-data" --embedded-etcd-port="${PORT_APISERVER_ETCD}")
  if ((HA_REPLICAS > 1)); then
    mapfile -t storage < <(capstan::etcd_cluster::client_flags)
    extra=(--sharding --replica-name=capstan-apiserver-1 "${extra[@]}")
  else
    mkdir -p "${CAPSTAN_LOCAL_DIR}/capstan-data"
  fi
  capstan::process::start capstan-apiserver "${CAPSTAN_BIN_DIR}/capstan-apiserver" \
    --bind-address=127.0.0.1 \
    --secure-port="${PORT_APISERVER}" \
    --tls-cert-file="${PKI_DIR}/capstan-apiserver-serving.crt" \
    --tls-private-key-file="${PKI_DIR}/capstan-apiserver-serving.key" \
    --kubeconfig="${kubeconfig}" \
    --authentication-kubeconfig="${kubeconfig}" \
    --authorization-kubeconfig="${kubeconfig}" \
    "${storage[@]}" \
    --cache-dir="${CAPSTAN_LOCAL_DIR}/capstan-cache" \
    --webhook-bind-address=127.0.0.1 \
    --webhook-port="${PORT_WEBHOOK}" \
    --v=2 \
    "${extra[@]}"
}

# Readiness checks; each is one command for capstan::process::wait_until.
capstan_apiserver_ready() {
  capstan::kubectl --server="https://127.0.0.1:${PORT_APISERVER}" get --raw /readyz
}

nodes_ready() {
  local statuses
  statuses=$(capstan::kubectl get nodes -l type=kwok \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')
  [[ $(grep -cx True <<<"${statuses}") -ge ${KWOK_NODES} ]]
}

default_service_account_exists() { capstan::kubectl get serviceaccount default -n "$1"; }

probe_pod_scheduled() {
  [[ -n $(capstan::kubectl get pods -n "$1" -l app=local-up-probe -o jsonpath='{.items[*].spec.nodeName}') ]]
}

probe_deployment_available() {
  [[ $(capstan::kubectl get deployment local-up-probe -n "$1" -o jsonpath='{.status.availableReplicas}') == 1 ]]
}

apiservice_available() {
  [[ $(capstan::kubectl get apiservice v1alpha1.capstan.dev \
    -o jsonpath='{.status.conditions[?(@.type=="Available")].status}') == True ]]
}

# probe_workloads proves the controllers, the scheduler and kwok work together:
# a new namespace gets its default ServiceAccount (kube-controller-manager), a
# Deployment's pod is bound to a node (kube-scheduler) and becomes Ready (kwok).
probe_workloads() {
  local ns=local-up-probe-${EPOCHSECONDS}
  capstan::kubectl create namespace "${ns}" >/dev/null
  capstan::process::wait_until kube-controller-manager "ServiceAccount default in a new namespace" \
    default_service_account_exists "${ns}"
  capstan::kubectl apply -n "${ns}" -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: local-up-probe
spec:
  replicas: 1
  selector:
    matchLabels: {app: local-up-probe}
  template:
    metadata:
      labels: {app: local-up-probe}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: probe
        image: ${PROBE_IMAGE}
EOF
  capstan::process::wait_until kube-scheduler "a node for the probe pod" probe_pod_scheduled "${ns}"
  capstan::process::wait_until kwok "a Ready probe pod (Deployment Available)" probe_deployment_available "${ns}"
  capstan::kubectl delete namespace "${ns}" --wait=false >/dev/null
  capstan::log "workloads run: ServiceAccounts, scheduling and kwok pods work"
}

print_summary() {
  cat <<EOF

Local control plane is up in $(capstan::elapsed)s (state in ${CAPSTAN_LOCAL_DIR}).

  export KUBECONFIG=${ADMIN_KUBECONFIG}
  export PATH=${CAPSTAN_BIN_DIR}:\$PATH

  kubectl get nodes
  kubectl get apiservice v1alpha1.capstan.dev
  kubectl api-resources --api-group=capstan.dev
  kubectl get applications -A

Git webhooks: POST http://127.0.0.1:${PORT_WEBHOOK}/api/webhook (keys in Secret capstan-system/argocd-secret)
Logs: ${LOG_DIR}/   Stop: make down (hack/local-down.sh)
EOF
}

main() {
  capstan::ports
  preflight
  check_ports
  mkdir -p "${CAPSTAN_LOCAL_DIR}" "${LOG_DIR}" "${PID_DIR}"
  rm -f "${PID_DIR}"/*.pid "${PID_DIR}"/*.exe
  write_env
  capstan::certs::ensure
  write_kubeconfigs
  render_manifests
  capstan::log "certificates and kubeconfigs in ${CAPSTAN_LOCAL_DIR}"

  start_etcd
  start_kube_apiserver
  apply_cluster_config
  start_kube_controller_manager
  start_kube_scheduler
  start_kwok
  if [[ ${SKIP_APISERVER} != 1 ]]; then
    ((HA_REPLICAS == 1)) || capstan::etcd_cluster::start
    start_capstan_apiserver
  fi

  capstan::process::wait_until kwok "${KWOK_NODES} Ready nodes" nodes_ready
  capstan::log "${KWOK_NODES} kwok nodes Ready"
  probe_workloads
  if [[ ${SKIP_APISERVER} == 1 ]]; then
    capstan::log "capstan-apiserver skipped (CAPSTAN_SKIP_APISERVER=1)"
  else
    capstan::process::wait_until capstan-apiserver "/readyz on 127.0.0.1:${PORT_APISERVER}" capstan_apiserver_ready
    capstan::log "capstan-apiserver ready"
    capstan::process::wait_until capstan-apiserver "APIService v1alpha1.capstan.dev Available (see also ${LOG_DIR}/kube-apiserver.log)" \
      apiservice_available
    capstan::log "APIService v1alpha1.capstan.dev Available"
    local replica
    for ((replica = 2; replica <= HA_REPLICAS; replica++)); do
      "${CAPSTAN_ROOT}/hack/local-replica.sh" "${replica}"
    done
  fi
  print_summary
}

main "$@"
