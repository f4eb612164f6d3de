#!/bin/bash
# ZIM input (issue 14): a small tree (pages linking each other, an image,
# a stylesheet, a Korean page, a meta-refresh page that zimwriterfs turns
# into a redirect) packed with zimwriterfs; ingested pending, then with
# --approve; the document table (titles, source URLs below the Source
# metadata, retrieval time from Date), assets, links, the metadata as the
# collection's title, description and language and in the batch report,
# the redirect as an alias the portal follows, search; and archives that
# are refused whole with nothing stored: truncated, not a ZIM, a denied
# Source, zimdump missing, a ZIM with another PATH, a zimdump that never
# ends (killed at its time limit).
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 99; }
for t in zimwriterfs zimdump python3 curl; do
    command -v $t >/dev/null || { echo "$t missing: skipped"; rm -rf "$TMP"; exit 77; }
done
DB="$TMP/t.db"
export TMPDIR="$TMP/tmpdir" # the unpacked trees, checked empty at the end
mkdir -p "$TMPDIR"
q() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }
ingest() { "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" "$@"; }

S="$TMP/site"
mkdir -p "$S/img" "$S/ko"
cat >"$S/index.html" <<'HTML'
<!doctype html><html><head><title>Library Home</title>
<link rel="stylesheet" href="style.css"></head>
<body><h1>Home</h1><p>Read the <a href="guide.html">guide</a> and the
<a href="ko/intro.html">Korean page</a>.</p><img src="img/logo.png" alt="logo">
</body></html>
HTML
cat >"$S/guide.html" <<'HTML'
<!doctype html><html><head><title>Field Guide</title></head>
<body><p>Back <a href="index.html">home</a>. The quokkafish lives here.</p>
</body></html>
HTML
cat >"$S/ko/intro.html" <<'HTML'
<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>조선어 소개</title></head>
<body><p>평양의 도서관에 오신 것을 환영합니다. <a href="../guide.html">안내</a></p>
</body></html>
HTML
# zimwriterfs makes an HTML redirect page a ZIM redirect entry.
printf '<html><head><meta http-equiv="refresh" content="0;url=guide.html"></head><body></body></html>\n' >"$S/old-guide.html"
printf 'body { color: black }\n' >"$S/style.css"
python3 - "$S" <<'PY'
import struct, sys, zlib
def png(w, h):
    raw = b''.join(b'\0' + b'\x20\x40\x80' * w for _ in range(h))
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
open(sys.argv[1] + '/icon.png', 'wb').write(png(48, 48))
open(sys.argv[1] + '/img/logo.png', 'wb').write(png(8, 8))
PY
Z="$TMP/lib.zim"
mkzim() { # SOURCE OUT
    zimwriterfs --welcome=index.html --illustration=icon.png --language=kor \
        --title="Pyongyang Test Library" --description="A small test library" \
        --creator="Test Creator" --publisher="Test Publisher" --name=test_lib \
        --source="$1" "$S" "$2" >"$TMP/zw.log" 2>&1
}
mkzim "https://library.example.org/wiki/" "$Z"
check "zimwriterfs wrote a ZIM" test -s "$Z"
ZDATE=$(date -u +%Y-%m-%d)
ZTIME=$(date -u -d "$ZDATE" +%s)
SRC="https://library.example.org/wiki"

ingest --collection zlib --report "$TMP/report.json" --ack-log "$TMP/ack.jsonl" \
    "$Z" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "exit 0: everything stored" test "$rc" = 0
cat "$TMP/out" "$TMP/err"

