#!/usr/bin/env bash
# Property-based API test of the running app with schemathesis: every operation in
# the app's OpenAPI document, anonymous, as the owner (a bearer token), and as the owner
# with the paths naming the seeded event and a real registration.
# Fails on any 5xx and on any answer the document does not describe (status code,
# content type, headers, body schema).
#
# The app runs as `make run` runs it, on a free port with a data folder of its own
# (its embedded PostgreSQL, e-mails as files), and is stopped at the end.
#
# Usage: bash scripts/schemathesis.sh   (from anywhere, once `make install` is done)
#   FUZZ_EXAMPLES   test cases per operation, phase and pass (default 15): a few minutes
#   FUZZ_SEED       a fixed seed, to replay a run (default: a new one, printed)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/serving.sh
. scripts/serving.sh

BIN=.venv/bin
EXAMPLES=${FUZZ_EXAMPLES:-15}
SEED=${FUZZ_SEED:-$RANDOM$RANDOM}
READY_SECONDS=${FUZZ_READY_SECONDS:-60}
STOP_SECONDS=30
OWNER=owner@example.org
EVENT=local-government-migration-development-2013

for tool in "$BIN/rsvp" "$BIN/schemathesis" python3 curl setsid; do
    command -v "$tool" >/dev/null || { echo "fuzz: $tool is needed (make install)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rsvp-fuzz.XXXXXX")
log=$work/serve.log
port=$(free_port)
base=http://127.0.0.1:$port
server=

fail() {
    echo "fuzz: FAILED: $*" >&2
    exit 1
}

stop_server() {
    [ -n "$server" ] || return 0
    local group=$server
    server=
    stop_group "$group" "$STOP_SECONDS" || echo "fuzz: the server was killed after ${STOP_SECONDS}s" >&2
}

cleanup() {
    local status=$?
    stop_server
    if [ "$status" -eq 0 ]; then
        rm -rf "$work"
    else
        [ -s "$log" ] && { echo "fuzz: last lines of the server's log:" >&2; tail -n 20 "$log" >&2; }
        echo "fuzz: kept $work (server log, reports) for a look" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A clean data folder, the embedded PostgreSQL, e-mails as files, no .env surprises.
# Rate limits off: thousands of requests from one address are the point here.
export DATA_DIR=$work/data BASE_URL=$base MAIL_WORKER_IN_PROCESS=true RATE_LIMIT_ENABLED=false
unset DATABASE_URL SMTP_URL SECRET_KEY

"$BIN/rsvp" migrate >"$log" 2>&1 || fail "rsvp migrate"
"$BIN/rsvp" seed --if-missing >>"$log" 2>&1 || fail "rsvp seed"
password=$("$BIN/rsvp" create-organiser --if-none --generate-password --email "$OWNER" --role owner |
    sed -n 's/^Password (shown only this once[^:]*: //p')
[ -n "$password" ] || fail "create-organiser printed no password"

echo "fuzz: serving on $base (DATA_DIR=$DATA_DIR)"
setsid "$BIN/rsvp" serve --host 127.0.0.1 --port "$port" >>"$log" 2>&1 </dev/null &
server=$!
wait_ready "$base/readyz" "$server" "$READY_SECONDS"

token=$(curl -fsS "$base/api/auth/token" --data-urlencode "username=$OWNER" \
    --data-urlencode "password=$password" |
    "$BIN/python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') ||
    fail "the owner could not sign in"

# One registration, so that a third pass can reach real records, not only 404s.
signup=$(curl -fsS "$base/api/events/$EVENT/registrations" -H 'Content-Type: application/json' \
    -d '{"email":"fuzz@example.org","given_name":"Ana","family_name":"Quispe",
         "organisation":"Municipality of Cuenca","affiliation_type":"local_government",
         "has_un_grounds_pass":false,"consent":true}') || fail "the first sign-up failed"
read -r registration_id manage_token < <(echo "$signup" | "$BIN/python" -c \
    'import json, sys; r = json.load(sys.stdin); print(r["id"], r["manage_url"].rsplit("/", 1)[1])')
cat >"$work/known.toml" <<TOML
[parameters]
"path.slug" = "$EVENT"
"path.token" = "$manage_token"
"path.registration_id" = "$registration_id"
TOML

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance
CHECKS=$CHECKS,response_headers_conformance,response_schema_conformance

# fuzz NAME CONFIG [schemathesis run options...]
fuzz() {
    local name=$1 config=$2
    shift 2
    echo "fuzz: $name: $EXAMPLES cases per operation and phase, seed $SEED"
    "$BIN/schemathesis" --config-file "$config" run "$base/openapi.json" \
        --checks "$CHECKS" \
        --phases examples,coverage,fuzzing \
        --max-examples "$EXAMPLES" \
        --seed "$SEED" \
        --workers 1 \
        --request-timeout 30 \
        --generation-database none \
        --suppress-health-check all \
        --no-color \
        --report junit --report-dir "$work/report-$name" \
        "$@" || fail "schemathesis ($name) found failures: see above"
}

: >"$work/none.toml"
owner=(-H "Authorization: Bearer $token" --exclude-path /api/auth/logout)
fuzz anonymous "$work/none.toml"
# Logging out would revoke the token the rest of the run uses (the anonymous run covers it).
fuzz owner "$work/none.toml" "${owner[@]}"
# The same, with the path naming the event, the registration and its token that exist.
fuzz owner-known-records "$work/known.toml" "${owner[@]}"
echo "fuzz: no 5xx and no answer outside the OpenAPI document, anonymous and as owner"
