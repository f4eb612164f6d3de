#!/bin/bash
# I6 (docs/hostile-world.md, trap 6): complexity bombs through `kwangmyong
# ingest`: deep nesting (100k <span>, 100k <div>, 50k <table>, frameset),
# 20k unclosed <b><i>, 20k misnested formatting (adoption agency), a
# million attributes on one element, one attribute value of 7 MB, 1.5
# million empty elements, a deep Markdown blockquote and list, and a
# gzip'd bomb.  Pass: each is stopped by the sanitizer's pre-checks or the
# worker's limits and rejected with "too complex" (or the size limit),
# the batch goes on and every sibling is stored, all in bounded time.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3 setsid

T="$TMP/t"
mkdir -p "$T"
python3 - "$T" <<'PY'
import gzip, os, sys
d = sys.argv[1]
def w(name, s, z=False):
    data = s.encode() if isinstance(s, str) else s
    if z:
        data = gzip.compress(data, 6)
    open(os.path.join(d, name), "wb").write(data)
head = "<html><head><title>bomb</title></head><body>"
w("nest-span.html", head + "<span>" * 100000 + "x")
w("nest-div.html", head + "<div>" * 100000 + "x")
w("nest-table.html", head + "<table><tr><td>" * 50000 + "x")
w("nest-frameset.html", "<html><frameset>" * 100000)
w("unclosed-bi.html", head + "<b><i>" * 20000 + "x")
w("misnested.html", head + "<a><b><p>" * 20000 + "x")
w("million-attrs.html", head + "<p " + " ".join("a%d=1" % i for i in range(1000000)) + ">x</p>")
w("huge-attr.html", head + '<p title="' + "A" * (7 << 20) + '">x</p>')
w("many-elements.html", head + "<br>" * 1500000)
w("nest-span.html.gz", head + "<span>" * 200000, z=True)
w("deep-quote.md", "> " * 100000 + "x\n")
w("deep-list.md", "".join("  " * i + "- x\n" for i in range(3000)))
for i in range(5):
    w("sibling%d.html" % i, "<html><head><title>Sibling %d</title></head><body><p>fine %d</p></body></html>" % (i, i))
w("sibling.md", "# Sibling md\n\nfine\n")
PY
nb=$(ls "$T" | grep -vc '^sibling')
echo "I6: $nb bombs ($(du -sh --apparent-size "$T" | cut -f1) in all) and 6 siblings"

start=$SECONDS
setsid "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection i6 \
    --report "$TMP/r.json" --jobs 2 "$T" >"$TMP/out" 2>"$TMP/err" &
pid=$!
end=$((SECONDS + 240))
while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.5; done
if kill -0 "$pid" 2>/dev/null; then bad "ingest still running after 240 s"; kill -9 "$pid"; fi
wait "$pid"
rc=$?
secs=$((SECONDS - start))
cat "$TMP/out"
check "bounded: ended in ${secs}s (< 240 s), exit 1 [$rc]" test "$rc" -eq 1
check "no sanitizer report" sanitizer_clean "$TMP/err"
check "no worker left" test -z "$(session_procs "$pid")"
n=0
for f in $(ls "$T" | grep -v '^sibling'); do
    r=$(report_reason "$TMP/r.json" "$f")
    echo "  $f: $r"
    case "$r" in
    "rejected too complex"* | "rejected too large"* | "rejected markdown too complex"*) n=$((n + 1)) ;;
    "new"*) echo "  ($f was within the limits and stored: it is checked below)" ;;
    *) bad "$f: not rejected as too complex or too large: '$r'" ;;
    esac
done
stored_bombs=$(q "SELECT count(*) FROM document WHERE path NOT LIKE 'sibling%'")
check "every bomb rejected by a limit, or within the limits and stored ($n rejected, $stored_bombs stored)" test $((n + stored_bombs)) -eq "$nb"
check "the classic bombs are rejected (span, div, table, frameset nesting; unclosed b/i; a million attributes)" \
    test "$(for f in nest-span.html nest-div.html nest-table.html nest-frameset.html unclosed-bi.html million-attrs.html nest-span.html.gz; do report_reason "$TMP/r.json" "$f"; done | grep -cE '^rejected too (complex|large)')" -eq 7
check "all 6 siblings stored" test "$(q "SELECT count(*) FROM document WHERE path LIKE 'sibling%'")" -eq 6
check "what was stored is valid UTF-8" utf8_ok
check "integrity ok" integrity_ok
check "verify ok" fts_ok
finish
