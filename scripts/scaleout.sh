#!/usr/bin/env bash
# Two app instances behind nginx on one machine, without Docker (live.md "Scale-out"):
# PostgreSQL and Redis (scripts/services.sh's — reused when DATABASE_URL/REDIS_URL are exported,
# started otherwise), instance A and B (gunicorn + uvicorn workers, production settings) on two
# loopback ports sharing them, and nginx (Debian package, installed if missing) in front, run as an
# unprivileged process with its config, pid and logs under .services/scaleout/.
#
#   bash scripts/scaleout.sh up      # start everything, print the variables
#   bash scripts/scaleout.sh test    # up, run the scale-out test (pytest -m scaleout), down
#   bash scripts/scaleout.sh env     # print the variables
#   bash scripts/scaleout.sh down
#
# Ports: AUGEO_SCALEOUT_NGINX_PORT (8480), AUGEO_SCALEOUT_PORT_A (8481), AUGEO_SCALEOUT_PORT_B (8482).
# Database: <DATABASE_URL's server>/augeo_scaleout (created and migrated). Redis: REDIS_URL's server,
# database 15 unless AUGEO_SCALEOUT_REDIS_URL says otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/services.sh
source "$ROOT/scripts/services.sh"
SO_STATE="$ROOT/.services/scaleout"
NGINX_PORT="${AUGEO_SCALEOUT_NGINX_PORT:-8480}"
PORT_A="${AUGEO_SCALEOUT_PORT_A:-8481}"
PORT_B="${AUGEO_SCALEOUT_PORT_B:-8482}"
BIN="$ROOT/.venv/bin"
PY="$BIN/python"
# The instances' signing key; the test's seed mints its tokens with it.
SO_SECRET_KEY="${AUGEO_SCALEOUT_SECRET_KEY:-scaleout-only-secret-key-7c1e5b2d8f4a6c0e3f9a7c1e5b2d8f4a6c0e}"

so_log() { printf '[scaleout] %s\n' "$*" >&2; }

services_ready() {
  if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
    so_log "no DATABASE_URL/REDIS_URL exported: starting scripts/services.sh's PostgreSQL and Redis"
    install_missing; pg_up; redis_up
    eval "$(print_env)"
  fi
  SO_DATABASE_URL="${DATABASE_URL%/*}/augeo_scaleout"
  SO_REDIS_URL="${AUGEO_SCALEOUT_REDIS_URL:-${REDIS_URL%/*}/15}"
}

nginx_bin() {
  if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    so_log "installing nginx (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq nginx-light >/dev/null 2>&1 || apt-get install -y -qq nginx >/dev/null
  fi
  command -v nginx 2>/dev/null || echo /usr/sbin/nginx
}

app_env() {
  # Production settings, plain HTTP on loopback behind one trusted proxy (nginx).
  env -u AZURE_STORAGE_CONNECTION_STRING DJANGO_SETTINGS_MODULE=augeo.settings.production \
    DJANGO_SECRET_KEY="$SO_SECRET_KEY" \
    DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost \
    DJANGO_SECURE_SSL_REDIRECT=false DJANGO_HSTS_SECONDS=0 DJANGO_NUM_PROXIES=1 \
    DJANGO_LOG_JSON=false DJANGO_LOG_LEVEL=WARNING \
    DATABASE_URL="$SO_DATABASE_URL" REDIS_URL="$SO_REDIS_URL" \
    THROTTLE_RATE_BID=100000/min THROTTLE_RATE_USER=100000/min THROTTLE_RATE_ANON=100000/min \
    EMAIL_URL=consolemail:// PAYMENT_PROVIDER=embedded "$@"
}

