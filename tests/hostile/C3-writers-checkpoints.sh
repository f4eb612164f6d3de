#!/bin/bash
# C3 (docs/hostile-world.md, trap 1, the WAL-reset bug of SQLite 3.40.1):
# two writer processes on one database for a bounded time: `kwangmyong
# ingest` in a loop (new pages each round, a WAL checkpoint after every
# group: wal_restart_bytes=1) and moderation through the web form of a
# running `kwangmyong serve` (approve, reject, withdraw with CSRF, as a
# user made by `kwangmyong user add`), while the server checkpoints every
# second and a third loop checkpoints (TRUNCATE) under the same flock the
# project takes (flock(1) on DB.lock), plus a reader running
# integrity_check.  Pass: 0 integrity errors during and after, FTS
# consistent (verify), every acked page stored, every action answered 303
# persisted with its audit row, no 5xx, no ingest failure.
# Environment: HOSTILE_C3_SECONDS (default 180).
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3 curl flock
DUR=${HOSTILE_C3_SECONDS:-180}

mkdir -p "$TMP/seed"
gen_tree "$TMP/seed" 300 4
kw ingest --collection seed "$TMP/seed" >/dev/null 2>&1
check "seed: 300 pending pages" test "$(q "SELECT count(*) FROM document WHERE status = 'pending'")" -eq 300
printf 'moderator password\n' | kw user add mod --role moderator >/dev/null
start_server_on "$DB" --set checkpoint_interval=1 || { bad "server starts"; finish; exit 1; }
J="$TMP/mod.jar"
check "moderator logs in through the form" test "$(mod_login "$J" mod 'moderator password')" = 303
TOK=$(mod_csrf "$J")
check "CSRF token from the dashboard" test -n "$TOK"
echo "C3: $DUR s of ingest + moderation + checkpoints on $DB"

STOP="$TMP/running"
touch "$STOP"
END=$((SECONDS + DUR))

# Writer 1: ingest rounds, each with new paths (nothing superseded).
(
    k=0
    while [ -f "$STOP" ] && [ $SECONDS -lt $END ]; do
        k=$((k + 1))
        gen_tree "$TMP/ing/r$k" 30 3
        "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection ing \
            --set wal_restart_bytes=1 --ack-log "$TMP/ing.ack" --jobs 2 "$TMP/ing/r$k" \
            >/dev/null 2>"$TMP/ing.err.$k"
        echo "$k $?"
    done >"$TMP/ing.rounds"
) &
ipid=$!
ROW_PIDS+=("$ipid")

# Writer 2: moderation through the form.  A line per action: id action
# HTTP status.
(
    while [ -f "$STOP" ] && [ $SECONDS -lt $END ]; do
        case $((RANDOM % 5)) in
        0 | 1 | 2)
            id=$(q "SELECT id FROM document WHERE status = 'pending' ORDER BY random() LIMIT 1")
            [ -n "$id" ] && echo "$id approve $(mod_act "$J" "/admin/documents/$id/approve" "$TOK")"
            ;;
        3)
            id=$(q "SELECT id FROM document WHERE status = 'pending' ORDER BY random() LIMIT 1")
            [ -n "$id" ] && echo "$id reject $(mod_act "$J" "/admin/documents/$id/reject" "$TOK" --data-urlencode 'reason=c3 off topic')"
            ;;
        4)
            id=$(q "SELECT id FROM document WHERE status = 'published' ORDER BY random() LIMIT 1")
            [ -n "$id" ] && echo "$id withdraw $(mod_act "$J" "/admin/documents/$id/withdraw" "$TOK" --data-urlencode 'reason=c3 claim')"
            ;;
        esac
    done >"$TMP/mod.log"
) &
mpid=$!
ROW_PIDS+=("$mpid")

# Third: checkpoints under the project's own lock, as fast as they go.
(
    n=0 ok=0
    while [ -f "$STOP" ] && [ $SECONDS -lt $END ]; do
        n=$((n + 1))
        if flock -w 10 "$DB.lock" sqlite3 -batch "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null 2>&1; then
            ok=$((ok + 1))
        fi
        sleep 0.05
    done
    echo "$n $ok" >"$TMP/ckpt.count"
) &
cpid=$!
ROW_PIDS+=("$cpid")

