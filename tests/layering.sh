#!/bin/bash
# Layering (house style, docs/architecture.md): cli/ on top (the program's
# entry; it may include server/ and ingest/ headers), server/ and ingest/
# side by side (neither includes the other's headers, nor cli/'s), lib/
# below (it includes no server/, ingest/ or cli/ header).  Only
# server/http.c (the MHD glue) includes microhttpd.h.  The SQL on the
# document and rendition tables has one owner each (lib/document.c,
# lib/rendition.c).
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
# The response has one owner (server/resp.h): handlers say what they
# answer through resp_*(), and the router finishes it (ETag, 304, Range,
# gzip, stored renditions); a handler that set a field itself could skip
# what the router owes every answer.
check "handlers never touch struct resp fields" \
    test -z "$(grep -nE -e '->resp\.' -e 'req->resp' server/page_*.c server/xmlview.c)"
check "handlers never print HTML with printf" \
    test -z "$(grep -l 'printf(.*<[a-z]' server/page_*.c)"
# sql_outside TABLE OWNER...: one owner for each table's SQL.  Prints the
# lines of the C files of lib/, server/, ingest/ and cli/, the OWNER files
# left out, that read or write TABLE (FROM, JOIN, UPDATE or INTO it), and
# fails when there is one.  The SQL keywords are upper case, as the tree
# writes them, and the name must end there: a document_tag table or a
# document_id column is another name, a comment about a document no SQL.
sql_outside() {
    local table=$1 f files=() hits
    shift
    for f in lib/*.[ch] server/*.[ch] ingest/*.[ch] cli/*.[ch]; do
        case " $* " in *" $f "*) ;; *) files+=("$f") ;; esac
    done
    hits=$(grep -nE "\b(FROM|JOIN|UPDATE|INTO)[[:space:]]+$table\b" "${files[@]}")
    [ -z "$hits" ] || { echo "$hits"; return 1; }
}
# Search reads documents in bulk, in its own statements, for speed: its
# three files are lib/document.c's declared friends.  So is lib/packdb.c,
# for its one bulk read (the documents a pack export carries, in one
# snapshot); every other access of its goes through document.h.
check "no SQL on document outside lib/document.c and its friends" \
    sql_outside document lib/document.c lib/search.c lib/searchcat.c \
    lib/docindex.c lib/packdb.c
check "no SQL on rendition outside lib/rendition.c" \
    sql_outside rendition lib/rendition.c
finish
