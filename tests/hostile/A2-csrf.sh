#!/bin/bash
# A2 (docs/hostile-world.md): CSRF.  Every state-changing form (approve,
# reject, withdraw, restore, edit, bulk, add user, change role, logout,
# login, the external request form) is sent by a logged-in moderator or
# admin with each forgery a browser could be made to send: no token, an
# empty, wrong, re-cased, padded or other session's token, a token of a
# logged-out session, the token only in the query string or a header, a
# second token field, a foreign, null or other-port Origin, Sec-Fetch-Site
# cross-site or same-site, text/plain and multipart bodies (what a
# cross-site form can send), GET and HEAD for the change.  Pass: every one
# refused (403, or 405 for GET/HEAD), the tables a change touches
# unchanged (checksum before and after), the session left alone by the
# forged logout, no session made by the forged logins; then each form sent
# properly succeeds (303), so the refusals came from the forgery alone.
# Reused, not repeated: tests/admin.sh (the curl CSRF basics of make
# check) runs first, and the browser test of a cross-site page that
# auto-submits an approve form is tests/browser's own ("admin: a
# cross-site page that auto-submits ..."), run here through its KW_ONLY.
# Without Chromium that part is skipped and the row exits 77, unless
# HOSTILE_A2_NO_BROWSER=1 accepts the curl part alone.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_web.sh"
need curl sqlite3 sha256sum
t0=$(date +%s)

echo "# tests/admin.sh (missing/wrong/other-session token, foreign Origin, cross-site fetch metadata, GET for an action)"
bash "$KW_SRCDIR/tests/admin.sh" >"$TMP/admin.out" 2>&1
rc=$?
grep '^FAIL' "$TMP/admin.out"
check "tests/admin.sh passes ($(tail -1 "$TMP/admin.out"))" test "$rc" -eq 0

site "$TMP/pend" pend 4
site "$TMP/pub" pub 2
K ingest --collection c --operator op "$TMP/pend" >/dev/null 2>&1
K ingest --collection pub --operator op --approve "$TMP/pub" >/dev/null 2>&1
P1=$(q "SELECT id FROM document WHERE path = 'pend-1.html'")
P2=$(q "SELECT id FROM document WHERE path = 'pend-2.html'")
P3=$(q "SELECT id FROM document WHERE path = 'pend-3.html'")
PUB=$(q "SELECT id FROM document WHERE path = 'pub-1.html'")
user mod moderator 'moderator password 1'
user mod2 moderator 'moderator password 2'
user adm admin 'admin password 123'
user victim operator 'victim password 1'
start_server || { bad "server starts"; finish; exit 1; }
A="$TMP/a.jar" B="$TMP/b.jar" ADM="$TMP/adm.jar" OLD="$TMP/old.jar"
check "moderator logs in" test "$(login "$A" mod 'moderator password 1')" = 303
check "second moderator logs in" test "$(login "$B" mod2 'moderator password 2')" = 303
check "admin logs in" test "$(login "$ADM" adm 'admin password 123')" = 303
check "a session to log out" test "$(login "$OLD" mod 'moderator password 1')" = 303
TOLD=$(csrf "$OLD")
check "that session logs out" test "$(act "$OLD" /admin/logout "$TOLD")" = 303
TA=$(csrf "$A") TB=$(csrf "$B") TADM=$(csrf "$ADM")
check "tokens: 64 hex digits, one per session" test "${#TA}" = 64 -a "$TA" != "$TB" -a "$TA" != "$TOLD"
R=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
UPPER=$(tr a-f A-F <<<"$TA")

