#!/bin/bash
# The page cache (page_cache, issue 13): a hot document page is answered
# from ready bytes in memory, and never after the database changed in a
# way that changes it.  The cache is warmed (the metrics show hits), then
# after each kind of change the very next request must show it, plain and
# gzip: a withdrawal through the web form, `ingest --approve` of a changed
# page in another process, a title edit, a neighbouring document
# published (the pager's next link); If-None-Match with the old ETag gets
# 200 and the new page.  The memory bound holds with many distinct pages
# (RssAnon from /proc), and a read-only replica's roll-over drops it.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 99; }
DB="$TMP/t.db"
q() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }
K() { "$KW_BIN" "$@" --db "$DB" --data-dir "$KW_SRCDIR"; }
metric() { curl -s "$BASE/metrics" | sed -n "s/^$1 //p"; }
hits() { metric 'kwangmyong_page_cache_lookups_total{result="hit"}'; }
plain() { curl -s "$BASE$1"; }
gz() { curl -s --compressed -H 'Accept-Encoding: gzip' "$BASE$1"; }
# warm PATH: ask until both encodings are answered from the cache.
warm() {
    local h0 i
    for i in 1 2 3 4 5 6; do
        h0=$(hits)
        plain "$1" >/dev/null
        gz "$1" >/dev/null
        [ "$(hits)" -ge $((h0 + 2)) ] && return 0
    done
    return 1
}
page() { # page NAME TITLE TEXT [LINK]
    printf '<html><head><title>%s</title></head><body><p>%s</p>%s</body></html>' \
        "$2" "$3" "${4:+<a href=\"$4\">link</a>}" >"$TMP/site/$1"
}

mkdir -p "$TMP/site"
page a.html 'Page A' 'alpha one'
page c.html 'Page C' 'charlie one'
page w.html 'Page W' 'whiskey one'
K ingest --collection pc --collection-title Cache --approve "$TMP/site" >/dev/null 2>&1
printf 'moderator password\n' | K user add mod --role moderator >/dev/null
start_server || { bad "server starts"; finish; exit 1; }

check "cache warms: plain and gzip answered from memory" warm /c/pc/a.html
check "cached page is the page" grep -q 'alpha one' <<<"$(plain /c/pc/a.html)"
check "cached gzip page is the page" grep -q 'alpha one' <<<"$(gz /c/pc/a.html)"
hdr=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "$BASE/c/pc/a.html" | tr -d '\r')
check "cached gzip answer says gzip" grep -qi '^Content-Encoding: gzip' <<<"$hdr"
check "cached answer keeps the sandbox CSP" grep -qi '^Content-Security-Policy: sandbox' <<<"$hdr"
check "cached answer varies on Accept-Encoding" grep -qi '^Vary: Accept-Encoding' <<<"$hdr"
etag=$(sed -n 's/^ETag: //Ip' <<<"$hdr")
check "cached answer has an ETag ($etag)" test -n "$etag"
check "If-None-Match with it: 304 from the cache" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/c/pc/a.html")" = 304
check "HEAD from the cache: no body" test -z "$(curl -s -I "$BASE/c/pc/a.html" -o /dev/null -w '%{size_download}' | tr -d 0)"
check "cached hits are in the access log" \
    test "$(grep -c 'GET /c/pc/a.html 200' "$TMP/access.log")" -ge 4

