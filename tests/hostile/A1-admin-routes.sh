#!/bin/bash
# A1 (docs/hostile-world.md): every admin route of server/routes.c x every
# method (GET HEAD POST PUT DELETE OPTIONS PATCH) x path tricks (//admin,
# /admin/../admin/, %2e, %2f, %61, double encoding, case, trailing dots,
# ;params, backslash, detours through /static and /c, NUL), without a
# session, with forged, malformed, misnamed, duplicated, expired,
# logged-out, disabled-user and demoted-user cookies, and with a lower
# role (operator on moderator and admin routes, moderator on admin
# routes); then the same under base_path=/portal with base-path tricks;
# then the reader routes asked for pending and rejected documents.
# Pass: never admin content (bodies checked for markers that only admin
# pages show, each proven to show there with the right role), only
# 303-to-login/400/403/404/405 answers, never a 5xx, and the tables a
# state change would touch unchanged (checksum before and after).
# tests/admin.sh (make check) keeps a quick subset of this (12 paths x
# GET/POST/HEAD without a session); this row is the full matrix.
# Environment: HOSTILE_A1_TRICKS=short runs 7 path tricks instead of 27;
# HOSTILE_A1_SELFTEST=1 adds the admin's own cookie as a credential
# without a role, which the row must report (it then fails).
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_web.sh"
need curl sqlite3 sha256sum awk
t0=$(date +%s)
M=$(head -c 5 /dev/urandom | od -An -tx1 | tr -d ' \n')

# --- fixture: pending, rejected and published documents, accounts -------
site "$TMP/pend" "pend$M" 6 "body$M"
site "$TMP/pub" pub 3
K ingest --collection c --operator op "$TMP/pend" >/dev/null 2>&1
K ingest --collection pub --operator op --approve "$TMP/pub" >/dev/null 2>&1
P1=$(q "SELECT id FROM document WHERE path = 'pend$M-1.html'")
P6=$(q "SELECT id FROM document WHERE path = 'pend$M-6.html'")
PUB=$(q "SELECT id FROM document WHERE path = 'pub-1.html'")
check "fixture: pending and published documents" test -n "$P1" -a -n "$P6" -a -n "$PUB"
for u in adm:admin mod:moderator op:operator victim:admin adm2:admin \
    dis:admin exp:admin lo:admin "u$M:operator"; do
    user "${u%%:*}" "${u#*:}" "password of ${u%%:*} 123"
done
start_server || { bad "server starts"; finish; exit 1; }
for u in adm mod op adm2 dis exp lo; do
    c=$(login "$TMP/$u.jar" "$u" "password of $u 123")
    check "fixture: $u logs in ($c)" test "$c" = 303
done
TADM=$(csrf "$TMP/adm.jar")
check "fixture: reject with a marked reason" test \
    "$(act "$TMP/adm.jar" "/admin/documents/$P6/reject" "$TADM" --data-urlencode "reason=rej$M")" = 303
curl -s -c "$TMP/ext.jar" "$BASE/external?url=http://wanted.example/req$M" >"$TMP/ext.html"
c=$(curl -s -o /dev/null -w '%{http_code}' -b "$TMP/ext.jar" --data-urlencode "url=http://wanted.example/req$M" \
    --data-urlencode "csrf_token=$(token_of "$TMP/ext.html")" "$BASE/external")
check "fixture: an acquisition request with a marked URL ($c)" test "$c" = 303
check "fixture: adm2 demoted to operator" test \
    "$(act "$TMP/adm.jar" /admin/users/adm2/role "$TADM" --data-urlencode role=operator)" = 303