# The forms: NAME JAR TOKEN PATH FIELDS (urlencoded, without the token).
forms() {
    cat <<EOF
approve|$A|$TA|/admin/documents/$P1/approve|
reject|$A|$TA|/admin/documents/$P2/reject|reason=forged
withdraw|$A|$TA|/admin/documents/$PUB/withdraw|reason=forged
edit|$A|$TA|/admin/documents/$P1/edit|title=Forged+title&tags=forged
bulk|$A|$TA|/admin/queue/bulk|id=$P1&id=$P2&action=approve&confirm=1
user_add|$ADM|$TADM|/admin/users|username=mallory&role=admin&password=mallory+password
user_role|$ADM|$TADM|/admin/users/victim/role|role=admin
user_passwd|$ADM|$TADM|/admin/users/victim/passwd|password=taken+over+password
EOF
}
# forge VECTOR JAR TOKEN PATH FIELDS: send one forgery, print the status.
forge() {
    local v=$1 jar=$2 tok=$3 path=$4 f=$5 o="http://127.0.0.1:$PORT"
    local cmd=(curl -s -o /dev/null -w '%{http_code}' -b "$jar")
    [ -n "$f" ] && f="$f&"
    case $v in
    no_token) "${cmd[@]}" --data "${f}x=1" "$BASE$path" ;;
    empty_token) "${cmd[@]}" --data "${f}csrf_token=" "$BASE$path" ;;
    wrong_token) "${cmd[@]}" --data "${f}csrf_token=$R" "$BASE$path" ;;
    other_session) "${cmd[@]}" --data "${f}csrf_token=$TB" "$BASE$path" ;;
    logged_out_token) "${cmd[@]}" --data "${f}csrf_token=$TOLD" "$BASE$path" ;;
    upper_token) "${cmd[@]}" --data "${f}csrf_token=$UPPER" "$BASE$path" ;;
    padded_token) "${cmd[@]}" --data "${f}csrf_token=$tok%20" "$BASE$path" ;;
    short_token) "${cmd[@]}" --data "${f}csrf_token=${tok%?}" "$BASE$path" ;;
    wrong_first) "${cmd[@]}" --data "${f}csrf_token=$R&csrf_token=$tok" "$BASE$path" ;;
    query_token) "${cmd[@]}" --data "${f}x=1" "$BASE$path?csrf_token=$tok" ;;
    header_token) "${cmd[@]}" -H "X-CSRF-Token: $tok" --data "${f}x=1" "$BASE$path" ;;
    no_cookie) curl -s -o /dev/null -w '%{http_code}' --data "${f}csrf_token=$tok" "$BASE$path" ;;
    foreign_origin) "${cmd[@]}" -H 'Origin: http://evil.example' --data "${f}csrf_token=$tok" "$BASE$path" ;;
    null_origin) "${cmd[@]}" -H 'Origin: null' --data "${f}csrf_token=$tok" "$BASE$path" ;;
    port_origin) "${cmd[@]}" -H "Origin: http://127.0.0.1:$((PORT + 1))" --data "${f}csrf_token=$tok" "$BASE$path" ;;
    suffix_origin) "${cmd[@]}" -H "Origin: $o.evil.example" --data "${f}csrf_token=$tok" "$BASE$path" ;;
    cross_site) "${cmd[@]}" -H 'Sec-Fetch-Site: cross-site' --data "${f}csrf_token=$tok" "$BASE$path" ;;
    same_site) "${cmd[@]}" -H 'Sec-Fetch-Site: same-site' --data "${f}csrf_token=$tok" "$BASE$path" ;;
    text_plain) "${cmd[@]}" -H 'Content-Type: text/plain' --data "${f}csrf_token=$tok" "$BASE$path" ;;
    multipart) "${cmd[@]}" -F "csrf_token=$tok" -F 'reason=forged' -F "id=$P1" -F action=approve -F confirm=1 "$BASE$path" ;;
    get) "${cmd[@]}" -G --data "${f}csrf_token=$tok" "$BASE$path" ;;
    head) "${cmd[@]}" -I -G --data "${f}csrf_token=$tok" "$BASE$path" ;;
    esac
}
VECTORS="no_token empty_token wrong_token other_session logged_out_token upper_token
padded_token short_token wrong_first query_token header_token no_cookie foreign_origin
null_origin port_origin suffix_origin cross_site same_site text_plain multipart get head"

