#!/bin/bash
# A cluster on loopback (issue 11): one primary and two read-only replicas
# behind a real nginx with docs/nginx/kwangmyong-cluster.conf.  A document
# ingested and approved on the primary appears through nginx once a
# snapshot is shipped (backup, copy, mv) and the replicas roll over, with
# no failed request under wrk meanwhile; with one replica killed nginx
# keeps answering with no client error; the admin pages and a POST through
# nginx reach the primary; anonymous pages come from nginx's cache.
# Needs nginx and wrk (skipped, 77, without them).  Bounded: about 30 s.
. "${KW_SRCDIR:-.}/tests/lib.sh"
for t in nginx wrk sqlite3; do
    command -v "$t" >/dev/null || { echo "$t missing: skipped"; rm -rf "$TMP"; exit 77; }
done
NGINX=$(command -v nginx)
P="$TMP/primary.db"
K() { "$KW_BIN" "$@" --db "$P" --data-dir "$KW_SRCDIR"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    if [ -f "$TMP/ng/nginx.pid" ]; then
        local ng
        ng=$(cat "$TMP/ng/nginx.pid")
        kill -QUIT "$ng" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$ng" 2>/dev/null || break; sleep 0.1; done
    fi
    wait 2>/dev/null
}
trap cleanup EXIT

# serve NAME DB [args]: start a kwangmyong on a free port; sets PORT_<NAME>.
serve() {
    local name=$1 db=$2 port=; shift 2
    : >"$TMP/$name.err"
    "$KW_BIN" serve --db "$db" --data-dir "$KW_SRCDIR" --listen 127.0.0.1:0 \
        --set access_log="$TMP/$name.access" "$@" >/dev/null 2>"$TMP/$name.err" &
    PIDS+=($!)
    eval "PID_$name=$!"
    for _ in $(seq 1 100); do
        port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/$name.err" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$TMP/$name.err"; return 1; }
    eval "PORT_$name=$port"
}
ship() { # ship a snapshot of the primary to both replicas, by rename
    rm -f "$TMP/snap.db"
    K backup "$TMP/snap.db" >/dev/null 2>&1 || return 1
    cp "$TMP/snap.db" "$TMP/r1.next" && mv "$TMP/r1.next" "$TMP/r1.db"
    cp "$TMP/snap.db" "$TMP/r2.next" && mv "$TMP/r2.next" "$TMP/r2.db"
}
# wrk_errors SECONDS URL: failed requests (non-2xx/3xx and socket errors).
wrk_errors() {
    wrk -t2 -c8 -d"$1"s --timeout 10s "$2" >"$TMP/wrk.out" 2>&1
    cat "$TMP/wrk.out" >>"$TMP/wrk.all"
    awk '/Non-2xx or 3xx responses/ {n += $NF}
         /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10}
         END {print n + 0}' "$TMP/wrk.out"
}

mkdir -p "$TMP/site"
printf '<html><head><title>Alpha page</title></head><body><p>cluster alpha</p></body></html>' >"$TMP/site/a.html"
K ingest --collection cl --collection-title Cluster --approve "$TMP/site" >/dev/null 2>&1
K backup "$TMP/r1.db" >/dev/null 2>&1 && cp "$TMP/r1.db" "$TMP/r2.db"
check "first snapshot shipped" test -s "$TMP/r2.db"

# nginx's port first: the replicas send forms to it (primary_url).
NG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
serve primary "$P" || { bad "primary starts"; finish; exit 1; }
serve r1 "$TMP/r1.db" --read-only --set immutable=true \
    --set primary_url="http://127.0.0.1:$NG_PORT" || { bad "replica 1 starts"; finish; exit 1; }
serve r2 "$TMP/r2.db" --read-only --set immutable=true \
    --set primary_url="http://127.0.0.1:$NG_PORT" || { bad "replica 2 starts"; finish; exit 1; }
