#!/usr/bin/env bash
# start|stop|status the local SMTP catcher (deploy/smtp_catcher.py): SMTP :1025, HTTP API :8025.
set -euo pipefail
LOG_TAG=smtp
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HOST=${TICKETFLOW_SMTP_HOST:-127.0.0.1}
SMTP_PORT=${TICKETFLOW_SMTP_PORT:-1025}
API_PORT=${TICKETFLOW_SMTP_API_PORT:-8025}
STORE=${TICKETFLOW_SMTP_STORE:-$TICKETFLOW_HOME/smtp}
PY=${TICKETFLOW_PYTHON:-$REPO_DIR/.venv/bin/python}
PIDFILE=$TICKETFLOW_HOME/run/smtp.pid
LOGFILE=$TICKETFLOW_HOME/log/smtp.log
URLS="smtp://$HOST:$SMTP_PORT http://$HOST:$API_PORT"

ready() { port_open "$HOST" "$SMTP_PORT" && port_open "$HOST" "$API_PORT"; }
up() { pid_alive "$PIDFILE" || { tail -n 30 "$LOGFILE" >&2; die "smtp catcher exited"; }; ready; }

start() {
  with_lock smtp
  if ready; then
    log "already answering on $HOST:$SMTP_PORT and :$API_PORT"
  else
    "$PY" -c 'import aiosmtpd' 2>/dev/null || die "$PY lacks aiosmtpd: run 'uv sync' first"
    if ! pid_alive "$PIDFILE"; then
      log "starting on $HOST:$SMTP_PORT, API :$API_PORT (store $STORE, log $LOGFILE)"
      start_bg "$PIDFILE" "$LOGFILE" env PYTHONUNBUFFERED=1 "$PY" "$DEPLOY_DIR/smtp_catcher.py" \
        --host "$HOST" --smtp-port "$SMTP_PORT" --api-port "$API_PORT" --store "$STORE"
    fi
    wait_until "${SMTP_START_TIMEOUT:-30}" "SMTP catcher ports" up || exit 1
    log "ready (pid $(cat "$PIDFILE"))"
  fi
  echo "$URLS"
}

stop() {
  with_lock smtp
  stop_pid "$PIDFILE" smtp
  if ready; then
    die "ports $SMTP_PORT/$API_PORT still answer: that server was not started by this script"
  fi
}

status() {
  if ! ready; then
    echo "smtp: not running"
    return 3
  elif pid_alive "$PIDFILE"; then
    echo "smtp: running $URLS pid $(cat "$PIDFILE")"
  else
    echo "smtp: running $URLS (not started by this script)"
  fi
}

case ${1:-} in
  start | stop | status) "$1" ;;
  *) die "usage: $0 start|stop|status" ;;
esac
