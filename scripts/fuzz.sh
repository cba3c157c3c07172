#!/usr/bin/env bash
# Fuzz the REST API with schemathesis against our own OpenAPI schema (/api/schema/).
#
#   bash scripts/fuzz.sh                      # all three actors, bounded (< ~10 minutes)
#   FUZZ_MAX_EXAMPLES=50 FUZZ_ACTORS=admin bash scripts/fuzz.sh
#   FUZZ_MAX_TIME=20 FUZZ_CHECKS=not_a_server_error bash scripts/fuzz.sh   # what CI runs (.ci/run)
#   FUZZ_DATABASE_URL=postgres://augeo@127.0.0.1:54329/augeo_fuzz bash scripts/fuzz.sh
#
# What it does: installs requirements/fuzz.txt into .venv, builds a throwaway SQLite database
# ($FUZZ_DIR/fuzz.sqlite3: migrate + seed_demo; with FUZZ_DATABASE_URL that database instead —
# migrated, then EMPTIED with `manage.py flush`, then seeded: give it a database of its own), starts
# the production HTTP server (gunicorn with augeo.wsgi, as the Dockerfile's command; settings local,
# DEBUG off, throttles raised so the fuzzer is not rate limited) on a free loopback port, signs in
# the demo donor, NPO admin and super admin, and runs schemathesis once per actor with its Bearer
# token. (Not `runserver`: daphne's runserver answers a malformed multipart body itself, with an
# empty 400 the application never sees.)
#
# Checks: not_a_server_error (api.md: "never a 500 for any input"), response_schema_conformance
# (the documented responses match the schema) and error_envelope (scripts/fuzz_hooks.py: every 4xx/5xx
# is the JSON envelope {"error": {"code", "message", "fields"?}}).
#
# Excluded operations (they would sabotage the run rather than test anything):
#   POST /api/v1/auth/logout-all/       revokes every token of the caller, the fuzzer's own included
#   POST /api/v1/auth/password-change/  a success revokes the caller's tokens too (and changes the demo
#                                       password the later actors' logins rely on)
# Both are covered by apps/users/tests. The actors run donor → NPO admin → super admin, so the super
# admin's state changes (suspend, reject, delete) come last.
#
# Exit code: 0 when every actor's run passed; 1 when a check failed (a finding about the API) or
# the server logged any 5xx answer (whatever schemathesis made of it);
# 2 when schemathesis itself errored (an internal error such as hypothesis' "AST constructor recursion
# depth", seen with --workers > 1) and the run of that actor, retried once, is inconclusive — a fuzzer
# crash is never reported as an API failure, nor passed off as a clean run. The server log (with
# tracebacks) is kept at $FUZZ_DIR/server.log, schemathesis' JUnit reports in $FUZZ_DIR/<actor>.xml.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
FUZZ_DIR="${FUZZ_DIR:-/tmp/augeo-fuzz}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-5}"
MAX_TIME="${FUZZ_MAX_TIME:-180}"  # seconds per actor: three actors stay under ~10 minutes
ACTORS="${FUZZ_ACTORS:-donor npo_admin admin}"
WORKERS="${FUZZ_WORKERS:-1}"  # >1 trips a hypothesis thread-safety bug (RuntimeError: AST recursion depth)
CHECKS="${FUZZ_CHECKS:-not_a_server_error,response_schema_conformance,error_envelope,ignored_auth,negative_data_rejection}"
SEED="${FUZZ_SEED:-}"
DEMO_PASSWORD="augeo-demo-2026"

log() { printf '[fuzz] %s\n' "$*" >&2; }

[ -x "$PY" ] || { log "no .venv: run 'make install-test' first"; exit 1; }
log "installing requirements/fuzz.txt"
"$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check -r requirements/fuzz.txt 2>&1 \
  | grep -v "is ignored" >&2 || true

mkdir -p "$FUZZ_DIR"
export DJANGO_SETTINGS_MODULE=augeo.settings.local
export DJANGO_DEBUG=false
SQLITE="$FUZZ_DIR/fuzz.sqlite3"
export DATABASE_URL="${FUZZ_DATABASE_URL:-sqlite:///$SQLITE}"
unset REDIS_URL AZURE_STORAGE_CONNECTION_STRING
for scope in ANON USER LOGIN LOGIN_IP REGISTER PASSWORD_RESET BID CONTACT; do
  export "THROTTLE_RATE_${scope}=1000000/min"
done

rm -f "$SQLITE" "$SQLITE-wal" "$SQLITE-shm"
if [ -n "${FUZZ_DATABASE_URL:-}" ]; then log "migrating, emptying and seeding the FUZZ_DATABASE_URL database"
else log "migrating and seeding $SQLITE"; fi
"$PY" manage.py migrate --noinput >"$FUZZ_DIR/migrate.log" 2>&1 || { cat "$FUZZ_DIR/migrate.log"; exit 1; }
if [ -n "${FUZZ_DATABASE_URL:-}" ]; then  # a previous run's rows: start from the same seed every time
  "$PY" manage.py flush --noinput >>"$FUZZ_DIR/migrate.log" 2>&1 || { cat "$FUZZ_DIR/migrate.log"; exit 1; }
