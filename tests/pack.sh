#!/bin/bash
# Signed packs for air-gapped servers (issue 11), end to end with the real
# binary: a tree with an image ingested and approved in a source database,
# `pack keygen`, `pack export`, `pack import` into an empty database;
# `verify` passes, the documents, sections, links, assets and blobs are the
# same bytes (hashed by sqlite3), the pages serve and search finds them.
# Importing again changes nothing.  A pack with a byte changed in the
# middle or in its signature, a truncated one, one signed by a key that is
# not trusted and one checked without any trusted key are each refused
# with their own message, the database file untouched.  An export with
# --since carries only what changed later, and a withdrawal made through
# the moderation form on the source reaches the imported copy.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 99; }
command -v sha256sum >/dev/null || { echo "sha256sum missing"; exit 99; }
SRC="$TMP/src.db"
DST="$TMP/t.db" # start_server serves $TMP/t.db: the imported copy
K() { "$KW_BIN" "$@" --data-dir "$KW_SRCDIR"; }
S() { K "$@" --db "$SRC"; }
D() { K "$@" --db "$DST"; }
q() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$1" "$2"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# same WHAT SQL: the query gives the same rows on both databases.
same() {
    local a b
    a=$(q "$SRC" "$2"); b=$(q "$DST" "$2")
    check "$1 the same on both sides" test -n "$a" -a "$a" = "$b"
}
# dbsum: the bytes of the imported database (file and WAL).
dbsum() { cat "$DST" "$DST-wal" 2>/dev/null | sha256sum | cut -d' ' -f1; }
# state: row counts and a content hash of every table of the copy.
state() {
    q "$DST" "SELECT (SELECT count(*) FROM document) || ' ' ||
        (SELECT count(*) FROM section) || ' ' || (SELECT count(*) FROM asset)
        || ' ' || (SELECT count(*) FROM blob) || ' ' ||
        (SELECT count(*) FROM audit) || ' ' ||
        (SELECT count(*) FROM ingest_batch)"
    sqlite3 "$DST" .sha3sum
}
# refused NAME PACK MESSAGE [import options]: refused, exit 1, with the
# message, and the database file unchanged.
refused() {
    local name=$1 pack=$2 msg=$3 before rc
    shift 3
    before=$(dbsum)
    D pack import "$@" "$pack" >"$TMP/imp.out" 2>"$TMP/imp.err"
    rc=$?
    check "$name: refused with exit 1 ($rc)" test "$rc" = 1
    check "$name: says '$msg'" grep -q "refused: $msg" "$TMP/imp.err"
    check "$name: the database is unchanged" test "$(dbsum)" = "$before"
}

mkdir -p "$TMP/site/img"
printf '<html><head><title>First page</title></head><body><h1>Alpha</h1><p>alpha bravo <a href="two.html">the second</a> <img src="img/logo.png" alt="logo"></p><h2>More</h2><p>charlie zulu</p></body></html>' >"$TMP/site/one.html"
printf '<html><head><title>Second page</title></head><body><p>delta echo</p></body></html>' >"$TMP/site/two.html"
printf '<html><head><title>Third page</title></head><body><p>foxtrot golf</p></body></html>' >"$TMP/site/three.html"
printf '\211PNG\r\n\032\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\10\6\0\0\0\37\25\304\211' >"$TMP/site/img/logo.png"
S ingest --collection demo --collection-title Demo --operator op --approve "$TMP/site" >/dev/null 2>&1
check "source has three published documents" \
    test "$(q "$SRC" "SELECT count(*) FROM document WHERE status = 'published'")" = 3