check "fixture: lo logs out" test "$(act "$TMP/lo.jar" /admin/logout "$(csrf "$TMP/lo.jar")")" = 303
# Tokens of the sessions that stay alive: markers of a rendered admin form.
: >"$TMP/markers"
for u in adm mod op adm2; do csrf "$TMP/$u.jar" >>"$TMP/markers"; done
TOP=$(sed -n 3p "$TMP/markers"); TMOD=$(sed -n 2p "$TMP/markers"); TADM2=$(sed -n 4p "$TMP/markers")
stop_server
check "fixture: dis disabled (CLI)" K user disable dis
ehash=$(printf '%s' "$(sid "$TMP/exp.jar")" | sha256sum | cut -c1-64)
q "UPDATE session SET created_at = created_at - 100000, last_seen_at = last_seen_at - 100000 WHERE id_hash = '$ehash'"
check "fixture: exp's session aged past session_max" test "$(q "SELECT count(*) FROM session WHERE id_hash = '$ehash' AND created_at < strftime('%s','now') - 43200")" = 1

# Markers that only admin pages show, each proven to show there first.
start_server || { bad "server starts"; finish; exit 1; }
prove() { # prove ROUTE MARKER: the admin sees MARKER at ROUTE
    curl -s -b "$TMP/adm.jar" "$BASE$1" >"$TMP/prove.out"
    check "control: admin sees '$2' at $1" grep -qF -- "$2" "$TMP/prove.out"
    printf '%s\n' "$2" >>"$TMP/markers"
}
prove /admin/queue "pend$M page 1"
prove "/admin/documents/$P6" "rej$M"
prove "/admin/documents/$P1/preview" "body$M text 1"
prove /admin/audit "rej$M"
prove /admin/requests.txt "wanted.example/req$M"
prove /admin/users "<td>u$M</td>"
prove /admin/ 'class="admin"'
prove /admin/ '/admin/logout'
check "control: the operator sees the queue (its own level)" \
    grep -qF "pend$M page 1" <(curl -s -b "$TMP/op.jar" "$BASE/admin/queue")
sort -u -o "$TMP/markers" "$TMP/markers"
echo "# $(wc -l <"$TMP/markers") admin markers (the 4 live sessions' CSRF tokens and the content markers above)"

# --- the route table ------------------------------------------------------
# One line a route: METHOD PATTERN LEVEL (0 public, 1 operator,
# 2 moderator, 3 admin), read from server/routes.c with its macros.
awk '/^#define ADMIN_(GET|POST)/ { m[$2] = $0 }
     /^const struct route routes/ { on = 1; next }
     on && /^};/ { on = 0 }
     on && !/^#/ { buf = buf $0 }
     END {
         n = split(buf, e, "},")
         for (i = 1; i <= n; i++) {
             s = e[i]
             if (s !~ /"\/admin/) continue
             for (k in m) if (index(s, k)) s = s m[k]
             meth = s ~ /REQ_POST/ ? "POST" : "GET"
             match(s, /"\/admin[^"]*"/)
             pat = substr(s, RSTART + 1, RLENGTH - 2)
             lvl = s ~ /ROUTE_ROLE_ADMIN/ ? 3 : s ~ /ROUTE_ROLE_MODERATOR/ ? 2 : s ~ /ROUTE_ROLE_OPERATOR/ ? 1 : 0
             print meth, pat, lvl
         }
     }' "$KW_SRCDIR/server/routes.c" >"$TMP/routes"
nroutes=$(wc -l <"$TMP/routes")
check "routes.c: admin routes found ($nroutes)" test "$nroutes" -ge 10
check "routes.c: role levels read (public, operator, moderator, admin)" \
    test "$(awk '{print $3}' "$TMP/routes" | sort -u | tr -d '\n')" = 0123
# Concrete paths: each action a real target, so a bypass would change
# something the checksum sees.
while read -r meth pat lvl; do
    case $pat in
    */documents/:id/:action)
        for a in approve:$P1 reject:$P1 edit:$P1 withdraw:$PUB restore:$P6; do
            echo "$lvl ${pat/:id\/:action/${a#*:}/${a%%:*}}"
        done ;;
    */users/:name/:action)
        for n in victim op; do for a in disable enable role passwd; do
            echo "$lvl ${pat/:name\/:action/$n/$a}"
        done; done ;;
    *) echo "$lvl ${pat/:id/$P1}" ;;
    esac