# 1. A withdrawal through the web form (this server's writer).
jar="$TMP/m.jar"
tok=$(curl -s -c "$jar" -b "$jar" "$BASE/admin/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p')
curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode username=mod \
    --data-urlencode 'password=moderator password' --data-urlencode "csrf_token=$tok" "$BASE/admin/login"
tok=$(curl -s -b "$jar" "$BASE/admin/" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | head -1)
check "moderator's page is the anonymous page" \
    test "$(curl -s -b "$jar" "$BASE/c/pc/w.html" | sha256sum)" = "$(plain /c/pc/w.html | sha256sum)"
check "w warm" warm /c/pc/w.html
wid=$(q "SELECT id FROM document WHERE path = 'w.html' AND status = 'published'")
check "withdraw through the form: 303" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" --data-urlencode "csrf_token=$tok" \
        --data-urlencode 'reason=test' "$BASE/admin/documents/$wid/withdraw")" = 303
check "withdrawn: the very next request is 410" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/c/pc/w.html")" = 410
check "withdrawn: gzip too" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' "$BASE/c/pc/w.html")" = 410

# 2. ingest --approve of a changed page, in another process.
check "a warm" warm /c/pc/a.html
page a.html 'Page A' 'alpha two'
K ingest --collection pc --approve "$TMP/site" >/dev/null 2>&1
check "changed by ingest: next plain request shows it" grep -q 'alpha two' <<<"$(plain /c/pc/a.html)"
check "changed by ingest: next gzip request shows it" grep -q 'alpha two' <<<"$(gz /c/pc/a.html)"
r=$(curl -s -D - -H "If-None-Match: $etag" "$BASE/c/pc/a.html" | tr -d '\r')
check "If-None-Match with the old ETag: 200" grep -q '^HTTP/1.1 200' <<<"$r"
check "If-None-Match with the old ETag: the new page" grep -q 'alpha two' <<<"$r"

# 3. A title edit through the form.
check "a warm again" warm /c/pc/a.html
aid=$(q "SELECT id FROM document WHERE path = 'a.html' AND status = 'published'")
check "edit title and tags: 303" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" --data-urlencode "csrf_token=$tok" \
        --data-urlencode 'title=Edited Title' --data-urlencode 'tags=x, y' "$BASE/admin/documents/$aid/edit")" = 303
check "edited: next plain request shows the title" grep -q 'Edited Title' <<<"$(plain /c/pc/a.html)"
check "edited: next gzip request shows the title" grep -q 'Edited Title' <<<"$(gz /c/pc/a.html)"

# 4. A neighbour published by another process: a's next link moves.
check "a warm before the neighbour" warm /c/pc/a.html
nb=$(plain /c/pc/a.html | grep -o 'rel="next" href="[^"]*"')
page b.html 'Page B' 'bravo one'
K ingest --collection pc --approve "$TMP/site" >/dev/null 2>&1
na=$(plain /c/pc/a.html | grep -o 'rel="next" href="[^"]*"')
check "neighbour published: next request links to it ($nb -> $na)" grep -q 'b.html' <<<"$na"
check "neighbour published: gzip too" grep -q 'rel="next" href="[^"]*b.html' <<<"$(gz /c/pc/a.html)"
# 5. No window: another process commits 60 times in a row while two
# clients keep the page hot; the request made after each commit shows it.
command -v flock >/dev/null && {
    (while [ ! -e "$TMP/stop" ]; do plain /c/pc/c.html >/dev/null; gz /c/pc/c.html >/dev/null; done) &
    hammer=$!
    cid=$(q "SELECT id FROM document WHERE path = 'c.html' AND status = 'published'")
    plain /c/pc/c.html >/dev/null
    h0=$(hits)
    stale=0
    for i in $(seq 1 60); do
        flock -x "$DB.lock" sqlite3 -cmd '.timeout 5000' "$DB" \
            "UPDATE rendition SET html = CAST('<p>version $i</p>' AS BLOB), html_gz = NULL, etag = '\"v$i\"' WHERE document_id = $cid" >/dev/null
        got=$(plain /c/pc/c.html)
        [ "$got" = "<p>version $i</p>" ] || { stale=$((stale + 1)); echo "# commit $i: got ${got:0:60}"; }
        got=$(gz /c/pc/c.html)
        [ "$got" = "<p>version $i</p>" ] || { stale=$((stale + 1)); echo "# commit $i (gzip): got ${got:0:60}"; }
    done
    touch "$TMP/stop"; wait "$hammer"
    check "60 commits by another process under load: no stale answer ($stale)" test "$stale" -eq 0
    h1=$(hits)
    check "and the page cache was answering meanwhile ($((h1 - h0)) hits)" test $((h1 - h0)) -gt 60
}
drops=$(metric kwangmyong_page_cache_drops_total)
check "drops counted ($drops)" test "${drops:-0}" -ge 4
stop_server

# 6. The memory bound: many distinct pages, both encodings, past budget.
rm -rf "$TMP/site" && mkdir -p "$TMP/big"
for i in $(seq 1 120); do
    { printf '<html><head><title>Big %s</title></head><body>' "$i"
      head -c 90000 /dev/urandom | base64 -w 100 | sed 's/.*/<p>&<\/p>/'
      printf '</body></html>'; } >"$TMP/big/p$i.html"
done
K ingest --collection big --approve "$TMP/big" >/dev/null 2>&1
start_server --set page_cache=4M || { bad "server starts (4M)"; finish; exit 1; }
for pass in 1 2 3; do
    for i in $(seq 1 120); do
        curl -s -o /dev/null "$BASE/c/big/p$i.html"
        curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$BASE/c/big/p$i.html"
    done
done
bytes=$(metric kwangmyong_page_cache_bytes)
entries=$(metric kwangmyong_page_cache_entries)
check "cache full but within page_cache=4M ($bytes bytes, $entries pages)" \
    test "$bytes" -gt 2000000 -a "$bytes" -le 4194304
# RssAnon says nothing under AddressSanitizer (shadow memory, quarantine):
# there only the cache's own byte count above is checked.
rss_under() { # KB: RssAnon under 64 MiB, or an ASan build
    if ldd "$KW_BIN" 2>/dev/null | grep -q libasan; then
        echo "# RssAnon $1 kB not checked: AddressSanitizer build"
        return 0
    fi
    test "$1" -lt 65536
}
rss=$(awk '/^RssAnon:/ {print $2}' "/proc/$SERVER_PID/status")
check "RssAnon under 64 MiB with the cache full ($rss kB)" rss_under "$rss"
stop_server
start_server || { bad "server starts (default)"; finish; exit 1; }
for i in $(seq 1 120); do
    curl -s -o /dev/null "$BASE/c/big/p$i.html"
    curl -s -o /dev/null "$BASE/c/big/p$i.html"
    curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$BASE/c/big/p$i.html"
done
bytes=$(metric kwangmyong_page_cache_bytes)
rss=$(awk '/^RssAnon:/ {print $2}' "/proc/$SERVER_PID/status")
check "default page_cache full ($bytes bytes)" test "$bytes" -gt 16000000
check "default page_cache full: RssAnon under 64 MiB ($rss kB)" rss_under "$rss"
stop_server

# 7. A read-only replica: the roll-over drops the cache.  The primary is
# another file; the replica serves $TMP/t.db, a snapshot replaced by rename.
DB="$TMP/primary.db"
mkdir -p "$TMP/site"
page r.html 'Page R' 'romeo one'
K ingest --collection rep --approve "$TMP/site" >/dev/null 2>&1
rm -f "$TMP/t.db" "$TMP/t.db-wal" "$TMP/t.db-shm"
K backup "$TMP/t.db" >/dev/null 2>&1
start_server --read-only --set immutable=true || { bad "replica starts"; finish; exit 1; }
check "replica: page warm" warm /c/rep/r.html
page r.html 'Page R' 'romeo two'
K ingest --collection rep --approve "$TMP/site" >/dev/null 2>&1
rm -f "$TMP/next.db" && K backup "$TMP/next.db" >/dev/null 2>&1
n0=$(grep -c 'readers move' "$TMP/err.log")
mv "$TMP/next.db" "$TMP/t.db"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 50); do
    [ "$(grep -c 'readers move' "$TMP/err.log")" -gt "$n0" ] && break
    sleep 0.1
done
check "replica: rolled over" test "$(grep -c 'readers move' "$TMP/err.log")" -gt "$n0"
check "replica: the next request after the roll-over shows the new page" \
    grep -q 'romeo two' <<<"$(plain /c/rep/r.html)"
check "replica: gzip too" grep -q 'romeo two' <<<"$(gz /c/rep/r.html)"
stop_server

finish
