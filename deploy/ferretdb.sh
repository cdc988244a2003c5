#!/usr/bin/env bash
# Build once (Go module proxy) and start|stop|status|build FerretDB on SQLite at 127.0.0.1:27017.
set -euo pipefail
LOG_TAG=ferretdb
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
export PATH=$PATH:/usr/local/go/bin

VERSION=${FERRETDB_VERSION:-v1.24.2}
PORT=${TICKETFLOW_MONGO_PORT:-27017}
BIN=${FERRETDB_BIN:-$TICKETFLOW_HOME/bin/ferretdb}
DATA=${FERRETDB_DATA:-$TICKETFLOW_HOME/ferretdb}
PIDFILE=$TICKETFLOW_HOME/run/ferretdb.pid
LOGFILE=$TICKETFLOW_HOME/log/ferretdb.log
URL="mongodb://127.0.0.1:$PORT/"
PY=$REPO_DIR/.venv/bin/python
PING='import sys, pymongo
pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=1500).admin.command("ping")'

# ready: a Mongo ping answers (plain TCP check when the venv has no pymongo).
ready() {
  if [[ -x $PY ]] && "$PY" -c 'import pymongo' 2>/dev/null; then
    "$PY" -c "$PING" "$URL" >/dev/null 2>&1
  else
    port_open 127.0.0.1 "$PORT"
  fi
}
up() { pid_alive "$PIDFILE" || { tail -n 30 "$LOGFILE" >&2; die "ferretdb exited"; }; ready; }
# Bump when the patches below change, so an older cached binary is rebuilt.
PATCH_LEVEL=1
built() {
  [[ -x $BIN ]] && "$BIN" --version 2>/dev/null | grep -qx "version: $VERSION" &&
    [[ $(cat "$BIN.patch-level" 2>/dev/null) == "$PATCH_LEVEL" ]]
}

# FerretDB 1.24's SQLite backend creates the unique _id index on `sjson->"_id"` but looks
# documents up by `sjson->'$._id'`, an expression SQLite does not match to that index, so
# every lookup and update by _id scans the whole table. Same JSON path, now the same text.
patch_id_lookup() {
  local file=$1/internal/backends/sqlite/metadata/metadata.go
  grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$file" ||
    die "FerretDB source changed; review patch_id_lookup in $0"
  sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \`->\"_id\"\`|" "$file"
}

build() {
  command -v go >/dev/null || die "go not found (looked on PATH and in /usr/local/go/bin)"
  local dir t0=$SECONDS
  BUILD_TMP=$(mktemp -d)
  trap 'rm -rf "$BUILD_TMP"' EXIT
  log "building FerretDB $VERSION into $BIN"
  dir=$(cd "$BUILD_TMP" && GOWORK=off go mod download -json "github.com/FerretDB/FerretDB@$VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -d $dir ]] || die "go mod download gave no source dir for FerretDB $VERSION"
  cp -r "$dir" "$BUILD_TMP/src"
  chmod -R u+w "$BUILD_TMP/src"
  # The module-proxy copy has an empty version.txt, and ferretdb panics at startup without it.
  echo "$VERSION" >"$BUILD_TMP/src/build/version/version.txt"
  patch_id_lookup "$BUILD_TMP/src"
  (cd "$BUILD_TMP/src" && CGO_ENABLED=0 GOWORK=off GOFLAGS=-buildvcs=false \
    go build -o "$BUILD_TMP/ferretdb" ./cmd/ferretdb) >&2
  mkdir -p "$(dirname "$BIN")"
  mv -f "$BUILD_TMP/ferretdb" "$BIN"
  echo "$PATCH_LEVEL" >"$BIN.patch-level"
  log "built in $((SECONDS - t0)) s"
}

start() {
  with_lock ferretdb
  if ready; then
    log "already answering at $URL"
  else
    built || build
    if ! pid_alive "$PIDFILE"; then
      mkdir -p "$DATA"
      log "starting on 127.0.0.1:$PORT (data $DATA, log $LOGFILE)"
      start_bg "$PIDFILE" "$LOGFILE" "$BIN" --handler=sqlite "--sqlite-url=file:$DATA/" \
        "--state-dir=$DATA" "--listen-addr=127.0.0.1:$PORT" --debug-addr=- --telemetry=disable
    fi
    wait_until "${FERRETDB_START_TIMEOUT:-60}" "FerretDB on port $PORT" up || exit 1
    log "ready (pid $(cat "$PIDFILE"))"
  fi
  echo "$URL"
}

stop() {
  with_lock ferretdb
  stop_pid "$PIDFILE" ferretdb
  if ready; then
    die "port $PORT still answers: that server was not started by this script"
  fi
}

status() {
  if ! ready; then
    echo "ferretdb: not running"
    return 3
  elif pid_alive "$PIDFILE"; then
    echo "ferretdb: running $URL pid $(cat "$PIDFILE")"
  else
    echo "ferretdb: running $URL (not started by this script)"
  fi
}

case ${1:-} in
  start | stop | status) "$1" ;;
  build) with_lock ferretdb && build ;;
  *) die "usage: $0 start|stop|status|build" ;;
esac
