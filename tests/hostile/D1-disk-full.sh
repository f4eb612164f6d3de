#!/bin/bash
# D1 (docs/hostile-world.md): disk full.  The database lives on a 24 MB
# tmpfs of our own (mount -t tmpfs -o size=24m; a loop-mounted ext4 image
# when tmpfs cannot be mounted; exit 77 when neither can).  A served,
# published collection is already there; then an ingest of 2,000 pages
# (16 MB of HTML) runs while a filler file takes the rest of the space.
# Pass: the ingest stops with a clear error and exit 2; the server on the
# same database keeps serving reads (every read during and after answers
# 200); what was acked is stored; integrity holds; after space returns a
# re-run completes, the count is exact and `kwangmyong verify` passes.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3 curl mount umount
MNT="$TMP/mnt"
MOUNTED=
row_cleanup() {
    stop_server
    [ -n "$MOUNTED" ] && umount "$MNT" 2>/dev/null
    [ -n "${LOOPIMG:-}" ] && rm -f "$LOOPIMG"
}
mkdir -p "$MNT"
how=
if mount -t tmpfs -o size=24m,mode=0700 kwtest-d1 "$MNT" 2>"$TMP/mount.err"; then
    MOUNTED=1 how="tmpfs, 24 MB"
elif command -v mkfs.ext4 >/dev/null; then
    LOOPIMG="$TMP/disk.img"
    truncate -s 24M "$LOOPIMG"
    if mkfs.ext4 -q -F "$LOOPIMG" >/dev/null 2>&1 &&
        mount -o loop "$LOOPIMG" "$MNT" 2>>"$TMP/mount.err"; then
        MOUNTED=1 how="loop-mounted ext4, 24 MB"
    fi
fi
if [ -z "$MOUNTED" ]; then
    echo "SKIP: cannot mount a small filesystem here (no ENOSPC source): $(cat "$TMP/mount.err")"
    exit 77
fi
DB="$MNT/t.db"
echo "D1: database on $how at $MNT"

mkdir -p "$TMP/seed" "$TMP/big"
gen_tree "$TMP/seed" 20 2
gen_tree "$TMP/big" 2000 8
echo "D1: seed 20 pages; ingest 2000 pages, $(du -sh --apparent-size "$TMP/big" | cut -f1) of HTML"
kw ingest --collection seed --approve --operator d1 "$TMP/seed" >/dev/null 2>&1
check "seed collection published" test "$(q "SELECT count(*) FROM document WHERE status = 'published'")" -eq 20
start_server_on "$DB" --set checkpoint_interval=1 || { bad "server starts"; finish; exit 1; }
check "server reads the seed page" test "$(http_code "$BASE/c/seed/f3/p00003.html")" = 200

# Readers for the whole time: four reads a round, every status kept.
touch "$TMP/reading"
(
    end=$((SECONDS + 240))
    while [ -f "$TMP/reading" ] && [ $SECONDS -lt $end ]; do
        for u in / /c/seed/ /c/seed/f3/p00003.html "/search?q=table" /api/collections; do
            echo "$(http_code "$BASE$u") $u"
        done
        sleep 0.1
    done >"$TMP/reads"
) &
rpid=$!
ROW_PIDS+=("$rpid")

"$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection big \
    --ack-log "$TMP/ack.jsonl" --jobs 2 "$TMP/big" >"$TMP/ing.out" 2>"$TMP/ing.err" &
ipid=$!
ROW_PIDS+=("$ipid")
sleep 1
# Take the rest of the space while it writes.
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
echo "filler: $(stat -c %s "$MNT/filler") bytes; free now: $(df -k --output=avail "$MNT" | tail -1) KB"
end=$((SECONDS + 180))
while kill -0 "$ipid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.5; done
kill -0 "$ipid" 2>/dev/null && { bad "ingest still running after 180 s on a full disk"; kill -9 "$ipid"; }
wait "$ipid"
rc=$?
cat "$TMP/ing.out"
echo "ingest stderr: $(grep -v '^\s*$' "$TMP/ing.err" | head -3)"
check "ingest on a full disk: exit 2 [$rc]" test "$rc" -eq 2
check "a clear error: disk full named" grep -qiE 'disk is full|no space left' "$TMP/ing.err"
check "no sanitizer report" sanitizer_clean "$TMP/ing.err"
sleep 1
# Reads after the failure, still on the full disk.
for u in / /c/seed/ /c/seed/f3/p00003.html "/search?q=table" /healthz; do
    echo "$(http_code "$BASE$u") $u (after)" >>"$TMP/reads.after"
done
rm -f "$TMP/reading"
wait "$rpid"
nreads=$(cat "$TMP/reads" "$TMP/reads.after" | wc -l)
nbad=$(cat "$TMP/reads" "$TMP/reads.after" | grep -vc '^200 ')
grep -v '^200 ' "$TMP/reads" "$TMP/reads.after" | sort | uniq -c | head -5
check "reads still served: $nreads reads during and after, $nbad not 200" test "$nreads" -gt 10 -a "$nbad" -eq 0
check "server still running" kill -0 "$SERVER_PID"
check "integrity_check ok on the full disk" integrity_ok
check_acks "$TMP/ack.jsonl" "$TMP/big" >"$TMP/acks.out"; rc=$?
cat "$TMP/acks.out"
check "every acked document stored with its hash" test "$rc" -eq 0
stored=$(q "SELECT count(*) FROM document d JOIN collection c ON c.id = d.collection_id WHERE c.name = 'big'")
check "the ingest stopped short ($stored of 2000 stored)" test "$stored" -lt 2000

# Space returns.
rm -f "$MNT/filler"
if [ -z "${LOOPIMG:-}" ]; then
    mount -o remount,size=256m "$MNT"
fi
echo "space back: $(df -k --output=avail "$MNT" | tail -1) KB free"
"$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection big \
    --ack-log "$TMP/ack.jsonl" --jobs 2 "$TMP/big" >"$TMP/ing2.out" 2>"$TMP/ing2.err"
rc=$?
cat "$TMP/ing2.out"
if [ -n "${LOOPIMG:-}" ] && [ "$rc" -eq 2 ]; then
    echo "(a 24 MB ext4 image cannot hold 2,000 pages: the re-run check needs the tmpfs remount)"
fi
check "re-run after space returns: exit 0 [$rc]" test "$rc" -eq 0
check "final count exact: 2000" test "$(q "SELECT count(*) FROM document d JOIN collection c ON c.id = d.collection_id WHERE c.name = 'big'")" -eq 2000
check "no duplicates" test "$(q "SELECT count(*) FROM document WHERE version > 1")" -eq 0
check_acks "$TMP/ack.jsonl" "$TMP/big" >"$TMP/acks.out"; rc=$?
cat "$TMP/acks.out"
check "every acked document stored with its hash" test "$rc" -eq 0
check "seed still published and served" test "$(http_code "$BASE/c/seed/f3/p00003.html")" = 200
stop_server
check "integrity ok" integrity_ok
check "verify ok" fts_ok
cp "$DB" "$TMP/final.db" 2>/dev/null
row_cleanup
MOUNTED= LOOPIMG=
finish
