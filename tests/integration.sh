#!/bin/bash
# Integration: the real binary on a free loopback port with a temporary
# database, probed with curl and raw sockets: /healthz, the 404 page,
# static caching and 304, gzip, HEAD, 405, the request-smuggling 400s,
# body limits, path tricks, security headers on every response class,
# and a graceful stop on SIGTERM.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 99; }

start_server --set max_body=64k || { bad "server starts"; finish; exit 1; }
ok "server starts on port $PORT"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
hdrs() { curl -s -D - -o /dev/null "$@" | tr -d '\r'; }

h=$(curl -s "$BASE/healthz")
check "/healthz says ok" grep -q '"status":"ok"' <<<"$h"
check "/healthz reports the database" grep -q '"database":"ok"' <<<"$h"
check "/healthz counts documents" grep -q '"published":0' <<<"$h"
check "/healthz has the version" grep -q '"version":"' <<<"$h"

check "home page is 200" test "$(code "$BASE/")" = 200
home=$(curl -s "$BASE/")
check "home page is Korean by default" grep -q '<html lang="ko">' <<<"$home"
check "?lang=en switches to English" grep -q '<html lang="en">' <<<"$(curl -s "$BASE/?lang=en")"
check "Accept-Language: en picks English" grep -q '<html lang="en">' <<<"$(curl -s -H 'Accept-Language: en-US,en;q=0.9' "$BASE/")"

check "unknown page is 404" test "$(code "$BASE/no/such")" = 404
check "404 page is the HTML error template" grep -q '<h1>404' <<<"$(curl -s "$BASE/no/such")"
check "API 404 is JSON" grep -q '"error":{"code":404' <<<"$(curl -s "$BASE/api/none")"
check "DELETE is 405" test "$(code -X DELETE "$BASE/")" = 405
check "405 carries Allow" grep -q '^Allow: GET, HEAD' <<<"$(hdrs -X DELETE "$BASE/")"

css=$(sed -n 's/.*href="\(\/static\/css\/site\.[0-9a-f]*\.css\)".*/\1/p' <<<"$home" | head -1)
check "home links a content-hashed stylesheet" test -n "$css"
sh=$(hdrs "$BASE$css")
check "hashed static is immutable" grep -q '^Cache-Control: public, max-age=31536000, immutable' <<<"$sh"
etag=$(sed -n 's/^ETag: //p' <<<"$sh")
check "static has an ETag" test -n "$etag"
check "If-None-Match gives 304" test "$(code -H "If-None-Match: $etag" "$BASE$css")" = 304
gh=$(hdrs -H 'Accept-Encoding: gzip' "$BASE$css")
check "gzip when accepted" grep -q '^Content-Encoding: gzip' <<<"$gh"
check "Vary: Accept-Encoding" grep -q '^Vary: Accept-Encoding' <<<"$gh"
check "gzip body decompresses to the file" \
    cmp -s <(curl -s -H 'Accept-Encoding: gzip' "$BASE$css" | gzip -dc) "$KW_SRCDIR/static/css/site.css"
check "no gzip when not accepted" test -z "$(grep '^Content-Encoding' <<<"$(hdrs "$BASE$css")")"
hh=$(curl -s -I "$BASE/")
check "HEAD answers 200 without a body" grep -q '200 OK' <<<"$hh"
check "HEAD body is empty" test -z "$(curl -s -X HEAD --max-time 3 "$BASE/healthz" 2>/dev/null)"

# Path tricks on static files: only 400 or 404, never a file.
for p in '/static/../configure.ac' '/static/%2e%2e/%2e%2e/etc/passwd' \
         '/static/css/%2e%2e/%2e%2e/Makefile.am' '/static/css/site.css%00.png' \
         '/static/..%2fMakefile.am' '/static/%252e%252e/configure.ac' '/static//etc/passwd'; do
    c=$(code --path-as-is "$BASE$p")
    check "path trick $p gives 400/404 ($c)" test "$c" = 400 -o "$c" = 404
done

