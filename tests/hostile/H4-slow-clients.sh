#!/bin/bash
# H4 (docs/hostile-world.md): slowloris (slow headers), slow body and slow
# read with slowhttptest, each for HOSTILE_H4_SECONDS (default 30) from
# 127.0.0.1 (1000 connections at 200 a second), against the server started
# with its documented limits (max_connections 1024, max_connections_per_ip
# 64, connection_timeout 30, connection_memory 64k).  Meanwhile a second
# client on 127.0.0.2 fetches the home page every 0.2 s.  Pass: the second
# client always gets 200 in < 1 s (the server's own time for it, from the
# access log, is shown beside), the attack really held connections open
# (at least 50 established at its peak, counted with ss), and the server
# survives every attack (/healthz ok afterwards, same process).
# slowhttptest's own probe comes from 127.0.0.1 too, so it reports the
# service unavailable once the per-address limit is full: that is the
# limit working, and is shown, not judged.
# Not tried here: a slowloris from many addresses at once (it would meet
# max_connections, not the per-address limit).
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_web.sh"
need curl slowhttptest ss awk
SECS=${HOSTILE_H4_SECONDS:-30}
t0=$(date +%s)
# A large published page for the slow read (about 300 KB of HTML).
mkdir -p "$TMP/big"
{
    printf '<html><head><title>Big page</title></head><body><h1>Big page</h1>'
    for i in $(seq 1 3000); do printf '<p>Paragraph %d of a long page that a slow reader drains slowly.</p>' "$i"; done
    printf '</body></html>'
} >"$TMP/big/big.html"
site "$TMP/big" small 3
K ingest --collection big --operator op --approve "$TMP/big" >/dev/null 2>&1
start_server --set max_connections=1024 --set max_connections_per_ip=64 \
    --set connection_timeout=30 --set connection_memory=64k ||
    { bad "server starts"; finish; exit 1; }
PID0=$SERVER_PID
loopback_ok 127.0.0.2 || { echo "SKIP: cannot bind 127.0.0.2 as a source address"; exit 77; }
bigsize=$(curl -s -o /dev/null -w '%{size_download}' "$BASE/c/big/big.html")
check "the slow-read target is large ($bigsize bytes)" test "$bigsize" -gt 200000
curl -s -c "$TMP/e.jar" "$BASE/external?url=http://outside.example/x" >/dev/null

# attack NAME ARGS...: slowhttptest for SECS with a second client and a
# connection counter alongside; results in $TMP/NAME.*
attack() {
    local name=$1 spid cpid skip
    shift
    : >"$TMP/$name.client"
    : >"$TMP/$name.conns"
    skip=$(wc -l <"$TMP/access.log")
    slowhttptest "$@" -c 1000 -r 200 -l "$SECS" -p 3 -g -o "$TMP/$name" >"$TMP/$name.out" 2>&1 &
    spid=$!
    ROW_PIDS=("$spid")
    (
        while kill -0 "$spid" 2>/dev/null; do
            ss -Htn state established "( sport = :$PORT )" 2>/dev/null | wc -l >>"$TMP/$name.conns"
            sleep 1
        done
    ) &
    cpid=$!
    ROW_PIDS+=("$cpid")
    sleep 2
    while kill -0 "$spid" 2>/dev/null; do
        curl -s -o /dev/null --max-time 5 --interface 127.0.0.2 -w '%{http_code} %{time_total}\n' \
            "$BASE/?h4=$name" >>"$TMP/$name.client"
        sleep 0.2
    done
    wait "$spid" "$cpid" 2>/dev/null
    ROW_PIDS=()
    local n slow peak srv
    n=$(wc -l <"$TMP/$name.client")
    slow=$(awk '$1 != 200 || $2 >= 1' "$TMP/$name.client" | wc -l)
    peak=$(sort -n "$TMP/$name.conns" | tail -1)
    # The access log has no query: GET / lines are the second client's
    # (the attack's requests never complete).
    srv=$(tail -n +"$((skip + 1))" "$TMP/access.log" | awk '$2 == "GET" && $3 == "/" {print $6}' | sort -g | tail -1)
    sed -i 's/\x1b\[[0-9;]*m//g' "$TMP/$name.out"
    echo "# $name: slowhttptest $(grep -m1 -o 'test type:.*' "$TMP/$name.out" | tr -s ' ') ; peak $peak established connections to the server"
    echo "# $name: 127.0.0.2 made $n requests: slowest $(awk '{print $2}' "$TMP/$name.client" | sort -g | tail -1) s as seen by the client, ${srv:-?} ms in the server; $(awk '{print $1}' "$TMP/$name.client" | sort | uniq -c | tr -s ' \n' ' ')"
    grep -E 'pending|connected|error|closed|service available' "$TMP/$name.out" | tail -5 | sed "s/^/#   /"
    check "$name: the attack held connections open (peak $peak >= 50)" test "${peak:-0}" -ge 50
    check "$name: 127.0.0.2 always got 200 in < 1 s ($n requests, $slow not)" test "$n" -gt 10 -a "$slow" -eq 0
    check "$name: the server survives" test "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "$BASE/healthz")" = 200
    NCLIENT=$((NCLIENT + n))
}
NCLIENT=0
attack slowloris -H -i 5 -u "$BASE/"
attack slowbody -B -i 5 -s 65536 -t POST -u "$BASE/external" -j "$(awk '$6 == "kw_csrf" {print $6 "=" $7}' "$TMP/e.jar")"
attack slowread -X -k 3 -n 1 -w 1 -y 512 -z 32 -u "$BASE/c/big/big.html"
check "the same server process throughout (pid $PID0)" test "$SERVER_PID" = "$PID0" -a -d "/proc/$PID0"
check "/healthz ok after the three attacks" grep -q '"status":"ok"' <<<"$(curl -s "$BASE/healthz")"
echo "H4: 3 attacks x $SECS s (1000 connections each at 200/s from 127.0.0.1), $NCLIENT requests from 127.0.0.2, in $(($(date +%s) - t0)) s"
finish
