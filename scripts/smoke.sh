#!/usr/bin/env bash
# Smoke test of the README's two commands: `make run` on a clean data folder, then
# the README's curl lines against it (sign up, read, edit, calendar, cancel; the
# first owner signs in with the printed password and reads the stats). Then the
# server is stopped, and its embedded PostgreSQL must have stopped with it.
#
# Usage: bash scripts/smoke.sh   (from anywhere; uses make, curl and python3)
# Exits non-zero, saying which step failed, on any failure. Takes well under a minute
# once .venv is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/serving.sh
. scripts/serving.sh

READY_SECONDS=${SMOKE_READY_SECONDS:-60}
STOP_SECONDS=${SMOKE_STOP_SECONDS:-30}
EVENT=local-government-migration-development-2013
OWNER=owner@example.org

for tool in make curl python3 setsid; do
    command -v "$tool" >/dev/null || { echo "smoke: $tool is needed" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rsvp-smoke.XXXXXX")
log=$work/make-run.log
port=$(free_port)
base=http://127.0.0.1:$port
pgdata=$work/data/pg
server=

fail() {
    echo "smoke: FAILED: $*" >&2
    if [ -s "$log" ]; then
        echo "smoke: last lines of make run's output ($log):" >&2
        tail -n 30 "$log" >&2
    fi
    exit 1
}

# Stop `make run` as Ctrl-C would: a signal to its process group (make and the server
# it runs; the embedded PostgreSQL runs in a session of its own, and the app must stop
# it), then wait for them all to end.
stop_server() {
    [ -n "$server" ] || return 0
    local group=$server
    server=
    stop_group "$group" "$STOP_SECONDS" ||
        fail "make run did not stop within ${STOP_SECONDS}s of SIGTERM"
}

# The embedded PostgreSQL's postmaster, read from its pid file (empty when none).
postmaster_pid() {
    [ -f "$pgdata/postmaster.pid" ] && head -n 1 "$pgdata/postmaster.pid" || true
}

cleanup() {
    local status=$?
    stop_server || status=1
    local left
    left=$(postmaster_pid)
    if [ -n "$left" ] && kill -0 "$left" 2>/dev/null; then
        # Ours (it serves only $pgdata): stop it rather than leave it behind.
        kill -TERM "$left" 2>/dev/null || true
    fi
    if [ "$status" -eq 0 ]; then
        rm -rf "$work"
    else
        echo "smoke: kept $work for a look" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A clean data folder, the embedded PostgreSQL, e-mails as files, no .env surprises.
export DATA_DIR=$work/data BASE_URL=$base MAIL_WORKER_IN_PROCESS=true
unset DATABASE_URL SMTP_URL SECRET_KEY

echo "smoke: make run on $base (DATA_DIR=$DATA_DIR)"
# setsid: a process group of its own (its id is make's), to signal make and the server.
setsid make --no-print-directory run HOST=127.0.0.1 PORT="$port" OWNER_EMAIL="$OWNER" \
    >"$log" 2>&1 </dev/null &
server=$!

wait_ready "$base/readyz" "$server" "$READY_SECONDS"
echo "smoke: ready after ${SECONDS}s"

body=$work/body
# call EXPECTED METHOD PATH [curl options...]: the answer's body is left in $body.
call() {
    local expected=$1 method=$2 path=$3
    shift 3
    local status
    status=$(curl -sS -o "$body" -w '%{http_code}' -X "$method" "$base$path" "$@") ||
        fail "$method $path: curl could not reach the server"
    [ "$status" = "$expected" ] ||
        fail "$method $path answered $status, not $expected: $(head -c 300 "$body")"
    echo "smoke: $method $path -> $status"
}
# field NAME: a top-level field of the JSON answer in $body.
field() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$body" "$1" ||
        fail "no field $1 in the answer: $(head -c 300 "$body")"
}

call 200 GET "/api/events/$EVENT"
call 201 POST "/api/events/$EVENT/registrations" -H 'Content-Type: application/json' \
    -d '{"email":"mayor@cuenca.example","given_name":"Ana","family_name":"Quispe",
         "organisation":"Municipality of Cuenca","affiliation_type":"local_government",
         "country":"EC","has_un_grounds_pass":false,"consent":true}'
[ "$(field status)" = confirmed ] || fail "the sign-up is $(field status), not confirmed"
manage_url=$(field manage_url)
case $manage_url in
    "$base/r/"*) TOKEN=${manage_url##*/} ;;
    *) fail "manage_url $manage_url is not under $base/r/" ;;
esac
call 200 GET "/api/registrations/$TOKEN"
[ "$(field email)" = mayor@cuenca.example ] || fail "read back another registration"
call 200 PATCH "/api/registrations/$TOKEN" -H 'Content-Type: application/json' \
    -d '{"job_title":"Mayor"}'
[ "$(field job_title)" = Mayor ] || fail "the edit did not take: job_title is $(field job_title)"
call 200 GET "/api/registrations/$TOKEN/calendar.ics"
grep -q BEGIN:VCALENDAR "$body" || fail "calendar.ics is not a calendar"
call 200 POST "/api/registrations/$TOKEN/cancel"
[ "$(field status)" = cancelled ] || fail "the cancel did not take: status is $(field status)"

# The first owner, whose password `make run` printed once.
password=$(sed -n 's/^Password (shown only this once[^:]*: //p' "$log" | tail -n 1)
[ -n "$password" ] || fail "make run printed no first-owner password"
call 200 POST /api/auth/token --data-urlencode "username=$OWNER" \
    --data-urlencode "password=$password"
access_token=$(field access_token)
call 200 GET "/api/admin/events/$EVENT/stats" -H "Authorization: Bearer $access_token"
[ "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["by_status"].get("cancelled", 0))' "$body")" = 1 ] ||
    fail "the stats do not count the cancelled registration: $(head -c 300 "$body")"

postmaster=$(postmaster_pid)
[ -n "$postmaster" ] || fail "no embedded PostgreSQL running in $pgdata"
stop_server
echo "smoke: server stopped; waiting for the embedded PostgreSQL (pid $postmaster) to stop"
deadline=$((SECONDS + STOP_SECONDS))
while [ -f "$pgdata/postmaster.pid" ] || kill -0 "$postmaster" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] ||
        fail "the embedded PostgreSQL (pid $postmaster) still runs ${STOP_SECONDS}s after the server stopped"
    sleep 0.2
done
echo "smoke: server and embedded PostgreSQL stopped; all passed in ${SECONDS}s"
