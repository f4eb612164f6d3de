#!/bin/bash
# WARC input (issue 14): a small site served on loopback by Python's
# http.server, crawled by wget --warc-file (one gzip member per record),
# with a page on a denied host and, appended by hand, a record whose
# Content-Length lies and a good record after it; ingested with --approve,
# then the document table checked (paths, source URLs, retrieval dates,
# the charset from the captured header), links bound through the portal,
# the report (request records and the 404 skipped, the denied host and the
# broken record rejected), a re-run that writes nothing, and the usage
# rule (WARC files alone).
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 99; }
for t in wget python3 curl; do
    command -v $t >/dev/null || { echo "$t missing: skipped"; rm -rf "$TMP"; exit 77; }
done
DB="$TMP/t.db"
q() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }
ingest() { "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" "$@"; }

S="$TMP/site"
mkdir -p "$S/guide" "$S/img"
cat >"$S/index.html" <<'HTML'
<!doctype html><html><head><title>Crawled Home</title>
<link rel="stylesheet" href="style.css"></head>
<body><h1>Home</h1><p>Read the <a href="guide/intro.html">introduction</a>,
the <a href="notes.txt">notes</a>, the <a href="ru.html">Russian page</a>
and <a href="http://localhost:PORT/ads.html">an ad</a>.</p>
<img src="img/logo.png" alt="logo"></body></html>
HTML
cat >"$S/guide/intro.html" <<'HTML'
<html><head><title>Introduction</title></head><body><p>Back to
<a href="../">home</a>; <a href="missing.html">a page that is gone</a>.</p>
</body></html>
HTML
printf 'Plain notes\n\nSome notes.\n' >"$S/notes.txt"
# KOI8-R without a <meta>: only the served charset says what it is
printf '<html><head><title>ru</title></head><body><p>\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2</p></body></html>' >"$S/ru.html"
printf '<html><head><title>Ad</title></head><body>buy</body></html>' >"$S/ads.html"
printf '\x89PNG\r\n\x1a\n0000IHDR' >"$S/img/logo.png"
printf 'body { color: black }\n' >"$S/style.css"

# A loopback server that says which port it took; gone after 120 s.
timeout 120 python3 - "$S" >"$TMP/port" 2>/dev/null <<'PY' &
import http.server, os, sys
os.chdir(sys.argv[1])
class H(http.server.SimpleHTTPRequestHandler):
    def guess_type(self, path):
        if path.endswith("ru.html"):
            return "text/html; charset=koi8-r"
        return super().guess_type(path)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
