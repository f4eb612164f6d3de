#!/bin/bash
# I4 (docs/hostile-world.md): binary junk, FIFOs, a device node, symlinks
# out of the tree (file and directory), symlink loops, odd names
# (newline, invalid UTF-8, control bytes, backslash, leading dashes, 255
# bytes, markup and URL syntax), a path deeper than PATH_MAX, hidden files,
# unreadable files and directories (root reads chmod 000 anyway, so that
# part runs as `nobody` through setpriv), a 10,000-file directory, and a
# directory swapped for a symlink to outside while the ingest runs.
# Pass: no hang (each run under a deadline), no escape (a canary outside
# the tree, reachable only through symlinks, is never opened: strace; and
# its token is nowhere in the database), every file in the --report.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3 timeout
NOBODY_DIR=
row_cleanup() { [ -n "$NOBODY_DIR" ] && rm -rf "$NOBODY_DIR"; }

T="$TMP/tree"
OUT="$TMP/outside"
mkdir -p "$T/sub" "$T/big" "$OUT/secret"
TOKEN="canary-$RANDOM$RANDOM-token"
printf '<html><head><title>%s</title></head><body><p>%s</p></body></html>' "$TOKEN" "$TOKEN" >"$OUT/canary.html"
cp "$OUT/canary.html" "$OUT/secret/inner.html"
printf '<html><head><title>Good page</title></head><body><p>good sibling</p></body></html>' >"$T/good.html"
printf 'Good text\n\nsibling\n' >"$T/sub/good.txt"
# junk
head -c 5000 /dev/urandom >"$T/junk.html"
head -c 5000 /dev/urandom >"$T/junk.md"
head -c 5000 /dev/urandom >"$T/junk.txt"
head -c 5000 /dev/urandom >"$T/junk.png"
head -c 5000 /dev/urandom | gzip >"$T/junk.html.gz"
head -c 5000 /dev/urandom >"$T/junk.html.gz.bin"
head -c 3000 /dev/zero >"$T/zeros.html"
# special files
mkfifo "$T/fifo.html" "$T/sub/fifo.md"
mknod "$T/zero.html" c 1 5 2>/dev/null || echo "(mknod not permitted: no device node case)"
# symlinks out of the tree, and loops
ln -s "$OUT/canary.html" "$T/link-out.html"
ln -s "$OUT/secret" "$T/dir-out"
ln -s ../../outside/canary.html "$T/sub/rel-out.html"
ln -s / "$T/root"
ln -s loop1.html "$T/loop2.html"
ln -s loop2.html "$T/loop1.html"
ln -s . "$T/sub/self"
ln -s self.html "$T/self.html"
ln -s /nonexistent/x.html "$T/dangling.html"
# odd names
good_page() { printf '<html><head><title>odd</title></head><body><p>odd name %s</p></body></html>' "$RANDOM"; }
good_page >"$T/$(printf 'new\nline.html')"
good_page >"$T/$(printf 'bad\xff\xfeutf8.html')"
good_page >"$T/$(printf 'ctl\x01\x1b[31m.html')"
good_page >"$T/back\\slash.html"
good_page >"$T/-rf.html"
good_page >"$T/--help.html"
good_page >"$T/$(printf '%0250d' 0).html"
good_page >"$T/<script>alert(1)<%2Fscript>.html"
good_page >"$T/q?x=1#frag.html"
good_page >"$T/%2e%2e%2fescape.html"
good_page >"$T/ space .html"
good_page >"$T/한국어 이름.html"
good_page >"$T/$(printf 'rlo\xe2\x80\xaelmth.exe.html')"
good_page >"$T/.hidden.html"
mkdir -p "$T/.git/objects"
good_page >"$T/.git/objects/x.html"
# deeper than PATH_MAX (4096): 20 levels of 250-byte names
python3 - "$T/sub" <<'PY'
import os, sys
os.chdir(sys.argv[1])
for i in range(20):
    n = ("d%02d" % i) + "x" * 247
    os.mkdir(n); os.chdir(n)
