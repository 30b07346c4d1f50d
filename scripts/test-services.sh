#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL and Redis of the test run's own:
# own data directory, own ports, no persistence. Used by .ci/run and by hand.
#   scripts/test-services.sh start   -> prints the DATABASE_URL / REDIS_URL exports
#   scripts/test-services.sh stop
set -euo pipefail

RUN_DIR="${SERVICES_DIR:-/tmp/saas-core-services}"
PG_PORT="${TEST_PG_PORT:-55432}"
REDIS_PORT="${TEST_REDIS_PORT:-56379}"

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { echo "PostgreSQL is not installed" >&2; exit 1; }
  echo "$dir"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

install_missing() {
  local missing=()
  ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} from Debian's packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  fi
}

start() {
  install_missing
  local bin; bin=$(pg_bin)
  mkdir -p "$RUN_DIR"
  chmod 777 "$RUN_DIR"
  if [ ! -f "$RUN_DIR/pg/PG_VERSION" ]; then
    rm -rf "$RUN_DIR/pg"
    as_postgres "$bin/initdb -D '$RUN_DIR/pg' -U postgres --auth=trust -E UTF8 >/dev/null"
  fi
  as_postgres "$bin/pg_ctl -D '$RUN_DIR/pg' -l '$RUN_DIR/pg.log' -w -t 60 \
    -o \"-p $PG_PORT -k '$RUN_DIR' -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start >/dev/null"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log" >/dev/null
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
}

stop() {
  local bin; bin=$(pg_bin 2>/dev/null || true)
  if [ -n "$bin" ] && [ -f "$RUN_DIR/pg/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl -D '$RUN_DIR/pg' -m fast -w stop >/dev/null" || true
  fi
  if [ -f "$RUN_DIR/redis.pid" ]; then
    kill "$(cat "$RUN_DIR/redis.pid")" 2>/dev/null || true
    rm -f "$RUN_DIR/redis.pid"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