database_up() {
  "$PY" - "$SO_DATABASE_URL" <<'PYEOF'
import sys
from urllib.parse import urlparse, urlunparse
import psycopg
url = urlparse(sys.argv[1])
name = url.path.lstrip("/")
with psycopg.connect(urlunparse(url._replace(path="/postgres")), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
PYEOF
  (cd "$ROOT" && app_env "$PY" manage.py migrate --noinput -v 0)
}

instance_up() {  # name port
  local name="$1" port="$2"
  mkdir -p "$SO_STATE/$name-metrics"
  (cd "$ROOT" && app_env GUNICORN_BIND="127.0.0.1:$port" WEB_CONCURRENCY="${AUGEO_SCALEOUT_WORKERS:-1}" \
    PROMETHEUS_MULTIPROC_DIR="$SO_STATE/$name-metrics" \
    nohup "$BIN/gunicorn" -c gunicorn.conf.py --pid "$SO_STATE/$name.pid" augeo.asgi:application \
    >"$SO_STATE/$name.log" 2>&1 &)
}

# nginx's config, pid, logs and temp files. Run as root, nginx itself runs as nobody, who must be able
# to reach the folder: when the checkout's parents are private (a clone under /root), a folder in /tmp
# is used instead (its path is remembered in $SO_STATE/nginx.dir for `down`).
nginx_dir() {
  if [ -f "$SO_STATE/nginx.dir" ]; then cat "$SO_STATE/nginx.dir"; return; fi
  local dir="$SO_STATE/nginx"
  if [ "$(id -u)" = "0" ] && ! runuser -u nobody -- test -x "$SO_STATE" 2>/dev/null; then
    dir="/tmp/augeo-scaleout-nginx-$NGINX_PORT"
  fi
  echo "$dir" | tee "$SO_STATE/nginx.dir"
}

nginx_conf() {  # dir
  # The directives of deploy/nginx.conf, with loopback upstreams and every path under the dir.
  local d="$1"
  cat <<CONF
worker_processes 1;
daemon on;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
  log_format augeo_noquery '\$remote_addr - \$remote_user [\$time_local] "\$request_method \$uri \$server_protocol" '
                           '\$status \$body_bytes_sent "\$http_user_agent" \$request_time';
  access_log $d/access.log augeo_noquery;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  upstream augeo_web {
    server 127.0.0.1:$PORT_A;
    server 127.0.0.1:$PORT_B;
    keepalive 16;
  }
  map \$http_upgrade \$connection_upgrade { default upgrade; "" ""; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    # Which instance answered (the scale-out test asserts its socket is on instance B).
    add_header X-Upstream \$upstream_addr always;
    location /ws/ {
      access_log $d/access.log augeo_noquery;
      proxy_pass http://augeo_web;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_read_timeout 1h;
      proxy_buffering off;
    }
    location / {
      proxy_pass http://augeo_web;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
    }
  }
}
CONF
}

nginx_up() {
  local bin dir; bin="$(nginx_bin)"; dir="$(nginx_dir)"
  mkdir -p "$dir"
  nginx_conf "$dir" >"$dir/nginx.conf"
  if [ "$(id -u)" = "0" ]; then
    # Never as root: the master process runs as nobody (a port above 1024 needs no privilege).
    chown -R nobody "$dir"
    runuser -u nobody -- "$bin" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf"
  else
    "$bin" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf"
  fi
}

wait_http() {  # url what
  for _ in $(seq 1 150); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.2
  done
  so_log "$2 did not come up ($1); logs in $SO_STATE"
  tail -n 20 "$SO_STATE"/*.log >&2 || true
  return 1
}

print_so_env() {
  cat <<ENV
export AUGEO_SCALEOUT_NGINX=http://127.0.0.1:$NGINX_PORT
export AUGEO_SCALEOUT_A=http://127.0.0.1:$PORT_A
export AUGEO_SCALEOUT_B=http://127.0.0.1:$PORT_B
export AUGEO_SCALEOUT_DATABASE_URL=$SO_DATABASE_URL
export AUGEO_SCALEOUT_REDIS_URL=$SO_REDIS_URL
export AUGEO_SCALEOUT_SECRET_KEY=$SO_SECRET_KEY
ENV
}

so_up() {
  services_ready
  mkdir -p "$SO_STATE"
  "$PY" -c "import uvicorn_worker" 2>/dev/null || "$BIN/pip" install --quiet -r "$ROOT/requirements/production.txt"
  so_down_quiet
  database_up
  instance_up a "$PORT_A"
  instance_up b "$PORT_B"
  wait_http "http://127.0.0.1:$PORT_A/health/live/" "instance A"
  wait_http "http://127.0.0.1:$PORT_B/health/live/" "instance B"
  nginx_up
  wait_http "http://127.0.0.1:$NGINX_PORT/health/live/" "nginx"
  so_log "nginx :$NGINX_PORT → A :$PORT_A, B :$PORT_B (database ${SO_DATABASE_URL##*/}, redis ${SO_REDIS_URL})"
  print_so_env
}

stop_pidfile() {
  local file="$1"
  if [ -f "$file" ]; then
    local pid; pid="$(cat "$file")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$file"
  fi
}

so_down_quiet() {
  if [ -f "$SO_STATE/nginx.dir" ]; then stop_pidfile "$(cat "$SO_STATE/nginx.dir")/nginx.pid"; rm -f "$SO_STATE/nginx.dir"; fi
  stop_pidfile "$SO_STATE/a.pid"
  stop_pidfile "$SO_STATE/b.pid"
}

so_test() {
  so_up >/dev/null
  trap 'so_down_quiet' EXIT
  eval "$(print_so_env)"
  (cd "$ROOT" && "$PY" -m pytest -q -p no:cacheprovider -m scaleout apps/live/tests/test_scaleout.py)
}

case "${1:-}" in
  up) so_up ;;
  test) so_test ;;
  env) services_ready >/dev/null 2>&1 || true; print_so_env ;;
  down) so_down_quiet; so_log "stopped" ;;
  *) echo "usage: $0 up|test|env|down" >&2; exit 2 ;;
esac
