#!/bin/bash
# tests/browser/run.sh: the browser test tier.
#
#   KW_BIN=/path/to/kwangmyong KW_SRCDIR=/path/to/source tests/browser/run.sh
#
# Installs the pinned node packages (playwright-core, axe-core, vnu-jar) with
# `npm ci` once per build directory, makes a small fixture corpus, ingests it
# into a temporary database, serves it on a free loopback port, runs
# tests.mjs against it with Debian's Chromium (headless, no network) and
# exits with the result: 0 all passed, 1 a test failed, 77 skipped (a tool
# is missing), 99 a hard error (the setup did not work).
#
# Environment:
#   KW_BIN        the kwangmyong binary (default ./kwangmyong)
#   KW_SRCDIR     the source tree: templates, static, db (default: ../..)
#   SHOTS_DIR     where full-page screenshots go
#                 (default ./tests/browser/shots in the build directory)
#   KW_NODE_DIR   where node_modules is installed
#                 (default ./tests/browser in the build directory; used as is
#                 when tests/browser/node_modules already exists in the source)
#   CHROMIUM      the browser (default /usr/bin/chromium)
#   KW_BROWSER_TIMEOUT  seconds for the whole node run (default 600)
#   KW_ONLY       a regular expression: run only the tests whose name matches
#   KW_KEEP       when set, keep the temporary directory (database, logs)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${KW_SRCDIR:=$HERE/../..}"
: "${KW_BIN:=./kwangmyong}"
: "${CHROMIUM:=/usr/bin/chromium}"
: "${KW_BROWSER_TIMEOUT:=600}"
KW_SRCDIR=$(cd "$KW_SRCDIR" && pwd) || { echo "KW_SRCDIR not found"; exit 99; }
case $KW_BIN in /*) ;; *) KW_BIN="$(pwd)/$KW_BIN" ;; esac

say() { echo "# $*"; }

for tool in node npm java timeout; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || { echo "SKIP: node $(node -v 2>/dev/null) is too old: playwright-core needs Node >= 20"; exit 77; }
[ -x "$CHROMIUM" ] || { echo "SKIP: $CHROMIUM missing (apt-get install chromium fonts-noto-cjk)"; exit 77; }
[ -x "$KW_BIN" ] || { echo "kwangmyong binary not found: $KW_BIN"; exit 99; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kwbrowser.XXXXXX") || exit 99
SERVER_PID=
NODE_PID=
cleanup() {
    if [ -n "$NODE_PID" ]; then kill -TERM "$NODE_PID" 2>/dev/null; wait "$NODE_PID" 2>/dev/null; fi
    stop_server
    if [ -n "${KW_KEEP:-}" ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        # a graceful stop takes at most shutdown_timeout; then force it
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=
    fi
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP

# --- node packages ---------------------------------------------------------
# Used in place when tests/browser/node_modules is already complete (a
# developer ran `npm ci` there).  Otherwise installed with `npm ci` into
# tests/browser/ of the build directory (in place for an in-tree build),
# again only when package-lock.json changed; into $TMP when that is not
# writable (a read-only tree).
have_modules() {
    [ -d "$1/node_modules/playwright-core" ] && [ -f "$1/node_modules/axe-core/axe.min.js" ] &&
        [ -f "$1/node_modules/vnu-jar/build/dist/vnu.jar" ]
}
if have_modules "$HERE" && [ -z "${KW_NODE_DIR:-}" ]; then
    NODE_DIR=$HERE
else
    NODE_DIR=${KW_NODE_DIR:-$(pwd)/tests/browser}
    if ! mkdir -p "$NODE_DIR" 2>/dev/null || [ ! -w "$NODE_DIR" ]; then
        NODE_DIR=$TMP/node
        mkdir -p "$NODE_DIR" || exit 99
    fi
    NODE_DIR=$(cd "$NODE_DIR" && pwd)
    if [ "$NODE_DIR" != "$HERE" ]; then
        cp "$HERE/package.json" "$HERE/package-lock.json" "$NODE_DIR/" || exit 99
    fi
    if ! have_modules "$NODE_DIR" ||
        ! cmp -s "$HERE/package-lock.json" "$NODE_DIR/node_modules/.kw-package-lock.json"; then
        say "npm ci in $NODE_DIR"
        # --ignore-scripts: vnu-jar's postinstall would download a Java
        # runtime from the internet; the system's java runs vnu.jar.
        if ! (cd "$NODE_DIR" && timeout -k 10 300 npm ci --no-audit --no-fund \
            --ignore-scripts --loglevel=error); then
            echo "npm ci failed in $NODE_DIR"
            exit 99
        fi
        cp "$HERE/package-lock.json" "$NODE_DIR/node_modules/.kw-package-lock.json"
    fi
fi
say "node modules: $NODE_DIR/node_modules"

# --- screenshots -------------------------------------------------------------
if [ -z "${SHOTS_DIR:-}" ]; then
    SHOTS_DIR=$(pwd)/tests/browser/shots
    [ "$(pwd)/tests/browser" = "$HERE" ] && SHOTS_DIR=$HERE/shots
    mkdir -p "$SHOTS_DIR" 2>/dev/null && [ -w "$SHOTS_DIR" ] || SHOTS_DIR=$TMP/shots
fi
mkdir -p "$SHOTS_DIR" || exit 99
rm -f "$SHOTS_DIR"/*.png

# --- fixture corpus ----------------------------------------------------------
# Valid HTML (vnu finds nothing in the sources themselves, except the XSS
# payload's img without alt), links between the pages, an image in the tree
# and one outside it, a Korean page, a link leaving the intranet, and a page
# with an XSS payload in its title and body.
S=$TMP/site
mkdir -p "$S/guide" "$S/img" "$S/ko" || exit 99
cat >"$S/index.html" <<'HTML'
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Reactor Handbook</title>
<meta name="description" content="Front page of the reactor handbook">
</head>
<body>
<h1>Reactor Handbook</h1>
<p>Start with the <a href="guide/intro.html">introduction</a>, then read the
<a href="guide/cooling.html#pumps">cooling guide</a>.</p>
<p>The original research is described in an
<a href="https://outside.example.com/papers/thermal-loops.html">outside paper on thermal loops</a>.</p>
<figure>
<img src="img/diagram.png" alt="Diagram of the primary cooling loop" width="2" height="2">
<figcaption>The primary cooling loop.</figcaption>
</figure>
<p>See also the <a href="ko/database.html">Korean database guide</a>.</p>
<p>A <img src="https://cdn.example.net/charts/flow.png" alt="flow chart hosted outside" width="40" height="20">
image hosted outside the tree (never loaded; its alt text stays).</p>
</body>
</html>
HTML
cat >"$S/guide/intro.html" <<'HTML'
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Introduction to thermal hydraulics</title>
</head>
<body>
<h1>Introduction to thermal hydraulics</h1>
<p>Thermal hydraulics studies heat transfer in flowing coolant.
Continue with <a href="cooling.html">the cooling guide</a> or go back to
<a href="../index.html">the handbook</a>.</p>
<ul>
<li>Conduction</li>
<li>Convection</li>
<li>Radiation</li>
</ul>
</body>
</html>
HTML
cat >"$S/guide/cooling.html" <<'HTML'
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Cooling guide</title>
</head>
<body>
<h1>Cooling guide</h1>
<h2 id="pumps">Coolant pumps</h2>
<p>Centrifugal pumps circulate the coolant through the heat exchanger.</p>
<table>
<caption>Pump ratings</caption>
<thead><tr><th scope="col">Pump</th><th scope="col">Flow (m³/h)</th></tr></thead>
<tbody><tr><td>P-101</td><td>450</td></tr><tr><td>P-102</td><td>380</td></tr></tbody>
</table>
<p>Back to <a href="intro.html">the introduction</a>.</p>
</body>
</html>
HTML
cat >"$S/ko/database.html" <<'HTML'
<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<title>관계형 데이터베이스 입문</title>
</head>
<body>
<h1>관계형 데이터베이스 입문</h1>
<p>관계형 데이터베이스는 자료를 표에 저장합니다. 이 문서는 데이터베이스에
이미지를 저장하는 방법도 설명합니다.</p>
<p><a href="../index.html">원자로 안내서</a>로 돌아가기.</p>
</body>
</html>
HTML
cat >"$S/xss.html" <<'HTML'
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Payload <img src=x onerror=alert(1)><script>alert(2)</script> page</title>
</head>
<body>
<h1>Hostile markup sample</h1>
<p>Sanitizer check <img src=x onerror=alert(1)><script>alert(2)</script> end of sample.</p>
</body>
</html>
HTML
# a 2x2 PNG
printf 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGNgYGD4z8DAwMDAwMDAAAAQAQH/kx2b8wAAAABJRU5ErkJggg==' |
    base64 -d >"$S/img/diagram.png" || exit 99

DB=$TMP/browser.db
say "ingesting the fixture corpus"
timeout -k 5 120 "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" \
    --collection handbook --collection-title "Reactor Handbook" \
    --source-url https://docs.example.org/ --approve --operator browser-test \
    --jobs 2 "$S" >"$TMP/ingest.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "ingest failed (exit $rc):"; cat "$TMP/ingest.out"
    exit 99
fi

# A second collection ingested WITHOUT --approve: its documents wait in the
# moderation queue (the admin tests approve one and attack the other).
P=$TMP/pending
mkdir -p "$P" || exit 99
for n in alpha bravo; do
    cat >"$P/memo-$n.html" <<HTML
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Inspection memo $n</title>
</head>
<body>
<h1>Inspection memo $n</h1>
<p>Quarterly inspection notes, memo $n, awaiting review.</p>
</body>
</html>
HTML
done
timeout -k 5 120 "$KW_BIN" ingest --db "$DB" --data-dir "$KW_SRCDIR" \
    --collection pending --collection-title "Pending memos" \
    --source-url https://memos.example.org/ --operator browser-test \
    --jobs 1 "$P" >"$TMP/ingest-pending.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "ingest of the pending collection failed (exit $rc):"; cat "$TMP/ingest-pending.out"
    exit 99
fi

# A moderator account for the admin tests (the password as one line on stdin).
KW_MOD_USER=mod
KW_MOD_PASSWORD='browser test pw 1'
printf '%s\n' "$KW_MOD_PASSWORD" | timeout -k 5 60 "$KW_BIN" user add "$KW_MOD_USER" \
    --role moderator --db "$DB" --data-dir "$KW_SRCDIR" >"$TMP/user.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "user add failed (exit $rc):"; cat "$TMP/user.out"
    exit 99
fi

# --- server --------------------------------------------------------------------
"$KW_BIN" serve --db "$DB" --data-dir "$KW_SRCDIR" --listen 127.0.0.1:0 \
    --set access_log="$TMP/access.log" --set default_language=ko \
    >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
PORT=
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/serve.err" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$PORT" ]; then
    echo "server did not start:"; cat "$TMP/serve.err"
    SERVER_PID=
    exit 99
fi
say "server on 127.0.0.1:$PORT (pid $SERVER_PID)"

# --- tests ---------------------------------------------------------------------
KW_BASE="http://127.0.0.1:$PORT" KW_NODE_MODULES="$NODE_DIR/node_modules" \
    KW_FIXTURE="$S" KW_SHOTS_DIR="$SHOTS_DIR" KW_TMP="$TMP" CHROMIUM="$CHROMIUM" \
    KW_MOD_USER="$KW_MOD_USER" KW_MOD_PASSWORD="$KW_MOD_PASSWORD" \
    timeout -k 10 "$KW_BROWSER_TIMEOUT" node "$HERE/tests.mjs" &
NODE_PID=$!
wait "$NODE_PID"
rc=$?
NODE_PID=
[ "$rc" -eq 124 ] && echo "FAIL - the browser tests did not finish in ${KW_BROWSER_TIMEOUT}s"

stop_server
if [ -s "$TMP/serve.err" ] && grep -qiE 'error|assert|sanitizer' "$TMP/serve.err"; then
    say "server log:"; grep -iE 'error|assert|sanitizer' "$TMP/serve.err" | head -20
fi
if [ "$rc" -ne 0 ] && [ -s "$TMP/access.log" ]; then
    say "slowest requests (access log: time method path status bytes ms):"
    sort -k6 -g -r "$TMP/access.log" | head -5 | sed 's/^/#   /'
fi
say "screenshots in $SHOTS_DIR"
case $rc in
0) exit 0 ;;
124 | 137) exit 1 ;;
*) exit "$rc" ;;
esac
