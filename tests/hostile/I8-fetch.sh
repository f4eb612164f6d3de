#!/bin/bash
# I8 (docs/hostile-world.md): URL fetch (`kwangmyong ingest --fetch`).
# First the Check program tests/check_fetch, which covers the fetcher
# itself against its own loopback server: URL forms refused before any
# connection (file:, gopher:, dict:, ftp:, user@, decimal 2130706433, hex
# 0x7f.1, octal 0177.0.0.1, short 127.1, [::ffff:127.0.0.1], localhost),
# redirects out of policy (evil host, file:, gopher:, localhost, loops,
# two Location headers), DNS names resolving to loopback (rebinding), size
# caps (Content-Length, endless body, header flood) and time caps (stalled
# body, whole-URL limit).  This row runs it and says so, then drives the
# real binary end to end against a python3 http.server on 127.0.0.1 and a
# second one on 127.0.0.2 that counts its connections: more numeric forms
# (0x7f000001, [::1], [::ffff:7f00:1], 127.0.0.2), parser differentials
# (userinfo, '#@', backslash), redirects to private, link-local (cloud
# metadata) and 127.0.0.2 addresses and to decimal/IPv6-mapped loopback,
# and endless, stalled, silent and oversized answers under the policy's
# fetch_max_size 64k and fetch_timeout 3.  Pass: refused before connecting
# (the 127.0.0.2 server never sees a connection; nothing else is ever
# addressed), caps hold (bounded time, nothing over 64k stored), every
# refusal reported with its URL, the allowed page stored.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3 curl

prog=$(check_program check_fetch) || { bad "tests/check_fetch could not be built"; finish; exit 1; }
echo "I8: running $prog (refusals, redirects, rebinding, size and time caps)"
(cd "$TMP" && "$prog") >"$TMP/check_fetch.log" 2>&1
rc=$?
grep -E 'Checks|:F:|:E:' "$TMP/check_fetch.log"
check "tests/check_fetch passes (exit $rc)" test "$rc" -eq 0

# The loopback servers: 127.0.0.1 answers every case, 127.0.0.2 only
# counts connections (any connection there is a failure).
cat >"$TMP/srv.py" <<'PY'
import http.server, socketserver, sys, threading, time
addr, portfile, countfile = sys.argv[1], sys.argv[2], sys.argv[3]
other = sys.argv[4] if len(sys.argv) > 4 else ""
conns = 0
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def send(self, code, body=b"", ctype="text/html", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def redirect(self, loc):
        self.send(302, b"", extra=[("Location", loc)])
    def do_GET(self):
        p = self.path
        port = self.server.server_address[1]
        if p.startswith("/ok.html"):
            return self.send(200, b"<html><head><title>Fetched ok</title></head><body><p>fetched page</p></body></html>")
        if p == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(10 << 20))
            self.end_headers()
            self.wfile.write(b"<p>" + b"x" * 1000)
            return
        if p == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<p>" + b"y" * 8189
            t = time.time()
            try:
                while time.time() - t < 30:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass
            return
        if p == "/lying-length":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100")
            self.end_headers()
            try:
                self.wfile.write(b"z" * (1 << 20))
            except OSError:
                pass
            return
        if p == "/stall":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(30):
                    self.wfile.write(b"s")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
            return
        if p == "/silent":
            time.sleep(30)
            return
        if p == "/hdrflood":
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
                for i in range(20000):
                    self.wfile.write(b"X-Flood-%d: %s\r\n" % (i, b"v" * 100))
                self.wfile.write(b"Content-Length: 2\r\n\r\nok")
            except OSError:
                pass
            self.close_connection = True
            return
        targets = {
            "/r-evil": "http://evil.example/x",
            "/r-private": "http://10.0.0.1/x",
            "/r-metadata": "http://169.254.169.254/latest/meta-data/",
            "/r-other": "http://%s/ok.html" % other,
            "/r-decimal": "http://2130706433:%d/ok.html" % port,
            "/r-mapped": "http://[::ffff:127.0.0.1]:%d/ok.html" % port,
            "/r-v6": "http://[::1]:%d/ok.html" % port,
            "/r-localhost": "http://localhost:%d/ok.html" % port,
            "/r-file": "file:///etc/passwd",
            "/r-gopher": "gopher://127.0.0.1:%d/_x" % port,
            "/r-loop": "/r-loop",
            "/r-in": "/ok.html?via=redirect",
        }
        if p in targets:
            return self.redirect(targets[p])
        self.send(404, b"no")
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    def get_request(self):
        global conns
        r = super().get_request()
        with lock:
            conns += 1
            open(countfile, "w").write(str(conns))
        return r
