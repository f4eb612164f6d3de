#!/bin/bash
# Layering (house style): lib/ and ingest/ never include microhttpd.h;
# in server/ only http.c (the MHD glue) does; lib/ never includes server/
# or ingest/ headers.
. "${KW_SRCDIR:-.}/tests/lib.sh"
cd "$KW_SRCDIR" || exit 1
check "lib/ and ingest/ do not include microhttpd.h" \
    test -z "$(grep -l '#include <microhttpd.h>' lib/*.[ch] ingest/*.[ch] 2>/dev/null)"
check "only server/http.c and server/main.c include microhttpd.h" \
    test -z "$(grep -l '#include <microhttpd.h>' server/*.[ch] | grep -v -e 'server/http.c' -e 'server/main.c')"
check "server/http.c is the MHD glue" grep -q '#include <microhttpd.h>' server/http.c
libhdrs=$(ls server/*.h ingest/*.h 2>/dev/null | xargs -n1 basename | tr '\n' '|' | sed 's/|$//')
check "lib/ includes no server/ or ingest/ header" \
    test -z "$(grep -E "#include \"($libhdrs)\"" lib/*.[ch])"
check "handlers never print HTML with printf" \
    test -z "$(grep -l 'printf(.*<[a-z]' server/page_*.c)"
finish