# Keys.
K pack keygen --out "$TMP/k" >"$TMP/kg.out" 2>&1
check "keygen: exit 0" test $? = 0
check "keygen: the secret key is mode 0600" test "$(stat -c %a "$TMP/k.key")" = 600
check "keygen: the public key's text form" grep -q '^kwpack-ed25519-public [A-Za-z0-9+/=]\{44\}$' "$TMP/k.pub"
check "keygen: the secret key's text form" grep -q '^kwpack-ed25519-secret ' "$TMP/k.key"
sum=$(sha256sum "$TMP/k.key" "$TMP/k.pub")
K pack keygen --out "$TMP/k" >/dev/null 2>"$TMP/kg.err"
rc=$?
check "keygen: refuses to overwrite ($(cat "$TMP/kg.err"))" test "$rc" != 0
check "keygen: the keys are unchanged" test "$(sha256sum "$TMP/k.key" "$TMP/k.pub")" = "$sum"
K pack keygen --out "$TMP/other" >/dev/null 2>&1
fp=$(sed -n 's/^fingerprint //p' "$TMP/kg.out")
check "keygen prints the fingerprint" test ${#fp} = 64

# Export everything, import into an empty database.
S pack export --collection demo --key "$TMP/k.key" "$TMP/full.kwpack" >"$TMP/exp.out" 2>&1
check "export: exit 0" test $? = 0
check "export: 3 documents, 1 asset, 1 blob" grep -q '3 document(s), 0 withdrawal(s), 1 asset(s), 1 blob(s)' "$TMP/exp.out"
check "export: no temporary file left" test ! -e "$TMP/full.kwpack.tmp"
check "export: the pack starts with its magic line" test "$(head -1 "$TMP/full.kwpack")" = "KWPACK 1"
check "export: ends with the signature trailer" grep -q "^KWPACK-SIG 1 $fp [0-9a-f]\{64\} [0-9a-f]\{128\}\$" <(tail -1 "$TMP/full.kwpack")
S pack export --collection nosuch --key "$TMP/k.key" "$TMP/x.kwpack" >/dev/null 2>"$TMP/x.err"
check "export of an unknown collection fails and leaves nothing" \
    test $? = 2 -a ! -e "$TMP/x.kwpack" -a ! -e "$TMP/x.kwpack.tmp"
check "pack check: a good pack verifies" K pack check --trust "$TMP/k.pub" "$TMP/full.kwpack" >/dev/null

D pack import --trust "$TMP/k.pub" "$TMP/full.kwpack" >"$TMP/imp.out" 2>&1
check "import: exit 0" test $? = 0
check "import: 3 new documents" grep -q '3 new document(s)' "$TMP/imp.out"
check "verify passes on the copy" grep -q 'verify: ok' <(D verify 2>&1)
same "published documents (path, title, body and text hashes)" \
    "SELECT path, title, language, body_sha256, hex(sha3(body_html)), hex(sha3(body_text)), orig_sha256, source_url, operator FROM document WHERE status = 'published' ORDER BY path"
same "sections" \
    "SELECT d.path, s.ord, s.anchor, s.title, s.heading, hex(sha3(s.body)) FROM section s JOIN document d ON d.id = s.document_id WHERE d.status = 'published' ORDER BY 1, 2"
same "links" \
    "SELECT d.path, l.target_url, l.is_image FROM link l JOIN document d ON d.id = l.document_id ORDER BY 1, 2"
same "assets" "SELECT path, content_type, blob_sha256 FROM asset ORDER BY path"
same "blobs" "SELECT sha256, size, hex(sha3(data)) FROM blob ORDER BY sha256"
same "the collection" "SELECT name, title, description, source_url FROM collection"
same "the ingest batch" "SELECT operator, command, started_at, n_new FROM ingest_batch"
check "the audit log records the import with the key" \
    test "$(q "$DST" "SELECT count(*) FROM audit WHERE action = 'pack-import' AND detail LIKE '%\"key\":\"$fp\"%'")" = 1

start_server || { bad "server starts"; finish; exit 1; }
page=$(curl -s "$BASE/c/demo/one.html")
check "the imported page serves" grep -q 'alpha bravo' <<<"$page"
check "its link binds to the imported document" grep -q 'href="/c/demo/two.html"' <<<"$page"
curl -s -o "$TMP/logo.out" "$BASE/c/demo/img/logo.png"
check "the asset serves the same bytes" cmp -s "$TMP/logo.out" "$TMP/site/img/logo.png"
check "search finds the imported text" \
    grep -q '"total": *1' <(curl -s "$BASE/api/search?q=zulu")
stop_server

# The same pack again: nothing changes.
before=$(state)
D pack import --trust "$TMP/k.pub" "$TMP/full.kwpack" >"$TMP/imp.out" 2>&1
check "import again: exit 0" test $? = 0
check "import again: nothing to change" grep -q '3 unchanged.*nothing to change' "$TMP/imp.out"
check "import again: row counts and table contents unchanged" test "$(state)" = "$before"
check "import again through pack_trusted_keys: nothing changes" \
    D pack import --set "pack_trusted_keys=$TMP/other.pub, $TMP/k.pub" "$TMP/full.kwpack" >/dev/null 2>&1
check "import again: still unchanged" test "$(state)" = "$before"

# Refused packs.
size=$(stat -c %s "$TMP/full.kwpack")
cp "$TMP/full.kwpack" "$TMP/mid.kwpack"
mid=$((size / 2))
byte=$(dd if="$TMP/full.kwpack" bs=1 skip=$mid count=1 2>/dev/null)
printf '%s' "$([ "$byte" = x ] && echo y || echo x)" |
    dd of="$TMP/mid.kwpack" bs=1 seek=$mid conv=notrunc 2>/dev/null
check "the middle byte was changed" test "$(cmp -l "$TMP/full.kwpack" "$TMP/mid.kwpack" | wc -l)" = 1
refused "a byte changed in the middle" "$TMP/mid.kwpack" "content changed after it was signed" --trust "$TMP/k.pub"
cp "$TMP/full.kwpack" "$TMP/sig.kwpack"
last=$(tail -c 2 "$TMP/full.kwpack" | head -c 1)
printf '%s' "$([ "$last" = 0 ] && echo 1 || echo 0)" |
    dd of="$TMP/sig.kwpack" bs=1 seek=$((size - 2)) conv=notrunc 2>/dev/null
refused "a byte of the signature changed" "$TMP/sig.kwpack" "bad signature" --trust "$TMP/k.pub"
head -c $((size * 2 / 3)) "$TMP/full.kwpack" >"$TMP/cut.kwpack"
refused "a truncated pack" "$TMP/cut.kwpack" "truncated or unsigned" --trust "$TMP/k.pub"
head -c $((size - 272)) "$TMP/full.kwpack" >"$TMP/unsigned.kwpack"
refused "a pack without its signature" "$TMP/unsigned.kwpack" "truncated or unsigned" --trust "$TMP/k.pub"
refused "a pack signed by a key not trusted" "$TMP/full.kwpack" "untrusted signer" --trust "$TMP/other.pub"
refused "a pack imported without --trust" "$TMP/full.kwpack" "no trusted keys"
echo 'not a pack' >"$TMP/junk.kwpack"
refused "a file that is not a pack" "$TMP/junk.kwpack" "not a pack file" --trust "$TMP/k.pub"
rm -f "$TMP/none.db"
K pack import --db "$TMP/none.db" --trust "$TMP/other.pub" "$TMP/full.kwpack" >/dev/null 2>&1
check "a refused pack does not even create the database" test ! -e "$TMP/none.db"

# Later changes on the source: a new version, a new page, a withdrawal
# through the moderation form.
sleep 1
since=$(date +%s)
sleep 1
printf '<html><head><title>Second page</title></head><body><p>delta echo hotel</p></body></html>' >"$TMP/site/two.html"
printf '<html><head><title>Fourth page</title></head><body><p>india juliet</p></body></html>' >"$TMP/site/four.html"
S ingest --collection demo --operator op --approve "$TMP/site" >/dev/null 2>&1
printf 'moderator password\n' | S user add mod --role moderator >/dev/null
start_server --db "$SRC" || { bad "source server starts"; finish; exit 1; }
jar="$TMP/mod.jar"
tok=$(curl -s -c "$jar" -b "$jar" "$BASE/admin/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p')
curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode username=mod \
    --data-urlencode 'password=moderator password' --data-urlencode "csrf_token=$tok" "$BASE/admin/login"
tok=$(curl -s -b "$jar" "$BASE/admin/" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | head -1)
one=$(q "$SRC" "SELECT id FROM document WHERE path = 'one.html' AND status = 'published'")
check "withdraw one.html on the source: 303" \
    test "$(code -b "$jar" --data-urlencode "csrf_token=$tok" --data-urlencode 'reason=copyright claim' "$BASE/admin/documents/$one/withdraw")" = 303
stop_server

S pack export --collection demo --since "$since" --key "$TMP/k.key" "$TMP/since.kwpack" >"$TMP/exp.out" 2>&1
check "--since export: exit 0" test $? = 0
check "--since export: 2 documents and 1 withdrawal" grep -q '2 document(s), 1 withdrawal(s)' "$TMP/exp.out"
check "--since export: the unchanged page is not in it" test "$(grep -c '"path":"three.html"' "$TMP/since.kwpack")" = 0
check "--since export: the new page is in it" grep -q '"path":"four.html"' "$TMP/since.kwpack"
iso=$(date -u -d "@$since" +%Y-%m-%dT%H:%M:%SZ)
S pack export --collection demo --since "$iso" --key "$TMP/k.key" "$TMP/since2.kwpack" >"$TMP/exp2.out" 2>&1
check "--since in ISO 8601 ($iso) selects the same" grep -q '2 document(s), 1 withdrawal(s)' "$TMP/exp2.out"
check "--since refuses what is not a time" test "$(S pack export --collection demo --since yesterday --key "$TMP/k.key" "$TMP/y.kwpack" >/dev/null 2>&1; echo $?)" = 2

D pack import --trust "$TMP/k.pub" "$TMP/since.kwpack" >"$TMP/imp.out" 2>&1
check "--since import: exit 0" test $? = 0
check "--since import: 2 new, 1 withdrawn" grep -q '2 new document(s), 0 unchanged, 1 withdrawn' "$TMP/imp.out"
check "the withdrawal reached the copy" \
    test "$(q "$DST" "SELECT status FROM document WHERE path = 'one.html'")" = withdrawn
check "the new version replaced the old one" \
    test "$(q "$DST" "SELECT group_concat(status || version, ' ') FROM (SELECT status, version FROM document WHERE path = 'two.html' ORDER BY version)")" = "superseded1 published2"
same "published documents after --since" \
    "SELECT path, title, body_sha256 FROM document WHERE status = 'published' ORDER BY path"
check "verify passes after the --since import" grep -q 'verify: ok' <(D verify 2>&1)
before=$(state)
D pack import --trust "$TMP/k.pub" "$TMP/since.kwpack" >"$TMP/imp.out" 2>&1
check "--since import again: nothing to change" grep -q 'nothing to change' "$TMP/imp.out"
check "--since import again: unchanged" test "$(state)" = "$before"
D pack import --trust "$TMP/k.pub" "$TMP/full.kwpack" >"$TMP/imp.out" 2>"$TMP/imp.err"
check "an older pack after a newer one: refused (exit $?)" test $? = 1
check "an older pack: says so" grep -q 'refused: .*older than a pack already imported' "$TMP/imp.err"
check "an older pack: the withdrawal stays, nothing changed" test "$(state)" = "$before"
start_server || { bad "server starts again"; finish; exit 1; }
check "the withdrawn page is a 410 tombstone on the copy" test "$(code "$BASE/c/demo/one.html")" = 410
check "the new page serves on the copy" grep -q 'india juliet' <(curl -s "$BASE/c/demo/four.html")
check "the new version serves on the copy" grep -q 'delta echo hotel' <(curl -s "$BASE/c/demo/two.html")
check "search no longer finds the withdrawn text" \
    grep -q '"total": *0' <(curl -s "$BASE/api/search?q=zulu")
stop_server
finish
