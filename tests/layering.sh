#!/bin/bash
# Layering (house style, docs/architecture.md): cli/ on top (the program's
# entry; it may include server/ and ingest/ headers), server/ and ingest/
# side by side (neither includes the other's headers, nor cli/'s), lib/
# below (it includes no server/, ingest/ or cli/ header).  Only
# server/http.c (the MHD glue) includes microhttpd.h.
. "${KW_SRCDIR:-.}/tests/lib.sh"
cd "$KW_SRCDIR" || exit 1
# hdrs DIR...: the header names of those folders as an ERE alternation.
hdrs() {
    local d
    for d in "$@"; do ls "$d"/*.h; done | xargs -n1 basename | tr '\n' '|' |
        sed 's/|$//'
}
# includes FILES... -- DIR...: the lines of FILES that include a header of
# one of the DIRs (empty when none).
includes() {
    local files=() dirs
    while [ "$1" != "--" ]; do files+=("$1"); shift; done
    shift
    dirs=$(hdrs "$@")
    grep -E "#include \"($dirs)\"" "${files[@]}" 2>/dev/null
}
check "lib/, ingest/ and cli/ do not include microhttpd.h" \
    test -z "$(grep -l '#include <microhttpd.h>' lib/*.[ch] ingest/*.[ch] cli/*.[ch] 2>/dev/null)"
check "only server/http.c includes microhttpd.h" \
    test -z "$(grep -l '#include <microhttpd.h>' server/*.[ch] | grep -v -e 'server/http.c')"
check "server/http.c is the MHD glue" grep -q '#include <microhttpd.h>' server/http.c
check "lib/ includes no server/, ingest/ or cli/ header" \
    test -z "$(includes lib/*.[ch] -- server ingest cli)"
check "server/ includes no ingest/ or cli/ header" \
    test -z "$(includes server/*.[ch] -- ingest cli)"
check "ingest/ includes no server/ or cli/ header" \
    test -z "$(includes ingest/*.[ch] -- server cli)"
check "cli/ holds the program's entry" grep -q '^main(int argc' cli/main.c
# The rules above are only as good as the header lists: cli/ does include
# both sides.
check "cli/ includes server/ and ingest/ headers" \
    test -n "$(includes cli/main.c -- server)" -a -n "$(includes cli/main.c -- ingest)"
check "handlers never print HTML with printf" \
    test -z "$(grep -l 'printf(.*<[a-z]' server/page_*.c)"
finish
