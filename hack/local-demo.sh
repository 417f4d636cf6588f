#!/usr/bin/env bash
# The demo of `make run`: the local control plane with capstan-apiserver
# (hack/local-up.sh, reused when it already runs), a Git repository with the
# demo content served over smart HTTP on loopback, and demo Applications with
# automated sync. Prints how to use kubectl, then follows capstan-apiserver's
# log; Ctrl-C stops everything (hack/local-down.sh).
#
# The repository holds hack/demo (plain YAML, a Helm chart, a Kustomize overlay,
# an app with sync waves and hooks) and, under examples/, artifacts/examples
# when that exists. Its working copy is $CAPSTAN_LOCAL_DIR/demo-git/work:
# commit and `git push` there to see Capstan follow a change.
set -euo pipefail

CAPSTAN_SCRIPT=demo
# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=hack/lib/process.sh
source "${CAPSTAN_ROOT}/hack/lib/process.sh"

GIT_DIR_ROOT=${CAPSTAN_LOCAL_DIR}/demo-git
DEMO_NAMESPACE=capstan-demo

ensure_plane() {
  if capstan::process::alive kube-apiserver; then
    capstan::log "reusing the local control plane in ${CAPSTAN_LOCAL_DIR}"
    return 0
  fi
  "${CAPSTAN_ROOT}/hack/local-up.sh"
}

TAIL_PID=

# shellcheck disable=SC2317 # called through the EXIT trap
stop_everything() {
  trap '' INT TERM
  [[ -z ${TAIL_PID} ]] || kill "${TAIL_PID}" 2>/dev/null || true
  printf '\n' >&2
  capstan::log "stopping the local control plane (make down)"
  "${CAPSTAN_ROOT}/hack/local-down.sh" || true
}

# build_repository (re)creates the demo repository: a working copy whose
# origin is a bare repository under the Git server's root.
build_repository() {
  capstan::require_command git "to serve the demo Git repository"
  local work=${GIT_DIR_ROOT}/work bare=${GIT_DIR_ROOT}/repos/demo.git
  rm -rf "${GIT_DIR_ROOT}"
  mkdir -p "${work}" "${GIT_DIR_ROOT}/repos"
  cp -R "${CAPSTAN_ROOT}/hack/demo/." "${work}/"
  if [[ -d ${CAPSTAN_ROOT}/artifacts/examples ]]; then
    cp -R "${CAPSTAN_ROOT}/artifacts/examples" "${work}/examples"
  fi
  local -a git=(git -C "${work}" -c user.name="Capstan demo" -c user.email=demo@capstan.invalid)
  "${git[@]}" init --quiet --initial-branch=main
  "${git[@]}" add --all
  "${git[@]}" commit --quiet --message "Capstan demo content"
  git clone --quiet --bare "${work}" "${bare}"
  "${git[@]}" remote add origin "${bare}"
  "${git[@]}" fetch --quiet origin
  "${git[@]}" branch --quiet --set-upstream-to=origin/main main
  capstan::log "demo repository at ${bare} (working copy ${work})"
}

start_git_server() {
  capstan::require_binary capstan-gitserver "run \`make gitserver\` to build it"
  capstan::process::stop gitserver # a previous demo's server
  if capstan::port_in_use "${PORT_GIT}"; then
    capstan::die "port ${PORT_GIT} for the demo Git server (capstan-gitserver) is already in use; set CAPSTAN_PORT_GIT or CAPSTAN_PORT_BASE"
  fi
  capstan::process::start gitserver "${CAPSTAN_BIN_DIR}/capstan-gitserver" \
    --listen="127.0.0.1:${PORT_GIT}" --root="${GIT_DIR_ROOT}/repos"
  capstan::process::wait_until gitserver "the demo repository over HTTP" \
    git ls-remote "${REPO_URL}"
  capstan::log "Git server ready: ${REPO_URL}"
}

create_applications() {
  capstan::process::wait_until capstan-apiserver "the demo AppProject and Applications to be created" \
    capstan::kubectl apply --server-side --field-manager=capstan-demo \
    -f <(sed "s|__REPO_URL__|${REPO_URL}|g" "${CAPSTAN_ROOT}/hack/local/demo-applications.yaml.tmpl")
  capstan::log "demo Applications created in namespace ${DEMO_NAMESPACE}"
}

print_usage() {
  local api=/apis/capstan.dev/v1alpha1/namespaces/${DEMO_NAMESPACE}/applications
  cat <<EOF

The Capstan demo is running. In another terminal:

  export KUBECONFIG=${ADMIN_KUBECONFIG}
  export PATH=${CAPSTAN_BIN_DIR}:\$PATH

  kubectl get applications -n ${DEMO_NAMESPACE} -w        # SYNC STATUS / HEALTH STATUS
  kubectl get apps -n ${DEMO_NAMESPACE} -o wide
  kubectl describe app guestbook -n ${DEMO_NAMESPACE}
  kubectl get app shop -n ${DEMO_NAMESPACE} --subresource=diff
  kubectl explain application.spec.syncPolicy
  kubectl get deploy,svc,job -n demo-shop                     # what the shop app deployed, wave by wave
  kubectl create --raw ${api}/guestbook/sync -f - <<<'{"spec":{"prune":true}}'

Or look at it in the browser (the dashboard acts as you, with this kubeconfig):

  kubectl capstan dashboard --open                           # http://127.0.0.1:8080/

Change something in Git and watch Capstan follow it:

  cd ${GIT_DIR_ROOT}/work
  sed -i 's/replicas: 2/replicas: 4/' plain/guestbook/guestbook.yaml
  git commit -qam 'Scale the guestbook' && git push -q
  kubectl annotate app guestbook -n ${DEMO_NAMESPACE} argocd.argoproj.io/refresh=normal

Following ${LOG_DIR}/capstan-apiserver.log; Ctrl-C stops everything (make down).
EOF
}

main() {
  capstan::ports
  REPO_URL=http://127.0.0.1:${PORT_GIT}/demo.git
  [[ ${CAPSTAN_SKIP_APISERVER:-0} != 1 ]] || capstan::die "the demo needs capstan-apiserver: unset CAPSTAN_SKIP_APISERVER"
  trap stop_everything EXIT
  trap 'exit 130' INT TERM
  ensure_plane
  build_repository
  start_git_server
  create_applications
  print_usage
  tail -n 0 -F "${LOG_DIR}/capstan-apiserver.log" &
  TAIL_PID=$!
  # Return when capstan-apiserver exits (or on Ctrl-C, through the trap).
  while capstan::process::alive capstan-apiserver; do
    sleep 1
  done
  capstan::process::fail capstan-apiserver "exited"
}

main "$@"