open("deep.html", "w").write("<html><body><p>deep</p></body></html>")
PY
# a 10,000-file directory: 1,000 pages and 9,000 other files
python3 - "$T/big" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(10000):
    if i % 10 == 0:
        open(os.path.join(d, "p%05d.html" % i), "w").write(
            "<html><head><title>Page %d</title></head><body><p>page %d</p></body></html>" % (i, i))
    else:
        open(os.path.join(d, "f%05d.dat" % i), "w").write("x")
PY
# What the report must list: every non-directory entry the walk reaches
# (not below hidden directories, symlinks or the PATH_MAX boundary), each
# hidden entry of the top level once, and the too-deep directory once.
expected=$(python3 - "$T" <<'PY'
import os, sys
root = sys.argv[1]
n = 0
def walk(d, depth):
    global n
    try:
        names = os.listdir(d)
    except OSError:
        n += 1; return
    for name in names:
        p = os.path.join(d, name)
        if name.startswith("."):
            n += 1; continue
        try:
            st = os.lstat(p)
        except OSError:
            n += 1; continue
        import stat
        if stat.S_ISDIR(st.st_mode):
            walk(p, depth + 1)
        else:
            n += 1
walk(root, 0)
print(n)
PY
)
nfs=$(find "$T" -mindepth 1 ! -type d 2>/dev/null | wc -l)
echo "I4: tree of $nfs non-directory entries (expected report entries: $expected): junk 7, FIFOs 2, device 1, symlinks 9, odd names 14, hidden 2, one file deeper than PATH_MAX, 10,000-file directory"

STRACE=
command -v strace >/dev/null && STRACE="env ASAN_OPTIONS=$NO_LEAK_CHECK strace -f -qq -e trace=open,openat,openat2,execve -e signal=none -o $TMP/strace.log"
start=$SECONDS
$STRACE timeout -k 5 180 "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection i4 \
    --report "$TMP/r.json" --jobs 2 "$T" >"$TMP/out" 2>"$TMP/err"
rc=$?
secs=$((SECONDS - start))
cat "$TMP/out"
check "no hang: ended in ${secs}s (deadline 180 s), exit 1 [$rc]" test "$rc" -eq 1
check "no sanitizer report" sanitizer_clean "$TMP/err"
nrep=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["files"]))' "$TMP/r.json")
check "every file in the report: $nrep entries, $expected expected" test "$nrep" -eq "$expected"
missing=$(python3 - "$T" "$TMP/r.json" <<'PY'
import json, os, sys
root, rep = sys.argv[1], sys.argv[2]
listed = {f["path"] for f in json.load(open(rep))["files"]}
miss = 0
for d, dirs, files in os.walk(root):
    dirs[:] = [x for x in dirs if not x.startswith(".")]
    for name in files + [x for x in os.listdir(d) if os.path.islink(os.path.join(d, x)) and x not in files]:
        rel = os.path.relpath(os.path.join(d, name), root)
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            continue
        if any(ord(c) < 32 or c in "\\\x7f" for c in rel) or len(os.path.join(d, name)) >= 4096:
            continue
        if not name.startswith(".") and rel not in listed:
            miss += 1
            print("not in report:", rel)
print(miss)
PY
)
check "every printable path is listed by name" test "$(tail -1 <<<"$missing")" -eq 0
check "unprintable names are listed as such (3+)" test "$(python3 -c 'import json,sys; print(sum(1 for f in json.load(open(sys.argv[1]))["files"] if f["path"] == "(unprintable name)"))' "$TMP/r.json")" -ge 3
for n in fifo.html sub/fifo.md; do
    check "$n: not read ($(report_reason "$TMP/r.json" "$n"))" grep -q 'not a regular file' <<<"$(report_reason "$TMP/r.json" "$n")"
