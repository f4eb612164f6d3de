#!/bin/bash
# H1: malformed request lines and headers (about 80 cases) over raw
# sockets.  Pass: each is answered 4xx (or 501/505) or the connection is
# closed without an answer, never a 5xx of ours (500, 502-504), never a
# hang past the timeout; the server is alive after every case and another
# client is served.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
start_server --set max_body=64k --set connection_timeout=5 || { bad "server starts"; finish; exit 1; }
ok "server on port $PORT"

PYTHONPATH="$KW_SRCDIR/tests/hostile" python3 - "$PORT" >"$TMP/h1.out" <<'PY'
import sys
from rawhttp import send, get
port = int(sys.argv[1])
H = "Host: x\r\n"
long_name = "X" * 9000
cases = [
    # request lines
    ("empty line only", "\r\n"),
    ("garbage", "HELLO\r\n\r\n"),
    ("no version", "GET /\r\n\r\n"),
    ("HTTP/0.9 style", "GET /\r\n"),
    ("bad version", "GET / HTTP/9.9\r\n" + H + "\r\n"),
    ("version garbage", "GET / HTTP/1.1x\r\n" + H + "\r\n"),
    ("lowercase version", "GET / http/1.1\r\n" + H + "\r\n"),
    ("two spaces", "GET  / HTTP/1.1\r\n" + H + "\r\n"),
    ("tab separator", "GET\t/\tHTTP/1.1\r\n" + H + "\r\n"),
    ("space in URI", "GET /a b HTTP/1.1\r\n" + H + "\r\n"),
    ("lowercase method", "get / HTTP/1.1\r\n" + H + "\r\n"),
    ("unknown method", "BREW / HTTP/1.1\r\n" + H + "\r\n"),
    ("CONNECT", "CONNECT 127.0.0.1:22 HTTP/1.1\r\n" + H + "\r\n"),
    ("TRACE", "TRACE / HTTP/1.1\r\n" + H + "\r\n"),
    ("absolute URI", "GET http://evil.example/ HTTP/1.1\r\n" + H + "\r\n"),
    ("asterisk form", "OPTIONS * HTTP/1.1\r\n" + H + "\r\n"),
    ("no leading slash", "GET admin/ HTTP/1.1\r\n" + H + "\r\n"),
    ("NUL in URI", "GET /\x00 HTTP/1.1\r\n" + H + "\r\n"),
    ("%00 in URI", "GET /%00 HTTP/1.1\r\n" + H + "\r\n"),
    ("%00 in query", "GET /search?q=%00 HTTP/1.1\r\n" + H + "\r\n"),
    ("%00 in API query", "GET /api/search?q=a%00b HTTP/1.1\r\n" + H + "\r\n"),
    ("control byte in URI", "GET /\x01x HTTP/1.1\r\n" + H + "\r\n"),
    ("DEL in URI", "GET /\x7fx HTTP/1.1\r\n" + H + "\r\n"),
    ("bad percent", "GET /%zz HTTP/1.1\r\n" + H + "\r\n"),
    ("truncated percent", "GET /% HTTP/1.1\r\n" + H + "\r\n"),
    ("invalid UTF-8 path", "GET /c/%ff%fe HTTP/1.1\r\n" + H + "\r\n"),
    ("overlong UTF-8 path", "GET /%c0%af HTTP/1.1\r\n" + H + "\r\n"),
    ("raw high bytes", "GET /\xff\xfe HTTP/1.1\r\n" + H + "\r\n"),
    ("very long URI 100k", "GET /" + "a" * 100000 + " HTTP/1.1\r\n" + H + "\r\n"),
    ("very long query", "GET /search?q=" + "a" * 60000 + " HTTP/1.1\r\n" + H + "\r\n"),
    ("many query args", "GET /search?" + "&".join("a%d=1" % i for i in range(3000)) + " HTTP/1.1\r\n" + H + "\r\n"),
    ("CR only line ends", "GET / HTTP/1.1\r" + H.replace("\r\n", "\r") + "\r"),
    ("bare LF line ends", "GET / HTTP/1.1\n" + "Host: x\n\n"),
    ("incomplete request", "GET / HTTP/1.1\r\n" + H),
    # headers
    ("no colon", "GET / HTTP/1.1\r\n" + H + "NoColonHere\r\n\r\n"),
    ("empty name", "GET / HTTP/1.1\r\n" + H + ": value\r\n\r\n"),
    ("space before colon", "GET / HTTP/1.1\r\n" + H + "Accept : */*\r\n\r\n"),
    ("tab before colon", "GET / HTTP/1.1\r\n" + H + "Accept\t: */*\r\n\r\n"),
    ("space in name", "GET / HTTP/1.1\r\n" + H + "Acc ept: */*\r\n\r\n"),
    ("NUL in name", "GET / HTTP/1.1\r\n" + H + "X-\x00: 1\r\n\r\n"),
    ("NUL in value", "GET / HTTP/1.1\r\n" + H + "X-A: a\x00b\r\n\r\n"),
    ("control in value", "GET / HTTP/1.1\r\n" + H + "X-A: a\x01b\r\n\r\n"),
    ("high bytes in name", "GET / HTTP/1.1\r\n" + H + "X-\xe9: 1\r\n\r\n"),
    ("obs-fold", "GET / HTTP/1.1\r\n" + H + "X-A: a\r\n b\r\n\r\n"),
    ("leading whitespace line", "GET / HTTP/1.1\r\n Host: x\r\n\r\n"),
    ("header name 9000 bytes", "GET / HTTP/1.1\r\n" + H + long_name + ": 1\r\n\r\n"),
    ("header value 70k", "GET / HTTP/1.1\r\n" + H + "X-A: " + "v" * 70000 + "\r\n\r\n"),
    ("200 headers", "GET / HTTP/1.1\r\n" + H + "".join("X-%d: %d\r\n" % (i, i) for i in range(200)) + "\r\n"),
    ("3000 headers", "GET / HTTP/1.1\r\n" + H + "".join("X-%d: %d\r\n" % (i, i) for i in range(3000)) + "\r\n"),
    ("no Host in 1.1", "GET / HTTP/1.1\r\n\r\n"),
    ("two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    ("Host with slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
    ("Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
    ("Host with @", "GET / HTTP/1.1\r\nHost: user@evil\r\n\r\n"),
    ("empty Cookie", "GET / HTTP/1.1\r\n" + H + "Cookie: \r\n\r\n"),
    ("garbage Cookie", "GET /admin/ HTTP/1.1\r\n" + H + "Cookie: ;;;=;==;\x7f\r\n\r\n"),
    ("huge Cookie", "GET /admin/ HTTP/1.1\r\n" + H + "Cookie: kw_session=" + "a" * 30000 + "\r\n\r\n"),
    ("bad Accept-Language", "GET / HTTP/1.1\r\n" + H + "Accept-Language: ;q=;,,,*;q=9\r\n\r\n"),
    ("bad Accept-Encoding", "GET / HTTP/1.1\r\n" + H + "Accept-Encoding: gzip;q=x, ;;\r\n\r\n"),
    ("bad Range", "GET /robots.txt HTTP/1.1\r\n" + H + "Range: bytes=9-1,-,x\r\n\r\n"),
    ("huge Range", "GET /robots.txt HTTP/1.1\r\n" + H + "Range: bytes=0-99999999999999999999999\r\n\r\n"),
    ("many Ranges", "GET /robots.txt HTTP/1.1\r\n" + H + "Range: bytes=" + ",".join("%d-%d" % (i, i) for i in range(500)) + "\r\n\r\n"),
    ("bad If-None-Match", "GET / HTTP/1.1\r\n" + H + "If-None-Match: \"\r\n\r\n"),
    ("bad If-Modified-Since", "GET / HTTP/1.1\r\n" + H + "If-Modified-Since: yesterday\r\n\r\n"),
    ("Expect unknown", "POST /external HTTP/1.1\r\n" + H + "Expect: 200-ok\r\nContent-Length: 3\r\n\r\nabc"),
    ("Expect 100 with big body", "POST /external HTTP/1.1\r\n" + H + "Expect: 100-continue\r\nContent-Length: 999999999\r\n\r\n"),
    ("Content-Length -1", "POST / HTTP/1.1\r\n" + H + "Content-Length: -1\r\n\r\n"),
    ("Content-Length 5, 5", "POST / HTTP/1.1\r\n" + H + "Content-Length: 5, 5\r\n\r\nhello"),
    ("Content-Length hex", "POST / HTTP/1.1\r\n" + H + "Content-Length: 0x10\r\n\r\n"),
    ("Content-Length huge", "POST / HTTP/1.1\r\n" + H + "Content-Length: 99999999999999999999999\r\n\r\n"),
    ("Content-Length plus", "POST / HTTP/1.1\r\n" + H + "Content-Length: +5\r\n\r\nhello"),
    ("Content-Length short body", "POST /external HTTP/1.1\r\n" + H + "Content-Length: 50\r\n\r\nabc"),
    ("POST form garbage", "POST /admin/login HTTP/1.1\r\n" + H + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 13\r\n\r\n%%%&&&===%zz&"),
    ("POST bad content type", "POST /external HTTP/1.1\r\n" + H + "Content-Type: multipart/form-data; boundary=\r\nContent-Length: 4\r\n\r\n----"),
    ("POST to GET route", "POST /search HTTP/1.1\r\n" + H + "Content-Length: 0\r\n\r\n"),
    ("HEAD with body", "HEAD / HTTP/1.1\r\n" + H + "Content-Length: 4\r\n\r\nabcd"),
    ("GET with body", "GET / HTTP/1.1\r\n" + H + "Content-Length: 4\r\n\r\nabcd"),
    ("Upgrade websocket", "GET / HTTP/1.1\r\n" + H + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
    ("Upgrade h2c", "GET / HTTP/1.1\r\n" + H + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
    ("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    ("TLS client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + "\x00" * 40),
    ("binary junk", "".join(chr(i % 256) for i in range(0, 4096, 7))),
]
# Odd but harmless: any answer but a 5xx will do.
LENIENT = {
    "bare LF line ends", "GET with body", "HEAD with body", "lowercase version",
    "Upgrade websocket", "Upgrade h2c", "bad Accept-Language",
    "bad Accept-Encoding", "bad Range", "huge Range", "many Ranges",
    "bad If-None-Match", "bad If-Modified-Since", "empty Cookie",
    "garbage Cookie", "huge Cookie", "200 headers", "two spaces",
    "no leading slash", "absolute URI", "many query args", "very long query",
    "%00 in query", "bad percent", "truncated percent", "NUL in value",
    "control in value", "obs-fold", "leading whitespace line",
    "asterisk form", "tab separator", "space in URI", "overlong UTF-8 path",
    "invalid UTF-8 path", "raw high bytes", "high bytes in name",
    "header name 9000 bytes"}
# What libmicrohttpd 0.9.75 does before any hook of ours sees the request
# (docs/reliability.md): a NUL ends the request line's URI (the rest of
# the line is dropped, so "/\0..." is served as "/"), and a header line
# that starts with ':' (or holds a NUL) ends the header block: what
# follows is read as the next request.  Reported, not failed.
KNOWN = {"NUL in URI", "empty name"}
fails = 0
for name, req in cases:
    r = send(port, req.encode("latin1"), timeout=6)
    st = r.statuses
    verdict = "ok"
    if any(s >= 500 and s not in (501, 505) for s in st):
        verdict = "FAIL: server error"
    elif not st and not r.closed:
        verdict = "FAIL: no answer and not closed in %.1fs" % r.seconds
    elif st and st[0] < 400 and name in KNOWN:
        verdict = "known (libmicrohttpd): %s" % ",".join(map(str, st))
    elif st and st[0] < 400 and name not in LENIENT:
        # a malformed request taken as valid
        verdict = "FAIL: accepted (%d)" % st[0]
    alive, _ = get(port, "/healthz")
    if alive != 200:
        verdict += " + server not answering (%d)" % alive
    if verdict.startswith("FAIL") or "not answering" in verdict:
        fails += 1
    print("%-28s -> %-12s closed=%s %.2fs %s" % (
        name, ",".join(map(str, st)) or "-", r.closed, r.seconds, verdict))
other, _ = get(port, "/", source="127.0.0.2")
print("cases: %d, failed: %d, other client: %d" % (len(cases), fails, other))
PY
cat "$TMP/h1.out"
n=$(sed -n 's/^cases: \([0-9]*\),.*/\1/p' "$TMP/h1.out")
check "tried ${n:-0} malformed requests" test "${n:-0}" -ge 80
while read -r line; do
    case "$line" in *FAIL*) bad "$line" ;; esac
done <"$TMP/h1.out"
check "every case answered 4xx or closed, never 5xx, server alive" grep -q 'failed: 0,' "$TMP/h1.out"
check "a client on 127.0.0.2 is served after it all" grep -q 'other client: 200' "$TMP/h1.out"
check "server process still running" kill -0 "$SERVER_PID"
finish