sum0=$(dbsum)
sessions0=$(q "SELECT count(*) FROM session")
n=0 refused=0
while IFS='|' read -r name jar tok path fields; do
    for v in $VECTORS; do
        [ "$v" = other_session ] && [ "$jar" = "$ADM" ] && continue # mod2 is no admin: A1's case
        n=$((n + 1))
        c=$(forge "$v" "$jar" "$tok" "$path" "$fields")
        # GET and HEAD: 405, or the page itself where the path is also
        # a page (/admin/users): no change either way (the checksum).
        case $v:$c:$name in
        get:405:* | head:405:* | get:200:user_add | head:200:user_add | *:403:*) refused=$((refused + 1)) ;;
        *) bad "$name: $v answered $c" ;;
        esac
    done
done < <(forms)
check "$n forged admin actions (8 forms x $(echo $VECTORS | wc -w) vectors): all refused ($refused)" test "$refused" -eq "$n"

# Logout: a forged one leaves the session alive.
for v in no_token wrong_token other_session foreign_origin cross_site text_plain get; do
    n=$((n + 1))
    c=$(forge "$v" "$A" "$TA" /admin/logout "")
    case $v:$c in get:405 | *:403) ;; *) bad "logout: $v answered $c" ;; esac
done
check "forged logouts: the session still works" test "$(curl -s -o /dev/null -w '%{http_code}' -b "$A" "$BASE/admin/")" = 200

# Login CSRF: the form's token is a double submit (cookie = field).
curl -s -c "$TMP/l.jar" "$BASE/admin/login" >"$TMP/l.html"
LT=$(token_of "$TMP/l.html")
check "login form token: 32 hex digits and a kw_csrf cookie" test "${#LT}" = 32 -a "$(awk '$6 == "kw_csrf" {print $7}' "$TMP/l.jar")" = "$LT"
lpost() { curl -s -o /dev/null -w '%{http_code}' -c "$TMP/l2.jar" "$@" --data-urlencode username=mod \
    --data-urlencode 'password=moderator password 1' "$BASE/admin/login"; }
