#!/bin/bash
# I7 (docs/hostile-world.md): broken manifests (--manifest FILE.jsonl):
# a truncated last line, deep nesting, duplicate keys, NUL bytes, invalid
# UTF-8, wrong types, '../', absolute, backslash, encoded and home paths,
# file: URLs, a line over 1 MiB, duplicate entries, 1,500 bad lines (the
# issue list is capped), and whole manifests that are huge (sparse 300 MB),
# a FIFO, a symlink, a directory or missing.  Pass: each bad line is
# named on stderr with its line number and a reason while the good lines
# still apply; a bad whole manifest stops the run with one clear error
# (exit 2) and no hang; nothing outside the input tree is ever opened
# (strace) or stored.
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_ingest.sh"
need sqlite3 python3 timeout

T="$TMP/tree"
mkdir -p "$T/sub" "$TMP/outside"
for n in a b c d; do
    printf '<html><head><title>Extracted %s</title></head><body><p>page %s</p></body></html>' "$n" "$n" >"$T/$n.html"
done
printf '<html><head><title>Sub</title></head><body><p>sub</p></body></html>' >"$T/sub/e.html"
SECRET="$TMP/outside/secret.html"
printf '<html><head><title>SECRET-%s</title></head><body>secret</body></html>' "$RANDOM" >"$SECRET"
M="$TMP/m.jsonl"
# Line numbers matter: the expected issue for line N is EXPECT[N].
python3 - "$M" "$SECRET" >"$TMP/expect" <<'PY'
import json, sys
out, secret = sys.argv[1], sys.argv[2]
lines = []   # (bytes, expected issue regex or None for a good line)
def good(obj): lines.append((json.dumps(obj).encode(), None))
def badl(raw, why): lines.append((raw if isinstance(raw, bytes) else raw.encode(), why))
good({"path": "a.html", "title": "Manifest title A", "tags": ["ok"]})
badl('{"path": "b.html", "title": "dup", "title": "again"}', "invalid JSON|duplicate")
badl(b'{"path": "b.html", "title": "nul\x00here"}', "NUL byte")
badl("[" * 100000 + "]" * 100000, "nested deeper than 32")
badl('{"path": "b.html", "x": ' + "[" * 40 + "]" * 40 + "}", "nested deeper than 32")
badl(b'{"path": "b.html", "title": "bad \xff\xfe utf8"}', "invalid JSON")
badl('{"path": "b.html", "title": 42}', "title: expected a string")
badl('{"path": "b.html", "tags": "notalist"}', "tags: expected an array")
badl('{"path": "b.html", "authors": {"a": 1}}', "authors")
badl('{"path": "b.html", "retrieved_at": "yesterday"}', "retrieved_at")
badl('{"path": 5}', "path: expected a string")
badl('{"path": "b.html", "source_url": "javascript:alert(1)"}', "source_url: not an absolute http")
badl('{"path": "b.html", "source_url": "file:///etc/passwd"}', "source_url: not an absolute http")
badl('{"url": "file:///etc/passwd"}', "url: not an absolute http")
badl('"just a string"', "invalid JSON|not a JSON object")
badl("[1, 2]", "not a JSON object")
badl("{}", "neither path nor url")
for p, why in (("../outside/secret.html", "'..' segment"),
               ("sub/../../outside/secret.html", "'..' segment"),
               ("./../x.html", "'..' segment"),
               (secret, "absolute"),
               ("/etc/passwd", "absolute"),
               ("..\\..\\x.html", "backslash"),
               ("sub/\u0001x.html", "control character"),
               ("", "path names no file"),
               ("..", "'..' segment")):
    badl(json.dumps({"path": p, "title": "escape"}), why)
good({"path": "%2e%2e/outside/secret.html", "title": "encoded stays a name"})
good({"path": "~/.ssh/id_rsa", "title": "home is just a name"})
good({"path": "./sub//e.html", "title": "Manifest title E"})
badl(json.dumps({"path": "sub/e.html", "title": "second entry"}), "duplicate path")
badl('{"path": "c.html", "title": "' + "x" * (1100 * 1024) + '"}', "line longer than")
good({"path": "c.html", "title": "Manifest title C", "authors": ["Kim", "Lee"], "retrieved_at": "2021-05-06T07:08:09Z"})
for i in range(1500):
    badl("{not json %d" % i, "invalid JSON")
badl('{"path": "d.html", "title": "trunc', "truncated")
with open(out, "wb") as f:
    for raw, why in lines:
        f.write(raw)
        if raw is not lines[-1][0]:
            f.write(b"\n")
for i, (raw, why) in enumerate(lines, 1):
    if why:
        print("%d\t%s" % (i, why))
PY
nbad=$(wc -l <"$TMP/expect")
echo "I7: manifest of $(python3 -c 'import sys; print(open(sys.argv[1],"rb").read().count(b"\n") + 1)' "$M") lines, $nbad bad, $(stat -c %s "$M") bytes"