doc() { q "SELECT $2 FROM document WHERE path = '$1'"; }
check "pages stored pending" test "$(q "SELECT count(*) FROM document WHERE status = 'pending'")" = 3
check "home page's title" test "$(doc index.html title)" = "Library Home"
check "guide's title" test "$(doc guide.html title)" = "Field Guide"
check "Korean page's title" test "$(doc ko/intro.html title)" = "조선어 소개"
check "Korean text stored" grep -q '평양의 도서관' <<<"$(doc ko/intro.html body_text)"
check "Korean page's language" test "$(doc ko/intro.html language)" = ko
check "original URL below Source" test "$(doc guide.html source_url)" = "$SRC/guide.html"
check "retrieved at the Date metadata" test "$(doc guide.html retrieved_at)" = "$ZTIME"
check "the redirect is no document" test -z "$(doc old-guide.html id)"
check "image stored as an asset" test "$(q "SELECT content_type FROM asset WHERE path = 'img/logo.png'")" = image/png
check "stylesheet stored as an asset" test -n "$(q "SELECT 1 FROM asset WHERE path = 'style.css'")"
check "a link between pages binds" test "$(q "SELECT d.path FROM link l JOIN document d ON d.source_url_norm = l.target_url WHERE l.document_id = (SELECT id FROM document WHERE path = 'guide.html')")" = index.html
check "Title as the collection's title" test "$(q "SELECT title FROM collection WHERE name = 'zlib'")" = "Pyongyang Test Library"
check "Description as the collection's description" test "$(q "SELECT description FROM collection WHERE name = 'zlib'")" = "A small test library"
check "Language as the collection's language" test "$(q "SELECT language FROM collection WHERE name = 'zlib'")" = ko
check "Source as the collection's source" test "$(q "SELECT source_url FROM collection WHERE name = 'zlib'")" = "$SRC/"
check "redirect kept as an alias" test "$(q "SELECT target_path FROM alias WHERE path = 'old-guide.html'")" = guide.html
zr() { python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print(r['zim'][sys.argv[1]])" "$1"; }
B=$(q "SELECT report FROM ingest_batch ORDER BY id DESC LIMIT 1")
check "Creator in the batch's provenance" test "$(zr creator <<<"$B")" = "Test Creator"
check "Publisher in the batch's provenance" test "$(zr publisher <<<"$B")" = "Test Publisher"
check "Date in the batch's provenance" test "$(zr date <<<"$B")" = "$ZDATE"
check "every document acknowledged" test "$(wc -l <"$TMP/ack.jsonl")" = 3
rep() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('\n'.join('%s|%s|%s' % (f['path'], f['status'], f.get('reason', '')) for f in r['files']))" "$TMP/report.json"; }
check "the report names the alias" grep -q "^$SRC/old-guide.html|skipped|redirect, kept as an alias of guide.html" <<<"$(rep)"

# --approve publishes; the portal binds links, follows the alias, finds
# a known word.
ingest --collection zlib --approve "$Z" >"$TMP/out2" 2>&1
check "second run: nothing new, nothing changed" grep -q ': 0 new, 0 changed' "$TMP/out2"
rm -f "$DB" "$DB-wal" "$DB-shm"
ingest --collection zlib --approve "$Z" >"$TMP/out3" 2>&1
check "--approve publishes" test "$(q "SELECT count(*) FROM document WHERE status = 'published'")" = 3
start_server
h=$(curl -s "$BASE/c/zlib/index.html")
check "served page links to the guide" grep -q 'href="/c/zlib/guide.html"' <<<"$h"
check "served page shows the image" grep -q 'src="/c/zlib/img/logo.png"' <<<"$h"
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$BASE/c/zlib/old-guide.html")
check "the alias answers 301 to its target" test "$loc" = "301 $BASE/c/zlib/guide.html"
check "an unknown path is still 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/c/zlib/nothing.html")" = 404
check "search finds a known word" grep -q '"path": *"guide.html"' <<<"$(curl -s "$BASE/api/search?q=quokkafish")"
stop_server

# Refused whole, nothing stored: each run on a fresh database.
nothing_stored() { [ ! -s "$DB" ] || [ "$(q "SELECT count(*) FROM document")" = 0 ]; }
refused() { # NAME EXPECTED-RC MESSAGE ARGS...
    local name=$1 want=$2 msg=$3; shift 3
    rm -f "$DB" "$DB-wal" "$DB-shm"
    ingest --collection bad "$@" >"$TMP/rout" 2>"$TMP/rerr"
    local got=$?
    check "$name: exit $want" test "$got" = "$want"
    check "$name: says why" grep -q "$msg" "$TMP/rerr"
    check "$name: nothing stored" nothing_stored
}
head -c $(($(stat -c %s "$Z") / 2)) "$Z" >"$TMP/cut.zim"
refused "truncated ZIM" 1 "truncated ZIM archive" "$TMP/cut.zim"
printf 'this is not a ZIM archive\n' >"$TMP/fake.zim"
refused "not a ZIM" 1 "not a ZIM archive" "$TMP/fake.zim"
printf 'deny library.example.org\n' >"$TMP/policy"
refused "denied Source" 1 "blocked source: library.example.org" --policy "$TMP/policy" "$Z"
KW_ZIMDUMP=/nonexistent/zimdump refused "zimdump missing" 2 "install zim-tools" "$Z"
refused "a ZIM with another PATH" 2 "ingested on its own" "$Z" "$S"
# A zimdump that never ends: killed at its time limit, the archive
# refused with zimdump and the limit named, nothing left running.
mkdir -p "$TMP/stuck"
cat >"$TMP/stuck/zimdump" <<SH
#!/bin/sh
echo \$\$ >"$TMP/stuck/pid"
exec sleep 300
SH
chmod +x "$TMP/stuck/zimdump"
t0=$(date +%s)
PATH="$TMP/stuck:$PATH" KW_ZIMDUMP_TIMEOUT=1 refused "a stuck zimdump" 1 \
    "zimdump list took longer than 1 s and was stopped" "$Z"
check "a stuck zimdump: stopped within seconds" test $(($(date +%s) - t0)) -lt 20
check "a stuck zimdump: it ran" test -s "$TMP/stuck/pid"
check "a stuck zimdump: killed" sh -c "! kill -0 $(cat "$TMP/stuck/pid" 2>/dev/null || echo 0) 2>/dev/null"
KW_ZIMDUMP_TIMEOUT=soon refused "a bad KW_ZIMDUMP_TIMEOUT" 2 \
    "KW_ZIMDUMP_TIMEOUT is 'soon', not a number of seconds" "$Z"
check "no temporary tree left" test -z "$(ls -A "$TMPDIR")"
finish
