#!/bin/bash
# P1: path traversal on static files and mirrored assets: "..", "%2e",
# double encoding, overlong UTF-8, backslashes, NUL, and a symlink inside
# static/ that points out of it.  Pass: only 400 or 404 (301 for a
# collection redirect), and no byte of a file outside static/ or the
# database ever comes back.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 77; }
# A data dir of our own: the real templates and static files, plus a
# symlink planted in static/ (as a careless operator might leave one).
mkdir -p "$TMP/data"
cp -r "$KW_SRCDIR/templates" "$KW_SRCDIR/static" "$KW_SRCDIR/db" "$KW_SRCDIR/policy" "$TMP/data/"
echo "SECRET-OUTSIDE-STATIC" >"$TMP/secret.txt"
ln -s "$TMP/secret.txt" "$TMP/data/static/css/leak.css"
ln -s "$TMP" "$TMP/data/static/up"
mkdir -p "$TMP/site"
printf '<html><head><title>P</title></head><body>p</body></html>' >"$TMP/site/p.html"
printf '\x89PNG\r\n\x1a\n0000IHDR' >"$TMP/site/a.png"
"$KW_BIN" ingest --db "$TMP/t.db" --data-dir "$TMP/data" --collection p1 --approve \
    --operator p1 "$TMP/site" >/dev/null 2>&1
KW_SRCDIR_SAVE=$KW_SRCDIR
KW_SRCDIR=$TMP/data
start_server || { bad "server starts"; finish; exit 1; }
KW_SRCDIR=$KW_SRCDIR_SAVE
ok "server on port $PORT"

n=0
try() {
    local p=$1 c
    n=$((n + 1))
    c=$(curl -s -o "$TMP/body" -w '%{http_code}' --path-as-is "$BASE$p")
    case "$c" in
    400 | 404 | 301) ;;
    *) bad "$p answered $c" ; return ;;
    esac
    if grep -q -e 'SECRET-OUTSIDE-STATIC' -e 'root:x:0:0' -e 'SQLite format 3' -e 'AC_INIT' "$TMP/body"; then
        bad "$p leaked a file"
        return
    fi
}
for base in /static /static/css /c/p1; do
    for t in '../configure.ac' '../../configure.ac' '..%2fconfigure.ac' '%2e%2e/configure.ac' \
             '%2e%2e%2fconfigure.ac' '%252e%252e/configure.ac' '%252e%252e%252fconfigure.ac' \
             '..%5cconfigure.ac' '..\\configure.ac' '%c0%ae%c0%ae/configure.ac' '%c0%af' \
             '%e0%80%ae%e0%80%ae/configure.ac' '.%2e/configure.ac' '%2e./configure.ac' \
             '....//configure.ac' '..;/configure.ac' '../../../../../../etc/passwd' \
             '%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd' '/etc/passwd' '//etc/passwd' \
             'site.css%00.png' 'site.css%00' '%00' 'p.html%00.png' 'a.png%2500' \
             '../t.db' '../../t.db' '%2e%2e/t.db' 'leak.css' 'css/leak.css' 'up/secret.txt' \
             'up/t.db' '../secret.txt' '.' '..' '%2e' '%2e%2e' './/./' '~root' \
             'a.png/..' 'a.png/../../t.db' 'A.PNG' 'a.png.' 'a.png%20' 'a.png::$DATA'; do
        try "$base/$t"
    done
done
check "tried $n traversal paths: only 400/404, nothing leaked" test "$FAILED" -eq 0
c=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/c/p1/a.png")
check "the real asset is still served ($c)" test "$c" = 200
check "server alive" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200
finish
