# shellcheck shell=bash
# tests/hostile/_web.sh: helpers shared by the web rows (L1, C2, H4, S1,
# A1-A4): fixtures, accounts, login, CSRF tokens, a checksum of the
# tables a state change touches.  Sourced after tests/lib.sh, never run
# (run.sh only runs files named ROW-*.sh).  Everything lives under the
# row's $TMP; an EXIT trap stops the row's processes by PID (ROW_PIDS, the
# server) and removes $TMP on any exit, skips and failures included.
DB="$TMP/t.db"

ROW_PIDS=()
web_exit() {
    local p
    if declare -F row_cleanup >/dev/null; then row_cleanup; fi
    for p in "${ROW_PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    stop_server
    rm -rf "$TMP"
}
trap web_exit EXIT

# need TOOL...: exit 77 (skipped) when a tool is missing.
need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || {
            echo "SKIP: $t missing (Debian package: $(need_pkg "$t"))"
            exit 77
        }
    done
}
need_pkg() {
    case $1 in
    sqlite3) echo sqlite3 ;; wrk) echo wrk ;; slowhttptest) echo slowhttptest ;;
    sqlmap) echo sqlmap ;; curl) echo curl ;; *) echo "$1" ;;
    esac
}

q() { sqlite3 -batch -noheader -cmd '.timeout 10000' "$DB" "$1"; }
K() { "$KW_BIN" "$@" --db "$DB" --data-dir "$KW_SRCDIR"; }

# is_asan: the binary carries AddressSanitizer (its limits differ).
is_asan() { grep -q __asan_init "$KW_BIN" 2>/dev/null; }

# site DIR PREFIX N [WORD]: N small HTML pages PREFIX-1.html ... whose
# titles and bodies are unique ("PREFIX page I", "WORD text I").
site() {
    local dir=$1 pre=$2 n=$3 word=${4:-plain} i
    mkdir -p "$dir"
    for i in $(seq 1 "$n"); do
        printf '<html lang="en"><head><title>%s page %d</title></head><body><h1>%s page %d</h1><p>%s text %d about databases and search.</p></body></html>\n' \
            "$pre" "$i" "$pre" "$i" "$word" "$i" >"$dir/$pre-$i.html"
    done
}

# user NAME ROLE PASSWORD: an account made the documented way (stdin).
user() { printf '%s\n' "$3" | K user add "$1" --role "$2" >/dev/null; }

# token_of FILE: the first csrf_token field value in an HTML page.
token_of() { sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$1" | head -1; }

# login JAR USER PASSWORD [curl options]: fetch the form (double-submit
# token), post it; prints the status.  Extra options (e.g. --interface
# 127.0.0.2) go to both requests.
login() {
    local jar=$1 u=$2 pw=$3 tok
    shift 3
    curl -s -c "$jar" -b "$jar" "$@" "$BASE/admin/login" >"$TMP/login.html"
    tok=$(token_of "$TMP/login.html")
    curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" "$@" \
        --data-urlencode "username=$u" --data-urlencode "password=$pw" \
        --data-urlencode "csrf_token=$tok" "$BASE/admin/login"
}

# sid JAR: the session id a cookie jar holds.
sid() { awk '$6 == "kw_session" { print $7 }' "$1" | tail -1; }

# csrf JAR: the session's CSRF token, from the dashboard.
csrf() {
    curl -s -b "$1" "$BASE/admin/" >"$TMP/dash.html"
    token_of "$TMP/dash.html"
}

# act JAR PATH TOKEN [curl options]: POST a form with the token; prints
# the status.
act() {
    local jar=$1 path=$2 tok=$3
    shift 3
    curl -s -o /dev/null -w '%{http_code}' -b "$jar" \
        --data-urlencode "csrf_token=$tok" "$@" "$BASE$path"
}

# dbsum: one checksum over every table a state change could touch
# (documents, their tags and sections, the audit log, users, acquisition
# requests).  Sessions and login attempts are left out: logging in writes
# them by design.
dbsum() {
    local t
    for t in document document_tag tag section audit user \
        acquisition_request acquisition_vote; do
        printf '%s\n' "-- $t"
        sqlite3 -batch -cmd '.timeout 10000' -cmd '.mode quote' "$DB" \
            "SELECT * FROM $t ORDER BY 1, 2"
    done | sha256sum | cut -c1-16
}

# rss_kb PID FIELD: VmRSS or VmHWM of a process in kB ("" when gone).
rss_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

# median: the median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# alive: the server process still runs.
alive() { [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; }

# loopback_ok ADDR: this host can use ADDR (127.0.0.0/8) as a source.
loopback_ok() { curl -s -o /dev/null --max-time 3 --interface "$1" "$BASE/healthz"; }
