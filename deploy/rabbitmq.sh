#!/usr/bin/env bash
# Install (apt) if missing, then start|stop|status the local RabbitMQ node on 127.0.0.1:5672.
set -euo pipefail
LOG_TAG=rabbitmq
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

PORT=5672
AMQP_URL="amqp://guest:guest@127.0.0.1:$PORT/"
LOGDIR=$TICKETFLOW_HOME/log

node_up() { rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
node_down() { ! node_up; }
ready() { port_open 127.0.0.1 "$PORT" && rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; }
show_log() { tail -n 30 "/var/log/rabbitmq/rabbit@$(hostname -s).log" >&2 2>/dev/null || true; }

install() {
  command -v rabbitmq-server >/dev/null && return 0
  log "rabbitmq-server missing: installing it with apt"
  apt-get update -q </dev/null >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server </dev/null >&2
}

start() {
  install
  with_lock rabbitmq
  if ready; then
    log "already running"
  else
    # apt's postinst (or an earlier call) may have a node booting already: only start if none.
    if ! node_up; then
      log "starting rabbitmq-server -detached (log: $LOGDIR/rabbitmq-start.log, /var/log/rabbitmq/)"
      mkdir -p "$LOGDIR"
      rabbitmq-server -detached </dev/null >>"$LOGDIR/rabbitmq-start.log" 2>&1 9>&-
    fi
    wait_until "${RABBITMQ_START_TIMEOUT:-90}" "AMQP on port $PORT" ready || { show_log; exit 1; }
    log "ready"
  fi
  echo "$AMQP_URL"
}

stop() {
  with_lock rabbitmq
  if ! command -v rabbitmqctl >/dev/null || ! node_up; then
    log "not running"
    return 0
  fi
  log "stopping"
  rabbitmqctl -q stop </dev/null >&2
  wait_until 30 "the node to exit" node_down
  log "stopped"
}

status() {
  if command -v rabbitmq-diagnostics >/dev/null && ready; then
    echo "rabbitmq: running $AMQP_URL"
  else
    echo "rabbitmq: not running"
    return 3
  fi
}

case ${1:-} in
  start | stop | status) "$1" ;;
  *) die "usage: $0 start|stop|status" ;;
esac