STRACE=
command -v strace >/dev/null && STRACE="env ASAN_OPTIONS=$NO_LEAK_CHECK strace -f -qq -e trace=open,openat,openat2,stat,lstat,newfstatat,statx,access -e signal=none -o $TMP/strace.log"
$STRACE timeout -k 5 120 "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection i7 \
    --manifest "$M" --report "$TMP/r.json" "$T" >"$TMP/out" 2>"$TMP/err"
rc=$?
cat "$TMP/out"
check "bad lines do not stop the run: exit 0 [$rc]" test "$rc" -eq 0
check "no sanitizer report" sanitizer_clean "$TMP/err"
missing=0 shown=0
while IFS=$'\t' read -r line why; do
    got=$(grep -a "^kwangmyong ingest: $M:$line: " "$TMP/err" | head -1)
    if [ -z "$got" ]; then
        missing=$((missing + 1))
        continue
    fi
    if ! grep -qE -- "$why|more than 1000 issues" <<<"$got"; then
        bad "line $line: expected /$why/, got: $got"
    fi
    [ $shown -lt 40 ] && [ "$line" -lt 60 ] && { echo "  $got" | cut -c1-160; shown=$((shown + 1)); }
done <"$TMP/expect"
nissues=$(grep -ac "^kwangmyong ingest: $M:" "$TMP/err")
check "issues are capped (at most 1001 printed): $nissues" test "$nissues" -le 1001
check "the cap says the rest were dropped" grep -aq 'more than 1000 issues' "$TMP/err"
check "bad lines before the cap each named with their line number ($missing unnamed of $nbad, all past the cap)" \
    test "$missing" -le $((nbad - 1000))
check "the first 40 bad lines all named" test "$(head -40 "$TMP/expect" | while IFS=$'\t' read -r l _; do grep -aq "^kwangmyong ingest: $M:$l: " "$TMP/err" && echo y; done | wc -l)" -eq 40
check "issue messages are printable ASCII" bash -c '! grep -a "^kwangmyong ingest: $1:" "$2" | LC_ALL=C grep -q "[^ -~]"' _ "$M" "$TMP/err"
check "good line applies: title A" test "$(q "SELECT title FROM document WHERE path = 'a.html'")" = "Manifest title A"
check "good line after the bad ones applies: title C, authors, date" \
    test "$(q "SELECT title || '|' || authors || '|' || retrieved_at FROM document WHERE path = 'c.html'")" = "Manifest title C|Kim; Lee|1620284889"
check "'./sub//e.html' normalised to sub/e.html; the later duplicate ignored" test "$(q "SELECT title FROM document WHERE path = 'sub/e.html'")" = "Manifest title E"
check "bad lines did not apply: b.html keeps its extracted title" test "$(q "SELECT title FROM document WHERE path = 'b.html'")" = "Extracted b"
check "the truncated last line did not apply: d.html extracted" test "$(q "SELECT title FROM document WHERE path = 'd.html'")" = "Extracted d"
check "only the tree was stored (5 documents)" test "$(q "SELECT count(*) FROM document")" -eq 5
check "nothing outside the tree stored" test "$(q "SELECT count(*) FROM document WHERE title LIKE 'SECRET-%' OR body_text LIKE '%secret%'")" -eq 0
if [ -n "$STRACE" ]; then
    check "no read outside the tree: $SECRET never opened or stat'ed" bash -c '! grep -qF -- "$1" "$2"' _ "$SECRET" "$TMP/strace.log"
    check "no read outside the tree: /etc/passwd, ~/.ssh never touched" bash -c '! grep -qE "\"/etc/passwd\"|id_rsa|/outside/" "$1"' _ "$TMP/strace.log"
else
    echo "strace missing: opens not traced (the database check stands)"
fi

# Whole manifests that cannot be used: one clear error, exit 2, no hang.
whole() { # whole NAME MANIFEST REGEX
    local rc
    timeout -k 5 30 "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" --collection i7w \
        --manifest "$2" "$T" >"$TMP/w.out" 2>"$TMP/w.err"
    rc=$?
    echo "  $1: exit $rc: $(head -1 "$TMP/w.err")"
    check "$1 manifest: exit 2 with a clear message" test "$rc" -eq 2
    check "$1 manifest: message says why" grep -qE -- "$3" "$TMP/w.err"
    check "$1 manifest: no sanitizer report" sanitizer_clean "$TMP/w.err"
}
truncate -s 300M "$TMP/huge.jsonl"
whole huge "$TMP/huge.jsonl" 'larger than 268435456 bytes'
mkfifo "$TMP/fifo.jsonl"
whole FIFO "$TMP/fifo.jsonl" 'not a regular file'
ln -s "$M" "$TMP/link.jsonl"
whole symlink "$TMP/link.jsonl" 'symbolic link'
whole directory "$T" 'not a regular file'
whole missing "$TMP/nonexistent.jsonl" 'No such file'
check "integrity ok" integrity_ok
finish
