#!/bin/bash
# ZIM export (issue 14): `kwangmyong export --format zim` end to end.  A
# small tree (pages linking each other, a Korean page, an image, a link
# outside) is ingested and approved, one more page is left pending and one
# is withdrawn through the moderation form.  The export passes zimcheck;
# kiwix-serve (Debian 12: kiwix-tools 3.3) serves the archive: a known
# page with its text, a bound link followed to its page, the image, a
# full-text search hit on the right page, and neither the pending nor the
# withdrawn page.  An unknown or empty collection, a missing zimwriterfs
# and an unwritable OUT each fail with their message and leave nothing.
. "${KW_SRCDIR:-.}/tests/lib.sh"
for t in zimwriterfs zimcheck kiwix-serve curl sqlite3; do
    command -v "$t" >/dev/null || { echo "$t missing: skipped"; rm -rf "$TMP"; exit 77; }
done
K() { "$KW_BIN" "$@" --data-dir "$KW_SRCDIR" --db "$TMP/t.db"; }
q() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$TMP/t.db" "$1"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
export TMPDIR="$TMP/tmpdir"
mkdir -p "$TMPDIR" "$TMP/site/sub" "$TMP/site/img" "$TMP/later"
KIWIX_PID=
stop_kiwix() {
    if [ -n "$KIWIX_PID" ]; then
        kill -TERM "$KIWIX_PID" 2>/dev/null
        wait "$KIWIX_PID" 2>/dev/null
        KIWIX_PID=
    fi
}
trap 'stop_kiwix; stop_server' EXIT

S=$TMP/site
printf '<html><head><title>Front page</title></head><body><h1>Front</h1><p>Start here: <a href="alpha.html">to alpha</a>, <a href="sub/bravo.html#part">to bravo</a>, <a href="korean.html">Korean</a>, <a href="gone.html">gone</a>, <a href="later.html">later</a>, <a href="https://example.org/outside">outside link</a>.</p><p><img src="img/pic.png" alt="a picture"></p></body></html>' >"$S/index.html"
printf '<html><head><title>Alpha page</title></head><body><p>The word quetzalcoatl lives here. <a href="sub/bravo.html">bravo</a></p></body></html>' >"$S/alpha.html"
printf '<html><head><title>Bravo page</title></head><body><h2 id="part">Part</h2><p>xylophone bravo text, back to <a href="../alpha.html">alpha</a>.</p></body></html>' >"$S/sub/bravo.html"
printf '<html lang="ko"><head><meta charset="utf-8"><title>평양 도서관</title></head><body><p>인민대학습당은 평양에 있는 도서관이다.</p></body></html>' >"$S/korean.html"
printf '<html><head><title>Gone page</title></head><body><p>withdrawnword text</p></body></html>' >"$S/gone.html"
printf '\211PNG\r\n\032\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\10\6\0\0\0\37\25\304\211' >"$S/img/pic.png"
printf '<html><head><title>Later page</title></head><body><p>pendingword text</p></body></html>' >"$TMP/later/later.html"
K ingest --collection demo --collection-title 'Demo library' --operator op --approve "$S" >/dev/null 2>&1
K ingest --collection demo --operator op "$TMP/later" >/dev/null 2>&1
K ingest --collection empty --collection-title Empty --operator op "$TMP/later" >/dev/null 2>&1
check "five published, one pending" \
    test "$(q "SELECT group_concat(status || ':' || path, ' ') FROM (SELECT status, path FROM document WHERE collection_id = (SELECT id FROM collection WHERE name = 'demo') ORDER BY status, path)")" = "pending:later.html published:alpha.html published:gone.html published:index.html published:korean.html published:sub/bravo.html"