# Reader: integrity_check while all of it runs (readers need no lock).
(
    while [ -f "$STOP" ] && [ $SECONDS -lt $END ]; do
        echo "$(q 'PRAGMA integrity_check' 2>&1 | head -3 | tr '\n' ' ')"
        sleep 5
    done >"$TMP/integrity.log"
) &
gpid=$!
ROW_PIDS+=("$gpid")

while [ $SECONDS -lt $END ]; do sleep 1; done
rm -f "$STOP"
for p in "$ipid" "$mpid" "$cpid" "$gpid"; do
    t=$((SECONDS + 120))
    while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $t ]; do sleep 0.5; done
    kill -0 "$p" 2>/dev/null && { bad "loop $p did not stop within 120 s"; kill -9 "$p"; }
    wait "$p" 2>/dev/null
done
ROW_PIDS=()

rounds=$(wc -l <"$TMP/ing.rounds")
failed_rounds=$(awk '$2 != 0' "$TMP/ing.rounds" | wc -l)
nacts=$(wc -l <"$TMP/mod.log")
read -r ck_n ck_ok <"$TMP/ckpt.count"
nint=$(wc -l <"$TMP/integrity.log")
echo "tried: $rounds ingest rounds ($(cat "$TMP/ing.ack" 2>/dev/null | wc -l) pages acked), $nacts moderation actions ($(awk '{print $2 "=" $3}' "$TMP/mod.log" | sort | uniq -c | tr '\n' ' ')), $ck_ok/$ck_n external checkpoints, server checkpoints every 1 s, $nint integrity checks during the run"
awk '$2 != 0' "$TMP/ing.rounds" | head -3 | while read -r k rc; do echo "ingest round $k: exit $rc: $(head -2 "$TMP/ing.err.$k" | tr '\n' ' ')"; done
check "ingest rounds ran ($rounds) and none failed ($failed_rounds)" test "$rounds" -gt 3 -a "$failed_rounds" -eq 0
check "moderation actions ran ($nacts)" test "$nacts" -gt 20
check "no 5xx (or other failure) from moderation" test -z "$(awk '$3 != 303 && $3 != 409' "$TMP/mod.log")"
check "external checkpoints ran ($ck_ok)" test "${ck_ok:-0}" -gt 10
check "integrity_check ok every time during the run ($nint)" test "$nint" -gt 0 -a "$(grep -vc '^ok $' "$TMP/integrity.log")" -eq 0
check "server alive" kill -0 "$SERVER_PID"
stop_server
check "integrity_check ok after" integrity_ok
check "verify ok (FTS index, hashes, audit)" fts_ok
head -5 "$TMP/verify.out"
check_acks "$TMP/ing.ack" >"$TMP/acks.out"; rc=$?
cat "$TMP/acks.out"
check "every acked page stored with its hash" test "$rc" -eq 0
python3 - "$DB" "$TMP/mod.log" >"$TMP/mod.check" <<'PY'
import sqlite3, sys
con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
want = {}
audits = {}
for ln in open(sys.argv[2]):
    p = ln.split()
    if len(p) != 3 or p[2] != "303":
        continue
    i, act = int(p[0]), p[1]
    want[i] = {"approve": "published", "reject": "rejected", "withdraw": "withdrawn"}[act]
    audits[(i, act)] = audits.get((i, act), 0) + 1
bad = 0
for i, st in want.items():
    got = con.execute("SELECT status FROM document WHERE id = ?", (i,)).fetchone()
    if got is None or got[0] != st:
        bad += 1; print("document %d: %s, expected %s" % (i, got and got[0], st))
for (i, act), n in audits.items():
    got = con.execute("SELECT count(*) FROM audit WHERE object_id = ? AND action = ?", (i, act)).fetchone()[0]
    if got != n:
        bad += 1; print("document %d: %d %s audit rows, expected %d" % (i, got, act, n))
print("%d documents with acknowledged actions checked, %d wrong" % (len(want), bad))
sys.exit(1 if bad else 0)
PY
rc=$?
tail -4 "$TMP/mod.check"
check "every action answered 303 persisted, with its audit row" test "$rc" -eq 0
check "no sanitizer report" sanitizer_clean "$TMP/err.log" "$TMP"/ing.err.*
finish