done <"$TMP/routes" | sort -u >"$TMP/paths"
echo "# $nroutes admin routes -> $(wc -l <"$TMP/paths") concrete paths"

# tricks PATH: the path and its disguises, one a line ("NAME PATH").
tricks() {
    local p=$1 r=${1#/admin}
    printf '%s %s\n' base "$p" dslash "/$p" dotdot "/admin/..$p" \
        dot "/admin/.$r" enc_a "/%61dmin$r" upper "$(tr a-z A-Z <<<"$p")" \
        semicolon "$p;a=b"
    [ "${HOSTILE_A1_TRICKS:-}" = short ] && return
    printf '%s %s\n' midslash "/admin/$r" enc_dot "/admin/%2e$r" \
        enc_dotdot "/admin/%2e%2e/admin$r" enc_slash "/admin%2f${r#/}" \
        dbl_enc "/%2561dmin$r" mixed "/Admin$r" trail_dot "$p." \
        admin_dot "/admin.$r" semi_mid "/admin;a=b$r" trailing "${p%/}/" \
        space "$p%20" tab "$p%09" backslash "/admin\\${r#/}" \
        via_static "/static/..$p" via_doc "/c/pub/../..$p" \
        query "$p?admin=1&role=admin" nul "$p%00" hash "$p%23" \
        fullstop "$p%2e" enc_upper "/%41DMIN$r"
}

# The matrix runs through one curl process per credential (a curl config
# with one block per request, written by awk), bodies kept for the marker
# search.  URLs and bodies hold no blank, so they need no quoting.
METHODS="GET HEAD POST PUT DELETE OPTIONS PATCH"
N=0
: >"$TMP/index"
mkdir -p "$TMP/b"
# plan CRED LEVEL COOKIE TOKEN [full|short]: queue every path above LEVEL
# (the public login routes too for level 0) in every disguise and method.
plan() {
    local plvl path
    while read -r plvl path; do
        tricks "$path" | sed "s|^|$plvl |"
    done <"$TMP/paths" >"$TMP/targets"
    awk -v cred="$1" -v lvl="$2" -v cookie="$3" -v mode="${5:-full}" \
        -v base="$BASE" -v dir="$TMP" -v n="$N" -v methods="$METHODS" \
        -v body="csrf_token=$4&reason=a1&title=A1+$M&language=en&tags=a1&role=admin&password=a1+password+$M&username=new$M&id=$P1&action=approve&confirm=1" '
        BEGIN { nm = split(methods, ms, " "); cfg = dir "/cfg." cred }
        {
            if (!($1 > lvl || ($1 == 0 && lvl == 0))) next
            if (mode == "short" && $2 !~ /^(base|dslash|enc_a|upper|semicolon)$/) next
            for (i = 1; i <= nm; i++) {
                n++
                print "url = " base $3 > cfg
                print "path-as-is\nsilent\nmax-time = 10" > cfg
                print "output = " dir "/b/" n > cfg
                print "write-out = \"" n " %{http_code} %{redirect_url}\\n\"" > cfg
                if (cookie != "") print "header = \"Cookie: " cookie "\"" > cfg
                if (ms[i] == "HEAD") print "head" > cfg
                else if (ms[i] != "GET") print "request = " ms[i] "\ndata = " body > cfg
                print "next" > cfg
                printf "%d\t%s\t%s\t%s\t%s\t%s\n", n, cred, ms[i], $2, $3, $1 > (dir "/index.new")
            }
        }
        END { print n > (dir "/n") }' "$TMP/targets"
    cat "$TMP/index.new" >>"$TMP/index" 2>/dev/null
    rm -f "$TMP/index.new"
    N=$(cat "$TMP/n")
}

RAND=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
SADM=$(sid "$TMP/adm.jar")
creds() { # NAME|LEVEL|COOKIE|TOKEN|MODE, one a line
    cat <<EOF
none|0||$RAND|full
forged|0|kw_session=$RAND|$RAND|short
quote|0|kw_session=' OR '1'='1|$RAND|short
upper|0|kw_session=$(tr a-f A-F <<<"$SADM")|$TADM|short
long|0|kw_session=${SADM}0|$TADM|short
short|0|kw_session=${SADM%?}|$TADM|short
misnamed|0|xkw_session=$SADM; KW_SESSION=$SADM|$TADM|short
duplicate|0|kw_session=$RAND; kw_session=$SADM|$TADM|short
expired|0|kw_session=$(sid "$TMP/exp.jar")|$RAND|short
loggedout|0|kw_session=$(sid "$TMP/lo.jar")|$RAND|short
disabled|0|kw_session=$(sid "$TMP/dis.jar")|$RAND|short
demoted|1|kw_session=$(sid "$TMP/adm2.jar")|$TADM2|short
operator|1|kw_session=$(sid "$TMP/op.jar")|$TOP|full
moderator|2|kw_session=$(sid "$TMP/mod.jar")|$TMOD|full
EOF
    # Self-test of the judge: the admin's own cookie posing as "no role"
    # must be reported (the row then fails).
    if [ "${HOSTILE_A1_SELFTEST:-}" = 1 ]; then
        echo "selftest|0|kw_session=$SADM|$TADM|short"
    fi
}

# run_matrix LABEL LOGIN_PATH: run the queued configs, judge every answer.
run_matrix() {
    local label=$1 loginurl=$2 f
    : >"$TMP/results"
    for f in "$TMP"/cfg.*; do
        [ -e "$f" ] || continue
        curl -K "$f" >>"$TMP/results" 2>/dev/null
        rm -f "$f"
    done
    check "[$label] every request answered ($(wc -l <"$TMP/results") of $N)" \
        test "$(wc -l <"$TMP/results")" -eq "$N"
    grep -rlF -f "$TMP/markers" "$TMP/b" 2>/dev/null | sed 's,.*/,,' | sort -n >"$TMP/leaks"
    awk -F'\t' -v login="$loginurl" '
        FILENAME == ARGV[1] { split($0, r, " "); code[r[1]] = r[2]; loc[r[1]] = r[3]; next }
        FILENAME == ARGV[2] { leak[$1] = 1; next }
        {
            c = code[$1]; why = ""
            if (leak[$1]) why = "admin content"
            else if (c == 303 && loc[$1] !~ login "$") why = "303 to " loc[$1]
            else if (c == 200 && $6 == 0 && ($3 == "GET" || $3 == "HEAD")) why = ""
            else if (c !~ /^(303|400|403|404|405)$/) why = "status " c
            if (why != "") { nbad++; if (nbad <= 25) printf "LEAK %s %s %s [%s] %s: %s\n", $2, $3, $5, $4, "L" $6, why }
            seen[$2 " " c]++
        }
        END {
            for (k in seen) printf "# %s: %d\n", k, seen[k] | "sort"
            close("sort")
            printf "BAD %d\n", nbad + 0
        }' "$TMP/results" "$TMP/leaks" "$TMP/index" >"$TMP/judge"
    grep -v '^BAD' "$TMP/judge"
    nb=$(sed -n 's/^BAD //p' "$TMP/judge")
    check "[$label] $N requests: no admin content, no unexpected status ($nb bad)" test "$nb" -eq 0
    rm -rf "$TMP/b"; mkdir -p "$TMP/b"; : >"$TMP/index"; N=0
}

sum0=$(dbsum)
while IFS='|' read -r name lvl cookie tok mode; do
    plan "$name" "$lvl" "$cookie" "$tok" "$mode"
done < <(creds)
echo "# root: $N requests queued ($(wc -l <"$TMP/paths") paths x $(echo $METHODS | wc -w) methods x tricks x 14 credentials)"
total=$N
run_matrix root "$BASE/admin/login"
check "server alive after the matrix" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200
check "session of the expired cookie deleted when used" test "$(q "SELECT count(*) FROM session WHERE id_hash = '$ehash'")" = 0

# --- the same behind base_path=/portal --------------------------------------
stop_server
start_server --set base_path=/portal || { bad "server starts with base_path"; finish; exit 1; }
tricks() { # base-path disguises of /portal + PATH
    local p=$1
    printf '%s %s\n' base "/portal$p" dslash "/portal/$p" lead "//portal$p" \
        dotdot "/portal/..$p" dot "/portal/.$p" suffix "/portalx$p" \
        upper "/PORTAL$p" enc_slash "/portal%2f${p#/}" enc_p "/%70ortal$p" \
        outside "$p" semicolon "/portal;a=b$p" inner_dotdot "/portal/admin/..$p" \
        via_static "/portal/static/..$p"
}
while IFS='|' read -r name lvl cookie tok mode; do
    case $name in none|forged|operator|moderator) plan "$name" "$lvl" "$cookie" "$tok" full ;; esac
