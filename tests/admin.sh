#!/bin/bash
# Moderation through the web form, end to end with curl against the real
# binary: login, CSRF (missing, wrong, another session's, foreign Origin),
# GET for an action, approve -> the reader URL serves the document,
# reject and withdraw with reasons, the 410 tombstone, a concurrent
# approve (one 303, one 409), logout, throttling, cookie attributes, the
# admin routes without a session (hostile-world A1-A4), and `verify`
# finding an audit row tampered with by hand.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 99; }
DB="$TMP/t.db"
q() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }
K() { "$KW_BIN" "$@" --db "$DB" --data-dir "$KW_SRCDIR"; }

mkdir -p "$TMP/site"
for p in one two three four; do
    printf '<html><head><title>Page %s</title></head><body><p>text %s</p></body></html>' "$p" "$p" >"$TMP/site/$p.html"
done
K ingest --collection c --operator op "$TMP/site" >/dev/null 2>&1
printf 'moderator password\n' | K user add mod --role moderator >/dev/null
printf 'second moderator pw\n' | K user add mod2 --role moderator >/dev/null
printf 'operator password\n' | K user add op --role operator >/dev/null
id() { q "SELECT id FROM document WHERE path = '$1.html'"; }
start_server || { bad "server starts"; finish; exit 1; }

