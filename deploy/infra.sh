#!/usr/bin/env bash
# start|stop|status|env local RabbitMQ + FerretDB + SMTP catcher; start/env print exports on stdout:
# TICKETFLOW_AMQP_URL (the broker's administrator) and, for the local node, one
# TICKETFLOW_AMQP_URL_<SERVICE> per service, each its own broker user (deploy/rabbitmq.sh users).
set -euo pipefail
LOG_TAG=infra
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

AMQP_URL=${TICKETFLOW_AMQP_URL:-$LOCAL_AMQP_URL}
MONGO_URL=${TICKETFLOW_MONGO_URL:-mongodb://127.0.0.1:${TICKETFLOW_MONGO_PORT:-27017}/}
SMTP_HOST=${TICKETFLOW_SMTP_HOST:-127.0.0.1}
SMTP_PORT=${TICKETFLOW_SMTP_PORT:-1025}
SMTP_API=${TICKETFLOW_SMTP_API:-http://$SMTP_HOST:${TICKETFLOW_SMTP_API_PORT:-8025}}

# url_up URL...: true if the host:port of every URL accepts TCP connections.
url_up() {
  local url
  for url; do
    [[ $url =~ ^[a-z+]+://([^@/]*@)?([^:/,]+):([0-9]+) ]] || return 1
    port_open "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}" || return 1
  done
}

# ensure NAME URL...: start deploy/NAME.sh unless its URLs already answer, then insist they do.
ensure() {
  local name=$1
  shift
  if url_up "$@"; then
    log "$name: already reachable at $*"
    return 0
  fi
  "$DEPLOY_DIR/$name.sh" start >&2
  url_up "$@" || die "$name started, but $* is still unreachable (check the TICKETFLOW_* settings)"
}

# local_broker: true when the broker is the node deploy/rabbitmq.sh runs (its users are ours).
local_broker() { [[ $AMQP_URL == "$LOCAL_AMQP_URL" ]]; }

# exports [LINES]: the export lines; LINES are "<service> <url>" pairs from deploy/rabbitmq.sh.
exports() {
  printf 'export %s=%q\n' TICKETFLOW_AMQP_URL "$AMQP_URL" TICKETFLOW_MONGO_URL "$MONGO_URL" \
    TICKETFLOW_SMTP_HOST "$SMTP_HOST" TICKETFLOW_SMTP_PORT "$SMTP_PORT" \
    TICKETFLOW_SMTP_API "$SMTP_API"
  local svc url
  while read -r svc url; do
    if [[ -n $svc ]]; then printf 'export %s=%q\n' "TICKETFLOW_AMQP_URL_${svc^^}" "$url"; fi
  done <<<"${1:-}"
}

start() {
  local service_urls=""
  if local_broker; then
    # A listening port is not enough: a node still booting (or stuck) refuses rabbitmqctl.
    "$DEPLOY_DIR/rabbitmq.sh" start >/dev/null
    service_urls=$("$DEPLOY_DIR/rabbitmq.sh" users)
  else
    ensure rabbitmq "$AMQP_URL"
    log "rabbitmq: TICKETFLOW_AMQP_URL is given (not the local node): every service uses it" \
      "as given; no broker users created"
  fi
  ensure ferretdb "$MONGO_URL"
  ensure smtp "smtp://$SMTP_HOST:$SMTP_PORT" "$SMTP_API"
  exports "$service_urls"
}

env_exports() {
  if local_broker; then
    exports "$("$DEPLOY_DIR/rabbitmq.sh" urls)"
  else
    exports
  fi
}

stop() {
  local rc=0 name
  for name in smtp ferretdb rabbitmq; do
    "$DEPLOY_DIR/$name.sh" stop || rc=1
  done
  return "$rc"
}

status() {
  local rc=0 name
  for name in rabbitmq ferretdb smtp; do
    "$DEPLOY_DIR/$name.sh" status || rc=3
  done
  return "$rc"
}

case ${1:-} in
  start | stop | status) "$1" ;;
  env) env_exports ;;
  *) die "usage: $0 start|stop|status|env   (start and env print export lines on stdout)" ;;
esac
