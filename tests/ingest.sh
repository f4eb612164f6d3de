#!/bin/bash
# Ingest integration: a fixture tree of our own making (nested folders,
# images, relative, absolute and external links, fragments, a PDF,
# Markdown, a Korean page, a gzip file, a manifest, a blocked-domain page,
# hostile files) ingested, then the database checked row by row; a second
# run writes nothing; a changed file makes a new pending version; --approve
# publishes with an audit row; --dry-run writes nothing; SIGKILL at random
# moments, then a re-run, converges.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 99; }
DB="$TMP/t.db"
q() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }
ingest() { "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" "$@"; }

T="$TMP/site"
mkdir -p "$T/guide" "$T/img" "$T/ko" "$T/deep/a/b"
cat >"$T/index.html" <<'HTML'
<!doctype html><html lang="en"><head><title>Manual Home</title>
<meta name="description" content="The manual's front page">
<link rel="stylesheet" href="style.css"><script>alert(1)</script></head>
<body><h1 id="top">Welcome</h1>
<p>Read the <a href="guide/intro.html">introduction</a>, the
<a href="https://docs.example.org/guide/setup.html#install">setup</a> guide,
<a href="https://other.example.com/page">an outside page</a> and
<a href="#top">the top</a>.</p>
<img src="img/logo.png" alt="logo"><img src="https://cdn.example.net/a.png" alt="outside image">
<p onclick="alert(2)">pg_stat_activity and SQLITE_BUSY</p></body></html>
HTML
cat >"$T/guide/intro.html" <<'HTML'
<html><head><title>Introduction</title></head><body><h2>Intro</h2>
<p>Back to <a href="../index.html">home</a>; see <a href="setup.html#install">install</a>.</p></body></html>
HTML
cat >"$T/guide/setup.html" <<'HTML'
<html><head><title>Setup</title></head><body><h2 id="install">Install</h2><p>Steps.</p></body></html>
HTML
cat >"$T/ko/index.html" <<'HTML'
<html lang="ko"><head><meta charset="utf-8"><title>데이터베이스 안내</title></head>
<body><h1>이미지를 넣는 방법</h1><p>관계형 데이터베이스는 표를 씁니다.</p></body></html>
HTML
printf '# Notes\n\nSome *markdown* <script>alert(3)</script> and [a link](javascript:alert(4)).\n' >"$T/notes.md"
printf 'Plain title line\n\nA paragraph with <tags> & "quotes".\n' >"$T/readme.txt"
printf '<html><head><title>Zipped page</title></head><body><p>gzip body</p></body></html>' | gzip -9 >"$T/archive.html.gz"
printf '<html><head><title>Blocked</title></head><body>ads</body></html>' >"$T/blocked.html"
head -c 3000 /dev/urandom >"$T/junk.html"
: >"$T/empty.html"
printf 'fake' >"$T/fake.pdf"
python3 - "$T/deep/a/b/bomb.html" <<'PY' 2>/dev/null || perl -e 'print "<span>" x 100000' >"$T/deep/a/b/bomb.html"
import sys; open(sys.argv[1], "w").write("<span>" * 100000)
PY
printf '\x89PNG\r\n\x1a\n0000IHDR' >"$T/img/logo.png"
printf 'body { color: black }\n' >"$T/style.css"
printf 'var x;\n' >"$T/app.js"
ln -s /etc/passwd "$T/passwd.html"
mkfifo "$T/fifo.html"
pdf="$KW_TEST_DATA/extract/hello.pdf"; [ -f "$pdf" ] || pdf=
[ -n "$pdf" ] && cp "$pdf" "$T/paper.pdf"
cat >"$TMP/manifest.jsonl" <<'JSON'
{"path": "notes.md", "title": "Notes from the manifest", "tags": ["notes", "markdown"], "license": "CC-BY-4.0", "authors": ["Kim", "Lee"]}
{"path": "blocked.html", "source_url": "https://ads.blocked.example/page"}
{"path": "../../etc/passwd", "title": "escape"}
{"path": "readme.txt", "title": 42}
JSON
printf 'deny blocked.example\nmax_size 1M\ntypes html markdown text pdf\n' >"$TMP/policy"

ingest --collection manual --collection-title "The Manual" \
    --source-url https://docs.example.org/ --manifest "$TMP/manifest.jsonl" \
    --policy "$TMP/policy" --operator tester --report "$TMP/r1.json" \
    --ack-log "$TMP/ack.jsonl" --jobs 2 "$T" >"$TMP/out1" 2>"$TMP/err1"