mkdir -p "$TMP/ng/cache"
# The per-client request limits are left out here: wrk is one client
# asking tens of thousands of times a second, and on a loaded machine
# nginx's per-millisecond accounting turns its bursts away (429), which
# is the limit working, not a failed roll-over.  `nginx -t` still reads
# the zones.
sed -e "s|@LISTEN@|127.0.0.1:$NG_PORT|" -e "s|@PRIMARY@|127.0.0.1:$PORT_primary|" \
    -e "s|@READER1@|127.0.0.1:$PORT_r1|" -e "s|@READER2@|127.0.0.1:$PORT_r2|" \
    -e "s|@CACHE_DIR@|$TMP/ng/cache|g" -e "s|@LOG_DIR@|$TMP/ng|g" \
    -e '/limit_req zone=/d' \
    "$KW_SRCDIR/docs/nginx/kwangmyong-cluster.conf" >"$TMP/ng/nginx.conf"
if [ "$(id -u)" -eq 0 ]; then
    sed -i '1i user root;' "$TMP/ng/nginx.conf"
fi
"$NGINX" -t -p "$TMP/ng" -c "$TMP/ng/nginx.conf" >"$TMP/ng/t.out" 2>&1
check "nginx accepts the configuration" test $? -eq 0 || cat "$TMP/ng/t.out"
"$NGINX" -p "$TMP/ng" -c "$TMP/ng/nginx.conf" 2>"$TMP/ng/start.err"
for _ in $(seq 1 50); do [ -s "$TMP/ng/nginx.pid" ] && break; sleep 0.1; done
N="http://127.0.0.1:$NG_PORT"
check "home through nginx 200" test "$(code "$N/")" = 200
check "document through nginx 200" test "$(code "$N/c/cl/a.html")" = 200
# The access log line is written when the answer has gone: wait for it.
logged() { # FILE... -- PATTERN: within 10 s, a line of FILEs matches
    local pat=${*: -1} files=("${@:1:$#-2}")
    for _ in $(seq 1 100); do
        cat "${files[@]}" 2>/dev/null | grep -q -- "$pat" && return 0
        sleep 0.1
    done
    return 1
}
check "the document came from a replica" logged "$TMP/r1.access" "$TMP/r2.access" -- 'a.html'
check "primary served no page" test "$(grep -c 'a.html' "$TMP/primary.access" || true)" -eq 0
curl -s -o /dev/null "$N/c/cl/a.html"
x=$(curl -s -D - -o /dev/null "$N/c/cl/a.html" | tr -d '\r' | sed -n 's/^X-Cache: //Ip')
check "anonymous page from nginx's cache or revalidated ($x)" \
    grep -qE '^(HIT|REVALIDATED|UPDATING)$' <<<"$x"
check "admin login page through nginx comes from the primary" \
    test "$(code "$N/admin/login")" = 200
check "a POST through nginx reaches the primary" \
    test "$(code -d 'username=a&password=b' "$N/admin/login")" != 303
check "the primary logged that POST" logged "$TMP/primary.access" -- 'POST /admin/login'

# A new document, shipped while wrk runs against nginx.
printf '<html><head><title>Bravo page</title></head><body><p>cluster bravo</p></body></html>' >"$TMP/site/b.html"
K ingest --collection cl --approve "$TMP/site" >/dev/null 2>&1
( sleep 1; ship ) &
shipper=$!
errs=$(wrk_errors 4 "$N/c/cl/a.html")
wait "$shipper"
[ "$errs" -eq 0 ] || { cat "$TMP/wrk.out"; tail -5 "$TMP/ng/error.log"; }
check "no failed request under wrk during the roll-over ($errs)" test "$errs" -eq 0
okb=0
for _ in $(seq 1 30); do
    [ "$(code "$N/c/cl/b.html")" = 200 ] && { okb=1; break; }
    sleep 0.2
done
check "the new document appears through nginx after the roll-over" test "$okb" = 1
check "both replicas rolled over" \
    test "$(grep -l 'readers move' "$TMP/r1.err" "$TMP/r2.err" | wc -l)" -eq 2

# One replica dies: nginx keeps answering.
kill -KILL "$PID_r1"
errs=$(wrk_errors 3 "$N/c/cl/b.html?x=1")
[ "$errs" -eq 0 ] || { cat "$TMP/wrk.out"; tail -5 "$TMP/ng/error.log"; }
check "one replica killed: no client error under wrk ($errs)" test "$errs" -eq 0
check "search still answers" test "$(code "$N/search?q=bravo")" = 200
cleanup # before finish removes $TMP with nginx's pid file
trap - EXIT
finish
