#!/bin/bash
# The reader portal end to end with curl on a fixture corpus: every route
# and its status, ETag/304, gzip, Range, the sandbox CSP on documents,
# 404 for pending and 410 for withdrawn, the JSON shapes, and Korean
# search recall checked against a grep of the fixture texts (partial
# words and particles).
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 99; }
DB="$TMP/t.db"
q() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }
K() { "$KW_BIN" "$@" --db "$DB" --data-dir "$KW_SRCDIR"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# A Korean corpus whose texts we know word by word.
words=(데이터베이스 이미지 관계형 트랜잭션 색인 검색엔진 운영체제 네트워크 컴파일러 메모리)
particles=(를 는 에서 의 이 와)
T="$TMP/site"; mkdir -p "$T/ko" "$T/img"
for i in $(seq 1 24); do
    body=""
    for j in 1 2 3 4 5 6; do
        w=${words[$(((i * 7 + j * 3) % ${#words[@]}))]}
        p=${particles[$(((i + j) % ${#particles[@]}))]}
        body="$body $w$p"
    done
    printf '<html lang="ko"><head><meta charset="utf-8"><title>문서 %d</title></head><body><h1>문서 %d</h1><p>%s 설명합니다.</p></body></html>\n' "$i" "$i" "$body" >"$T/ko/d$i.html"
done
cat >"$T/index.html" <<'HTML'
<html lang="en"><head><title>Portal fixture</title></head><body><h1>Index</h1>
<p>See <a href="ko/d1.html">the first Korean page</a> and <img src="img/p.png" alt="a picture">.</p>
<p>pg_stat_activity explains SQLITE_BUSY.</p></body></html>
HTML
printf '<html><head><title>Gone soon</title></head><body><p>withdrawn text</p></body></html>' >"$T/gone.html"
head -c 5000 /dev/urandom >"$T/img/p.png"
K ingest --collection fx --collection-title Fixture --approve "$T" >/dev/null 2>&1
mkdir -p "$TMP/pend" && printf '<html><head><title>Waiting</title></head><body><p>pending text</p></body></html>' >"$TMP/pend/wait.html"
K ingest --collection fx "$TMP/pend" >/dev/null 2>&1
q "UPDATE document SET status = 'withdrawn', reason = 'test withdrawal', decided_at = 1 WHERE path = 'gone.html'"
start_server || { bad "server starts"; finish; exit 1; }

idx=$(q "SELECT id FROM document WHERE path = 'index.html'")
for u in / /c/ /c/fx/ /c/fx/index.html /c/fx/ko/d3.html /c/fx/img/p.png /search?q=index \
         "/api/search?q=index" "/suggest?q=%EB%AC%B8" "/external?url=https%3A%2F%2Fexample.org%2F" \
         /feed.atom /c/fx/feed.atom /sitemap.xml /opensearch.xml /api/collections /api/collections/fx \
         "/api/documents/$idx" /robots.txt /healthz; do
    check "GET $u: 200" test "$(code "$BASE$u")" = 200
done
check "/c/fx: 301" test "$(code "$BASE/c/fx")" = 301
check "/d/ID: 301" test "$(code "$BASE/d/$idx")" = 301
check "/random: 302" test "$(code "$BASE/random")" = 302
check "/lang/en: 303" test "$(code "$BASE/lang/en?back=/c/")" = 303
check "/lang/en keeps a local back" grep -qx 'Location: /c/?x=1' <<<"$(curl -s -D - -o /dev/null "$BASE/lang/en?back=%2Fc%2F%3Fx%3D1" | tr -d '\r')"
# Open redirect (hostile-world, issue #10): what a browser strips (TAB,
# CR, LF, spaces, controls) must not turn back= into another origin.
for b in '/%09/evil.example' '%09//evil.example' '/%0a/evil.example' '/%0d/evil.example' \
         '%20//evil.example' '//evil.example' '/%5Cevil.example' '%5C%5Cevil.example' \
         'https://evil.example/' '/%01/evil.example' '/%7f/evil.example' 'evil.example'; do
    loc=$(curl -s -D - -o /dev/null "$BASE/lang/en?back=$b" | tr -d '\r' | sed -n 's/^Location: //p')
    check "/lang back=$b goes home, not away ($loc)" test "$loc" = /
done
check "pending document: 404" test "$(code "$BASE/c/fx/wait.html")" = 404
check "withdrawn document: 410" test "$(code "$BASE/c/fx/gone.html")" = 410
check "tombstone gives the reason" grep -q 'test withdrawal' <<<"$(curl -s "$BASE/c/fx/gone.html")"
check "unknown collection: 404" test "$(code "$BASE/c/nope/x.html")" = 404
check "unknown document API: 404 JSON" grep -q '"code":404' <<<"$(curl -s "$BASE/api/documents/999999")"

h=$(curl -s -D - -o /dev/null "$BASE/c/fx/index.html" | tr -d '\r')
etag=$(sed -n 's/^ETag: //p' <<<"$h")
check "document: strong ETag" grep -q '^ETag: "' <<<"$h"
check "document: sandbox CSP" grep -q "^Content-Security-Policy: sandbox" <<<"$h"
check "document: 304 on If-None-Match" test "$(code -H "If-None-Match: $etag" "$BASE/c/fx/index.html")" = 304
check "document: gzip from the stored copy" grep -q '^Content-Encoding: gzip' <<<"$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "$BASE/c/fx/index.html" | tr -d '\r')"
check "document: the same ETag twice (stored rendition)" test "$(curl -s -D - -o /dev/null "$BASE/c/fx/index.html" | tr -d '\r' | sed -n 's/^ETag: //p')" = "$etag"
body=$(curl -s "$BASE/c/fx/index.html")
check "document: link bound inside" grep -q 'href="/c/fx/ko/d1.html"' <<<"$body"
check "document: image bound to the asset" grep -q 'src="/c/fx/img/p.png"' <<<"$body"
r=$(curl -s -D - -o "$TMP/part" -H 'Range: bytes=10-19' "$BASE/c/fx/img/p.png" | tr -d '\r')
check "asset: 206 for a range" grep -q '^HTTP/1.1 206' <<<"$r"
check "asset: Content-Range" grep -q '^Content-Range: bytes 10-19/5000' <<<"$r"
check "asset: the range's bytes" cmp -s "$TMP/part" <(tail -c +11 "$T/img/p.png" | head -c 10)
check "asset: 416 past the end" test "$(code -H 'Range: bytes=9000-' "$BASE/c/fx/img/p.png")" = 416

j=$(curl -s "$BASE/api/search?q=pg_stat_activity")
for k in query total page per_page results facets; do
    check "api/search has \"$k\"" grep -q "\"$k\":" <<<"$j"
done
check "api/search finds the identifier" grep -q '"total":1' <<<"$j"
check "api/search finds an identifier part" grep -q '"total":1' <<<"$(curl -s "$BASE/api/search?q=stat")"
for k in id collection path url title language metadata provenance body_html links; do
    check "api/documents has \"$k\"" grep -q "\"$k\":" <<<"$(curl -s "$BASE/api/documents/$idx")"
done

# Korean recall: every fixture page containing the substring is found.
for s in 데이터 이터베 베이스 이미지 관계 트랜잭 잭션 검색 엔진 운영 네트워 컴파 메모리; do
    want=$(grep -l "$s" "$T"/ko/*.html | wc -l)
    got=$(curl -s "$BASE/api/search?q=$(printf '%s' "$s" | od -An -tx1 | tr ' ' '%' | tr -d '\n' | tr 'a-f' 'A-F')&per_page=50" |
        sed -n 's/.*"total":\([0-9]*\).*/\1/p')
    check "Korean '$s': $got of $want pages (grep)" test "$got" = "$want"
done
for w in 이미지를 데이터베이스의 네트워크에서; do
    noun=${w%를}; noun=${noun%의}; noun=${noun%에서}
    want=$(grep -l "$noun" "$T"/ko/*.html | wc -l)
    got=$(curl -s "$BASE/api/search?q=$(printf '%s' "$noun" | od -An -tx1 | tr ' ' '%' | tr -d '\n')&per_page=50" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
    check "noun '$noun' finds every page with '$noun' + particle: $got of $want" test "$got" = "$want"
done
finish
