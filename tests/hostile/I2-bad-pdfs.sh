#!/bin/bash
# I2 (docs/hostile-world.md): truncated, empty, fake and huge PDFs through
# `kwangmyong ingest`: pdftotext runs under a timeout and prlimit-style
# rlimits (ingest/extract.c), so the batch ends in bounded time, every bad
# PDF is rejected with a reason in the report, the good siblings are
# stored, and no pdftotext (nor worker) is left running, also when the
# ingest itself is SIGKILLed while pdftotext grinds.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3 setsid
[ -x /usr/bin/pdftotext ] || { echo "SKIP: pdftotext (poppler-utils) is not installed"; exit 77; }

T="$TMP/pdfs"
mkdir -p "$T"
make_pdf "$T/good1.pdf" 1 "First good paper"
make_pdf "$T/good2.pdf" 3 "Second good paper"
make_pdf "$TMP/ten.pdf" 10 "Ten pages"
size=$(stat -c %s "$TMP/ten.pdf")
# Truncations of a valid PDF: inside the header, the first object, the
# page tree, and just before the content stream.  (Later cuts keep the
# page, which poppler recovers: a legitimate, shorter document.)
for cut in 5 12 40 90; do head -c "$cut" "$TMP/ten.pdf" >"$T/trunc-$cut.pdf"; done
: >"$T/empty.pdf"
printf '<html><body>I am HTML, not a PDF</body></html>' >"$T/fake-html.pdf"
head -c 20000 /dev/urandom >"$T/fake-random.pdf"
{ printf '%%PDF-1.7\n'; head -c 65536 /dev/urandom; } >"$T/magic-junk.pdf"
printf '%%PDF-1.4\n%%%%EOF\n' >"$T/magic-only.pdf"
# Huge by size: a sparse 70 MB file (policy max_size 64M): refused from
# its size, never read.
{ printf '%%PDF-1.4\n'; } >"$T/huge-size.pdf"
truncate -s 70M "$T/huge-size.pdf"
# Huge by work: a content stream of 120 million no-op operators (pdftotext
# needs ~39 s of CPU on the 2-core test machine: the 15 s CPU limit or the
# 20 s wall clock ends it; the 40 million it had took 12.9 s there, under
# the limit, and the check failed on an idle machine), and 8000 pages of
# text (65 MB of output: the 32 MB output cap ends it).
python3 - "$T/cpu-bomb.pdf" "$T/text-bomb.pdf" <<'PY'
import sys, zlib
def write(path, content, pages):
    c = zlib.compressobj(6)
    data = b"".join(c.compress(chunk) for chunk in content) + c.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"]
    kids = []
    for i in range(pages):
        kids.append(b"%d 0 R" % (len(objs) + 1))
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % pages
    out = bytearray(b"%PDF-1.4\n"); offs = []
    for i, o in enumerate(objs):
        offs.append(len(out)); out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    open(path, "wb").write(out)
write(sys.argv[1], (b"1 0 0 1 0 0 cm " * 10000 for _ in range(12000)), 1)
line = b"(" + b"W" * 90 + b") ' "
write(sys.argv[2], [b"BT /F1 6 Tf 8 TL 10 780 Td " + line * 90 + b"ET"], 8000)
PY
# gzip of a truncated PDF, and a truncated gzip of a good one.
gzip -c "$T/trunc-40.pdf" >"$T/trunc-in-gz.pdf.gz"
gzip -c "$TMP/ten.pdf" | head -c 100 >"$T/trunc-gz.pdf.gz"
bads=$(ls "$T" | grep -v '^good' | wc -l)
echo "I2: $(ls "$T" | wc -l) PDFs ($bads bad, 2 good), $(du -sh --apparent-size "$T" | cut -f1) apparent"

start=$SECONDS
setsid "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection i2 \
    --report "$TMP/r.json" --jobs 2 "$T" >"$TMP/out" 2>"$TMP/err" &
pid=$!
# Bounded: the longest job ends at its 15 s CPU limit or 20 s wall clock.
end=$((SECONDS + 120))
while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.5; done
if kill -0 "$pid" 2>/dev/null; then
    bad "ingest still running after 120 s"
    kill -9 "$pid"
fi
wait "$pid"
rc=$?
secs=$((SECONDS - start))
cat "$TMP/out"
check "ingest ended in bounded time (${secs}s < 120 s), exit 1 (some rejected) [$rc]" test "$rc" -eq 1
check "no sanitizer report" sanitizer_clean "$TMP/err"
left=$(session_procs "$pid")
check "no pdftotext or worker left in the ingest's session${left:+: $left}" test -z "$left"
check "both good PDFs stored" test "$(q "SELECT count(*) FROM document WHERE path LIKE 'good%' AND content_type = 'application/pdf'")" -eq 2
check "good PDF text extracted" test "$(q "SELECT count(*) FROM document WHERE path = 'good2.pdf' AND body_text LIKE '%Second good paper%'")" -eq 1
check "good PDF kept byte for byte as an attachment" \
    test "$(q "SELECT b.sha256 FROM document d JOIN blob b ON b.sha256 = d.original_blob WHERE d.path = 'good1.pdf'")" = "$(sha256sum "$T/good1.pdf" | cut -d' ' -f1)"
nrej=0
for f in $(ls "$T" | grep -v '^good'); do
    r=$(report_reason "$TMP/r.json" "$f")
    case "$r" in
    "rejected "?*) nrej=$((nrej + 1)); echo "  $f: $r" ;;
    *) bad "$f not rejected with a reason: '$r'" ;;
    esac
done
check "every bad PDF rejected with a reason ($nrej of $bads)" test "$nrej" -eq "$bads"
check "none of them stored" test "$(q "SELECT count(*) FROM document WHERE path NOT LIKE 'good%'")" -eq 0
check "huge by size: refused from its size" grep -q 'too large: 73400320 bytes' <<<"$(report_reason "$TMP/r.json" huge-size.pdf)"
check "CPU bomb: ended by a limit" grep -qE 'limit reached|timed out' <<<"$(report_reason "$TMP/r.json" cpu-bomb.pdf)"
check "text bomb: ended by the output cap (or a time limit on a loaded machine)" grep -qE 'PDF text too large|timed out|limit reached' <<<"$(report_reason "$TMP/r.json" text-bomb.pdf)"
check "no temporary PDF copies left in /tmp" test -z "$(find /tmp -maxdepth 1 -name 'kw-extract-*' -newer "$TMP/ten.pdf" 2>/dev/null)"

# SIGKILL the ingest while pdftotext grinds on the CPU bomb: nothing of
# it may live on.
mkdir -p "$TMP/bomb"
cp "$T/cpu-bomb.pdf" "$TMP/bomb/"
setsid "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection i2kill \
    --jobs 1 "$TMP/bomb" >/dev/null 2>&1 &
pid=$!
seen=
for _ in $(seq 1 50); do
    sleep 0.2
    if session_procs "$pid" | grep -q pdftotext; then seen=1; break; fi
done
check "pdftotext started under the ingest" test -n "$seen"
kill -9 "$pid"
{ wait "$pid"; } 2>/dev/null
t0=$SECONDS
while [ -n "$(session_procs "$pid")" ] && [ $((SECONDS - t0)) -lt 10 ]; do sleep 0.2; done
left=$(session_procs "$pid")
check "ingest SIGKILLed: worker and pdftotext gone within $((SECONDS - t0)) s${left:+ (left: $left)}" test -z "$left"
for p in $(session_procs "$pid" | cut -d' ' -f1); do kill -9 "$p" 2>/dev/null; done
check "integrity ok after all that" integrity_ok
finish
