#!/usr/bin/env bash
# Install (apt) if missing, then start|stop|status the local RabbitMQ node on 127.0.0.1:5672;
# users: create or update the services' broker users (passwords kept in $TICKETFLOW_HOME/secrets)
# and print one "<service> <amqp url>" line each; urls: print those lines only.
set -euo pipefail
LOG_TAG=rabbitmq
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

PORT=5672
AMQP_URL=$LOCAL_AMQP_URL
LOGDIR=$TICKETFLOW_HOME/log
SECRETS=$TICKETFLOW_HOME/secrets/amqp.env
SERVICES=(intake routing notify reporting)

node_up() { rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
node_down() { ! node_up; }
ready() {
  port_open 127.0.0.1 "$PORT" && rabbitmq-diagnostics -q check_running >/dev/null 2>&1 &&
    rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1
}
# raise_file_limit: every durable quorum queue holds files open; the node refuses work (its
# file handle cache blocks boot) once they exceed the soft limit. rabbitmq-server switches to
# the rabbitmq user with su, whose PAM session resets the soft limit to 1024 unless
# limits.d says otherwise, so say otherwise (up to this shell's hard limit).
raise_file_limit() {
  local hard want=65536 conf=/etc/security/limits.d/ticketflow-rabbitmq.conf
  hard=$(ulimit -Hn)
  if [[ $hard != unlimited ]] && ((hard < want)); then want=$hard; fi
  ulimit -Sn "$want" 2>/dev/null || log "could not raise the open-file limit above $(ulimit -Sn)"
  if [[ -d /etc/security/limits.d && -w /etc/security/limits.d ]]; then
    printf 'rabbitmq soft nofile %s\nrabbitmq hard nofile %s\n' "$want" "$want" >"$conf"
  fi
}
# force_stop: ask the node to stop; a node that cannot (its file handles exhausted) is killed.
# Durable messages survive either way: quorum queues write ahead before they confirm.
force_stop() {
  local pid
  pid=$(node_pid)
  timeout 30 rabbitmqctl -q stop </dev/null >/dev/null 2>&1 || true
  if node_up && [[ -n $pid ]]; then
    log "the node did not stop in 30s: killing it"
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait_until 30 "the node to exit" node_down
}
node_pid() { pgrep -o -u rabbitmq beam.smp 2>/dev/null || pgrep -o beam.smp 2>/dev/null || true; }
# node_file_limit: the running node's soft open-file limit (empty if unknown).
node_file_limit() {
  local pid
  pid=$(node_pid)
  [[ -n $pid ]] || return 0
  awk '/^Max open files/ {print $4}' "/proc/$pid/limits" 2>/dev/null || true
}
# starved_of_files: the node runs with a soft limit below 4096 open files that a restart by
# root (see raise_file_limit) would lift.
starved_of_files() {
  local limit hard
  limit=$(node_file_limit)
  hard=$(ulimit -Hn)
  [[ $limit =~ ^[0-9]+$ && $(id -u) == 0 ]] && ((limit < 4096)) &&
    { [[ $hard == unlimited ]] || ((hard > limit)); }
}
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
  if node_up && starved_of_files; then
    log "the running node has a soft limit of $(node_file_limit) open files:" \
      "restarting it with a higher limit"
    force_stop
  fi
  if ready; then
    log "already running"
  else
    # apt's postinst (or an earlier call) may have a node booting already: only start if none.
    if ! node_up; then
      log "starting rabbitmq-server -detached (log: $LOGDIR/rabbitmq-start.log, /var/log/rabbitmq/)"
      mkdir -p "$LOGDIR"
      raise_file_limit
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

# ensure_passwords: give every service a password once, in a file only this user can read;
# prints the services whose password is new.
ensure_passwords() {
  local svc var
  (
    umask 077
    mkdir -p "$(dirname "$SECRETS")"
    touch "$SECRETS"
  )
  chmod 700 "$(dirname "$SECRETS")"
  chmod 600 "$SECRETS"
  for svc in "${SERVICES[@]}"; do
    var=TICKETFLOW_AMQP_PASSWORD_${svc^^}
    grep -q "^$var=" "$SECRETS" && continue
    printf '%s=%s\n' "$var" "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >>"$SECRETS"
    echo "$svc"
  done
}

urls() {
  [[ -s $SECRETS ]] || return 0
  local svc var
  # shellcheck disable=SC1090 # written by ensure_passwords: NAME=hex lines
  source "$SECRETS"
  for svc in "${SERVICES[@]}"; do
    var=TICKETFLOW_AMQP_PASSWORD_${svc^^}
    if [[ -n ${!var:-} ]]; then echo "$svc amqp://ticketflow-$svc:${!var}@127.0.0.1:$PORT/"; fi
  done
}

# users: create what is missing, set what differs; guest and everything else stay as they are.
# One rabbitmqctl command per change rather than import_definitions: on this 3.10 node an
# import stalled in its exchange step and with it every AMQP client.
# expire_scratch_queues: the tests' and benches' queues (test-*, bench-*) go away after an
# hour unused, so runs that were killed before their clean-up do not pile up quorum queues.
expire_scratch_queues() {
  rabbitmqctl -q list_policies -p / | grep -q "ticketflow-scratch" && return 0
  rabbitmqctl -q set_policy -p / --apply-to queues ticketflow-scratch '^(test|bench)-' \
    '{"expires": 3600000}' >&2
}

users() {
  with_lock rabbitmq
  local renewed existing granted user configure write read svc var
  renewed=$(ensure_passwords)
  set -a
  # shellcheck disable=SC1090
  source "$SECRETS"
  set +a
  existing=$(rabbitmqctl -q list_users | cut -f1)
  granted=$(rabbitmqctl -q list_permissions -p /)
  # Read on fd 3: rabbitmqctl reads standard input and would take the lines meant for the loop.
  while IFS=$'\t' read -r -u 3 user configure write read; do
    svc=${user#ticketflow-} var=TICKETFLOW_AMQP_PASSWORD_${svc^^}
    if ! grep -qFx "$user" <<<"$existing"; then
      rabbitmqctl -q add_user "$user" "${!var}" >&2
    elif grep -qFx "$svc" <<<"$renewed"; then
      rabbitmqctl -q change_password "$user" "${!var}" >&2
    fi
    grep -qFx "$user"$'\t'"$configure"$'\t'"$write"$'\t'"$read" <<<"$granted" ||
      rabbitmqctl -q set_permissions -p / "$user" "$configure" "$write" "$read" >&2
  done 3< <(python3 "$DEPLOY_DIR/rabbitmq/definitions.py" --grants --test-names)
  if [[ -x $REPO_DIR/.venv/bin/python ]]; then
    "$REPO_DIR/.venv/bin/python" "$DEPLOY_DIR/rabbitmq/exchanges.py" "$AMQP_URL" ||
      die "could not declare the exchanges on $PORT"
  else
    log "no .venv yet (deploy/bootstrap.sh): exchanges not declared, services cannot start"
  fi
  expire_scratch_queues
  log "broker users ${SERVICES[*]/#/ticketflow-} up to date (passwords in $SECRETS)"
  urls
}

case ${1:-} in
  start | stop | status | users | urls) "$1" ;;
  *) die "usage: $0 start|stop|status|users|urls" ;;
esac
