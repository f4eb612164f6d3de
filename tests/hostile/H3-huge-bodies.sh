#!/bin/bash
# H3: huge POST bodies: a declared 100 MB body, a 100 MB chunked body (and
# an endless one), a form of 100,000 fields, a multipart body of many
# parts, on every kind of route (a form route, a GET route, the API, an
# unknown path).  Pass: 413 fast, the server stops reading once the body
# passes max_body (it takes at most a few socket buffers more), memory
# flat, another client served throughout.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
start_server --set max_body=1M || { bad "server starts"; finish; exit 1; }
ok "server on port $PORT"
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$SERVER_PID/status"; }
rss0=$(rss)

PYTHONPATH="$KW_SRCDIR/tests/hostile" python3 - "$PORT" >"$TMP/h3.out" <<'PY'
import socket, sys, threading, time
from rawhttp import send, get
port = int(sys.argv[1])
MB = 1 << 20

def stream(path, chunked, total, declared=None):
    """Send up to `total` bytes of body as fast as the server takes them;
    returns (status, bytes the server took, seconds)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" % path
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else "Content-Length: %d\r\n\r\n" % (declared or total)
    s.sendall(head.encode())
    t0 = time.monotonic()
    sent = 0
    block = b"a=" + b"b" * (64 * 1024 - 2)
    piece = (b"%x\r\n" % len(block)) + block + b"\r\n" if chunked else block
    s.settimeout(5)
    try:
        while sent < total and time.monotonic() - t0 < 20:
            s.sendall(piece)
            sent += len(block)
    except OSError:
        pass
    raw = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            raw += d
    except OSError:
        pass
    s.close()
    st = int(raw[9:12]) if raw.startswith(b"HTTP/1.1 ") else 0
    return st, sent, time.monotonic() - t0

stop = False
other = {"n": 0, "bad": 0, "worst": 0.0}
def bystander():
    while not stop:
        t = time.monotonic()
        st, _ = get(port, "/healthz", source="127.0.0.2")
        other["worst"] = max(other["worst"], time.monotonic() - t)
        other["n"] += 1
        other["bad"] += st != 200
        time.sleep(0.05)
bt = threading.Thread(target=bystander); bt.start()

fails = 0
def verdict(name, ok, detail):
    global fails
    fails += not ok
    print("%-44s %s %s" % (name, "ok  " if ok else "FAIL", detail))

for path in ("/external", "/admin/login", "/", "/api/search", "/no/such/path"):
    st, sent, secs = stream(path, False, 100 * MB)
    verdict("declared 100 MB to %s" % path, st == 413 and secs < 2 and sent <= 16 * MB,
            "status %d after %.2fs, %d MB sent" % (st, secs, sent // MB))
    st, sent, secs = stream(path, True, 100 * MB)
    verdict("chunked 100 MB to %s" % path, st == 413 and secs < 5 and sent <= 16 * MB,
            "status %d after %.2fs, server took %d MB" % (st, secs, sent // MB))
# An endless chunked body: the server must stop it, not the client.
st, sent, secs = stream("/external", True, 10 << 40)
verdict("endless chunked body", st == 413 and sent <= 16 * MB,
        "status %d after %.2fs, server took %d MB" % (st, secs, sent // MB))
# 100,000 form fields inside max_body.
body = "&".join("f%d=v" % i for i in range(100000))[: 1 * MB - 10].encode()
r = send(port, b"POST /external HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(body) + body, timeout=10)
verdict("100,000 form fields", bool(r.statuses) and r.statuses[0] in (400, 403, 413) and r.seconds < 5,
        "status %s in %.2fs" % (r.statuses, r.seconds))
# Multipart with many parts.
parts = b"".join(b"--XX\r\nContent-Disposition: form-data; name=\"p%d\"\r\n\r\nv\r\n" % i for i in range(10000)) + b"--XX--\r\n"
r = send(port, b"POST /external HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: %d\r\n\r\n" % len(parts) + parts, timeout=10)
verdict("multipart of 10,000 parts", bool(r.statuses) and r.statuses[0] in (400, 403, 413, 415) and r.seconds < 5,
        "status %s in %.2fs" % (r.statuses, r.seconds))
stop = True
bt.join()
verdict("bystander on 127.0.0.2 always served", other["bad"] == 0 and other["n"] > 0,
        "%d requests, %d not 200, worst %.2fs" % (other["n"], other["bad"], other["worst"]))
print("cases: %d, failed: %d" % (18, fails))
PY
cat "$TMP/h3.out"
while read -r line; do case "$line" in *FAIL*) bad "$line" ;; esac; done <"$TMP/h3.out"
check "every huge body refused fast" grep -q 'failed: 0$' "$TMP/h3.out"
rss1=$(rss)
echo "server RSS: ${rss0} kB before, ${rss1} kB after"
check "memory flat (RSS grew $(( (rss1 - rss0) / 1024 )) MB, bound 32 MB)" test $((rss1 - rss0)) -lt 32768
check "server alive" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200
finish
