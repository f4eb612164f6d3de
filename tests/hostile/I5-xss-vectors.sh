#!/bin/bash
# I5 (docs/hostile-world.md): the XSS vector sets through the sanitizer.
# Covered by the Check program tests/check_sanitize, case "vectors": every
# html5sec payload (placeholders substituted) and every DOMPurify fixture
# from ../shared/xss-vectors is sanitized, the output parsed again with
# gumbo and walked: no script, style, svg, math, iframe or form, no on*
# attribute, no attribute outside the allow-list, no URL scheme but http,
# https and mailto, valid UTF-8, and sanitizing the output again gives the
# same bytes; a positive control proves the checker catches each kind.
# The same with the options ingest uses (a base URL and the image rewrite
# hook).  This row runs that program and says so; it adds an end-to-end
# pass: every vector as a file through `kwangmyong ingest`, checked in
# the database.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3
VEC="$KW_SRCDIR/tests/data/xss-vectors"
[ -f "$VEC/html5sec.json" ] || VEC="$KW_SRCDIR/../shared/xss-vectors"
prog=$(check_program check_sanitize) || { bad "tests/check_sanitize could not be built"; finish; exit 1; }
echo "I5: running $prog (case vectors: html5sec + DOMPurify, safe and a fixed point)"
data=$(dirname "$VEC")
(cd "$TMP" && KW_TEST_DATA="$data" CK_RUN_CASE=vectors "$prog") >"$TMP/vec.log" 2>&1
rc=$?
grep -E 'vectors pass|Checks|:F:|:E:' "$TMP/vec.log"
check "check_sanitize vectors pass (exit $rc)" test "$rc" -eq 0
check "html5sec vectors all passed" grep -qE 'html5sec: ([0-9]+)/\1 vectors pass' "$TMP/vec.log"
check "DOMPurify vectors all passed" grep -qE 'dompurify: ([0-9]+)/\1 vectors pass' "$TMP/vec.log"
check "ingest options pass too" grep -qE 'with ingest options: ([0-9]+)/\1 vectors pass' "$TMP/vec.log"

# End to end: each payload as an HTML file through the real ingest.
python3 - "$VEC" "$TMP/site" <<'PY'
import json, os, sys
vec, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
ph = json.load(open(os.path.join(vec, "html5sec-placeholders.json")))
n = 0
def sub(s):
    for k, v in ph.items():
        s = s.replace("%" + k + "%", v)
    return s
for it in json.load(open(os.path.join(vec, "html5sec.json"))):
    n += 1
    open(os.path.join(out, "h%04d.html" % n), "w", encoding="utf-8", errors="surrogatepass").write(
        "<html><head><title>v%d</title></head><body>%s<p>marker %d</p></body></html>" % (n, sub(it["data"]), n))
for it in json.load(open(os.path.join(vec, "dompurify-fixtures.json"))):
    n += 1
    open(os.path.join(out, "d%04d.html" % n), "w", encoding="utf-8", errors="surrogatepass").write(
        "<html><head><title>v%d</title></head><body>%s<p>marker %d</p></body></html>" % (n, it["payload"], n))
print(n)
PY
nvec=$(ls "$TMP/site" | wc -l)
kw ingest --collection i5 --report "$TMP/r.json" --jobs 2 "$TMP/site" >"$TMP/out" 2>"$TMP/err"
rc=$?
cat "$TMP/out"
check "ingest of $nvec vector files ends (exit $rc, 0 or 1)" test "$rc" -le 1
check "no sanitizer report from the ingest" sanitizer_clean "$TMP/err"
stored=$(q "SELECT count(*) FROM document")
check "vector files stored or rejected with a reason: $stored stored" \
    test "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(1 for f in r["files"] if f["status"] in ("new","rejected")))' "$TMP/r.json")" -eq "$nvec"
python3 - "$DB" >"$TMP/scan.out" <<'PY'
# Parsed, not grepped: python's own HTML tokenizer (independent of gumbo)
# lists every element and attribute of every stored body.
import html.parser, re, sqlite3, sys
BAD_TAGS = {"script", "style", "iframe", "svg", "math", "form", "object",
            "embed", "base", "meta", "link", "frame", "frameset", "template",
            "noscript", "textarea", "xmp", "plaintext", "noembed", "noframes"}
class Scan(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.why = []
    def handle_starttag(self, tag, attrs):
        if tag in BAD_TAGS:
            self.why.append("<%s>" % tag)
        for k, v in attrs:
            if k.startswith("on") or k in ("style", "formaction", "srcdoc", "xlink:href"):
                self.why.append("%s on <%s>" % (k, tag))
            if k in ("href", "src", "cite", "action", "background", "poster") and v:
                scheme = re.sub(r"[\x00-\x20\x7f]", "", v).split(":", 1)
                if len(scheme) == 2 and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme[0]) \
                        and scheme[0].lower() not in ("http", "https", "mailto"):
                    self.why.append("%s=%s on <%s>" % (k, v[:40], tag))
    handle_startendtag = handle_starttag
    def handle_comment(self, data):
        self.why.append("comment")
con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
bad = n = 0
for i, body in con.execute("SELECT id, body_html FROM document"):
    s = Scan(); s.feed(body or ""); s.close(); n += 1
    if s.why:
        bad += 1
        print("document %d: %s" % (i, ", ".join(s.why[:5])))
# positive control: the scanner sees what it is meant to see
for probe in ('<a href=" JaVaScRiPt:x">', '<img src=x onerror=y>', '<svg>', '<p style=x>'):
    s = Scan(); s.feed(probe); s.close()
    if not s.why:
        bad += 1; print("scanner missed", probe)
print("%d bodies parsed, %d unsafe" % (n, bad))
sys.exit(1 if bad else 0)
PY
rc=$?
tail -5 "$TMP/scan.out"
check "no script, handler or js/data URL in any stored body" test "$rc" -eq 0
check "stored text is valid UTF-8" utf8_ok
finish
