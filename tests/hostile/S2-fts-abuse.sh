#!/bin/bash
# S2: FTS query abuse on /search, /api/search and /suggest: FTS5 syntax
# (NEAR, column filters, ^, unbalanced quotes and brackets), prefix bombs,
# the longest and the most terms, NUL and invalid UTF-8, every filter
# parameter with junk, and every string of the Big List of Naughty
# Strings (tests/data/blns.json when present).  Pass: each answered 200
# (results or none), 400 or 503 with Retry-After, never 500, each within
# the search budget plus slack (S2_MAX_SECONDS, 2.5 s), the server alive.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
python3 "$KW_SRCDIR/bench/synth.py" --docs 400 --out "$TMP/site" >/dev/null
"$KW_BIN" ingest --db "$TMP/t.db" --data-dir "$KW_SRCDIR" --collection s2 --approve \
    --operator s2 "$TMP/site" >/dev/null 2>&1
start_server || { bad "server starts"; finish; exit 1; }
ok "server on port $PORT"

python3 - "$PORT" "$KW_SRCDIR" >"$TMP/s2.out" <<'PY'
import http.client, json, os, sys, time, urllib.parse
port, src = int(sys.argv[1]), sys.argv[2]
# The search budget (search_timeout_ms, 1 s) plus slack for a loaded or
# sanitizer build: an answer past it means the budget did not hold.
LIMIT = float(os.environ.get("S2_MAX_SECONDS", "2.5"))
qs = ['"unterminated', 'NEAR(', 'NEAR(a b, 1)', 'a NEAR b', 'title:sqlite',
      'body:x OR title:y', '^start', 'a AND', 'OR', 'NOT', 'AND OR NOT',
      '(((((', ')))))', '"a" "b', '*', '**', '* *', 'a*', 'ab*', 'abc*',
      '"*"', '-', '--', '-a', '- -', '"', '""', '" "', '\\', '\\"', "'",
      "a' OR '1'='1", "1; DROP TABLE document; --", "%", "%%", "_",
      "a* " * 40, "tab* ind* val* dat* que* fun* col* the*",
      " ".join(["the"] * 200), " ".join("w%d" % i for i in range(300)),
      "x" * 5000, "가" * 3000, "가*" * 100, "\x00", "a\x00b", "\x01\x02\x03",
      "\ufeff", "\u200b" * 100, "\u202e" + "abc", "𝕏" * 200,
      "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
      "{{title}}", "{{{body_html}}}", "${7*7}", "\r\n\r\nGET / HTTP/1.1"]
raw_qs = ["%ff%fe", "%c0%80", "%ed%a0%80", "%f4%90%80%80", "%e0%80", "%", "%zz", "%00"]
try:
    blns = json.load(open(os.path.join(src, "tests", "data", "blns.json")))
except Exception:
    blns = []
params = [("c", "x' OR 1=1 --"), ("lang", "zz" * 50), ("year", "-1"),
          ("year", "99999999999999999999"), ("page", "-5"),
          ("page", "99999999999"), ("per_page", "0"), ("per_page", "100000"),
          ("sort", "'; --"), ("q", "")]
c = None
def get(path):
    global c
    for attempt in (0, 1):
        try:
            if c is None:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            t = time.perf_counter()
            c.request("GET", path)
            r = c.getresponse(); r.read()
            el = time.perf_counter() - t
            if r.getheader("Connection", "").lower() == "close":
                c.close(); c = None
            return r.status, el, r.getheader("Retry-After")
        except Exception:
            c = None
    return 0, 0.0, None
n = fails = 0
worst = 0.0
def one(path, label):
    global n, fails, worst
    st, el, ra = get(path)
    n += 1
    worst = max(worst, el)
    bad = st not in (200, 400, 503) or (st == 503 and not ra) or el > LIMIT
    if bad:
        fails += 1
        print("FAIL %-50.50r -> %s in %.3fs" % (label, st, el))
for q in qs + blns:
    enc = urllib.parse.quote(q, safe="")
    for ep in ("/api/search?q=", "/search?q=", "/suggest?q="):
        one(ep + enc, q)
for q in raw_qs:
    for ep in ("/api/search?q=", "/search?q=", "/suggest?q="):
        one(ep + q, q)
for k, v in params:
    for ep in ("/api/search?q=data&", "/search?q=data&"):
        one(ep + k + "=" + urllib.parse.quote(v, safe=""), k + "=" + v)
print("queries: %d (blns %d), failed: %d, slowest %.3fs" % (n, len(blns), fails, worst))
PY
cat "$TMP/s2.out" | tail -25
while read -r line; do case "$line" in FAIL*) bad "$line" ;; esac; done <"$TMP/s2.out"
check "every abusive query answered 200/400/503, fast, never 500" grep -q 'failed: 0,' "$TMP/s2.out"
check "server alive" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200
finish