# login JAR USER PASSWORD: prints the HTTP status
login() {
    local jar=$1 tok
    tok=$(curl -s -c "$jar" -b "$jar" "$BASE/admin/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p')
    curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
        --data-urlencode "username=$2" --data-urlencode "password=$3" \
        --data-urlencode "csrf_token=$tok" "$BASE/admin/login"
}
csrf() { curl -s -b "$1" "$BASE/admin/" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | head -1; }
act() { # act JAR PATH TOKEN [extra curl args]: prints the status
    local jar=$1 path=$2 tok=$3; shift 3
    curl -s -o /dev/null -w '%{http_code}' -b "$jar" --data-urlencode "csrf_token=$tok" "$@" "$BASE$path"
}

A="$TMP/a.jar"; B="$TMP/b.jar"
check "login: 303" test "$(login "$A" mod 'moderator password')" = 303
check "session cookie is HttpOnly" grep -q 'HttpOnly.*kw_session' "$A"
hd=$(tok=$(curl -s -c "$TMP/x.jar" "$BASE/admin/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p'); curl -s -D - -o /dev/null -b "$TMP/x.jar" --data-urlencode username=mod2 --data-urlencode 'password=second moderator pw' --data-urlencode "csrf_token=$tok" "$BASE/admin/login" | tr -d '\r')
check "Set-Cookie: HttpOnly; SameSite=Strict; Path" grep -q '^Set-Cookie: kw_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' <<<"$hd"
check "admin responses are no-store" grep -q '^Cache-Control: no-store' <<<"$(curl -s -D - -o /dev/null -b "$A" "$BASE/admin/" | tr -d '\r')"
check "login: new session id each time" test "$(login "$B" mod 'moderator password')" = 303
check "the two sessions differ" test "$(grep kw_session "$A" | awk '{print $7}')" != "$(grep kw_session "$B" | awk '{print $7}')"
TA=$(csrf "$A"); TB=$(csrf "$B")
check "dashboard shows the user" grep -q 'mod' <<<"$(curl -s -b "$A" "$BASE/admin/")"
check "queue lists the pending documents" grep -q 'Page one' <<<"$(curl -s -b "$A" "$BASE/admin/queue")"

one=$(id one); two=$(id two); three=$(id three); four=$(id four)
check "CSRF missing: 403" test "$(curl -s -o /dev/null -w '%{http_code}' -b "$A" -d x=1 "$BASE/admin/documents/$one/approve")" = 403
check "CSRF wrong: 403" test "$(act "$A" "/admin/documents/$one/approve" 0000000000000000000000000000000000000000000000000000000000000000)" = 403
check "CSRF of another session: 403" test "$(act "$A" "/admin/documents/$one/approve" "$TB")" = 403
check "foreign Origin: 403" test "$(act "$A" "/admin/documents/$one/approve" "$TA" -H 'Origin: http://evil.example')" = 403
check "cross-site fetch metadata: 403" test "$(act "$A" "/admin/documents/$one/approve" "$TA" -H 'Sec-Fetch-Site: cross-site')" = 403
check "GET for an action: 405" test "$(curl -s -o /dev/null -w '%{http_code}' -b "$A" "$BASE/admin/documents/$one/approve")" = 405
check "nothing changed so far" test "$(q "SELECT status FROM document WHERE id = $one")" = pending
check "reader URL is 404 while pending" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/c/c/one.html")" = 404
# Search results are cached: asked twice before the approve, the answer
# must still change at once after it (and again after the withdrawal).
stotal() { curl -s "$BASE/api/search?q=$1" | sed -n 's/.*"total": *\([0-9]*\).*/\1/p'; }
check "search before approve: not found" test "$(stotal one)" = 0
check "search again (from the cache): not found" test "$(stotal one)" = 0
check "approve: 303" test "$(act "$A" "/admin/documents/$one/approve" "$TA" -H "Origin: $BASE")" = 303
check "approve: the reader URL serves the document" grep -q 'text one' <<<"$(curl -s "$BASE/c/c/one.html")"
check "search after approve: found, the cached answer dropped" test "$(stotal one)" = 1

# Concurrent approve: one 303, one 409.
act "$A" "/admin/documents/$two/approve" "$TA" >"$TMP/r1" &
p1=$!
act "$B" "/admin/documents/$two/approve" "$TB" >"$TMP/r2" &
p2=$!
wait "$p1" "$p2"
codes=$(printf '%s\n%s\n' "$(cat "$TMP/r1")" "$(cat "$TMP/r2")" | sort | tr '\n' ' ')
check "concurrent approve: one 303 and one 409 ($codes)" test "$codes" = "303 409 "
check "the 409 names who decided" grep -q 'already decided by mod' <<<"$(curl -s -b "$A" --data-urlencode "csrf_token=$TA" "$BASE/admin/documents/$two/approve")"
check "approve audited once" test "$(q "SELECT count(*) FROM audit WHERE action = 'approve' AND object_id = $two")" = 1

check "reject without a reason: 400" test "$(act "$A" "/admin/documents/$three/reject" "$TA")" = 400
check "reject with a reason: 303" test "$(act "$A" "/admin/documents/$three/reject" "$TA" --data-urlencode 'reason=off topic')" = 303
check "reject reason stored" test "$(q "SELECT reason FROM document WHERE id = $three")" = "off topic"
check "withdraw with a reason: 303" test "$(act "$A" "/admin/documents/$one/withdraw" "$TA" --data-urlencode 'reason=copyright claim')" = 303
check "withdrawn: 410 tombstone" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/c/c/one.html")" = 410
check "search after withdrawal: gone" test "$(stotal one)" = 0
check "tombstone says why" grep -q 'copyright claim' <<<"$(curl -s "$BASE/c/c/one.html")"

# Operators see, but cannot act; nobody without a session gets admin
# content (A1), whatever the method or path trick.
O="$TMP/o.jar"
check "operator login" test "$(login "$O" op 'operator password')" = 303
check "operator cannot approve: 403" test "$(act "$O" "/admin/documents/$four/approve" "$(csrf "$O")")" = 403
check "operator cannot list users: 403" test "$(curl -s -o /dev/null -w '%{http_code}' -b "$O" "$BASE/admin/users")" = 403
for p in /admin/ /admin/queue /admin/audit /admin/users /admin/requests.txt "/admin/documents/$four" \
         "/admin/documents/$four/preview" /admin//queue /admin/./audit /admin/%2e/users /ADMIN/ /admin/queue%00; do
    for m in GET POST HEAD; do
        # HEAD through -I: "-X HEAD" would wait for the body the
        # Content-Length announces until the server's idle timeout (30 s).
        if [ "$m" = HEAD ]; then mopt=(-I); else mopt=(-X "$m"); fi
        c=$(curl -s -o "$TMP/body" -w '%{http_code}' --path-as-is "${mopt[@]}" "$BASE$p")
        case "$c" in 303|400|403|404|405) ok "A1 $m $p without a session: $c" ;;
        *) bad "A1 $m $p without a session: $c" ;; esac
        if grep -q 'Page four\|csrf_token" value="[0-9a-f]\{64\}' "$TMP/body"; then bad "A1 $m $p leaked admin content"; fi
    done
done
check "still pending after all that" test "$(q "SELECT status FROM document WHERE id = $four")" = pending

# Logout ends the session server-side (A3).
check "logout: 303" test "$(act "$B" /admin/logout "$TB")" = 303
check "after logout the old cookie is refused" test "$(act "$B" "/admin/documents/$four/approve" "$TB")" = 403

# Throttling (A4): five failures for one name, then 429 with Retry-After.
for i in 1 2 3 4 5; do login "$TMP/t.jar" mod2 "wrong password $i" >/dev/null; done
check "sixth attempt: 429" test "$(login "$TMP/t.jar" mod2 'second moderator pw')" = 429
tok=$(curl -s -c "$TMP/y.jar" "$BASE/admin/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p')
check "429 carries Retry-After" grep -qi '^Retry-After: [0-9]' <<<"$(curl -s -D - -o /dev/null -b "$TMP/y.jar" --data-urlencode username=mod2 --data-urlencode password=x --data-urlencode "csrf_token=$tok" "$BASE/admin/login" | tr -d '\r')"
check "failed logins audited" test "$(q "SELECT count(*) FROM audit WHERE action LIKE 'login%fail%' OR action = 'login_failed'")" -ge 5

stop_server
check "verify passes" K verify
q "UPDATE audit SET reason = 'forged' WHERE id = (SELECT min(id) FROM audit WHERE action = 'approve')" >/dev/null
K verify >"$TMP/verify.out"; rc=$?
check "verify finds the tampered audit row (exit $rc)" test "$rc" -eq 1
check "verify names the audit row" grep -q '^audit: row' "$TMP/verify.out"
finish
