# Shared helpers for the deploy/*.sh scripts (sourced, not run): logging, ports, pid files.
# shellcheck shell=bash

TICKETFLOW_HOME=${TICKETFLOW_HOME:-${HOME:-/root}/.cache/ticketflow}
DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_DIR=$(dirname "$DEPLOY_DIR")
# The local node's administrator (tests' probes, cleanup); services get users of their own.
# shellcheck disable=SC2034 # used by the scripts that source this file
LOCAL_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/

log() { printf '[%s] %s\n' "${LOG_TAG:-deploy}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# port_open HOST PORT: true if something accepts TCP connections there.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# wait_until SECONDS DESCRIPTION CMD...: poll CMD every second until it succeeds or time runs out.
wait_until() {
  local secs=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || { log "timed out after ${secs}s waiting for $what"; return 1; }
    sleep 1
  done
}

# pid_gone PID: true once the process has exited.
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# pid_alive PIDFILE: true if the pid file names a live process.
pid_alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# start_bg PIDFILE LOGFILE CMD...: run CMD detached (own session, no stdin, no lock fd), record pid.
start_bg() {
  local pidfile=$1 logfile=$2
  shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  setsid nohup "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  echo $! >"$pidfile"
}

# stop_pid PIDFILE NAME: TERM the recorded process, KILL it after 15 s, drop the pid file.
stop_pid() {
  local pidfile=$1 name=$2 pid
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    log "not running (no live pid file)"
    return 0
  fi
  pid=$(cat "$pidfile")
  log "stopping pid $pid"
  kill "$pid"
  wait_until 15 "$name to exit" pid_gone "$pid" || kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# with_lock NAME: serialise start/stop of one service (test runs may overlap). Holds fd 9:
# servers started under it must get 9>&- or they keep the lock for life.
with_lock() {
  mkdir -p "$TICKETFLOW_HOME/run"
  exec 9>"$TICKETFLOW_HOME/run/$1.lock"
  flock -w 900 9 || die "could not lock $1"
}