rc=$?
check "first run exits 1 (some input rejected) [$rc]" test "$rc" -eq 1
cat "$TMP/out1"
check "manifest issues are named with their line" grep -q 'manifest.jsonl:3:' "$TMP/err1"
check "manifest type errors are named" grep -q 'manifest.jsonl:4:' "$TMP/err1"

ndocs=$(q "SELECT count(*) FROM document")
expect=7; [ -n "$pdf" ] && expect=8
check "documents stored: $ndocs (expected $expect)" test "$ndocs" -eq "$expect"
check "all stored documents are pending" test "$(q "SELECT count(*) FROM document WHERE status <> 'pending'")" -eq 0
check "collection title set" test "$(q "SELECT title FROM collection WHERE name = 'manual'")" = "The Manual"
check "title from <title>" test "$(q "SELECT title FROM document WHERE path = 'index.html'")" = "Manual Home"
check "title from the manifest wins" test "$(q "SELECT title FROM document WHERE path = 'notes.md'")" = "Notes from the manifest"
check "authors from the manifest" test "$(q "SELECT authors FROM document WHERE path = 'notes.md'")" = "Kim; Lee"
check "manifest tags stored" test "$(q "SELECT group_concat(t.name, ',') FROM document_tag dt JOIN tag t ON t.id = dt.tag_id JOIN document d ON d.id = dt.document_id WHERE d.path = 'notes.md' ORDER BY t.name")" != ""
check "license in metadata" grep -q 'CC-BY-4.0' <<<"$(q "SELECT metadata FROM document WHERE path = 'notes.md'")"
check "Korean page language ko" test "$(q "SELECT language FROM document WHERE path = 'ko/index.html'")" = ko
check "English page language en" test "$(q "SELECT language FROM document WHERE path = 'index.html'")" = en
check "gzip file stored" test "$(q "SELECT title FROM document WHERE path = 'archive.html.gz'")" = "Zipped page"
check "text file title guessed" test "$(q "SELECT title FROM document WHERE path = 'readme.txt'")" = "Plain title line"
check "source URL is BASE + path" test "$(q "SELECT source_url FROM document WHERE path = 'guide/intro.html'")" = "https://docs.example.org/guide/intro.html"
check "provenance: operator" test "$(q "SELECT count(*) FROM document WHERE operator <> 'tester'")" -eq 0
check "provenance: retrieved_at from mtime" test "$(q "SELECT count(*) FROM document WHERE retrieved_at IS NULL")" -eq 0
check "provenance: batch recorded" test "$(q "SELECT count(DISTINCT batch_id) FROM document")" -eq 1
# What ranking reads beside the index (lib/rank.h): a sketch of the text
# and the link share, for every document, from what ingest stored.
check "ranking signals: one row per document" test "$(q "SELECT count(*) FROM document d JOIN doc_signal s ON s.document_id = d.id")" -eq "$ndocs"
# A sketch (64 bytes) for each text of 8 words or more, none for shorter
# ones (too few to tell copies apart): the check counts words as
# rank_sketch does, roughly, with spaces.
check "ranking signals: a 64-byte sketch or none" test "$(q "SELECT count(*) FROM doc_signal WHERE sketch IS NOT NULL AND length(sketch) <> 64")" -eq 0
check "ranking signals: long texts have a sketch" test "$(q "SELECT count(*) FROM document d JOIN doc_signal s ON s.document_id = d.id WHERE s.sketch IS NULL AND length(d.body_text) - length(replace(trim(d.body_text), ' ', '')) >= 40")" -eq 0
check "ranking signals: sketches of the stored texts differ" test "$(q "SELECT count(DISTINCT hex(sketch)) FROM doc_signal WHERE sketch IS NOT NULL")" -gt 1
body=$(q "SELECT body_html FROM document WHERE path = 'index.html'")
check "no script survives" bash -c '! grep -qi "<script" <<<"$1"' _ "$body"
check "no event handler survives" bash -c '! grep -qi "onclick" <<<"$1"' _ "$body"
check "outside image dropped" bash -c '! grep -q "cdn.example.net" <<<"$1"' _ "$body"
check "alt text of the outside image kept" grep -q 'outside image' <<<"$body"
check "tree image kept as an absolute tree URL" grep -q 'src="https://docs.example.org/img/logo.png"' <<<"$body"
check "relative link resolved against the source URL" grep -q 'href="https://docs.example.org/guide/intro.html"' <<<"$body"
check "fragment survives" grep -q 'setup.html#install' <<<"$body"
links=$(q "SELECT target_url FROM link l JOIN document d ON d.id = l.document_id WHERE d.path = 'index.html' ORDER BY 1")
check "link table: internal target" grep -qx 'https://docs.example.org/guide/intro.html' <<<"$links"
check "link table: fragment dropped from target" grep -qx 'https://docs.example.org/guide/setup.html' <<<"$links"
check "link table: outside target kept" grep -qx 'https://other.example.com/page' <<<"$links"
check "markdown: no script" bash -c '! grep -qi "<script\|javascript:" <<<"$1"' _ "$(q "SELECT body_html FROM document WHERE path = 'notes.md'")"
check "text: escaped" grep -q '&lt;tags&gt; &amp; &quot;quotes&quot;' <<<"$(q "SELECT body_html FROM document WHERE path = 'readme.txt'")"
check "image asset stored" test "$(q "SELECT content_type FROM asset WHERE path = 'img/logo.png'")" = image/png
check "stylesheet asset stored" test "$(q "SELECT count(*) FROM asset WHERE path = 'style.css'")" -eq 1
check "asset bytes hash to their blob" test "$(q "SELECT count(*) FROM asset a JOIN blob b ON b.sha256 = a.blob_sha256 WHERE a.path = 'img/logo.png' AND b.size = 16")" -eq 1
if [ -n "$pdf" ]; then
    check "PDF stored as a document" test "$(q "SELECT content_type FROM document WHERE path = 'paper.pdf'")" = application/pdf
    check "PDF kept as an attachment" test "$(q "SELECT count(*) FROM asset a JOIN document d ON d.id = a.document_id WHERE a.path = 'paper.pdf'")" -eq 1
    check "PDF attachment bytes are the original" test "$(q "SELECT original_blob = orig_sha256 FROM document WHERE path = 'paper.pdf'")" = 1
