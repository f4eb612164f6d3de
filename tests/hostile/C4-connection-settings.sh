#!/bin/bash
# C4 (docs/hostile-world.md): connection settings.  Covered by the Check
# program tests/check_db (test_settings_c4, test_deadline_interrupts):
# every connection, writer and reader, reports WAL, synchronous=FULL,
# busy_timeout, trusted_schema=OFF (pragma and db_config), defensive mode,
# journal_size_limit, foreign_keys=ON, wal_autocheckpoint=0, query_only on
# readers only; db_write_begin holds a write transaction from the start
# (BEGIN IMMEDIATE); the progress handler interrupts a runaway query on the
# reader and the writer.  This row runs that program rather than repeating
# it, then checks the same pragmas on a database the real binary made.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3
prog=$(check_program check_db) || { bad "tests/check_db could not be built"; finish; exit 1; }
echo "C4: running $prog (tests/check_db.c covers every pragma of trap 2)"
(cd "$TMP" && KW_SRCDIR="$KW_SRCDIR" CK_DEFAULT_TIMEOUT=120 "$prog") >"$TMP/check_db.log" 2>&1
rc=$?
grep -E '^[0-9]+%|Checks|:F:|:E:' "$TMP/check_db.log"
check "tests/check_db passes (exit $rc)" test "$rc" -eq 0
check "check_db ran test_settings_c4 without failure" bash -c '! grep -q "test_settings_c4" "$1"' _ "$TMP/check_db.log"
check "check_db: every test passed" grep -qE 'Checks: [0-9]+, Failures: 0, Errors: 0' "$TMP/check_db.log"
# What lives in the file itself, on a database made by the binary.
mkdir -p "$TMP/site"
printf '<html><head><title>t</title></head><body><p>x</p></body></html>' >"$TMP/site/a.html"
kw ingest --collection c4 "$TMP/site" >/dev/null 2>&1
check "a database made by ingest is in WAL mode" test "$(q 'PRAGMA journal_mode')" = wal
check "the lock file beside it exists (cross-process write lock)" test -f "$DB.lock"
finish
