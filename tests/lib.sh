# tests/lib.sh: helpers for the shell test tiers.  Sourced, not run.
# Every check prints "ok" or "FAIL" with a name; the script ends with the
# plain "N passed, N failed" line and exits non-zero on any failure.
set -u
: "${KW_SRCDIR:=.}"
: "${KW_BIN:=./kwangmyong}"
PASSED=0
FAILED=0
SERVER_PID=
TMP=$(mktemp -d /tmp/kwtest.XXXXXX)

ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; }
# check NAME COMMAND...: ok when the command succeeds
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

finish() {
    stop_server
    rm -rf "$TMP"
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# start_server [extra args...]: serve $TMP/t.db on a free loopback port;
# sets PORT and BASE.  The port comes from the server's own log line.
start_server() {
    # Empty the log first: a previous server's "(port N)" line must not be
    # read before this one's redirection truncates the file.
    : >"$TMP/err.log"
    "$KW_BIN" serve --db "$TMP/t.db" --data-dir "$KW_SRCDIR" \
        --listen 127.0.0.1:0 --set access_log="$TMP/access.log" "$@" \
        >"$TMP/out.log" 2>"$TMP/err.log" &
    SERVER_PID=$!
    PORT=
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/err.log" | head -1)
        [ -n "$PORT" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$PORT" ]; then
        echo "server did not start:"; cat "$TMP/err.log"
        SERVER_PID=
        return 1
    fi
    BASE="http://127.0.0.1:$PORT"
}

stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=
    fi
}

# raw REQUEST: send bytes over a fresh TCP connection, print the answer.
# The reader starts first: a server that answers early and closes with
# unread request bytes sends a reset, which would discard an answer not
# yet read.
# With a second argument, that part is sent 0.3 s later, as a client
# would after the server read the headers: the server has no unread bytes
# when it answers early and closes, so the answer cannot be lost to a
# reset.
raw() {
    local rpid
    trap '' PIPE
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
    timeout 5 cat <&3 >"$TMP/raw.out" 2>/dev/null &
    rpid=$!
    printf '%b' "$1" >&3
    if [ $# -gt 1 ]; then
        sleep 0.3
        printf '%b' "$2" >&3 2>/dev/null
    fi
    wait "$rpid"
    exec 3<&- 3>&-
    cat "$TMP/raw.out"
}
