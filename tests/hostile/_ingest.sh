# tests/hostile/_ingest.sh: helpers shared by the ingest rows (C1, C3, D1,
# D2, I1-I8).  Sourced after tests/lib.sh, never run (run.sh only runs
# files named ROW-*.sh).  Everything lives under the row's $TMP; cleanup
# runs on any exit through an EXIT trap that calls the row's own
# row_cleanup (if it defines one) before lib.sh's temporary directory goes.

DB="$TMP/t.db"
# q SQL: one query on the row's database (the CLI, so an independent view).
q() { sqlite3 -batch -noheader -cmd '.timeout 10000' "$DB" "$1"; }
# kw COMMAND ARGS...: the binary on the row's database.
kw() {
    local c=$1
    shift
    "$KW_BIN" "$c" --db "$DB" --data-dir "$KW_SRCDIR" "$@"
}

# need TOOL...: exit 77 (skipped) naming the first tool that is missing.
need() {
    local t
    for t in "$@"; do
        if ! command -v "$t" >/dev/null 2>&1; then
            echo "SKIP: $t is not installed"
            rm -rf "$TMP"
            exit 77
        fi
    done
}

# ASAN_OPTIONS for a run under strace: LeakSanitizer cannot work under
# ptrace (it fails the process at exit), so an ASan build's leak check is
# off there and only there.
NO_LEAK_CHECK="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# The row's processes, stopped by PID at exit (never by name).
ROW_PIDS=()
hostile_exit() {
    local p
    if declare -F row_cleanup >/dev/null; then row_cleanup; fi
    for p in "${ROW_PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    stop_server
    rm -rf "$TMP"
}
trap hostile_exit EXIT

# integrity_ok: PRAGMA integrity_check says ok.
integrity_ok() { test "$(q 'PRAGMA integrity_check')" = ok; }

# fts_ok: the FTS5 index agrees with its content (our kwtok tokenizer is
# not in the sqlite3 CLI, so the binary runs the check).
fts_ok() {
    "$KW_BIN" verify --db "$DB" --data-dir "$KW_SRCDIR" >"$TMP/verify.out" 2>&1
}

# check_acks ACKLOG [TREE]: every acknowledged line is a stored document
# whose orig_sha256 is the acked one and whose body hashes to its
# body_sha256 (and, with TREE, whose source file hashes to the acked
# sha256).  Prints counts; exit 0 when all hold.
check_acks() {
    python3 - "$DB" "$1" "${2:-}" <<'PY'
import hashlib, json, os, sqlite3, sys
db, ack, tree = sys.argv[1], sys.argv[2], sys.argv[3]
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
n = bad = 0
if os.path.exists(ack):
    for ln in open(ack, "rb"):
        n += 1
        try:
            a = json.loads(ln)
        except ValueError:
            bad += 1; print("ack: not JSON:", ln[:80]); continue
        row = con.execute("SELECT orig_sha256, body_html, body_sha256, path"
                          " FROM document WHERE id = ?", (a["id"],)).fetchone()
        if row is None:
            bad += 1; print("ack: id %s missing" % a["id"]); continue
        if row[0] != a["sha256"]:
            bad += 1; print("ack: id %s sha %s != %s" % (a["id"], row[0], a["sha256"])); continue
        body = (row[1] or "").encode("utf-8", "surrogatepass")
        if hashlib.sha256(body).hexdigest() != row[2]:
            bad += 1; print("ack: id %s body does not hash to body_sha256" % a["id"]); continue
        if tree:
            p = os.path.join(tree, a["path"])
            if os.path.isfile(p) and hashlib.sha256(open(p, "rb").read()).hexdigest() != a["sha256"]:
                bad += 1; print("ack: %s on disk differs from its ack" % a["path"])
print("acks checked: %d, bad: %d" % (n, bad))
sys.exit(1 if bad else 0)
PY
}

# utf8_ok: every text column of document and section is valid UTF-8
# (read as bytes, decoded strictly).
utf8_ok() {
    python3 - "$DB" <<'PY'
import sqlite3, sys
con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
con.text_factory = bytes
bad = n = 0
for tab, cols in (("document", ("title", "title_norm", "authors", "description",
                                "body_html", "body_text", "metadata", "path",
                                "language", "source_url")),
                  ("section", ("title", "heading", "body", "anchor"))):
    for row in con.execute("SELECT id, %s FROM %s" % (", ".join(cols), tab)):
        for c, v in zip(cols, row[1:]):
            if v is None:
                continue
            n += 1
            if isinstance(v, bytes):
                try:
                    v.decode("utf-8", "strict")
                except UnicodeDecodeError as e:
                    bad += 1
                    print("invalid UTF-8: %s.%s id %s: %s" % (tab, c, row[0], e))
print("text values checked: %d, invalid UTF-8: %d" % (n, bad))
sys.exit(1 if bad else 0)
PY
}

# report_reason REPORT PATH: the status and reason of PATH in the report.
report_reason() {
    python3 -c 'import json,sys
for f in json.load(open(sys.argv[1]))["files"]:
    if f["path"] == sys.argv[2]: print(f["status"], f.get("reason", ""))' "$1" "$2"
}