done < <(creds)
echo "# base path: $N requests queued"
total=$((total + N))
run_matrix "base_path" "$BASE/portal/admin/login"
stop_server

# --- reader routes never show pending or rejected documents ---------------
start_server || { bad "server starts"; finish; exit 1; }
# Titles, body text, reasons and document URLs; a search page echoes its
# query, so the queries never contain a whole marker.
pmarks=("pend$M page" "body$M text" "rej$M" "c/pend$M-")
src=$(q "SELECT source_url FROM document WHERE id = $P1")
nr=0 leaked=0
for u in "/d/$P1" "/d/$P6" "/api/documents/$P1" "/api/documents/$P6" "/c/c/pend$M-1.html" \
    "/c/c/pend$M-6.html" "/c/c/pend$M-1.html?raw=1" /c/c/ /c/ / "/search?q=pend$M" \
    "/search?q=body$M" "/search?q=page" "/api/search?q=page" "/api/search?q=pend$M" "/api/search?q=body$M&c=c" \
    "/suggest?q=pend" "/suggest?q=pend$M" /feed.atom /c/c/feed.atom /sitemap.xml \
    /api/collections /api/collections/c "/external?url=$src" "/random" "/random" "/random" \
    "/c/c/?sort=title" "/c/c/?sort=date&lang_filter=en"; do
    nr=$((nr + 1))
    curl -s -D "$TMP/h" -o "$TMP/r" "$BASE$u"
    for mk in "${pmarks[@]}"; do
        if grep -qF "$mk" "$TMP/r" "$TMP/h"; then leaked=$((leaked + 1)); echo "LEAK $u shows '$mk'"; fi
    done
    if grep -q '^HTTP/[0-9.]* 5' "$TMP/h"; then leaked=$((leaked + 1)); echo "5xx at $u"; fi
done
check "reader: $nr URLs, no pending or rejected document shown ($leaked)" test "$leaked" -eq 0
check "reader: /api/search finds nothing pending" test "$(curl -s "$BASE/api/search?q=pend$M" | sed -n 's/.*"total": *\([0-9]*\).*/\1/p')" = 0
sum1=$(dbsum)
check "tables unchanged by $total requests (checksum $sum0 = $sum1)" test "$sum0" = "$sum1"
check "pending, published and rejected documents as they were" test \
    "$(q "SELECT status FROM document WHERE id = $P1")/$(q "SELECT status FROM document WHERE id = $PUB")/$(q "SELECT status FROM document WHERE id = $P6")" = pending/published/rejected
echo "A1: tried $((total + nr)) requests ($total on admin routes: $nroutes routes, 7 methods, up to 27 path tricks, 14 credentials; $nr reader URLs) in $(($(date +%s) - t0)) s"
finish