fi
check "sections indexed" test "$(q "SELECT count(*) FROM section")" -ge "$ndocs"
check "blocked domain never stored" test "$(q "SELECT count(*) FROM document WHERE path = 'blocked.html'")" -eq 0
r1=$(cat "$TMP/r1.json")
check "report: blocked source reason" grep -q '"blocked source' <<<"$r1"
check "report: junk rejected" grep -q '"path": "junk.html"' <<<"$r1"
check "report: empty file rejected" grep -q '"empty file"' <<<"$r1"
check "report: fake PDF rejected" grep -q '"path": "fake.pdf"' <<<"$r1"
check "report: bomb rejected as too complex" grep -q 'too complex' <<<"$r1"
check "report: symlink not followed" grep -q 'symlink not followed' <<<"$r1"
check "report: FIFO not read" grep -q '"path": "fifo.html"' <<<"$r1"
check "report: unsupported type skipped" grep -q '"path": "app.js"' <<<"$r1"
check "nothing outside the tree was read" test "$(q "SELECT count(*) FROM document WHERE body_text LIKE '%root:%'")" -eq 0
check "ack log: one line per stored document" test "$(wc -l <"$TMP/ack.jsonl")" -eq "$ndocs"
bad=0
while read -r line; do
    sha=$(sed 's/.*"sha256":"\([0-9a-f]*\)".*/\1/' <<<"$line")
    id=$(sed 's/.*"id":\([0-9]*\).*/\1/' <<<"$line")
    [ "$(q "SELECT orig_sha256 FROM document WHERE id = $id")" = "$sha" ] || bad=$((bad + 1))
done <"$TMP/ack.jsonl"
check "ack log: every line matches its stored row" test "$bad" -eq 0
check "verify passes" "$KW_BIN" verify --db "$DB" --data-dir "$KW_SRCDIR"

# A second run writes nothing.
before=$(q "SELECT count(*) || '/' || count(DISTINCT id) FROM document")
ingest --collection manual --source-url https://docs.example.org/ \
    --manifest "$TMP/manifest.jsonl" --policy "$TMP/policy" "$T" >"$TMP/out2" 2>/dev/null
check "second run: 0 new, 0 changed" grep -q ': 0 new, 0 changed' "$TMP/out2"
check "second run: nothing written" test "$(q "SELECT count(*) || '/' || count(DISTINCT id) FROM document")" = "$before"

