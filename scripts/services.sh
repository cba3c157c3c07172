#!/usr/bin/env bash
# Local PostgreSQL 15, Redis 7 and Azurite for tests, benchmarks and CI — as unprivileged local
# processes on loopback, state under .services/ (git-ignored). No Docker needed.
#
#   bash scripts/services.sh up      # install what is missing, start all three, print the variables
#   bash scripts/services.sh env     # print the export lines (eval "$(bash scripts/services.sh env)")
#   bash scripts/services.sh status
#   bash scripts/services.sh down
#
# Ports are deliberately not the defaults (Debian's postgresql package may run its own cluster on
# 5432). Override with AUGEO_PG_PORT, AUGEO_REDIS_PORT, AUGEO_AZURITE_PORT.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.services"
PG_PORT="${AUGEO_PG_PORT:-54329}"
REDIS_PORT="${AUGEO_REDIS_PORT:-63799}"
AZ_PORT="${AUGEO_AZURITE_PORT:-10010}"
PG_DATA="$STATE/pg/data"
PG_SOCK="$STATE/pg/run"
AZ_ACCOUNT="devstoreaccount1"
# Azurite's well-known development key (public, documented by Microsoft; not a secret).
AZ_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZURITE_VERSION="3.37.0"

log() { printf '[services] %s\n' "$*" >&2; }

as_pg() {
  # PostgreSQL refuses to run as root: run its binaries as the `postgres` user when we are root.
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  return 1
}

install_missing() {
  local need_apt=()
  pg_bindir >/dev/null 2>&1 || need_apt+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
  if [ ${#need_apt[@]} -gt 0 ]; then
    log "installing ${need_apt[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
  fi
  if [ ! -x "$STATE/azurite/node_modules/.bin/azurite-blob" ]; then
    log "installing azurite@$AZURITE_VERSION (npm)"
    mkdir -p "$STATE/azurite"
    npm install --silent --no-audit --no-fund --prefix "$STATE/azurite" "azurite@$AZURITE_VERSION" >/dev/null
  fi
}

pg_up() {
  local bin; bin="$(pg_bindir)"
  mkdir -p "$STATE/pg" "$PG_SOCK"
  if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown -R postgres:postgres "$STATE/pg"
  fi
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    log "initdb $PG_DATA"
    as_pg "$bin/initdb" -D "$PG_DATA" -U augeo --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "postgres already running on $PG_PORT"
  else
    # fsync off etc.: throwaway test cluster, speed over durability.
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$STATE/pg/server.log" -w -t 60 start \
      -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB" >/dev/null
    log "postgres started on 127.0.0.1:$PG_PORT"
  fi
  as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U augeo -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='augeo'" | grep -q 1 \
    || as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U augeo augeo
}

redis_up() {
  mkdir -p "$STATE/redis"
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then log "redis already running on $REDIS_PORT"; return; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --databases 64 --daemonize yes --dir "$STATE/redis" \
    --save "" --appendonly no --pidfile "$STATE/redis/redis.pid" --logfile "$STATE/redis/redis.log"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log "redis started on 127.0.0.1:$REDIS_PORT"
}

azurite_up() {
  mkdir -p "$STATE/azurite-data"
  if curl -s -o /dev/null "http://127.0.0.1:$AZ_PORT/" 2>/dev/null; then log "azurite already running on $AZ_PORT"; return; fi
  # --skipApiVersionCheck: the Python SDK sends a newer API version than Azurite 3.37 knows.
  nohup "$STATE/azurite/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" \
    --location "$STATE/azurite-data" --skipApiVersionCheck --loose --silent \
    >"$STATE/azurite.log" 2>&1 &
  echo $! >"$STATE/azurite.pid"
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$AZ_PORT/" 2>/dev/null && break; sleep 0.1; done
  log "azurite started on 127.0.0.1:$AZ_PORT"
}

print_env() {
  cat <<ENV
export DATABASE_URL=postgres://augeo@127.0.0.1:$PG_PORT/augeo
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=$AZ_ACCOUNT;AccountKey=$AZ_KEY;BlobEndpoint=http://127.0.0.1:$AZ_PORT/$AZ_ACCOUNT;'
export AZURE_STORAGE_CONTAINER=augeo-test
ENV
}

down() {
  local bin
  if bin="$(pg_bindir 2>/dev/null)" && [ -d "$PG_DATA" ]; then as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true; fi
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  if [ -f "$STATE/azurite.pid" ]; then kill "$(cat "$STATE/azurite.pid")" 2>/dev/null || true; rm -f "$STATE/azurite.pid"; fi
  log "stopped"
}

status() {
  local bin; bin="$(pg_bindir)"
  as_pg "$bin/pg_isready" -h 127.0.0.1 -p "$PG_PORT" || true
  redis-cli -p "$REDIS_PORT" ping || true
  curl -s -o /dev/null -w "azurite http %{http_code}\n" "http://127.0.0.1:$AZ_PORT/" || echo "azurite down"
}

# Sourced (scripts/scaleout.sh reuses the functions above): define them, run nothing.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    up) install_missing; pg_up; redis_up; azurite_up; print_env ;;
    env) print_env ;;
    status) status ;;
    down) down ;;
    *) echo "usage: $0 up|env|status|down" >&2; exit 2 ;;
  esac
fi
