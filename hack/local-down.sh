#!/usr/bin/env bash
# Stops the local control plane started by hack/local-up.sh (`make down`).
#
# Only the recorded PIDs in $CAPSTAN_LOCAL_DIR/pids are signalled, and only
# while /proc/PID/exe is still the recorded binary. SIGTERM first, SIGKILL after
# CAPSTAN_STOP_GRACE seconds. Everything that talks to etcd stops in parallel,
# then etcd and the HA plane's etcd cluster. Works after a failed or partial
# start, and when nothing runs.
#
# Usage: hack/local-down.sh [--purge]   --purge also deletes $CAPSTAN_LOCAL_DIR
#                                       (certificates, etcd data, logs)
set -euo pipefail

CAPSTAN_SCRIPT=down
# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=hack/lib/process.sh
source "${CAPSTAN_ROOT}/hack/lib/process.sh"

main() {
  local purge=0
  case ${1:-} in
    --purge) purge=1 ;;
    "") ;;
    *) capstan::die "unknown argument '$1' (usage: hack/local-down.sh [--purge])" ;;
  esac

  local -a first=() last=()
  local name
  for name in $(capstan::process::names); do
    if [[ ${name} == etcd || ${name} == capstan-etcd-* ]]; then last+=("${name}"); else first+=("${name}"); fi
  done
  if ((${#first[@]} + ${#last[@]} == 0)); then
    capstan::log "nothing recorded as running in ${CAPSTAN_LOCAL_DIR}"
  fi
  capstan::process::stop_all "${first[@]}"
  capstan::process::stop_all "${last[@]}"

  if ((purge)); then
    # Refuse to delete anything that does not look like a plane's directory.
    if [[ -f ${CAPSTAN_LOCAL_DIR}/env || -d ${CAPSTAN_LOCAL_DIR}/pki ]]; then
      rm -rf "${CAPSTAN_LOCAL_DIR}"
      capstan::log "deleted ${CAPSTAN_LOCAL_DIR}"
    fi
  fi
}

main "$@"