# sanitizer_clean LOG...: no AddressSanitizer/UBSan report in the logs.
sanitizer_clean() {
    ! grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$@"
}

# check_program NAME: the path of the Check program tests/NAME of the
# build tree KW_BIN lives in, built there when missing; empty when there is
# no build tree to build it in.
check_program() {
    local b
    b=$(cd "$(dirname "$KW_BIN")" && pwd)
    if [ ! -x "$b/tests/$1" ] || [ "$b/tests/$1" -ot "$KW_SRCDIR/tests/$1.c" ]; then
        [ -f "$b/Makefile" ] || return 1
        make -C "$b" -s "tests/$1" >"$TMP/make-$1.log" 2>&1 || { cat "$TMP/make-$1.log"; return 1; }
    fi
    echo "$b/tests/$1"
}

# session_procs SID: PIDs (and command names) of the processes in session
# SID, the ingest's own when it was started with setsid: its workers and
# their pdftotext or cmark children stay in it whatever group they make.
session_procs() {
    # cat goes on past processes that vanish meanwhile (awk would stop).
    cat /proc/[0-9]*/stat 2>/dev/null | sed 's/^\([0-9]*\) .*) /\1 /' |
        awk -v s="$1" '$5 == s { print $1 }' | while read -r pid; do
        echo "$pid $(cat "/proc/$pid/comm" 2>/dev/null)"
    done
}

# make_pdf FILE [pages] [text]: a small valid PDF of ours.
make_pdf() {
    python3 - "$@" <<'PY'
import sys, zlib
path = sys.argv[1]
pages = int(sys.argv[2]) if len(sys.argv) > 2 else 1
text = (sys.argv[3] if len(sys.argv) > 3 else "Hello hostile world").encode()
content = b"BT /F1 12 Tf 72 700 Td (" + text + b") Tj ET"
data = zlib.compress(content)
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"]
kids = []
for i in range(pages):
    kids.append(b"%d 0 R" % (len(objs) + 1))
    objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % pages
out = bytearray(b"%PDF-1.4\n"); offs = []
for i, o in enumerate(objs):
    offs.append(len(out)); out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offs)
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(path, "wb").write(out)
PY
}

# start_server_on DB [extra args...]: lib.sh's start_server for another
# database file; sets SERVER_PID, PORT and BASE the same way.
start_server_on() {
    local db=$1
    shift
    "$KW_BIN" serve --db "$db" --data-dir "$KW_SRCDIR" \
        --listen 127.0.0.1:0 --set access_log="$TMP/access.log" "$@" \
        >"$TMP/out.log" 2>"$TMP/err.log" &
    SERVER_PID=$!
    PORT=
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/err.log" | head -1)
        [ -n "$PORT" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$PORT" ]; then
        echo "server did not start:"; cat "$TMP/err.log"
        SERVER_PID=
        return 1
    fi
    BASE="http://127.0.0.1:$PORT"
}

# http_code URL: the status of a GET (000 when no answer in 5 s).
http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1"; }

# gen_tree DIR N [KB]: N generated HTML pages of about KB kilobytes each
# (default 8), in ten folders, with sections and links.
gen_tree() {
    python3 - "$1" "$2" "${3:-8}" <<'PY'
import os, random, sys
root, n, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(n * 1000 + kb)
words = ("table index query page write lock journal vacuum schema row column "
         "데이터 검색 문서 색인 쓰기").split()
for i in range(n):
    d = os.path.join(root, "f%d" % (i % 10))
    os.makedirs(d, exist_ok=True)
    body = []
    size = 0
    k = 0
    while size < kb * 1024:
        p = " ".join(rnd.choice(words) for _ in range(120))
        body.append("<h2 id=s%d>Part %d</h2><p>%s %d</p>" % (k, k, p, rnd.randrange(10**9)))
        size += len(body[-1]); k += 1
    with open(os.path.join(d, "p%05d.html" % i), "w") as f:
        f.write("<html><head><title>Generated %d</title></head><body><h1>Generated %d</h1>%s"
                "<a href=\"../f%d/p%05d.html\">next</a></body></html>" % (i, i, "".join(body), (i + 1) % 10, i + 1))
PY
}

# Moderation through the web form (as tests/admin.sh does it).
# mod_login JAR USER PASSWORD: prints the HTTP status of the login POST.
mod_login() {
    local jar=$1 tok
    tok=$(curl -s -m 10 -c "$jar" -b "$jar" "$BASE/admin/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p')
    curl -s -m 10 -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
        --data-urlencode "username=$2" --data-urlencode "password=$3" \
        --data-urlencode "csrf_token=$tok" "$BASE/admin/login"
}
# mod_csrf JAR: the session's CSRF token.
mod_csrf() { curl -s -m 10 -b "$1" "$BASE/admin/" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | head -1; }
# mod_act JAR PATH TOKEN [curl args...]: POST an action, print the status.
mod_act() {
    local jar=$1 path=$2 tok=$3
    shift 3
    curl -s -m 20 -o /dev/null -w '%{http_code}' -b "$jar" --data-urlencode "csrf_token=$tok" "$@" "$BASE$path"
}