# A changed file makes a new pending version.
sed -i 's/Steps\./Steps, revised./' "$T/guide/setup.html"
ingest --collection manual --source-url https://docs.example.org/ \
    --manifest "$TMP/manifest.jsonl" --policy "$TMP/policy" "$T" >"$TMP/out3" 2>/dev/null
check "changed file: 1 changed" grep -q ': 0 new, 1 changed' "$TMP/out3"
check "changed file: version 2 pending" test "$(q "SELECT version || status FROM document WHERE path = 'guide/setup.html' ORDER BY version DESC LIMIT 1")" = 2pending

# A reader's request for a page is fulfilled when the page is published.
q "INSERT INTO acquisition_request(url_norm, url, count, first_at, last_at) VALUES ('http://kwangmyong.invalid/c/approved/intro.html', 'x', 3, 0, 0)" >/dev/null
check "requests export lists the open request" grep -qx 'x' <<<"$("$KW_BIN" requests export --db "$DB" --data-dir "$KW_SRCDIR")"
# --approve publishes, with the operator in the audit log.
ingest --collection approved --approve --operator chief --policy "$TMP/policy" "$T/guide" >/dev/null 2>&1
check "--approve publishes" test "$(q "SELECT count(*) FROM document d JOIN collection c ON c.id = d.collection_id WHERE c.name = 'approved' AND d.status = 'published'")" -eq 2
check "--approve: decided_by the operator" test "$(q "SELECT DISTINCT decided_by FROM document d JOIN collection c ON c.id = d.collection_id WHERE c.name = 'approved'")" = chief
check "--approve: audit rows" test "$(q "SELECT count(*) FROM audit WHERE action = 'approve' AND actor = 'cli:chief'")" -eq 2
check "publishing fulfils the open request for its URL" test "$(q "SELECT status FROM acquisition_request WHERE url_norm = 'http://kwangmyong.invalid/c/approved/intro.html'")" = fulfilled
check "verify passes after approve" "$KW_BIN" verify --db "$DB" --data-dir "$KW_SRCDIR"

# --dry-run writes nothing.
n0=$(q "SELECT count(*) FROM document"); b0=$(q "SELECT count(*) FROM ingest_batch")
ingest --collection dry --dry-run --policy "$TMP/policy" "$T/guide" >"$TMP/out4" 2>/dev/null
check "dry run reports" grep -q 'dry run' "$TMP/out4"
check "dry run writes nothing" test "$(q "SELECT count(*) FROM document"):$(q "SELECT count(*) FROM ingest_batch")" = "$n0:$b0"

# --fetch: retrieve from a loopback server, policy-checked before any
# connection; refused and failed URLs are reported, the rest ingested.
if command -v python3 >/dev/null; then
    (cd "$T" && exec python3 -u -m http.server 0 --bind 127.0.0.1) >"$TMP/http.log" 2>&1 &
    hpid=$!
    hport=
    for _ in $(seq 1 50); do
        hport=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$TMP/http.log" | head -1)
        [ -n "$hport" ] && break
        sleep 0.1
    done
    printf 'http://127.0.0.1:%s/guide/intro.html\nhttp://127.0.0.1:%s/missing.html\nfile:///etc/passwd\nhttp://evil.example/x\nnot a url\n' \
        "$hport" "$hport" >"$TMP/urls.txt"
    printf 'allow 127.0.0.1\nfetch_allow 127.0.0.1\nfetch_timeout 10\n' >"$TMP/fpolicy"
    ingest --collection fetched --fetch "$TMP/urls.txt" --policy "$TMP/fpolicy" \
        --report "$TMP/rf.json" >"$TMP/outf" 2>&1
    rc=$?
    kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null
    check "--fetch: exit 1 (some URLs refused) [$rc]" test "$rc" -eq 1
    check "--fetch: the allowed page stored with its URL" test "$(q "SELECT count(*) FROM document d JOIN collection c ON c.id = d.collection_id WHERE c.name = 'fetched' AND d.source_url = 'http://127.0.0.1:$hport/guide/intro.html'")" -eq 1
    check "--fetch: its relative links resolve against the fetched URL" grep -q "http://127.0.0.1:$hport/index.html" <<<"$(q "SELECT group_concat(target_url) FROM link l JOIN document d ON d.id = l.document_id JOIN collection c ON c.id = d.collection_id WHERE c.name = 'fetched'")"
    check "--fetch: 404 reported" grep -q 'HTTP 404' "$TMP/rf.json"
    check "--fetch: file: refused" grep -q 'file:///etc/passwd' "$TMP/rf.json"
    check "--fetch: host outside fetch_allow refused" grep -q 'evil.example' "$TMP/rf.json"
    check "--fetch: temporary tree removed" test -z "$(ls -d /tmp/kwangmyong-fetch-* 2>/dev/null)"
