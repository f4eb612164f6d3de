#!/bin/bash
# A3 (docs/hostile-world.md): admin sessions.  Fixation (a session id the
# client brings is never adopted: login issues a new one, and logging in
# again replaces it), the id's form (64 hex digits; the database keeps only
# its sha256; never in a log, never taken from the URL), server-side
# logout (the old cookie no longer works, other sessions of the user do),
# a password change ending the user's sessions, cookie attributes
# (HttpOnly, SameSite=Strict, Path, no Domain, Secure when cookie_secure is
# set, on the session, CSRF and logout cookies), and expiry with the
# config keys made short: idle (session_idle) and absolute (session_max),
# activity extending a session, on two servers sharing one database
# (idle 75 s / max 100 s; and base_path=/portal, cookie_secure=true with
# the minimum session_idle=60, where a user active every 20 s must stay
# logged in).  About 2 minutes: the expiry keys have a 60 s minimum.
# tests/admin.sh checks HttpOnly/SameSite on the cookie and that two
# logins give two ids; A2 runs it.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_web.sh"
need curl sqlite3 sha256sum
t0=$(date +%s)
site "$TMP/pend" pend 2
K ingest --collection c --operator op "$TMP/pend" >/dev/null 2>&1
P1=$(q "SELECT id FROM document WHERE path = 'pend-1.html'")
for u in mod mod2 mod3; do user "$u" moderator "password of $u 1"; done
start_server --set session_idle=75 --set session_max=100 || { bad "server starts"; finish; exit 1; }
B1=$BASE
hash() { printf '%s' "$1" | sha256sum | cut -c1-64; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# status of the dashboard with a raw session id
dash() { code -H "Cookie: kw_session=$1" "${2:-$BASE}/admin/"; }

# hlogin BASE USER PASSWORD [COOKIE]: log in by hand (the form's double
# submit, an optional cookie the client already holds); the answer's
# headers in $TMP/hl.h; prints the new session id (or nothing).
hlogin() {
    local base=$1 extra=${4:+; $4} tok
    curl -s -D "$TMP/hf.h" -o "$TMP/hf.html" ${4:+-H "Cookie: $4"} "$base/admin/login"
    tok=$(token_of "$TMP/hf.html")
    curl -s -D "$TMP/hl.h" -o /dev/null -H "Cookie: kw_csrf=$tok$extra" \
        --data-urlencode "username=$2" --data-urlencode "password=$3" \
        --data-urlencode "csrf_token=$tok" "$base/admin/login"
    tr -d '\r' <"$TMP/hl.h" >"$TMP/hl.txt"
    sed -n 's/^Set-Cookie: kw_session=\([0-9a-f]*\);.*/\1/p' "$TMP/hl.txt"
}

# --- fixation ---------------------------------------------------------------
EVIL=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
S1=$(hlogin "$BASE" mod 'password of mod 1' "kw_session=$EVIL")
check "login with a planted kw_session: 303" grep -q '^HTTP/1.1 303' "$TMP/hl.txt"
check "fixation: a new session id is issued (${S1:0:8}... != ${EVIL:0:8}...)" test -n "$S1" -a "$S1" != "$EVIL"
check "fixation: the planted id is not a session" test "$(dash "$EVIL")" = 303
check "fixation: the planted id is not in the database" test "$(q "SELECT count(*) FROM session WHERE id_hash = '$(hash "$EVIL")'")" = 0
check "the new id works" test "$(dash "$S1")" = 200
S2=$(hlogin "$BASE" mod 'password of mod 1' "kw_session=$S1")
check "logging in again while logged in: yet another id" test -n "$S2" -a "$S2" != "$S1"
check "id form: 64 lowercase hex digits" grep -qx '[0-9a-f]\{64\}' <<<"$S2"
check "the database keeps only the sha256 of the id" \
    test "$(q "SELECT count(*) FROM session WHERE id_hash = '$(hash "$S2")'")/$(q "SELECT count(*) FROM session WHERE id_hash = '$S2'")" = 1/0
check "the raw id is nowhere in the database files" bash -c '! cat "$1"* | grep -qaF "$2"' _ "$DB" "$S2"
check "the id is not taken from the URL" test "$(code "$BASE/admin/?kw_session=$S2")" = 303

# --- cookie attributes ------------------------------------------------------
sc=$(grep '^Set-Cookie: kw_session=' "$TMP/hl.txt")
echo "# $sc" | sed 's/=[0-9a-f]\{64\}/=<id>/'
for a in HttpOnly SameSite=Strict 'Path=/'; do
    check "session cookie: $a" grep -q "; $a\(;\|\$\)" <<<"$sc"
done
check "session cookie: no Domain (host-only)" bash -c '! grep -qi "; *Domain=" <<<"$1"' _ "$sc"
check "session cookie: no Secure without cookie_secure" bash -c '! grep -q "; Secure" <<<"$1"' _ "$sc"
check "session cookie: no lifetime (ends with the browser)" bash -c '! grep -qi "Max-Age\|Expires" <<<"$1"' _ "$sc"
cc=$(grep '^Set-Cookie: kw_csrf=' "$TMP/hf.h" | tr -d '\r')
echo "# $cc" | sed 's/=[0-9a-f]\{32\}/=<token>/'
for a in HttpOnly SameSite=Strict 'Path=/'; do
    check "CSRF cookie: $a" grep -q "; $a\(;\|\$\)" <<<"$cc"
done
check "login answer: Cache-Control: no-store" grep -qi '^Cache-Control: no-store' "$TMP/hl.txt"

# --- logout -----------------------------------------------------------------
tok=$(curl -s -H "Cookie: kw_session=$S2" "$BASE/admin/" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | head -1)
S3=$(hlogin "$BASE" mod 'password of mod 1')
curl -s -D "$TMP/lo.h" -o /dev/null -H "Cookie: kw_session=$S2" --data "csrf_token=$tok" "$BASE/admin/logout"
lo=$(tr -d '\r' <"$TMP/lo.h")
check "logout: 303" grep -q '^HTTP/1.1 303' <<<"$lo"
check "logout: clears the cookie (Max-Age=0, same Path, HttpOnly)" grep -q '^Set-Cookie: kw_session=; Path=/; HttpOnly; SameSite=Strict.*Max-Age=0' <<<"$lo"
check "logout: the session row is gone" test "$(q "SELECT count(*) FROM session WHERE id_hash = '$(hash "$S2")'")" = 0
check "after logout the old cookie gets the login page (303)" test "$(dash "$S2")" = 303
check "after logout the old cookie cannot act (403)" test \
    "$(code -H "Cookie: kw_session=$S2" --data "csrf_token=$tok" "$BASE/admin/documents/$P1/approve")" = 403
check "after logout the old cookie cannot log out again (403)" test \
    "$(code -H "Cookie: kw_session=$S2" --data "csrf_token=$tok" "$BASE/admin/logout")" = 403
check "the user's other session still works" test "$(dash "$S3")" = 200
check "logout audited" test "$(q "SELECT count(*) FROM audit WHERE action = 'logout' AND actor = 'mod'")" -ge 1

# --- a password change ends the user's sessions -----------------------------
S4=$(hlogin "$BASE" mod2 'password of mod2 1')
check "mod2 logged in" test "$(dash "$S4")" = 200
printf 'a new password 12\n' | K user passwd mod2 >/dev/null
check "after user passwd the old session is refused" test "$(dash "$S4")" = 303
check "document still pending after all that" test "$(q "SELECT status FROM document WHERE id = $P1")" = pending

# --- a second server: base_path=/portal, cookie_secure=true, idle 60 --------
"$KW_BIN" serve --db "$DB" --data-dir "$KW_SRCDIR" --listen 127.0.0.1:0 \
    --set base_path=/portal --set cookie_secure=true --set session_idle=60 \
    --set access_log="$TMP/access2.log" >/dev/null 2>"$TMP/err2.log" &
S2PID=$!
ROW_PIDS+=("$S2PID")
P2=
for _ in $(seq 1 100); do
    P2=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/err2.log" 2>/dev/null | head -1)
    [ -n "$P2" ] && break
    sleep 0.1
done
check "second server starts (base_path=/portal, cookie_secure)" test -n "$P2"
B2="http://127.0.0.1:$P2/portal"
C=$(hlogin "$B2" mod3 'password of mod3 1')
tC=$(date +%s)
sc2=$(grep '^Set-Cookie: kw_session=' "$TMP/hl.txt")
cc2=$(grep '^Set-Cookie: kw_csrf=' "$TMP/hf.h" | tr -d '\r')
echo "# $sc2" | sed 's/=[0-9a-f]\{64\}/=<id>/'
echo "# $cc2" | sed 's/=[0-9a-f]\{32\}/=<token>/'
check "base path: session cookie Path=/portal/" grep -q '; Path=/portal/;' <<<"$sc2"
check "cookie_secure: session cookie Secure" grep -q '; Secure' <<<"$sc2"
check "cookie_secure: CSRF cookie Secure" grep -q '; Secure' <<<"$cc2"
check "base path: CSRF cookie Path=/portal/" grep -q '; Path=/portal/;' <<<"$cc2"
check "a session made under /portal works there" test "$(dash "$C" "$B2")" = 200

# --- expiry ------------------------------------------------------------------
# Server 1: idle 75 s, absolute 100 s; last_seen_at is written at most once
# a minute (AUTH_TOUCH_S), so B's use at 62 s moves it.  Server 2: idle
# 60 s, the configuration's minimum.
A=$(hlogin "$B1" mod 'password of mod 1')
tA=$(date +%s)
Bs=$(hlogin "$B1" mod 'password of mod 1')
tB=$(date +%s)
check "expiry: sessions A and B made" test -n "$A" -a -n "$Bs"
at() { local t=$(($1 + $2)) n; n=$(date +%s); [ "$t" -gt "$n" ] && sleep $((t - n)); }
at "$tC" 20; cC20=$(dash "$C" "$B2")
at "$tC" 40; cC40=$(dash "$C" "$B2")
at "$tC" 61; cC61=$(dash "$C" "$B2")
at "$tB" 62; cB62=$(dash "$Bs")
at "$tA" 78; cA78=$(dash "$A")
at "$tB" 86; cB86=$(dash "$Bs")
at "$tB" 103; cB103=$(dash "$Bs")
check "idle: B used at 62 s still valid ($cB62)" test "$cB62" = 200
check "idle: A unused for 78 s > session_idle 75 is refused ($cA78)" test "$cA78" = 303
check "idle: A's row deleted once refused" test "$(q "SELECT count(*) FROM session WHERE id_hash = '$(hash "$A")'")" = 0
check "activity extends: B at 86 s (> idle 75, 24 s after its last use) valid ($cB86)" test "$cB86" = 200
check "absolute: B at 103 s > session_max 100 refused despite activity ($cB103)" test "$cB103" = 303
check "idle 60: C used at 20 and 40 s valid ($cC20 $cC40)" test "$cC20$cC40" = 200200
check "idle 60: C used 21 s ago still valid at 61 s ($cC61)" test "$cC61" = 200
leaks=0
for f in "$TMP/access.log" "$TMP/access2.log" "$TMP/err.log" "$TMP/err2.log"; do
    for x in "$S1" "$S2" "$S3" "$A" "$Bs" "$C"; do
        if grep -qF "$x" "$f" 2>/dev/null; then leaks=$((leaks + 1)); echo "session id ${x:0:8}... in $(basename "$f")"; fi
    done
done
check "no session id in the access or error logs of either server ($leaks)" test "$leaks" -eq 0
echo "A3: tried 10 logins on 2 servers, 1 logout, 1 password change, 3 sessions aged up to $(($(date +%s) - tB)) s; $(($(date +%s) - t0)) s"
finish
