# Shell helpers shared by scripts/smoke.sh and scripts/schemathesis.sh, which source
# this file: they start the app in a process group of its own and stop it again.
# The sourcing script defines `fail MESSAGE` (print and exit non-zero).

# free_port: a TCP port that is free on 127.0.0.1 now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_ready URL PID SECONDS: returns once URL answers 2xx; fails when process PID
# exits first, or when SECONDS pass.
wait_ready() {
    local url=$1 pid=$2 deadline=$((SECONDS + $3))
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || fail "the server exited before it was ready"
        [ "$SECONDS" -lt "$deadline" ] || fail "$url did not answer 200 within $3s"
        sleep 0.3
    done
}

# stop_group GROUP SECONDS: SIGTERM to process group GROUP (as Ctrl-C would), then
# waits for all of it to end; after SECONDS, SIGKILL and return 1.
stop_group() {
    local group=$1 deadline=$((SECONDS + $2))
    kill -TERM -- "-$group" 2>/dev/null || return 0
    while kill -0 -- "-$group" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            kill -KILL -- "-$group" 2>/dev/null || true
            return 1
        fi
        sleep 0.2
    done
}