done
[ -e "$T/zero.html" ] && check "device node not read" grep -q 'not a regular file' <<<"$(report_reason "$TMP/r.json" zero.html)"
for n in link-out.html dir-out sub/rel-out.html root loop1.html loop2.html sub/self self.html dangling.html; do
    check "$n: symlink not followed" grep -q 'symlink not followed' <<<"$(report_reason "$TMP/r.json" "$n")"
done
check "no escape: the canary's token is nowhere in the database" \
    test "$(q "SELECT count(*) FROM document WHERE title LIKE '%$TOKEN%' OR body_text LIKE '%$TOKEN%'")" -eq 0
if [ -n "$STRACE" ]; then
    check "no escape: nothing under $OUT was ever opened (strace)" bash -c '! grep -F -- "$1" "$2" | grep -v ENOENT | grep -q .' _ "$OUT" "$TMP/strace.log"
    check "no open followed a symlink to outside (no O_NOFOLLOW-less open of link-out)" bash -c '! grep -E "link-out\.html|dir-out/|rel-out\.html" "$1" | grep -vq ELOOP' _ "$TMP/strace.log"
fi
check "junk rejected, with reasons" test "$(python3 -c 'import json,sys; print(sum(1 for f in json.load(open(sys.argv[1]))["files"] if f["path"].startswith("junk") and f["status"] in ("rejected", "skipped") and f.get("reason")))' "$TMP/r.json")" -ge 4
check "good siblings stored" test "$(q "SELECT count(*) FROM document WHERE path IN ('good.html', 'sub/good.txt')")" -eq 2
check "odd but valid names stored (dash, long, markup, Korean, RLO)" \
    test "$(q "SELECT count(*) FROM document WHERE path IN ('-rf.html', '--help.html', '<script>alert(1)<%2Fscript>.html', '한국어 이름.html', ' space .html')")" -eq 5
check "all 1,000 pages of the big directory stored" test "$(q "SELECT count(*) FROM document WHERE path LIKE 'big/p%'")" -eq 1000
check "the path deeper than PATH_MAX is reported (cannot stat), not stored" \
    test "$(python3 -c 'import json,sys; print(sum(1 for f in json.load(open(sys.argv[1]))["files"] if f["path"].startswith("sub/d00") and f["status"] == "skipped" and f.get("reason") == "cannot stat"))' "$TMP/r.json")" -eq 1
check "nothing below it stored" test "$(q "SELECT count(*) FROM document WHERE path LIKE 'sub/d00%'")" -eq 0
check "junk.png stored as an asset and listed" grep -q '^asset' <<<"$(report_reason "$TMP/r.json" junk.png)"
check "hidden files reported as skipped" grep -q 'hidden' <<<"$(report_reason "$TMP/r.json" .hidden.html)"
check "stored text valid UTF-8" utf8_ok
check "integrity ok" integrity_ok

# A directory of the tree swapped for a symlink to outside while the
# ingest runs (after its walk): no file may be read through it.
R="$TMP/race"
mkdir -p "$R/tree/big" "$R/outside"
python3 - "$R" "$TOKEN" <<'PY'
import os, sys
r, token = sys.argv[1], sys.argv[2]
for i in range(3000):
    open(os.path.join(r, "tree/big/p%04d.html" % i), "w").write(
        "<html><head><title>Inside %d</title></head><body><p>inside</p></body></html>" % i)
    open(os.path.join(r, "outside/p%04d.html" % i), "w").write(
        "<html><head><title>%s %d</title></head><body><p>%s</p></body></html>" % (token, i, token))
