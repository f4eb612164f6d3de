#!/bin/bash
# C1 (docs/hostile-world.md): SIGKILL the ingest at random moments, 30
# rounds, on a real tree (Debian's sqlite3-doc, ~770 pages; a generated
# tree when it is not installed); after every round PRAGMA integrity_check
# and the FTS5 integrity-check (kwangmyong verify) are ok, every acked
# document is stored with its hash, no document is half there, and no
# worker outlives its killed ingest.  Then a final run: the result equals
# a clean reference ingest of the same tree exactly (same paths, same
# hashes), no duplicates, every acked sha256 present and its stored bytes
# hashing back to it, `kwangmyong verify` ok.
# Environment: HOSTILE_C1_ROUNDS (default 30), HOSTILE_C1_TREE (a tree to
# use instead of /usr/share/doc/sqlite3).
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3 setsid
ROUNDS=${HOSTILE_C1_ROUNDS:-30}

TREE=${HOSTILE_C1_TREE:-/usr/share/doc/sqlite3}
if [ ! -d "$TREE" ] || [ "$(find "$TREE" -name '*.html' | head -100 | wc -l)" -lt 100 ]; then
    # sqlite3-doc missing: 800 generated pages, sections and links.
    TREE="$TMP/tree"
    python3 - "$TREE" <<'PY'
import os, random, sys
root = sys.argv[1]
random.seed(1)
words = "table index query page write lock journal vacuum schema row column".split()
for i in range(800):
    d = os.path.join(root, "part%d" % (i % 8))
    os.makedirs(d, exist_ok=True)
    secs = "".join("<h2 id=s%d>Section %d</h2><p>%s</p>" % (k, k,
                   " ".join(random.choice(words) for _ in range(300)))
                   for k in range(4))
    with open(os.path.join(d, "p%d.html" % i), "w") as f:
        f.write("<html><head><title>Page %d</title></head><body><h1>Page %d</h1>"
                "%s<a href=\"../part%d/p%d.html\">next</a></body></html>"
                % (i, i, secs, (i + 1) % 8, i + 1))
PY
fi
nfiles=$(find "$TREE" -type f | wc -l)
echo "C1: tree $TREE ($nfiles files, $(du -sh "$TREE" | cut -f1)), $ROUNDS kill rounds"

# The oracle: one clean, uninterrupted ingest of the same tree.
REF="$TMP/ref.db"
"$KW_BIN" ingest --db "$REF" --data-dir "$KW_SRCDIR" --collection c1 \
    --jobs 2 "$TREE" >"$TMP/ref.out" 2>"$TMP/ref.err"
rc=$?
check "reference ingest completes (exit $rc)" test "$rc" -le 1
cat "$TMP/ref.out"
refdocs=$(sqlite3 "$REF" "SELECT count(*) FROM document")
check "reference run stored documents ($refdocs)" test "$refdocs" -gt 50
sqlite3 "$REF" "SELECT path || ' ' || orig_sha256 FROM document ORDER BY path" >"$TMP/ref.list"
start=$(date +%s.%N)
"$KW_BIN" ingest --db "$TMP/time.db" --data-dir "$KW_SRCDIR" --collection c1 \
    --jobs 2 "$TREE" >/dev/null 2>&1