# Request smuggling (hostile-world trap 4): 400 and the connection closes,
# one response per connection.
r=$(raw 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\n' 'helloGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
check "two Content-Length headers: 400" grep -q '^HTTP/1.1 400' <<<"$r"
check "two Content-Length headers: one response" test "$(grep -o 'HTTP/1.1 [0-9]' <<<"$r" | wc -l)" = 1
r=$(raw 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n' '0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
check "Content-Length with Transfer-Encoding: 400" grep -q '^HTTP/1.1 400' <<<"$r"
check "CL+TE: one response" test "$(grep -o 'HTTP/1.1 [0-9]' <<<"$r" | wc -l)" = 1
check "CL+TE: connection closed" grep -qi '^Connection: close' <<<"$(tr -d '\r' <<<"$r")"
r=$(raw 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
check "keep-alive: two pipelined requests, two answers" test "$(grep -o 'HTTP/1.1 200' <<<"$r" | wc -l)" = 2

# Bodies over max_body are refused fast, declared or chunked.
c=$(head -c 200000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --data-binary @- "$BASE/")
check "declared oversized body: 413 ($c)" test "$c" = 413
c=$(head -c 200000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data-binary @- "$BASE/")
check "chunked oversized body: 413 ($c)" test "$c" = 413
check "server alive after abuse" test "$(code "$BASE/healthz")" = 200

# Security headers on every response class, errors included.
for u in "$BASE/" "$BASE/healthz" "$BASE/nope" "$BASE$css" "-X DELETE $BASE/" \
         "-H If-None-Match:$etag $BASE$css" "--path-as-is $BASE/static/css/site.css%00"; do
    # shellcheck disable=SC2086
    hd=$(hdrs $u)
    st=$(head -1 <<<"$hd" | cut -d' ' -f2)
    check "[$st $u] nosniff" grep -q '^X-Content-Type-Options: nosniff' <<<"$hd"
    check "[$st $u] CSP without inline script" grep -q "^Content-Security-Policy: .*frame-ancestors 'none'.*" <<<"$hd"
    check "[$st $u] CSP object-src/base-uri none" grep -q "object-src 'none'; base-uri 'none'" <<<"$hd"
    check "[$st $u] Referrer-Policy" grep -q '^Referrer-Policy: ' <<<"$hd"
    check "[$st $u] no version banner" test -z "$(grep -i '^Server:' <<<"$hd")"
    if [ "$st" != 304 ]; then
        check "[$st $u] text types carry a charset" \
            bash -c '! grep -i "^Content-Type: text/" <<<"$1" | grep -qv charset' _ "$hd"
    fi
done

m=$(curl -s "$BASE/metrics")
check "/metrics counts requests by route and status" grep -q 'kwangmyong_http_requests_total{route="home",status="200"}' <<<"$m"
check "/metrics has a latency histogram" grep -q 'kwangmyong_http_request_duration_seconds_bucket{le="+Inf"}' <<<"$m"
check "/metrics has the database size" grep -q 'kwangmyong_database_bytes{file="main"}' <<<"$m"
check "access log has one line per request" grep -q 'GET /healthz 200' "$TMP/access.log"
# A path's line break or space is the client's: it must not forge a line
# or a field of the log.
curl -s -o /dev/null "$BASE/forged%0A2026-01-01T00:00:00Z%20GET%20/x%20200"
sleep 0.3
check "access log: a line break in a path is written %0A, one line" \
    grep -q '^[^ ]* GET /forged%0A2026-01-01T00:00:00Z%20GET%20/x%20200 404 ' "$TMP/access.log"
check "access log: no forged line" bash -c '! grep -q "^2026-01-01T00:00:00Z" "$1"' _ "$TMP/access.log"
m=$(curl -s "$BASE/metrics")
n_log=$(grep -cE ' (GET|HEAD) /healthz 200 ' "$TMP/access.log")
check "/metrics sums its shards: healthz 200s as in the access log ($n_log)" \
    grep -q "^kwangmyong_http_requests_total{route=\"healthz\",status=\"200\"} $n_log\$" <<<"$m"

# SIGHUP reopens the access log (log rotation).
mv "$TMP/access.log" "$TMP/access.log.1"
kill -HUP "$SERVER_PID"
sleep 0.3
curl -s -o /dev/null "$BASE/robots.txt"
sleep 0.2
check "SIGHUP: a new access log is written" grep -q 'GET /robots.txt 200' "$TMP/access.log"
check "SIGHUP: the rotated log keeps the old lines" grep -q 'GET /healthz 200' "$TMP/access.log.1"
check "SIGHUP: the server still serves" test "$(code "$BASE/healthz")" = 200

# Graceful stop: SIGTERM while a request is in flight still answers it.
curl -s -o "$TMP/slow.out" -w '%{http_code}' --limit-rate 2k "$BASE$css" >"$TMP/slow.code" &
cpid=$!
sleep 0.3
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
rc=$?
SERVER_PID=
wait "$cpid"
check "SIGTERM: exit status 0 ($rc)" test "$rc" -eq 0
check "SIGTERM: the request in flight completed" test "$(cat "$TMP/slow.code")" = 200
check "SIGTERM: logged the stop" grep -q 'stopped' "$TMP/err.log"
check "SIGTERM: WAL checkpointed and truncated" test ! -s "$TMP/t.db-wal"
finish