# Withdraw gone.html through the moderation form.
printf 'moderator password\n' | K user add mod --role moderator >/dev/null
start_server || { bad "server starts"; finish; exit 1; }
jar="$TMP/mod.jar"
tok=$(curl -s -c "$jar" -b "$jar" "$BASE/admin/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p')
curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode username=mod \
    --data-urlencode 'password=moderator password' --data-urlencode "csrf_token=$tok" "$BASE/admin/login"
tok=$(curl -s -b "$jar" "$BASE/admin/" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | head -1)
gone=$(q "SELECT id FROM document WHERE path = 'gone.html' AND status = 'published'")
check "withdraw gone.html: 303" \
    test "$(code -b "$jar" --data-urlencode "csrf_token=$tok" --data-urlencode 'reason=test' "$BASE/admin/documents/$gone/withdraw")" = 303
stop_server

# Export.
OUT=$TMP/out/demo.zim
mkdir -p "$TMP/out"
K export --collection demo --format zim "$OUT" >"$TMP/exp.out" 2>"$TMP/exp.err"
rc=$?
check "export: exit 0 ($rc: $(head -c 300 "$TMP/exp.err"))" test "$rc" = 0
check "export: 4 documents, 1 asset, languages kor and eng" \
    grep -q "demo.zim: 4 document(s), 1 asset(s), language \(eng,kor\|kor,eng\)" "$TMP/exp.out"
check "export: the ZIM is there" test -s "$OUT"
check "export: no OUT.tmp left" test -z "$(ls "$TMP/out" | grep -v '^demo.zim$')"
check "export: the temporary tree is removed" test -z "$(ls -A "$TMPDIR")"
# The checks that apply (not -X: external URLs are plain text by design).
zimcheck -C -I -M -F -P -U -R "$OUT" >"$TMP/zimcheck.out" 2>&1
check "zimcheck passes (checksum, integrity, metadata, favicon, main page, internal URLs, redundancy)" test $? = 0
check "zimcheck: overall pass, no warning" \
    test "$(grep -c 'Overall Test Status: Pass' "$TMP/zimcheck.out")" = 1 -a -z "$(grep -E 'WARNING|ERROR' "$TMP/zimcheck.out")"
check "zimcheck checked the articles' URLs" grep -q "Verifying Articles' content" "$TMP/zimcheck.out"
check "the ZIM lists the four pages, the image and the welcome page" \
    test "$(zimdump list "$OUT" | grep -v '^_kw/\(style.css\|illustration.png\)$' | sort | tr '\n' ' ')" = "_kw/index.html alpha.html img/pic.png index.html korean.html sub/bravo.html "

# kiwix-serve on a free loopback port, stopped by PID.
for _ in 1 2 3 4 5; do
    KPORT=$((20000 + RANDOM % 30000))
    timeout 60 kiwix-serve --address 127.0.0.1 --port "$KPORT" "$OUT" >"$TMP/kiwix.log" 2>&1 &
    KIWIX_PID=$!
    for _ in $(seq 1 50); do
        curl -s -o /dev/null "http://127.0.0.1:$KPORT/" && break
        kill -0 "$KIWIX_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$KIWIX_PID" 2>/dev/null && break
    KIWIX_PID=
done
check "kiwix-serve starts" test -n "$KIWIX_PID"
KB="http://127.0.0.1:$KPORT"
# kiwix-tools 3.3 serves a book at /BOOK/PATH, BOOK its file name.
curl -s "$KB/catalog/v2/entries" >"$TMP/catalog.xml"
book=$(sed -n 's|.*<link type="text/html" href="/\([^"/]*\)" */>.*|\1|p' "$TMP/catalog.xml" | head -1)
check "the catalog lists the book as demo ($book)" test "$book" = demo
C="$KB/$book"
check "metadata: Title" grep -q '<title>Demo library</title>' "$TMP/catalog.xml"
check "metadata: Language" grep -q '<language>\(eng,kor\|kor,eng\)</language>' "$TMP/catalog.xml"
check "metadata: Name" grep -q '<name>kwangmyong_demo</name>' "$TMP/catalog.xml"
check "metadata: Date" grep -q "<updated>$(date -u +%Y-%m-%d)T00:00:00Z</updated>" "$TMP/catalog.xml"
check "metadata: Description" grep -q '<summary>Demo library: documents from Kwangmyong Portal</summary>' "$TMP/catalog.xml"
check "metadata: Publisher" grep -q '<name>Kwangmyong Portal</name>' <(grep -A1 '<publisher>' "$TMP/catalog.xml")
check "metadata: the 48x48 illustration" \
    test "$(curl -s "$KB/catalog/v2/illustration/$book/?size=48" | head -c 8 | od -An -c | tr -d ' ')" = '211PNG\r\n032\n'
curl -s "$C/alpha.html" >"$TMP/alpha.html"
check "a known page serves with its text" grep -q quetzalcoatl "$TMP/alpha.html"
link=$(sed -n 's/.*<a href="\([^"]*\)">bravo<\/a>.*/\1/p' "$TMP/alpha.html")
check "its link is bound relative ($link)" test "$link" = "sub/bravo.html"
check "the bound link leads to its page" grep -q xylophone <(curl -s "$C/$link")
curl -s "$C/sub/bravo.html" >"$TMP/bravo.html"
back=$(sed -n 's/.*back to <a href="\([^"]*\)">alpha.*/\1/p' "$TMP/bravo.html")
check "a link up a folder is bound ($back) and leads back" \
    grep -q quetzalcoatl <(curl -s "$C/sub/$back")
curl -s "$C/index.html" >"$TMP/index.html"
check "a fragment is kept" grep -q 'href="sub/bravo.html#part"' "$TMP/index.html"
check "the Korean page is linked" grep -q 'href="korean.html"' "$TMP/index.html"
check "the Korean page serves in UTF-8" grep -q '인민대학습당' <(curl -s "$C/korean.html")
check "a link outside is plain text" grep -q '<a>outside link</a>' "$TMP/index.html"
check "nothing loads from outside" test -z "$(grep -o 'src="[a-z]*://[^"]*"\|href="[a-z]*://[^"]*"' "$TMP/index.html" "$TMP/alpha.html")"
check "the link to the withdrawn page is plain text" grep -q '<a>gone</a>' "$TMP/index.html"
check "the link to the pending page is plain text" grep -q '<a>later</a>' "$TMP/index.html"
img=$(sed -n 's/.*<img src="\([^"]*\)" alt="a picture">.*/\1/p' "$TMP/index.html")
check "the image is bound ($img) and served as PNG" \
    test "$img" = img/pic.png -a "$(curl -s -o /dev/null -w '%{content_type}' "$C/$img")" = image/png
check "the image's bytes" cmp -s "$S/img/pic.png" <(curl -s "$C/$img")
check "the main page lists the documents" \
    test "$(curl -sL "$C/" | grep -c '<li><a href="\.\./')" = 4
check "the withdrawn page is absent" test "$(code "$C/gone.html")" = 404
check "the pending page is absent" test "$(code "$C/later.html")" = 404
curl -s "$KB/search?content=$book&pattern=xylophone" >"$TMP/search.html"
check "full-text search finds the right page" grep -q "sub/bravo.html" "$TMP/search.html"
check "full-text search: one result" grep -q 'Results<b>1-1</b>of<b>1</b>' <(tr -d ' \n' <"$TMP/search.html")
curl -s "$KB/search?content=$book&pattern=%ED%8F%89%EC%96%91" >"$TMP/searchko.html"
check "full-text search finds a Korean word" grep -q "/$book/korean.html" "$TMP/searchko.html"
curl -s "$KB/search?content=$book&pattern=withdrawnword" >"$TMP/search2.html"
check "full-text search finds no withdrawn text" test -z "$(grep -o 'gone.html' "$TMP/search2.html")"
curl -s "$KB/search?content=$book&pattern=pendingword" >"$TMP/search3.html"
check "full-text search finds no pending text" test -z "$(grep -o 'later.html' "$TMP/search3.html")"
stop_kiwix

# Failures: each with its message, exit 2, nothing left behind.
fails() {
    local name=$1 msg=$2 out=$3 rc
    shift 3
    "$@" >/dev/null 2>"$TMP/f.err"
    rc=$?
    check "$name: exit 2 ($rc)" test "$rc" = 2
    check "$name: says '$msg'" grep -q "$msg" "$TMP/f.err"
    check "$name: nothing left" test ! -e "$out" -a ! -e "$out.tmp" -a -z "$(ls -A "$TMPDIR")"
}
fails "unknown collection" "no collection 'nosuch'" "$TMP/x.zim" \
    K export --collection nosuch --format zim "$TMP/x.zim"
fails "empty collection" "collection 'empty' has no published document" "$TMP/x.zim" \
    K export --collection empty --format zim "$TMP/x.zim"
fails "zimwriterfs missing" "install the zim-tools package" "$TMP/x.zim" \
    env PATH=/nonexistent "$KW_BIN" export --collection demo --data-dir "$KW_SRCDIR" --db "$TMP/t.db" "$TMP/x.zim"
mkdir -p "$TMP/ro"
chmod 555 "$TMP/ro"
if [ "$(id -u)" = 0 ]; then
    # root writes anywhere: a path under a regular file cannot be written.
    : >"$TMP/ro/file" 2>/dev/null || { chmod 755 "$TMP/ro"; : >"$TMP/ro/file"; }
    RO=$TMP/ro/file/x.zim
else
    RO=$TMP/ro/x.zim
fi
fails "unwritable OUT" "x.zim.tmp" "$RO" K export --collection demo "$RO"
check "unwritable OUT: the folder holds nothing new" test -z "$(ls -A "$TMP/ro" | grep -v '^file$')"
chmod 755 "$TMP/ro"
before=$(sha256sum "$OUT")
mkdir -p "$TMP/fakebin"
printf '#!/bin/sh\necho "zimwriterfs: simulated failure" >&2\nexit 3\n' >"$TMP/fakebin/zimwriterfs"
chmod +x "$TMP/fakebin/zimwriterfs"
env PATH="$TMP/fakebin:$PATH" "$KW_BIN" export --collection demo --data-dir "$KW_SRCDIR" --db "$TMP/t.db" "$OUT" >/dev/null 2>"$TMP/f.err"
rc=$?
check "zimwriterfs failing: exit 2 ($rc)" test "$rc" = 2
check "zimwriterfs failing: says so" grep -q "zimwriterfs failed (exit 3)" "$TMP/f.err"
check "zimwriterfs failing: the old OUT is untouched, nothing left" \
    test "$(sha256sum "$OUT")" = "$before" -a ! -e "$OUT.tmp" -a -z "$(ls -A "$TMPDIR")"
# The tree itself (--format html) binds the same way.
K export --collection demo --format html "$TMP/tree" >/dev/null 2>&1
check "--format html writes the tree" test -s "$TMP/tree/alpha.html" -a -s "$TMP/tree/_kw/index.html"
check "--format html into an existing folder fails" test "$(K export --collection demo --format html "$TMP/tree" >/dev/null 2>&1; echo $?)" = 2
finish
