#!/bin/bash
# The README and the man page document every configuration key (from the
# binary's own table), every subcommand and every route.
. "${KW_SRCDIR:-.}/tests/lib.sh"
keys=$("$KW_BIN" help config | sed -n 's/^\([a-z_]*\) (default.*/\1/p')
check "the binary lists configuration keys" test -n "$keys"
for k in $keys; do
    check "README.md documents key $k" grep -q "\`$k\`" "$KW_SRCDIR/README.md"
    check "man page documents key $k" grep -q "^\.B $k\$" "$KW_SRCDIR/docs/kwangmyong.1"
done
for c in serve ingest user requests backup verify pack export version help; do
    check "README.md documents command $c" grep -q "kwangmyong $c" "$KW_SRCDIR/README.md"
    check "man page documents command $c" grep -q "^\.B $c" "$KW_SRCDIR/docs/kwangmyong.1"
    check "kwangmyong $c --help works" "$KW_BIN" "$c" --help >/dev/null
done
routes=$(sed -n 's/^ *{REQ_[A-Z_ |]*, "\([^"]*\)".*/\1/p' "$KW_SRCDIR/server/routes.c")
for r in $routes; do
    check "README.md URL map lists $r" grep -qF "\`$r\`" "$KW_SRCDIR/README.md"
done
finish
