#!/usr/bin/env bash
# `make bench`: Capstan's scale benchmark (issue #7). Starts a local control
# plane of its own (hack/local-up.sh, state in _output/bench/local, on the
# first free port base of 16000, 17000, ...: below the ephemeral ports, 32768
# and up, that outgoing connections take), runs the Go driver hack/bench
# (workload repository, Git server, scenarios, floors) and always stops the
# plane again, on success, failure, Ctrl-C or timeout.
#
# Knobs (environment; `make bench APPS=100 IDLE=60s`):
#   APPS          Applications (default 1000)
#   OBJECTS       objects per Application (default 10)
#   IDLE          idle window (default 10m; 3m when APPS < 500)
#   RESYNC        capstan-apiserver's --app-resync, the refresh interval (default 180s)
#   DRIFT         drift window, one patch per second (default 60s)
#   COMMITS       commits in the commit scenario (default 20)
#   READS         kubectl runs per list in the read scenario (default 20)
#   WORKERS       parallel requests of the floor clients (default 32)
#   COLD_LIMIT    time limit of the cold sync (default 3m + 1.2s per app)
#   BENCH_TIMEOUT limit of the whole driver run (default 42m; 9m when APPS < 500; 60m and 14m when HA > 1)
#   BENCH_VERBOSITY  capstan-apiserver's --v (default 1)
#   COLD_PROFILE  profile capstan-apiserver's CPU for this long (at most 55s) from
#                 the start of its cold sync, into _output/bench/cold-cpu.pb.gz (default 0: none),
#                 and kube-apiserver's during that sync and the floor's
#                 (cold-kube-apiserver-cpu.pb.gz, floor-kube-apiserver-cpu.pb.gz)
#   DRIFT_PROFILE set (e.g. 1): profile capstan-apiserver's CPU through the drift
#                 scenario (at most 55s), into _output/bench/drift-cpu.pb.gz
#   IDLE_PROFILE  set (e.g. 1): profile capstan-apiserver's CPU through the whole idle
#                 window, in consecutive profiles of at most 55s, into
#                 _output/bench/idle-window-cpu-N.pb.gz (their requests, and the
#                 SubjectAccessReviews authorizing them, count in the window's)
#   CAPSTAN_FLAGS more capstan-apiserver flags, e.g. "--kube-api-qps=200 --kube-api-burst=400"
#   HA            replicas of capstan-apiserver (default 1). With HA=N > 1 the plane
#                 is `make up HA=N` (N sharded replicas over a 3-member etcd cluster)
#                 and the run adds: a cold sync by 1 replica before the ordinary one
#                 by N (W(N) and the applies per object, 1 vs N), and, last, the
#                 takeover of a killed replica's Applications (p50/p99)
#   LEASE         the replicas' --replica-lease-duration when HA > 1 (default 15s)
#   SOAK          `make soak` sets it: run the soak for this long (DURATION,
#                 default 10m) instead of the benchmark's scenarios: after the
#                 cold sync, a commit and a drift every second; BENCH_TIMEOUT
#                 defaults to the cold sync limit + SOAK + 10m
#   LIST          `make bench-list` sets it: instead of the scenarios, store APPS
#                 (default 10000) Applications with the status a cold sync leaves,
#                 on a plane whose capstan-apiserver runs no controllers, and
#                 time `kubectl get applications -A` against as many ConfigMaps
#                 of the same size; BENCH_TIMEOUT defaults to 10m + 0.2s per app
#
# Output: one line per figure on stdout, _output/bench/results.json,
# _output/bench/latency.png; logs of every component in _output/bench/local/logs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${ROOT}/_output/bench
export CAPSTAN_LOCAL_DIR=${BENCH_DIR}/local
export CAPSTAN_BIN_DIR=${CAPSTAN_BIN_DIR:-${ROOT}/_output/bin}

