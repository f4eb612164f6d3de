#!/bin/bash
# A read-only replica (serve --read-only, issue 11): it serves a snapshot
# of the primary's database and writes nothing to it (immutable=1: not
# even a -shm file); the admin pages, the login and every form that
# changes something answer 303 to primary_url (503 without one), while
# OAI-PMH's POST, which only reads, is answered here; a new snapshot put
# in place by rename is served after the roll-over (SIGHUP or the file
# watch), requests in between answered; a snapshot of another schema version is refused at
# start and never rolled over to.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 99; }
command -v sha256sum >/dev/null || { echo "sha256sum missing"; exit 99; }
PRIMARY="$TMP/primary.db"
K() { "$KW_BIN" "$@" --db "$PRIMARY" --data-dir "$KW_SRCDIR"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# snapshot DEST: a consistent one-file copy of the primary (backup).
snapshot() { rm -f "$1"; K backup "$1" >/dev/null 2>&1; }

T="$TMP/site"; mkdir -p "$T"
printf '<html><head><title>First page</title></head><body><p>alpha bravo</p></body></html>' >"$T/one.html"
K ingest --collection rep --collection-title Replica --approve "$T" >/dev/null 2>&1
check "primary has the first page" \
    test "$(sqlite3 "$PRIMARY" "SELECT count(*) FROM document WHERE status = 'published'")" -eq 1
snapshot "$TMP/t.db"
check "snapshot made" test -s "$TMP/t.db"
sum0=$(sha256sum "$TMP/t.db" | cut -d' ' -f1)

start_server --read-only --set immutable=true \
    --set primary_url=http://primary.example/portal/ ||
    { bad "replica starts"; finish; exit 1; }
check "serving message says read-only" grep -q "read-only" "$TMP/out.log"
check "home 200" test "$(code "$BASE/")" = 200
check "document 200" test "$(code "$BASE/c/rep/one.html")" = 200
check "search finds it" grep -q "First page" <(curl -s "$BASE/search?q=alpha")
check "api search 200" test "$(code "$BASE/api/search?q=bravo")" = 200
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$BASE/admin/queue?x=1")
check "admin page: 303 to the primary, path and query kept ($loc)" \
    test "$loc" = "303 http://primary.example/portal/admin/queue?x=1"
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -d 'username=a&password=b' "$BASE/admin/login")
check "login POST: 303 to the primary ($loc)" \
    test "$loc" = "303 http://primary.example/portal/admin/login"
check "reader request POST: 303" \
    test "$(code -d 'url=http://example.org/' "$BASE/external")" = 303
# OAI-PMH's POST only reads: the replica answers it from its snapshot.
check "OAI-PMH POST answered by the replica" \
    test "$(curl -s -d 'verb=Identify' "$BASE/oai" | grep -c '<Identify>')" = 1
check "session cookie ignored: admin still goes to the primary" \
    test "$(code -b 'kw_session=abc' "$BASE/admin/")" = 303

# Roll over to a new snapshot while a client keeps asking.
printf '<html><head><title>Second page</title></head><body><p>charlie delta</p></body></html>' >"$T/two.html"
K ingest --collection rep --approve "$T" >/dev/null 2>&1
snapshot "$TMP/next.db"
fails=0
( for _ in $(seq 1 60); do
      c=$(code "$BASE/c/rep/one.html"); [ "$c" = 200 ] || echo "$c" >>"$TMP/fails"
      sleep 0.05
  done ) &
loop=$!
sleep 0.5
mv "$TMP/next.db" "$TMP/t.db"
kill -HUP "$SERVER_PID"
wait "$loop"
[ -f "$TMP/fails" ] && fails=$(wc -l <"$TMP/fails")
check "no failed request during the roll-over ($fails)" test "$fails" -eq 0
ok2=0
for _ in $(seq 1 30); do
    [ "$(code "$BASE/c/rep/two.html")" = 200 ] && { ok2=1; break; }
    sleep 0.2
done
check "the new snapshot's page is served after the roll-over" test "$ok2" = 1
check "the roll-over is logged" grep -q "readers move" "$TMP/err.log"

# The file watch alone (no signal): a third snapshot by rename.
printf '<html><head><title>Third page</title></head><body><p>echo foxtrot</p></body></html>' >"$T/three.html"
K ingest --collection rep --approve "$T" >/dev/null 2>&1
snapshot "$TMP/next.db"
mv "$TMP/next.db" "$TMP/t.db"
ok3=0
for _ in $(seq 1 30); do
    [ "$(code "$BASE/c/rep/three.html")" = 200 ] && { ok3=1; break; }
    sleep 0.2
done
check "a snapshot replaced by rename is picked up without a signal" test "$ok3" = 1

# A snapshot of another schema version is not rolled over to.
cp "$TMP/t.db" "$TMP/bad.db"
sqlite3 "$TMP/bad.db" "PRAGMA user_version = 999"
mv "$TMP/bad.db" "$TMP/t.db"
kill -HUP "$SERVER_PID"
sleep 1.5
check "a wrong-version snapshot is refused, and said" grep -q "not rolling over" "$TMP/err.log"
stop_server

check "immutable: no -wal or -shm made next to the snapshot" \
    test ! -e "$TMP/t.db-wal" -a ! -e "$TMP/t.db-shm"

# Without primary_url: 503; and the snapshot file is never written.
snapshot "$TMP/t.db"
sum1=$(sha256sum "$TMP/t.db" | cut -d' ' -f1)
start_server --read-only || { bad "replica without primary_url starts"; finish; exit 1; }
check "no primary_url: admin page 503" test "$(code "$BASE/admin/")" = 503
check "no primary_url: POST 503" test "$(code -d 'username=a&password=b' "$BASE/admin/login")" = 503
check "home still 200" test "$(code "$BASE/")" = 200
curl -s "$BASE/search?q=alpha" >/dev/null
stop_server
sum2=$(sha256sum "$TMP/t.db" | cut -d' ' -f1)
check "the snapshot's bytes unchanged by serving it" test "$sum1" = "$sum2"
[ -n "$sum0" ] || bad "first snapshot hashed"

# A database of another schema version: refused at start.
sqlite3 "$TMP/t.db" "PRAGMA user_version = 999"
if start_server --read-only 2>/dev/null; then
    bad "wrong schema version refused at start"
    stop_server
else
    check "wrong schema version refused at start, with the reason" \
        grep -q "schema version 999" "$TMP/err.log"
fi
check "immutable without read_only is refused" \
    sh -c "! '$KW_BIN' serve --db '$TMP/t.db' --data-dir '$KW_SRCDIR' --set immutable=true >/dev/null 2>&1"
finish