for v in "no_cookie:--data-urlencode csrf_token=$LT" "no_field:-b $TMP/l.jar" \
    "mismatch:-b $TMP/l.jar --data-urlencode csrf_token=$R" \
    "foreign_origin:-b $TMP/l.jar -H Origin:http://evil.example --data-urlencode csrf_token=$LT" \
    "cross_site:-b $TMP/l.jar -H Sec-Fetch-Site:cross-site --data-urlencode csrf_token=$LT" \
    "null_origin:-b $TMP/l.jar -H Origin:null --data-urlencode csrf_token=$LT" \
    "short_pair:-b kw_csrf=ab --data-urlencode csrf_token=ab"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    c=$(lpost ${v#*:})
    check "login CSRF ${v%%:*}: 403 ($c)" test "$c" = 403
    check "login CSRF ${v%%:*}: no session cookie set" test -z "$(sid "$TMP/l2.jar")"
done
check "forged logins made no session" test "$(q "SELECT count(*) FROM session")" = "$sessions0"

# The external request form (double submit, public).
curl -s -c "$TMP/e.jar" "$BASE/external?url=http://outside.example/doc" >"$TMP/e.html"
ET=$(token_of "$TMP/e.html")
epost() { curl -s -o /dev/null -w '%{http_code}' "$@" --data-urlencode url=http://outside.example/doc "$BASE/external"; }
for v in "no_cookie:--data-urlencode csrf_token=$ET" "no_field:-b $TMP/e.jar" \
    "mismatch:-b $TMP/e.jar --data-urlencode csrf_token=$R" \
    "foreign_origin:-b $TMP/e.jar -H Origin:http://evil.example --data-urlencode csrf_token=$ET" \
    "cross_site:-b $TMP/e.jar -H Sec-Fetch-Site:cross-site --data-urlencode csrf_token=$ET" \
    "text_plain:-b $TMP/e.jar -H Content-Type:text/plain --data-urlencode csrf_token=$ET"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    c=$(epost ${v#*:})
    check "external request CSRF ${v%%:*}: 403 ($c)" test "$c" = 403
done

sum1=$(dbsum)
check "after $n forgeries the tables are unchanged ($sum0 = $sum1)" test "$sum0" = "$sum1"
check "no forged user" test "$(q "SELECT count(*) FROM user WHERE name = 'mallory'")" = 0
check "victim still an operator" test "$(q "SELECT role FROM user WHERE name = 'victim'")" = operator
check "victim's password unchanged: the old one logs in" test "$(login "$TMP/v.jar" victim 'victim password 1')" = 303

# Positive controls: each form sent properly changes what it should.
o="http://127.0.0.1:$PORT"
ok_post() { curl -s -o /dev/null -w '%{http_code}' -b "$2" -H "Origin: $o" -H 'Sec-Fetch-Site: same-origin' --data "${4:+$4&}csrf_token=$3" "$BASE$1"; }
check "control: edit with the token: 303" test "$(ok_post "/admin/documents/$P1/edit" "$A" "$TA" 'title=Edited+title')" = 303
check "control: approve with the token: 303" test "$(ok_post "/admin/documents/$P1/approve" "$A" "$TA")" = 303
check "control: reject with the token: 303" test "$(ok_post "/admin/documents/$P2/reject" "$A" "$TA" reason=control)" = 303
check "control: bulk approve with the token: 303" test "$(ok_post /admin/queue/bulk "$A" "$TA" "id=$P3&action=approve&confirm=1")" = 303
check "control: withdraw with the token: 303" test "$(ok_post "/admin/documents/$PUB/withdraw" "$A" "$TA" reason=control)" = 303
check "control: add a user with the token: 303" test "$(ok_post /admin/users "$ADM" "$TADM" 'username=carol&role=operator&password=carol+password+1')" = 303
check "control: change a role with the token: 303" test "$(ok_post /admin/users/victim/role "$ADM" "$TADM" role=moderator)" = 303
st() { q "SELECT status FROM document WHERE id = $1"; }
check "control: the statuses changed" test "$(st "$P1") $(st "$P2") $(st "$P3") $(st "$PUB")" = \
    "published rejected published withdrawn"
check "control: the external request with the token: 303" test "$(epost -b "$TMP/e.jar" --data-urlencode "csrf_token=$ET")" = 303
check "control: login with the token: 303" test "$(lpost -b "$TMP/l.jar" --data-urlencode "csrf_token=$LT")" = 303
check "control: logout with the token: 303" test "$(ok_post /admin/logout "$A" "$TA")" = 303
check "control: the tables changed" test "$(dbsum)" != "$sum0"
stop_server

# The cross-site auto-submitting form, in Chromium (tests/browser).
echo "# browser: tests/browser/run.sh, KW_ONLY='cross-site page that auto-submits'"
KW_ONLY='cross-site page that auto-submits' SHOTS_DIR="$TMP/shots" KW_BROWSER_TIMEOUT=300 \
    timeout -k 10 400 bash "$KW_SRCDIR/tests/browser/run.sh" >"$TMP/browser.out" 2>&1
brc=$?
grep -E '^(ok|FAIL|SKIP|#)' "$TMP/browser.out" | sed 's/^/  browser: /' | tail -15
skip_browser=0
case $brc in
0) ok "browser: the auto-submitting cross-site form changed nothing" ;;
77)
    if [ "${HOSTILE_A2_NO_BROWSER:-}" = 1 ]; then
        echo "# browser part SKIPPED ($(grep -m1 SKIP "$TMP/browser.out")); HOSTILE_A2_NO_BROWSER=1 accepts that"
    else
        echo "# browser part SKIPPED: $(grep -m1 SKIP "$TMP/browser.out")"
        skip_browser=1
    fi ;;
*) bad "browser: tests/browser/run.sh exited $brc" ;;
esac
echo "A2: tried $n forged requests (8 admin forms x $(echo $VECTORS | wc -w) vectors, 7 forged logouts, 7 forged logins, 6 forged external requests) and 11 proper ones in $(($(date +%s) - t0)) s"
if [ "$skip_browser" = 1 ] && [ "$FAILED" -eq 0 ]; then
    finish
    echo "A2: curl part passed; skipped (77): the browser part needs Chromium"
    exit 77
fi
finish