s = S((addr, 0), H)
open(countfile, "w").write("0")
open(portfile, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$TMP/srv.py" 127.0.0.2 "$TMP/port2" "$TMP/conns2" >"$TMP/srv2.log" 2>&1 &
ROW_PIDS+=($!)
for _ in $(seq 1 50); do [ -s "$TMP/port2" ] && break; sleep 0.1; done
P2=$(cat "$TMP/port2" 2>/dev/null)
[ -n "$P2" ] || { bad "second server on 127.0.0.2 did not start: $(cat "$TMP/srv2.log")"; finish; exit 1; }
python3 "$TMP/srv.py" 127.0.0.1 "$TMP/port1" "$TMP/conns1" "127.0.0.2:$P2" >"$TMP/srv1.log" 2>&1 &
ROW_PIDS+=($!)
for _ in $(seq 1 50); do [ -s "$TMP/port1" ] && break; sleep 0.1; done
P=$(cat "$TMP/port1" 2>/dev/null)
[ -n "$P" ] || { bad "server on 127.0.0.1 did not start: $(cat "$TMP/srv1.log")"; finish; exit 1; }
H="127.0.0.1:$P"
echo "I8: servers on $H and 127.0.0.2:$P2"

# URL list: the expected reason (an extended regex) after a tab.
cat >"$TMP/cases" <<EOF
http://$H/ok.html	OK
http://$H/r-in	OK
http://127.0.0.2:$P2/ok.html	numeric address not in fetch_allow
http://0x7f000001:$P/ok.html	numeric address not in fetch_allow|not a valid
http://0177.0.0.01:$P/ok.html	numeric address not in fetch_allow|not a valid
http://127.000.000.001:$P/ok.html	numeric address not in fetch_allow|not a valid
http://[::1]:$P/ok.html	numeric address not in fetch_allow
http://[::ffff:7f00:1]:$P/ok.html	numeric address not in fetch_allow
http://[0:0:0:0:0:ffff:127.0.0.1]:$P/ok.html	numeric address not in fetch_allow|duplicate of line
http://localhost:$P/ok.html	localhost not in fetch_allow
http://127.0.0.1.nip.io:$P/ok.html	not in fetch_allow
http://user:pw@$H/ok.html	malformed|not a valid|userinfo|credentials
http://$H@evil.example/ok.html	malformed|evil.example not in fetch_allow|not a valid
http://evil.example#@$H/ok.html	evil.example not in fetch_allow|malformed|not a valid
http://evil.example\\@$H/ok.html	evil.example|malformed|not a valid|differently
file:///etc/passwd	not an http\(s\) URL
gopher://$H/_GET	not an http\(s\) URL
dict://$H/x	not an http\(s\) URL
ftp://$H/x	not an http\(s\) URL
javascript:alert(1)	not an http\(s\) URL
data:text/html,<script>alert(1)</script>	not an http\(s\) URL
http://$H/r-evil	redirect to http://evil.example/x refused
http://$H/r-private	redirect to http://10.0.0.1/x refused
http://$H/r-metadata	redirect to http://169.254.169.254/latest/meta-data/ refused
http://$H/r-other	redirect to http://127.0.0.2:$P2/ok.html refused
http://$H/r-decimal	redirect to .* refused
http://$H/r-mapped	redirect to .* refused
http://$H/r-v6	redirect to .* refused
http://$H/r-localhost	redirect to .* refused
http://$H/r-file	redirect to file:///etc/passwd refused
http://$H/r-gopher	redirect to .* refused
http://$H/r-loop	too many redirects
http://$H/big	too large: Content-Length over 65536
http://$H/endless	too large: body over 65536
http://$H/hdrflood	response headers over
http://$H/stall	timed out|too slow
http://$H/silent	timed out|too slow
http://$H/missing	HTTP 404
http://$H/lying-length	OK
EOF
cut -f1 "$TMP/cases" >"$TMP/urls.txt"
ncases=$(wc -l <"$TMP/cases")
printf 'allow 127.0.0.1\nfetch_allow 127.0.0.1\nfetch_max_size 64k\nfetch_timeout 3\ntypes html markdown text pdf\n' >"$TMP/policy"
echo "I8: $ncases URLs through ingest --fetch (fetch_max_size 64k, fetch_timeout 3)"

start=$SECONDS
timeout -k 5 300 "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection i8 \
    --fetch "$TMP/urls.txt" --policy "$TMP/policy" --report "$TMP/r.json" \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
secs=$((SECONDS - start))
cat "$TMP/out"
check "ingest --fetch ends: exit 1 (some refused) [$rc]" test "$rc" -eq 1
# Time cap: three URLs may each take the 3 s limit (stall, silent, and
# the endless body is cut by size first); the rest are quick.
check "time caps hold: $secs s for $ncases URLs (< 60 s)" test "$secs" -lt 60
check "no sanitizer report" sanitizer_clean "$TMP/err"
python3 - "$TMP/r.json" "$TMP/cases" >"$TMP/verdict" <<'PY'
import json, re, sys
rep = json.load(open(sys.argv[1]))
by = {}
for f in rep["files"]:
    by.setdefault(f["path"], []).append(f)
bad = 0
for ln in open(sys.argv[2]):
    url, want = ln.rstrip("\n").split("\t")
    got = by.get(url)
    if want == "OK":
        if got:
            bad += 1; print("FAILED, should be fetched: %s: %s" % (url, got[0].get("reason")))
        else:
            print("fetched %s" % url)
        continue
    if not got:
        bad += 1; print("NOT REPORTED: %s" % url); continue
    reason = got[0].get("reason", "")
    if got[0]["status"] != "rejected" or not re.search(want, reason):
        bad += 1; print("WRONG: %s: %s (want /%s/)" % (url, reason, want))
    else:
        print("refused %s: %s" % (url[:60], reason[:110]))
sys.exit(1 if bad else 0)
PY
rc=$?
cat "$TMP/verdict"
check "every bad URL refused with the right reason, by its URL in the report" test "$rc" -eq 0
check "refused before connecting: the 127.0.0.2 server saw $(cat "$TMP/conns2") connections" test "$(cat "$TMP/conns2")" -eq 0
check "the allowed pages stored (direct and through an in-policy redirect)" \
    test "$(q "SELECT count(*) FROM document WHERE title = 'Fetched ok'")" -ge 1
check "nothing over the 64k cap stored" test "$(q "SELECT count(*) FROM document WHERE orig_size > 65536")" -eq 0
check "the lying Content-Length stored nothing larger than it said" \
    test "$(q "SELECT count(*) FROM document WHERE orig_size > 100 AND source_url LIKE '%lying-length%'")" -eq 0
check "no fetch temp tree left" test -z "$(find /tmp -maxdepth 1 -name 'kwangmyong-fetch-*' -newer "$TMP/urls.txt" 2>/dev/null)"

# DNS names that resolve to loopback are refused at connect time unless
# the exact address is listed (rebinding): through the binary too.
before=$(cat "$TMP/conns1")
printf 'http://localhost:%s/ok.html\n' "$P" >"$TMP/urls2.txt"
printf 'fetch_allow localhost\nfetch_timeout 3\n' >"$TMP/policy2"
"$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection i8b --fetch "$TMP/urls2.txt" \
    --policy "$TMP/policy2" --report "$TMP/r2.json" >/dev/null 2>&1
check "allowed name resolving to loopback: refused at connect" grep -q 'a loopback address not in fetch_allow' "$TMP/r2.json"
check "and no connection was made ($before -> $(cat "$TMP/conns1"))" test "$(cat "$TMP/conns1")" -eq "$before"
check "integrity ok" integrity_ok
finish
