#!/bin/bash
# I3 (docs/hostile-world.md): a 100 MB file and a 50 MB single line.
# Refused by size before being read (the size is checked on the open
# descriptor: ingest/convert.c read_bounded, lib/fsutil.c): the peak RSS
# of the ingest and its workers (/usr/bin/time -v, which counts reaped
# children) stays small and, under strace, the bytes read by every
# process together stay far below the file's size.  Also a 100 MB image
# asset and a gzip bomb (200 MB of zeros in 200 KB).  The 50 MB line is
# refused by size under a 32M policy (and a gzip bomb is inflated only up
# to it); under the default policy (max_size
# 64M, so within the limit) it must still end in bounded time with its
# outcome reported, and its memory is measured and printed.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time (Debian package time) is not installed"; exit 77; }

A="$TMP/a"
mkdir -p "$A"
printf '<html><head><title>Big</title></head><body><p>' >"$A/big.html"
truncate -s 100M "$A/big.html"                 # 100 MB, sparse: cheap to make
truncate -s 100M "$A/big.png"
printf '<html><head><title>Small sibling</title></head><body><p>fine</p></body></html>' >"$A/sibling.html"
echo "I3: big.html 100 MB, big.png 100 MB, sibling.html"

# time -v: "Maximum resident set size" of the ingest or any reaped worker.
maxrss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
STRACE=
command -v strace >/dev/null && STRACE="env ASAN_OPTIONS=$NO_LEAK_CHECK strace -f -qq -e trace=read,pread64,readv -e signal=none -o $TMP/strace.log"
$STRACE /usr/bin/time -v -o "$TMP/time.a" "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" \
    --collection i3 --report "$TMP/ra.json" --jobs 2 "$A" >"$TMP/out.a" 2>"$TMP/err.a"
rc=$?
cat "$TMP/out.a"
check "run A: exit 1 (some input refused) [$rc]" test "$rc" -eq 1
check "big.html refused by size" grep -q 'too large: 104857600 bytes' <<<"$(report_reason "$TMP/ra.json" big.html)"
check "big.png (asset) refused by size" grep -q 'asset too large' <<<"$(report_reason "$TMP/ra.json" big.png)"
check "sibling stored" test "$(q "SELECT count(*) FROM document WHERE path = 'sibling.html'")" -eq 1
rss=$(maxrss "$TMP/time.a")
check "run A: peak RSS ${rss} KB < 64 MB (nothing was read whole)" test "${rss:-999999}" -lt 65536
if [ -n "$STRACE" ]; then
    readb=$(python3 -c '
import re, sys
tot = 0
for ln in open(sys.argv[1], errors="replace"):
    m = re.search(r"= (\d+)$", ln.strip())
    if m and re.search(r"\b(read|pread64|readv)\(", ln):
        tot += int(m.group(1))
print(tot)' "$TMP/strace.log")
    check "run A: all processes read $readb bytes in all (< 16 MB: the 100 MB files were not read)" test "$readb" -lt 16777216
else
    echo "strace missing: read volume not measured (RSS only)"
fi

B="$TMP/b"
mkdir -p "$B"
python3 -c 'import sys; open(sys.argv[1], "w").write("word " * (10 * 1024 * 1024))' "$B/line.txt"
cp "$B/line.txt" "$B/line.html"
printf 'Small sibling\n\ntext\n' >"$B/sibling.txt"
echo "I3: line.txt and line.html, $(stat -c %s "$B/line.txt") bytes, one line each"
printf 'max_size 32M\ntypes html markdown text pdf\n' >"$TMP/p32"
/usr/bin/time -v -o "$TMP/time.b" "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" \
    --collection i3b --policy "$TMP/p32" --report "$TMP/rb.json" --jobs 2 "$B" >"$TMP/out.b" 2>"$TMP/err.b"
rc=$?
cat "$TMP/out.b"
check "run B (max_size 32M): the 50 MB line refused by size (.txt)" grep -q 'too large: 52428800 bytes' <<<"$(report_reason "$TMP/rb.json" line.txt)"
check "run B: the 50 MB line refused by size (.html)" grep -q 'too large: 52428800 bytes' <<<"$(report_reason "$TMP/rb.json" line.html)"
check "run B: sibling stored" test "$(q "SELECT count(*) FROM document d JOIN collection c ON c.id = d.collection_id WHERE c.name = 'i3b' AND d.path = 'sibling.txt'")" -eq 1
rss=$(maxrss "$TMP/time.b")
check "run B: peak RSS ${rss} KB < 64 MB" test "${rss:-999999}" -lt 65536

# A gzip bomb (200 MB of zeros in 200 KB) is inflated up to the size
# limit and no further: its memory stays far below the 200 MB it would
# take whole (the buffer grows by doubling; ASan's quarantine adds more).
G="$TMP/g"
mkdir -p "$G"
head -c 200M /dev/zero | gzip -1 >"$G/bomb.html.gz"
echo "I3: bomb.html.gz, $(stat -c %s "$G/bomb.html.gz") bytes -> 200 MB, under max_size 32M"
/usr/bin/time -v -o "$TMP/time.g" "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" \
    --collection i3g --policy "$TMP/p32" --report "$TMP/rg.json" "$G" >"$TMP/out.g" 2>"$TMP/err.g"
check "gzip bomb refused while inflating" grep -q 'too large after decompression' <<<"$(report_reason "$TMP/rg.json" bomb.html.gz)"
rss=$(maxrss "$TMP/time.g")
check "gzip bomb: peak RSS ${rss} KB < 160 MB (whole it would be 200 MB)" test "${rss:-999999}" -lt 163840

# Default policy: 50 MB is within max_size 64M, so it is read; it must
# still end (worker limits: 60 s wall clock, 20 s CPU, 1.5 GB address
# space) with its outcome in the report, the sibling stored.
start=$SECONDS
/usr/bin/time -v -o "$TMP/time.c" "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" \
    --collection i3c --report "$TMP/rc.json" --jobs 2 "$B" >"$TMP/out.c" 2>"$TMP/err.c"
rc=$?
secs=$((SECONDS - start))
cat "$TMP/out.c"
rss=$(maxrss "$TMP/time.c")
echo "run C (default policy): ${secs}s, peak RSS ${rss} KB; line.txt: $(report_reason "$TMP/rc.json" line.txt); line.html: $(report_reason "$TMP/rc.json" line.html)"
check "run C: ended in bounded time (${secs}s < 150 s), exit $rc" test "$secs" -lt 150 -a "$rc" -le 1
check "run C: both lines have an outcome in the report" \
    test "$(report_reason "$TMP/rc.json" line.txt | wc -l)$(report_reason "$TMP/rc.json" line.html | wc -l)" = 11
check "run C: peak RSS ${rss} KB under the worker's 1.5 GB address-space limit" test "${rss:-9999999}" -lt 1572864
check "run C: sibling stored" test "$(q "SELECT count(*) FROM document d JOIN collection c ON c.id = d.collection_id WHERE c.name = 'i3c' AND d.path = 'sibling.txt'")" -eq 1
check "no sanitizer report" sanitizer_clean "$TMP"/err.*
check "integrity ok" integrity_ok
check "stored text valid UTF-8" utf8_ok
finish