APPS=${APPS:-1000}
USER_BENCH_TIMEOUT=${BENCH_TIMEOUT:-}
HA=${HA:-1}
LEASE=${LEASE:-15s}
[[ ${HA} =~ ^[1-9]$ ]] || { echo "[bench.sh] HA=${HA}: must be 1..9" >&2; exit 1; }
# An HA run adds a cold sync and the takeover.
if ((HA > 1)) && [[ -z ${BENCH_TIMEOUT:-} ]]; then
  if ((APPS < 500)); then BENCH_TIMEOUT=14m; else BENCH_TIMEOUT=60m; fi
fi
OBJECTS=${OBJECTS:-10}
if ((APPS < 500)); then
  IDLE=${IDLE:-3m}
  BENCH_TIMEOUT=${BENCH_TIMEOUT:-9m}
else
  IDLE=${IDLE:-10m}
  BENCH_TIMEOUT=${BENCH_TIMEOUT:-42m}
fi
SOAK=${SOAK:-0}
LIST=${LIST:-0}
if ((LIST)); then
  BENCH_TIMEOUT=${USER_BENCH_TIMEOUT:-$((600 + APPS / 5))s}
  CAPSTAN_FLAGS="${CAPSTAN_FLAGS:-} --controllers=false"
fi
if [[ ${SOAK} != 0 ]]; then
  # Go durations of s, m or h only (10m, 90s, 1h): the limit is computed from them.
  [[ ${SOAK} =~ ^([0-9]+)(s|m|h)$ ]] || { echo "SOAK/DURATION=${SOAK}: use seconds, minutes or hours, e.g. 10m" >&2; exit 2; }
  case ${BASH_REMATCH[2]} in
    s) soak_seconds=${BASH_REMATCH[1]} ;;
    m) soak_seconds=$((BASH_REMATCH[1] * 60)) ;;
    h) soak_seconds=$((BASH_REMATCH[1] * 3600)) ;;
  esac
  BENCH_TIMEOUT=${USER_BENCH_TIMEOUT:-$((180 + APPS * 12 / 10 + soak_seconds + 600))s}
fi
RESYNC=${RESYNC:-180s}
DRIFT=${DRIFT:-60s}
COMMITS=${COMMITS:-20}
READS=${READS:-20}
WORKERS=${WORKERS:-32}
COLD_LIMIT=${COLD_LIMIT:-0}
BENCH_VERBOSITY=${BENCH_VERBOSITY:-1}

