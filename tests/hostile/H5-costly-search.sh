#!/bin/bash
# H5: costly searches must not stall other readers (issue #10, hole 3).
# Eight clients send the costliest searches they can craft (many common
# words, three-letter prefixes, deep pages of 50 results, a new page each
# time so no cache helps) while another client fetches the home page, a
# collection page and a static file one after another.  Pass: that
# client's p99 < 100 ms, no 500 from any search (a search over budget is a
# 503 with Retry-After, or 200), and the server is alive afterwards.
# Corpus: bench/synth.py (H5_DOCS documents, default 3000).
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
DOCS=${H5_DOCS:-3000}
SECS=${H5_SECONDS:-30}

python3 "$KW_SRCDIR/bench/synth.py" --docs "$DOCS" --out "$TMP/site" >/dev/null
"$KW_BIN" ingest --db "$TMP/t.db" --data-dir "$KW_SRCDIR" --collection synth \
    --source-url https://synth.example/ --approve --operator h5 "$TMP/site" \
    >"$TMP/ingest.log" 2>&1
rc=$?
check "ingest of $DOCS synthetic documents (exit $rc)" test "$rc" -le 1
start_server || { bad "server starts"; finish; exit 1; }
ok "server on port $PORT"
css=$(curl -s "$BASE/" | sed -n 's/.*href="\(\/static\/css\/site\.[0-9a-f]*\.css\)".*/\1/p' | head -1)

python3 - "$PORT" "$SECS" "$css" "$TMP" <<'PY'
import http.client, json, multiprocessing as mp, random, sys, time, urllib.parse

port, secs, css, tmp = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
WORDS = ("the of and to in is that for it as with be on by this are or from "
         "at an which not can if when each one all value table index query "
         "row column database file page data function").split()
PREFIXES = ["tab*", "ind*", "dat*", "val*", "que*", "fun*", "col*", "the*",
            "dat* tab* ind* val*", "sel* ins* upd*"]

def costly(rng):
    kind = rng.randrange(4)
    if kind == 0:   # sixteen common words
        q = " ".join(rng.sample(WORDS, 16))
    elif kind == 1: # the most prefixes a query may keep, plus more
        q = " ".join(rng.sample(PREFIXES, 4))
    elif kind == 2: # short prefixes, repeated
        q = " ".join(["a*"] * 10 + ["t*"] * 6)
    else:           # a phrase of common words and exclusions
        q = '"%s %s" %s -%s' % tuple(rng.sample(WORDS, 4))
    return "/api/search?" + urllib.parse.urlencode(
        {"q": q, "per_page": 50, "page": rng.randrange(1, 500)})

def attacker(i, stop_at, out):
    rng = random.Random(i)
    counts = {}
    c = None
    while time.time() < stop_at:
        try:
            if c is None:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", costly(rng))
            r = c.getresponse(); r.read()
            counts[r.status] = counts.get(r.status, 0) + 1
            if r.status == 503 and r.getheader("Retry-After") is None:
                counts["503 without Retry-After"] = counts.get("503 without Retry-After", 0) + 1
            if r.getheader("Connection", "").lower() == "close":
                c.close(); c = None
        except Exception as e:
            counts["error " + type(e).__name__] = counts.get("error " + type(e).__name__, 0) + 1
            c = None
    out.put(counts)

def prober(stop_at, out):
    paths = ["/", "/c/synth/", css or "/robots.txt"]
    lat = {p: [] for p in paths}
    bad = 0
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    while time.time() < stop_at:
        p = paths[i % len(paths)]; i += 1
        t = time.perf_counter()
        c.request("GET", p); r = c.getresponse(); r.read()
        lat[p].append(time.perf_counter() - t)
        if r.status != 200:
            bad += 1
        time.sleep(0.01)
    out.put((lat, bad))

def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")

# Baseline: the prober alone.
q = mp.Queue()
pr = mp.Process(target=prober, args=(time.time() + 5, q)); pr.start()
base, _ = q.get(); pr.join()
stop_at = time.time() + secs
att = [mp.Process(target=attacker, args=(i, stop_at, q)) for i in range(8)]
for a in att: a.start()
time.sleep(1)  # let the attack fill the queue first
pq = mp.Queue()
pr = mp.Process(target=prober, args=(stop_at, pq)); pr.start()
lat, bad = pq.get(); pr.join()
counts = {}
for a in att:
    for k, v in q.get().items():
        counts[k] = counts.get(k, 0) + v
for a in att: a.join()
allv = [x for v in lat.values() for x in v]
report = {
    "searches": counts,
    "baseline_p99_ms": round(pct([x for v in base.values() for x in v], 0.99) * 1000, 2),
    "probe_requests": len(allv), "probe_non_200": bad,
    "probe_p50_ms": round(pct(allv, 0.50) * 1000, 2),
    "probe_p99_ms": round(pct(allv, 0.99) * 1000, 2),
    "per_path_p99_ms": {p: round(pct(v, 0.99) * 1000, 2) for p, v in lat.items()},
}
print(json.dumps(report, indent=1))
json.dump(report, open(tmp + "/h5.json", "w"))
PY
r="$TMP/h5.json"
val() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$r" "$1"; }
if [ -f "$r" ]; then
    n=$(val 'sum(v for k,v in d["searches"].items())')
    echo "tried: 8 clients, $n costly searches in ${SECS}s; probe: $(val 'd["probe_requests"]') page/static requests"
    check "searches answered (some)" test "$n" -gt 0
    check "no search answered 500" test "$(val 'd["searches"].get(500, 0) + d["searches"].get("500", 0)')" = 0
    check "no search connection error" test "$(val 'sum(v for k,v in d["searches"].items() if str(k).startswith("error"))')" = 0
    check "every 503 carries Retry-After" test "$(val 'd["searches"].get("503 without Retry-After", 0)')" = 0
    check "probe: every page 200" test "$(val 'd["probe_non_200"]')" = 0
    p99=$(val 'd["probe_p99_ms"]')
    b99=$(val 'd["baseline_p99_ms"]')
    # The target is 100 ms.  On a machine already loaded by something
    # else (the probe alone over 33 ms at p99), the attack may add at most
    # a factor of three to what the probe sees without it.
    check "probe p99 ${p99} ms < 100 ms, or < 3x its ${b99} ms alone on a loaded machine" \
        python3 -c "import sys; p, b = $p99, $b99; sys.exit(0 if p < 100 or (b > 33 and p < 3 * b) else 1)"
else
    bad "the load script wrote its report"
fi
check "server alive after the attack" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200
m=$(curl -s "$BASE/metrics")
echo "$m" | grep -E 'search_pool|refused' | head -5
finish