else
    echo "python3 missing: --fetch end-to-end test skipped"
fi

# Bad usage is exit 2.
ingest "$T" >/dev/null 2>&1; check "missing --collection: exit 2" test $? -eq 2
ingest --collection 'Bad Name' "$T" >/dev/null 2>&1; check "bad collection name: exit 2" test $? -eq 2

# SIGKILL at random moments, then a re-run converges: exactly one row
# per file, every acknowledged document present with its hash.
K="$TMP/kill"; mkdir -p "$K"
for i in $(seq 1 300); do
    printf '<html><head><title>Page %d</title></head><body><h2>Part %d</h2><p>%s</p></body></html>' \
        "$i" "$i" "$(head -c 3000 /dev/zero | tr '\0' 'x')" >"$K/p$i.html"
done
for round in 1 2 3 4 5; do
    # The binary itself, not the shell function: $! must be its PID.
    "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection killed \
        --ack-log "$TMP/kill.ack" --jobs 2 "$K" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 9 + 1))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    check "after SIGKILL round $round: integrity ok" test "$(q 'PRAGMA integrity_check')" = ok
done
ingest --collection killed --ack-log "$TMP/kill.ack" --jobs 2 "$K" >/dev/null 2>&1
check "after the final run: 300 documents" test "$(q "SELECT count(*) FROM document d JOIN collection c ON c.id = d.collection_id WHERE c.name = 'killed'")" -eq 300
check "no duplicate versions" test "$(q "SELECT count(*) FROM document d JOIN collection c ON c.id = d.collection_id WHERE c.name = 'killed' AND d.version > 1")" -eq 0
bad=0
while read -r line; do
    sha=$(sed 's/.*"sha256":"\([0-9a-f]*\)".*/\1/' <<<"$line")
    id=$(sed 's/.*"id":\([0-9]*\).*/\1/' <<<"$line")
    [ "$(q "SELECT orig_sha256 FROM document WHERE id = $id")" = "$sha" ] || bad=$((bad + 1))
done <"$TMP/kill.ack"
check "every acknowledged document is stored with its hash" test "$bad" -eq 0
check "verify passes after the kills (FTS, hashes, audit)" "$KW_BIN" verify --db "$DB" --data-dir "$KW_SRCDIR"
# Ingest while the server serves: readers never get a 5xx because ingest
# holds the write lock, and they never see half a document.
if start_server; then
    L="$TMP/live"; mkdir -p "$L"
    for i in $(seq 1 200); do
        printf '<html><head><title>Live %d</title></head><body><p>live page %d %s</p></body></html>' \
            "$i" "$i" "$(head -c 2000 /dev/zero | tr '\0' 'y')" >"$L/l$i.html"
    done
    touch "$TMP/live.run"
    (
        end=$((SECONDS + 60))
        while [ -f "$TMP/live.run" ] && [ $SECONDS -lt $end ]; do
            for u in / /c/killed/p1.html "/search?q=page" /c/live/ /healthz; do
                curl -s -o /dev/null -w '%{http_code}\n' "$BASE$u"
            done
        done >"$TMP/live.codes"
    ) &
    lpid=$!
    "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection live --approve \
        --jobs 2 "$L" >/dev/null 2>&1
    rm -f "$TMP/live.run"
    wait "$lpid"
    n=$(wc -l <"$TMP/live.codes")
    check "served $n requests during the ingest" test "$n" -gt 0
    check "no 5xx while ingest wrote" test -z "$(grep '^5' "$TMP/live.codes")"
    check "every page of the live ingest is whole" test "$(q "SELECT count(*) FROM document d JOIN collection c ON c.id = d.collection_id WHERE c.name = 'live' AND d.status = 'published' AND d.body_html LIKE '%live page%'")" -eq 200
    stop_server
fi
check "no worker processes left behind" test -z "$(pgrep -f "ingest --collection killed" || true)"
finish
