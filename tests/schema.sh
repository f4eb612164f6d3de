#!/bin/bash
# db/schema.sql is the schema a fresh database gets from the migrations,
# and KW_SCHEMA_VERSION names the newest migration.
. "${KW_SRCDIR:-.}/tests/lib.sh"
newest=$(ls "$KW_SRCDIR"/db/migrations/[0-9][0-9][0-9][0-9]_*.sql | sed 's|.*/\([0-9]*\)_.*|\1|' | sort -n | tail -1)
compiled=$(sed -n 's/^#define KW_SCHEMA_VERSION \([0-9]*\)/\1/p' "$KW_SRCDIR/lib/version.h")
check "KW_SCHEMA_VERSION ($compiled) is the newest migration ($newest)" \
    test "$((10#$newest))" -eq "$compiled"
"$KW_BIN" verify --db "$TMP/fresh.db" --data-dir "$KW_SRCDIR" >/dev/null
check "a fresh database verifies" test $? -eq 0
"$KW_BIN" version >/dev/null
if command -v sqlite3 >/dev/null; then
    "$KW_SRCDIR/db/dump-schema" "$TMP/fresh.db" >"$TMP/schema.sql"
    if diff -u "$KW_SRCDIR/db/schema.sql" "$TMP/schema.sql"; then
        ok "db/schema.sql matches the migrations"
    else
        bad "db/schema.sql is stale: run 'make schema'"
    fi
else
    bad "sqlite3 command-line shell missing (apt-get install sqlite3)"
fi
finish