PY_PID=$!
for _ in $(seq 1 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
P=$(cat "$TMP/port")
[ -n "$P" ] || { echo "python http.server did not start"; exit 99; }
sed -i "s/PORT/$P/" "$S/index.html"
ORIGIN="http://127.0.0.1:$P"

t0=$(date +%s)
(cd "$TMP" && timeout 60 wget -q -r -l 3 -p --warc-file=crawl \
    --no-warc-keep-log -P mirror "$ORIGIN/" "http://localhost:$P/ads.html")
t1=$(date +%s)
kill "$PY_PID" 2>/dev/null
wait "$PY_PID" 2>/dev/null
W="$TMP/crawl.warc.gz"
check "wget wrote a WARC" test -s "$W"

# A record whose Content-Length says more than there is, then a good one.
{
    printf 'WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: %s/lying.html\r\n' "$ORIGIN"
    printf 'WARC-Date: 2020-01-02T03:04:05Z\r\nContent-Length: 900\r\n\r\n'
    printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>cut</p>\r\n\r\n'
} | gzip >>"$W"
body='HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><title>Extra</title><p>after the broken one</p></html>'
len=$(printf "$body" | wc -c)
{
    printf 'WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: %s/extra.html\r\n' "$ORIGIN"
    printf 'WARC-Date: 2020-01-02T03:04:05Z\r\nContent-Length: %d\r\n\r\n' "$len"
    printf "$body"
    printf '\r\n\r\n'
} | gzip >>"$W"

printf 'allow 127.0.0.1 localhost\ndeny localhost\n' >"$TMP/policy"
ingest --collection crawl --policy "$TMP/policy" --approve \
    --report "$TMP/report.json" --ack-log "$TMP/ack.jsonl" "$W" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "exit 1: some records were refused" test "$rc" = 1
cat "$TMP/out"

doc() { q "SELECT $2 FROM document WHERE path = '$1'"; }
check "/ stored at index.html" test "$(doc index.html source_url)" = "$ORIGIN/"
check "its title" test "$(doc index.html title)" = "Crawled Home"
check "published (--approve)" test "$(doc index.html status)" = published
check "a page below it at its path" test "$(doc guide/intro.html source_url)" = "$ORIGIN/guide/intro.html"
check "plain text by its Content-Type" test "$(doc notes.txt content_type)" = "text/plain"
check "the record after the broken one is stored" test "$(doc extra.html title)" = Extra
check "retrieved at the WARC-Date" test "$(doc extra.html retrieved_at)" = 1577934245
r=$(doc guide/intro.html retrieved_at)
check "crawled pages retrieved during the crawl" test "$r" -ge "$t0" -a "$r" -le "$t1"
check "charset from the captured header (KOI8-R)" grep -q 'Привет, мир' <<<"$(doc ru.html body_text)"
check "nothing of the broken record" test -z "$(doc lying.html id)"
check "nothing from the denied host" test "$(q "SELECT count(*) FROM document WHERE source_url LIKE '%localhost%'")" = 0
check "collection's source URL is the site" test "$(q "SELECT source_url FROM collection WHERE name = 'crawl'")" = "$ORIGIN/"
check "image stored as an asset" test "$(q "SELECT content_type FROM asset WHERE path = 'img/logo.png'")" = image/png
check "stylesheet stored as an asset" test -n "$(q "SELECT 1 FROM asset WHERE path = 'style.css'")"
check "a link between captured pages binds" test "$(q "SELECT d.path FROM link l JOIN document d ON d.source_url_norm = l.target_url WHERE l.document_id = (SELECT id FROM document WHERE path = 'guide/intro.html') AND d.status = 'published'")" = index.html
check "every stored document acknowledged" test "$(wc -l <"$TMP/ack.jsonl")" = "$(q "SELECT count(*) FROM document")"

rep() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('\n'.join('%s|%s|%s' % (f['path'], f['status'], f.get('reason', '')) for f in r['files']))" "$TMP/report.json"; }
R=$(rep)
check "request records skipped" grep -q "^$ORIGIN/|skipped|request record" <<<"$R"
check "warcinfo skipped" grep -q "^crawl.warc.gz@0|skipped|warcinfo record" <<<"$R"
check "404 skipped with its status" grep -q "^$ORIGIN/robots.txt|skipped|HTTP status 404" <<<"$R"
check "denied host refused with the reason" grep -q "^http://localhost:$P/ads.html|rejected|blocked source: localhost" <<<"$R"
check "broken record reported at its URL" grep -q "^$ORIGIN/lying.html|rejected|broken record: the file ends" <<<"$R"
check "summary counts the refusals" grep -q 'rejected, broken record: 1' "$TMP/out"

# Links bound by the portal: the home page's links lead inside.
start_server
h=$(curl -s "$BASE/c/crawl/index.html")
check "served page links to the captured page" grep -q 'href="/c/crawl/guide/intro.html"' <<<"$h"
check "served page shows the captured image" grep -q 'src="/c/crawl/img/logo.png"' <<<"$h"
check "the link to the denied host goes out" grep -q 'href="/external?url=http' <<<"$h"
stop_server

# A second run writes nothing; WARC files go alone.
ingest --collection crawl --policy "$TMP/policy" --approve "$W" >"$TMP/out2" 2>&1
check "re-run: nothing new" grep -q ': 0 new, 0 changed' "$TMP/out2"
ingest --collection crawl "$W" "$S" >/dev/null 2>"$TMP/err3"
check "a WARC with another PATH: usage error" test $? = 2
check "it says why" grep -q 'WARC files are ingested on their own' "$TMP/err3"
finish
