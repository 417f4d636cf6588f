#!/usr/bin/env bash
# Starting, watching and stopping the local control plane's processes. Source
# hack/lib/common.sh first.
#
# Every process NAME has:
#   $PID_DIR/NAME.pid       its PID (the binary itself: started without a wrapper shell)
#   $PID_DIR/NAME.exe       the binary it must be running, checked before any signal
#   $LOG_DIR/NAME.log       stdout and stderr
#   $CAPSTAN_LOCAL_DIR/NAME.cmdline   the exact argv, one argument per line

# capstan::process::start NAME BINARY [ARG...] starts BINARY in the background,
# detached from the terminal's hangup, and records it. Environment assignments
# put before the call (HOME=dir capstan::process::start ...) reach the process.
capstan::process::start() {
  local name=$1 binary=$2
  shift 2
  mkdir -p "${PID_DIR}" "${LOG_DIR}"
  printf '%s\n' "${binary}" "$@" >"${CAPSTAN_LOCAL_DIR}/${name}.cmdline"
  # setsid: a session of its own, so Ctrl-C in the terminal that ran `make up`
  # or `make run` reaches only the scripts, which then stop it in order. In a
  # script (no job control) the child is no group leader, so setsid and nohup
  # exec in place and $! is the binary's PID.
  local -a launcher=(nohup)
  command -v setsid >/dev/null && launcher=(setsid nohup)
  "${launcher[@]}" "${binary}" "$@" </dev/null >"${LOG_DIR}/${name}.log" 2>&1 &
  local pid=$! exe i
  exe=$(readlink -f "${binary}")
  printf '%s\n' "${pid}" >"${PID_DIR}/${name}.pid"
  printf '%s\n' "${exe}" >"${PID_DIR}/${name}.exe"
  # Until the exec chain reaches the binary, /proc/PID/exe is bash or setsid.
  for ((i = 0; i < 50; i++)); do
    [[ -e /proc/${pid} ]] || break
    [[ $(readlink "/proc/${pid}/exe" 2>/dev/null) == "${exe}" ]] && break
    sleep 0.05
  done
  capstan::log "started ${name} (pid ${pid}, log ${LOG_DIR}/${name}.log)"
}

# capstan::process::pid NAME prints the recorded PID of NAME when that PID is
# alive and still runs NAME's binary; it fails otherwise. A zombie counts as gone.
capstan::process::pid() {
  local pid_file=${PID_DIR}/$1.pid exe_file=${PID_DIR}/$1.exe pid exe state
  [[ -f ${pid_file} && -f ${exe_file} ]] || return 1
  pid=$(<"${pid_file}")
  [[ ${pid} =~ ^[0-9]+$ ]] || return 1
  exe=$(readlink "/proc/${pid}/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)} # the binary was rebuilt while it ran
  [[ ${exe} == "$(<"${exe_file}")" ]] || return 1
  state=$(awk '{print $3}' "/proc/${pid}/stat" 2>/dev/null) || return 1
  [[ ${state} != Z ]] || return 1
  printf '%s\n' "${pid}"
}

capstan::process::alive() { capstan::process::pid "$1" >/dev/null; }

# capstan::process::names lists the processes that have a PID file.
capstan::process::names() {
  local f
  for f in "${PID_DIR}"/*.pid; do
    [[ -e ${f} ]] || continue
    f=${f##*/}
    printf '%s\n' "${f%.pid}"
  done
}

# capstan::process::fail NAME MESSAGE reports that NAME did not come up, with the
# tail of its log, and exits non-zero.
capstan::process::fail() {
  local name=$1 log=${LOG_DIR}/$1.log
  {
    printf '\n[%s] ERROR: %s: %s\n' "${CAPSTAN_SCRIPT:-local}" "${name}" "$2"
    if [[ -s ${log} ]]; then
      printf '[%s] last lines of %s:\n' "${CAPSTAN_SCRIPT:-local}" "${log}"
      tail -n 25 "${log}" | sed 's/^/    /'
    else
      printf '[%s] log: %s (empty)\n' "${CAPSTAN_SCRIPT:-local}" "${log}"
    fi
    printf '[%s] %s stops whatever was started.\n' "${CAPSTAN_SCRIPT:-local}" "\`make down\` (hack/local-down.sh)"
  } >&2
  exit 1
}

# capstan::process::wait_until NAME WHAT CMD... runs CMD until it succeeds. It
# fails naming NAME and its log if NAME's process exits or CAPSTAN_WAIT_TIMEOUT
# passes first. WHAT says what is awaited, for the messages.
capstan::process::wait_until() {
  local name=$1 what=$2
  shift 2
  local deadline=$((SECONDS + CAPSTAN_WAIT_TIMEOUT))
  while :; do
    capstan::process::alive "${name}" ||
      capstan::process::fail "${name}" "exited while waiting for ${what}"
    "$@" >/dev/null 2>&1 && return 0
    ((SECONDS < deadline)) ||
      capstan::process::fail "${name}" "no ${what} within ${CAPSTAN_WAIT_TIMEOUT}s"
    sleep 0.2
  done
}

# capstan::process::stop NAME sends SIGTERM to NAME's recorded PID, waits up to
# CAPSTAN_STOP_GRACE seconds, then sends SIGKILL, and forgets the PID. A PID
# that runs another binary (reused after a reboot) is never signalled.
capstan::process::stop() {
  local name=$1 pid deadline
  if ! pid=$(capstan::process::pid "${name}"); then
    rm -f "${PID_DIR}/${name}.pid" "${PID_DIR}/${name}.exe"
    return 0
  fi
  kill -TERM "${pid}" 2>/dev/null || true
  deadline=$((SECONDS + CAPSTAN_STOP_GRACE))
  while capstan::process::alive "${name}"; do
    if ((SECONDS >= deadline)); then
      capstan::warn "${name} (pid ${pid}) did not stop within ${CAPSTAN_STOP_GRACE}s; sending SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  rm -f "${PID_DIR}/${name}.pid" "${PID_DIR}/${name}.exe"
  capstan::log "stopped ${name} (pid ${pid})"
}

# capstan::process::stop_all NAME... stops the named processes in parallel.
capstan::process::stop_all() {
  local name
  local -a jobs=()
  for name in "$@"; do
    capstan::process::stop "${name}" &
    jobs+=($!)
  done
  ((${#jobs[@]} == 0)) || wait "${jobs[@]}"
}