fi
"$PY" manage.py seed_demo >"$FUZZ_DIR/seed.log" 2>&1 || { cat "$FUZZ_DIR/seed.log"; exit 1; }

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
# --limit-request-line 0: a URL past gunicorn's 4 KB default is answered by gunicorn itself (an HTML
# 400 the application never sees; in production the proxy's own limit comes first).
"$PY" -m gunicorn augeo.wsgi:application --bind "127.0.0.1:$PORT" --workers 1 --threads 4 \
  --timeout 60 --limit-request-line 0 --access-logfile - --error-logfile - >"$FUZZ_DIR/server.log" 2>&1 &
SERVER_PID=$!
stop_server() { kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; }
trap stop_server EXIT

for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "$BASE/health/live/" 2>/dev/null && break
  sleep 0.5
done
curl -fsS -o /dev/null "$BASE/health/live/" || { log "server did not start"; cat "$FUZZ_DIR/server.log"; exit 1; }
log "server on $BASE (pid $SERVER_PID)"

token_for() {
  curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\": \"$1\", \"password\": \"$DEMO_PASSWORD\"}" "$BASE/api/v1/auth/login/" \
    | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["access"])'
}

email_for() {
  case "$1" in
    donor) echo "donor@augeo.local" ;;
    npo_admin) echo "npo-admin@augeo.local" ;;
    admin) echo "admin@augeo.local" ;;
    *) log "unknown actor $1"; return 1 ;;
  esac
}

# Sign every actor in before fuzzing: an earlier actor's run may not change a later one's login.
declare -A TOKENS
for actor in $ACTORS; do
  TOKENS[$actor]="$(token_for "$(email_for "$actor")")" || { log "login failed for $actor"; exit 1; }
done

export SCHEMATHESIS_HOOKS="$ROOT/scripts/fuzz_hooks.py"

run_actor() {  # $1 actor; output in $FUZZ_DIR/$1.log; returns schemathesis' exit code
  "$ROOT/.venv/bin/schemathesis" run "$BASE/api/schema/" \
    --checks "$CHECKS" \
    --exclude-path /api/v1/auth/logout-all/ \
    --exclude-path /api/v1/auth/password-change/ \
    -H "Authorization: Bearer ${TOKENS[$1]}" \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --workers "$WORKERS" \
    --request-timeout 20 \
    --suppress-health-check all \
    --report junit --report-junit-path "$FUZZ_DIR/$1.xml" \
    ${SEED:+--seed "$SEED"} \
    | tee "$FUZZ_DIR/$1.log"
  return "${PIPESTATUS[0]}"
}

# What a finished run says: "failed" (a check found something), "errored" (schemathesis' own error,
# no finding), "passed".
verdict() {
  local log="$FUZZ_DIR/$1.log" rc="$2"
  if grep -qE 'unique failures?' "$log"; then echo failed
  elif [ "$rc" != 0 ] || grep -qE '^=+ ERRORS =+$|^Errors:' "$log"; then echo errored
  else echo passed
  fi
}

STATUS=0
SUMMARY=()
for actor in $ACTORS; do
  log "schemathesis as $actor (max $MAX_EXAMPLES examples per operation)"
  run_actor "$actor"; rc=$?
  outcome_kind=$(verdict "$actor" "$rc")
  if [ "$outcome_kind" = errored ]; then
    log "schemathesis itself errored for $actor (no check failed); retrying once"
    run_actor "$actor"; rc=$?
    outcome_kind=$(verdict "$actor" "$rc")
  fi
  case "$outcome_kind" in
    failed) STATUS=1 ;;
    errored) [ "$STATUS" = 1 ] || STATUS=2 ;;
  esac
  cases=$(grep -E '[0-9]+ generated,' "$FUZZ_DIR/$actor.log" | tail -1 | sed 's/^ *//')
  outcome=$(grep -E '^=+ .* in [0-9.]+s =+$' "$FUZZ_DIR/$actor.log" | tail -1 | tr -d '=' | sed 's/^ *//; s/ *$//')
  SUMMARY+=("$actor: $outcome_kind (exit $rc) — $cases — $outcome")
done

stop_server
trap - EXIT
five_hundreds=$(grep -cE '" 5[0-9]{2} ' "$FUZZ_DIR/server.log" || true)  # the access log's status
log "summary"
for line in "${SUMMARY[@]}"; do log "  $line"; done
log "  5xx lines in server log: $five_hundreds ($FUZZ_DIR/server.log)"
if [ "${five_hundreds:-0}" != 0 ]; then
  grep -E '" 5[0-9]{2} ' "$FUZZ_DIR/server.log" | head -20 >&2
  STATUS=1  # api.md: never a 500 for any input, even when schemathesis itself errored
fi
exit "$STATUS"