runtime=$(python3 -c "import sys; print(max(1.0, float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
rm -f "$TMP"/time.db*
echo "a full run takes ${runtime}s: kills land uniformly in [0.05, $runtime] s"

ACK="$TMP/ack.jsonl"
: >"$ACK"
killed=0 finished=0 round_fail=0 checked=0
for round in $(seq 1 "$ROUNDS"); do
    delay=$(python3 -c "import random,sys; print('%.3f' % random.uniform(0.05, float(sys.argv[1])))" "$runtime")
    # Its own session: the workers (and any pdftotext) are found by it.
    t0=$(date +%s.%N)
    setsid "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection c1 \
        --ack-log "$ACK" --jobs 2 "$TREE" >"$TMP/round.out" 2>"$TMP/round.err" &
    pid=$!
    sleep "$delay"
    if kill -9 "$pid" 2>/dev/null; then :; fi
    { wait "$pid"; } 2>/dev/null
    st=$?
    if [ "$st" -eq 137 ]; then
        killed=$((killed + 1))
    else
        # It finished before the kill: the machine is faster than the
        # estimate, so aim the next kills within this run's length.
        finished=$((finished + 1))
        runtime=$(python3 -c "import sys; print(max(1.0, float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")
    fi
    ndocs=$(q "SELECT count(*) FROM document")
    nacks=$(wc -l <"$ACK")
    fails=0
    integrity_ok || { bad "round $round: PRAGMA integrity_check"; fails=1; }
    fts_ok || { bad "round $round: verify (FTS, hashes): $(head -3 "$TMP/verify.out")"; fails=1; }
    # The lines acked by this round (all of them again at the end).
    tail -n +$((checked + 1)) "$ACK" >"$TMP/ack.new"
    checked=$nacks
    check_acks "$TMP/ack.new" "$TREE" >"$TMP/acks.out" || { bad "round $round: acks: $(head -3 "$TMP/acks.out")"; fails=1; }
    half=$(q "SELECT count(*) FROM document d WHERE NOT EXISTS (SELECT 1 FROM section s WHERE s.document_id = d.id)")
    [ "$half" = 0 ] || { bad "round $round: $half documents without sections"; fails=1; }
    dup=$(q "SELECT count(*) - count(DISTINCT path) FROM document")
    [ "$dup" = 0 ] || { bad "round $round: $dup duplicate paths"; fails=1; }
    w=$((SECONDS + 10))
    while [ -n "$(session_procs "$pid")" ] && [ $SECONDS -lt $w ]; do sleep 0.2; done
    left=$(session_procs "$pid")
    [ -z "$left" ] || { bad "round $round: processes left behind: $left"; fails=1; }
    sanitizer_clean "$TMP/round.err" || { bad "round $round: sanitizer report"; cat "$TMP/round.err"; fails=1; }
    round_fail=$((round_fail + fails))
    echo "round $round: kill after ${delay}s ($([ "$st" -eq 137 ] && echo killed || echo "finished first, exit $st")); $ndocs documents, $nacks acks; $([ $fails -eq 0 ] && echo ok || echo FAILED)"
done
check "all $ROUNDS rounds: integrity, FTS, acks, whole documents, no leftovers" test "$round_fail" -eq 0
check "most rounds were killed mid-run ($killed killed, $finished finished first)" test "$killed" -ge $((ROUNDS / 2))

"$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection c1 \
    --ack-log "$ACK" --jobs 2 "$TREE" >"$TMP/final.out" 2>"$TMP/final.err"
rc=$?
cat "$TMP/final.out"
check "final run completes (exit $rc, like the reference)" test "$rc" -le 1
ndocs=$(q "SELECT count(*) FROM document")
check "final count exact: $ndocs = reference $refdocs" test "$ndocs" -eq "$refdocs"
q "SELECT path || ' ' || orig_sha256 FROM document ORDER BY path" >"$TMP/final.list"
check "same paths and hashes as the reference" cmp -s "$TMP/ref.list" "$TMP/final.list"
check "no duplicates (one version per path)" test "$(q "SELECT count(*) FROM document WHERE version > 1")" -eq 0
check "no duplicate content hashes beyond the reference's" \
    test "$(q "SELECT count(*) - count(DISTINCT orig_sha256) FROM document")" -eq "$(sqlite3 "$REF" "SELECT count(*) - count(DISTINCT orig_sha256) FROM document")"
check_acks "$ACK" "$TREE" >"$TMP/acks.out"; rc=$?
cat "$TMP/acks.out"
check "every acked sha256 present, stored bytes hash back" test "$rc" -eq 0
check "every stored document was acked at least once" \
    test "$(python3 -c 'import json,sys; print(len({json.loads(l)["id"] for l in open(sys.argv[1])}))' "$ACK")" -eq "$ndocs"
check "integrity_check ok" integrity_ok
check "kwangmyong verify ok" fts_ok
finish