PY
# The test build (--enable-test-hooks) stops after the walk until the flag
# file goes, so the swap lands between the walk and the reads every time.
if grep -q KW_TEST_AFTER_WALK "$KW_BIN"; then
    FLAG="$TMP/race.walked"
    KW_TEST_AFTER_WALK="$FLAG" "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" \
        --collection i4race --report "$TMP/race.json" --jobs 2 "$R/tree" \
        >"$TMP/race.out" 2>&1 &
    pid=$!
    for _ in $(seq 600); do
        { test -e "$FLAG" || ! kill -0 "$pid" 2>/dev/null; } && break
        sleep 0.05
    done
    check "swap during the run: the ingest waited after its walk" test -e "$FLAG"
    mv "$R/tree/big" "$R/tree/big.real"
    ln -s ../outside "$R/tree/big"
    rm -f "$FLAG"
    wait "$pid"
    cat "$TMP/race.out"
    after=$(python3 -c 'import json,sys; print(sum(1 for f in json.load(open(sys.argv[1]))["files"] if f["status"] == "rejected" and "cannot open" in f.get("reason", "")))' "$TMP/race.json")
    check "swap during the run: $after of 3000 pages met the swapped directory and were refused" test "$after" -eq 3000
    check "swap during the run: nothing read through the link (no canary stored)" \
        test "$(q "SELECT count(*) FROM document WHERE title LIKE '%$TOKEN%' OR body_text LIKE '%$TOKEN%'")" -eq 0
elif [ "${KW_HOSTILE_NO_HOOKS:-}" = 1 ]; then
    echo "# swap during the run SKIPPED: $KW_BIN has no KW_TEST_AFTER_WALK (built without --enable-test-hooks; KW_HOSTILE_NO_HOOKS=1)"
else
    bad "swap during the run: $KW_BIN has no KW_TEST_AFTER_WALK: configure --enable-test-hooks, or set KW_HOSTILE_NO_HOOKS=1 to skip the swap"
fi

# Unreadable file and directory: root reads them anyway, so as nobody.
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
    NOBODY_DIR=$(mktemp -d /tmp/kwtest-nobody.XXXXXX)
    chmod 755 "$NOBODY_DIR"
    mkdir -p "$NOBODY_DIR/tree/locked" "$NOBODY_DIR/db"
    printf '<html><body><p>readable</p></body></html>' >"$NOBODY_DIR/tree/ok.html"
    printf '<html><body><p>secret</p></body></html>' >"$NOBODY_DIR/tree/unreadable.html"
    printf '<html><body><p>secret</p></body></html>' >"$NOBODY_DIR/tree/locked/inside.html"
    chmod 000 "$NOBODY_DIR/tree/unreadable.html" "$NOBODY_DIR/tree/locked"
    chown nobody "$NOBODY_DIR/db"
    timeout -k 5 60 setpriv --reuid=nobody --regid=nogroup --clear-groups \
        "$KW_BIN" ingest --db "$NOBODY_DIR/db/t.db" --data-dir "$KW_SRCDIR" --collection i4n \
        --report "$NOBODY_DIR/db/r.json" "$NOBODY_DIR/tree" >"$TMP/outn" 2>"$TMP/errn"
    rc=$?
    cat "$TMP/outn"
    check "as nobody: exit 1 [$rc]" test "$rc" -eq 1
    check "as nobody: unreadable file rejected ($(report_reason "$NOBODY_DIR/db/r.json" unreadable.html))" \
        grep -q 'Permission denied' <<<"$(report_reason "$NOBODY_DIR/db/r.json" unreadable.html)"
    check "as nobody: unreadable directory reported ($(report_reason "$NOBODY_DIR/db/r.json" locked/))" \
        grep -q 'cannot read directory' <<<"$(report_reason "$NOBODY_DIR/db/r.json" locked/)"
    check "as nobody: the readable sibling stored" \
        test "$(sqlite3 "$NOBODY_DIR/db/t.db" "SELECT count(*) FROM document WHERE path = 'ok.html'")" -eq 1
else
    echo "setpriv or user nobody missing: the unreadable-file case is not run (root reads chmod 000 files)"
fi
finish
