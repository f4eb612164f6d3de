#!/bin/bash
# kwangmyong backup under load (issue 11): wrk on the server and an ingest
# writing while the backup runs.  The copy passes `verify` and holds every
# document the ingest acknowledged (--ack-log) before the backup began;
# the backup ends while the ingest still writes; no reader got an error.
. "${KW_SRCDIR:-.}/tests/lib.sh"
for t in wrk sqlite3; do
    command -v "$t" >/dev/null || { echo "$t missing: skipped"; rm -rf "$TMP"; exit 77; }
done
K() { "$KW_BIN" "$@" --db "$TMP/t.db" --data-dir "$KW_SRCDIR"; }
mkdir -p "$TMP/first" "$TMP/big"
printf '<html><head><title>First</title></head><body><p>first page</p></body></html>' >"$TMP/first/f.html"
K ingest --collection one --approve "$TMP/first" >/dev/null 2>&1
for i in $(seq 1 3000); do
    printf '<html><head><title>Page %d</title></head><body><h1>Page %d</h1><p>words %d of the big tree, some text to index and store</p></body></html>' \
        "$i" "$i" "$i" >"$TMP/big/p$i.html"
done
start_server || { bad "server starts"; finish; exit 1; }
wrk -t1 -c4 -d12s --timeout 10s "$BASE/c/one/f.html" >"$TMP/wrk.out" 2>&1 &
wpid=$!
K ingest --collection big --approve --jobs 2 --ack-log "$TMP/ack.jsonl" "$TMP/big" \
    >"$TMP/ingest.out" 2>&1 &
ipid=$!
for _ in $(seq 1 200); do
    [ "$(wc -l <"$TMP/ack.jsonl" 2>/dev/null || echo 0)" -ge 200 ] && break
    sleep 0.05
done
cp "$TMP/ack.jsonl" "$TMP/ack.before"
before=$(wc -l <"$TMP/ack.before")
check "the ingest acknowledged documents before the backup ($before)" test "$before" -ge 200
K backup "$TMP/copy.db" >"$TMP/backup.out" 2>&1
brc=$?
alive=0
kill -0 "$ipid" 2>/dev/null && alive=1
after=$(wc -l <"$TMP/ack.jsonl")
check "backup exit 0" test "$brc" -eq 0
check "the ingest was still writing when the backup ended ($before -> $after acknowledged)" \
    test "$alive" -eq 1 -o "$after" -gt "$before"
wait "$ipid"
wait "$wpid"
check "the copy verifies" "$KW_BIN" verify --db "$TMP/copy.db" --data-dir "$KW_SRCDIR"
missing=0
while IFS= read -r line; do
    id=$(sed -n 's/.*"id": *\([0-9]*\).*/\1/p' <<<"$line")
    path=$(sed -n 's/.*"path": *"\([^"]*\)".*/\1/p' <<<"$line")
    [ "$(sqlite3 "$TMP/copy.db" "SELECT count(*) FROM document WHERE id = $id AND path = '$path'")" = 1 ] ||
        missing=$((missing + 1))
done <"$TMP/ack.before"
check "every document acknowledged before the backup is in the copy ($missing missing)" \
    test "$missing" -eq 0
errs=$(awk '/Non-2xx or 3xx responses/ {n += $NF}
            /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10}
            END {print n + 0}' "$TMP/wrk.out")
check "readers saw no error meanwhile ($errs)" test "$errs" -eq 0
check "the primary still verifies" K verify
finish