log() { printf '[bench.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

DRIVER_PID=
PLANE_STARTED=0

# shellcheck disable=SC2317 # called through the trap
teardown() {
  local code=$?
  trap '' INT TERM
  if [[ -n ${DRIVER_PID} ]] && kill -0 "${DRIVER_PID}" 2>/dev/null; then
    kill -TERM "${DRIVER_PID}" 2>/dev/null || true
    wait "${DRIVER_PID}" 2>/dev/null || true
  fi
  if ((PLANE_STARTED)); then
    log "stopping the bench's local control plane"
    "${ROOT}/hack/local-down.sh" >&2 || true
  fi
  exit "${code}"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One fake node per 100 pods: each app has one Deployment of one replica,
# once deployed by Capstan and once by the floor (and once more by the
# one-replica cold sync of an HA run).
kwok_nodes() {
  ((LIST == 0)) || { echo 1; return; }
  local copies=2
  ((HA == 1)) || copies=3
  local nodes=$(((copies * APPS + 20) / 100 + 1))
  ((nodes > 99)) && nodes=99
  echo "${nodes}"
}

# The audit policy logs the requests of capstan-apiserver's identity and
# nothing else: the idle scenario counts them.
write_audit_policy() {
  cat >"${BENCH_DIR}/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  users: [capstan-apiserver]
- level: None
EOF
}

start_plane() {
  local base code
  export CAPSTAN_KWOK_NODES
  CAPSTAN_KWOK_NODES=$(kwok_nodes)
  export KUBE_APISERVER_EXTRA_ARGS="--audit-policy-file=${BENCH_DIR}/audit-policy.yaml --audit-log-path=${CAPSTAN_LOCAL_DIR}/logs/kube-apiserver-audit.log --audit-log-format=json --audit-log-mode=batch --max-requests-inflight=800 --max-mutating-requests-inflight=400"
  # COLD_PROFILE profiles kube-apiserver too (its /debug/pprof, as the bench's admin).
  [[ "${COLD_PROFILE:-0}" == "0" ]] || KUBE_APISERVER_EXTRA_ARGS+=" --profiling=true"
  export CAPSTAN_APISERVER_EXTRA_ARGS="--app-resync=${RESYNC} --v=${BENCH_VERBOSITY} ${CAPSTAN_FLAGS:-}"
  export CAPSTAN_HA_REPLICAS=${HA}
  ((HA == 1)) || CAPSTAN_APISERVER_EXTRA_ARGS+=" --replica-lease-duration=${LEASE}"
  for base in 16000 17000 18000 19000 20000 21000; do
    rm -rf "${CAPSTAN_LOCAL_DIR}"
    PLANE_STARTED=1
    code=0
    CAPSTAN_PORT_BASE=${base} "${ROOT}/hack/local-up.sh" >&2 || code=$?
    if ((code == 0)); then
      log "local control plane up on port base ${base} with ${CAPSTAN_KWOK_NODES} kwok nodes and ${HA} replica(s) of capstan-apiserver"
      return 0
    fi
    # Any other failure may have left components running: PLANE_STARTED
    # stays set, so that the exit trap stops them.
    ((code == 2)) || { log "hack/local-up.sh failed (logs in ${CAPSTAN_LOCAL_DIR}/logs)"; return 1; }
    PLANE_STARTED=0
    log "ports of base ${base} are busy, trying the next one"
  done
  log "no free port base"
  return 1
}

main() {
  mkdir -p "${BENCH_DIR}"
  log "building the bench driver"
  (cd "${ROOT}" && go build -o "${CAPSTAN_BIN_DIR}/capstan-bench" ./hack/bench)
  write_audit_policy
  start_plane
  if ((LIST)); then
    log "listing ${APPS} Applications (controllers off), limit ${BENCH_TIMEOUT}"
  elif [[ ${SOAK} != 0 ]]; then
    log "soak of W(apps=${APPS}, objects=${OBJECTS}) for ${SOAK}, limit ${BENCH_TIMEOUT}"
  else
    log "running W(apps=${APPS}, objects=${OBJECTS}), idle ${IDLE}, resync ${RESYNC}, limit ${BENCH_TIMEOUT}"
  fi
  # The driver runs in the background so that the traps can stop it; timeout
  # sends it SIGTERM at the limit, on which it prints what it measured so far.
  timeout --signal=TERM --kill-after=60s "${BENCH_TIMEOUT}" \
    "${CAPSTAN_BIN_DIR}/capstan-bench" \
    --kubeconfig="${CAPSTAN_LOCAL_DIR}/kubeconfig" \
    --local-dir="${CAPSTAN_LOCAL_DIR}" \
    --bin-dir="${CAPSTAN_BIN_DIR}" \
    --out="${BENCH_DIR}" \
    --apps="${APPS}" --objects="${OBJECTS}" --workers="${WORKERS}" \
    --idle="${IDLE}" --resync="${RESYNC}" --drift="${DRIFT}" \
    --commits="${COMMITS}" --reads="${READS}" --cold-limit="${COLD_LIMIT}" --cold-profile="${COLD_PROFILE:-0}" --drift-profile="$([[ -n "${DRIFT_PROFILE:-}" ]] && echo true || echo false)" --idle-profile="$([[ -n "${IDLE_PROFILE:-}" ]] && echo true || echo false)" --soak="${SOAK}" --list-only="$(((LIST)) && echo true || echo false)" \
    --replicas="${HA}" --replica-lease-duration="${LEASE}" --hack-dir="${ROOT}/hack" &
  DRIVER_PID=$!
  local code=0
  wait "${DRIVER_PID}" || code=$?
  DRIVER_PID=
  ((code != 124)) || log "the driver reached BENCH_TIMEOUT=${BENCH_TIMEOUT}"
  return "${code}"
}

main "$@"
