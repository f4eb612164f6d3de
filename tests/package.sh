#!/bin/bash
# The Debian package end to end (issue 11): build it with dpkg-buildpackage
# from a copy of this tree, check it with lintian (no errors), install it
# with apt-get, run the systemd unit's ExecStart as the kwangmyong user in
# a sandbox like the unit's (systemd is not PID 1 here), create the first
# admin, ingest and approve a small tree as that user, fetch the home page
# and the documents with curl, back up and verify, stop; then remove
# (data kept) and purge (data, configuration and user gone).
#
# Not part of `make check`: it installs and purges a system package, so it
# needs root and a machine without kwangmyong installed.  Run it by hand or
# in CI:  sudo tests/package.sh
# Environment: KW_DEB=FILE.deb tests that package instead of building one;
# DEB_BUILD_OPTIONS is passed on (default: nocheck, as `make check` runs on
# its own); KW_PKG_KEEP=1 keeps the work directory.
# Exit: 0 all passed, 1 a check failed, 77 skipped (no dpkg-buildpackage,
# not root, or kwangmyong already installed).
set -u
PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
skip() { echo "package.sh: skipped: $1"; exit 77; }

SRC=$(cd "$(dirname "$0")/.." && pwd)
UNIT=/lib/systemd/system/kwangmyong.service
CONF=/etc/kwangmyong/kwangmyong.conf
STATE=/var/lib/kwangmyong
DB=$STATE/kwangmyong.db

if [ -z "${KW_DEB:-}" ]; then
    command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage missing (apt-get install dpkg-dev debhelper)"
fi
[ "$(id -u)" -eq 0 ] || skip "installing a package needs root"
command -v curl >/dev/null || skip "curl missing"
if dpkg-query -W -f='${Status}' kwangmyong 2>/dev/null | grep -q 'installed\|config-files' ||
    getent passwd kwangmyong >/dev/null || [ -e "$STATE" ]; then
    skip "kwangmyong is installed here (or its user or $STATE exists): this test would purge it"
fi

W=$(mktemp -d /tmp/kwpkg.XXXXXX)
chmod 0755 "$W"
SERVER_PID=
INSTALLED=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    if [ -n "$INSTALLED" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq kwangmyong >/dev/null 2>&1
    fi
    if [ "${KW_PKG_KEEP:-}" = 1 ]; then
        echo "work directory kept: $W"
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT
finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit
}
# K ARGS...: a kwangmyong command as the service's user, on its database.
K() { runuser -u kwangmyong -- kwangmyong "$@" --db "$DB"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# 1. Build, from a copy of the tree (dpkg-buildpackage builds in place and
# writes the .deb next to the tree): tracked and new files, not ignored
# ones (build directories).
if [ -n "${KW_DEB:-}" ]; then
    DEB=$KW_DEB
    check "given package $DEB exists" test -f "$DEB"
else
    mkdir "$W/src"
    if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$SRC" ls-files -z --cached --others --exclude-standard |
            (cd "$SRC" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
            (cd "$SRC" && tar --null -T - -cf -) | tar -C "$W/src" -xf -
    else
        cp -a "$SRC/." "$W/src/"
    fi
    check "source copy has debian/" test -f "$W/src/debian/control"
    if ! (cd "$W/src" && dpkg-checkbuilddeps) >"$W/deps.log" 2>&1; then
        echo "installing build dependencies: $(sed -n 's/.*Unmet build dependencies: //p' "$W/deps.log")"
        (cd "$W/src" && DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq ./) >"$W/deps.log" 2>&1 ||
            { cat "$W/deps.log"; bad "build dependencies installed"; finish; }
    fi
    export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck}
    start=$(date +%s)
    if (cd "$W/src" && nice dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1; then
        ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - start)) s, DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
    else
        tail -n 40 "$W/build.log"
        bad "dpkg-buildpackage -us -uc -b"
        finish
    fi
    DEB=$(ls "$W"/kwangmyong_*.deb 2>/dev/null | head -1)
    check "the .deb was written" test -f "$DEB"
    if command -v lintian >/dev/null; then
        lintian "$W"/kwangmyong_*.changes >"$W/lintian.log" 2>&1
        sed 's/^/    lintian: /' "$W/lintian.log"
        check "lintian reports no error" sh -c "! grep -q '^E:' '$W/lintian.log'"
    else
        echo "lintian not installed: its check skipped"
    fi
fi
[ -f "$DEB" ] || finish

# 2. Install (apt-get resolves Depends).
case $DEB in /*) ;; *) DEB=$(pwd)/$DEB ;; esac
INSTALLED=1
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >"$W/install.log" 2>&1; then
    ok "apt-get install $(basename "$DEB")"
else
    cat "$W/install.log"
    bad "apt-get install $(basename "$DEB")"
    finish
fi
check "binary on PATH and runs" sh -c 'kwangmyong version | grep -q "^kwangmyong "'
check "man page installed" test -f /usr/share/man/man1/kwangmyong.1.gz
check "data dir: templates, static, migrations, policy" \
    test -f /usr/share/kwangmyong/templates/home.html -a -d /usr/share/kwangmyong/static \
    -a -d /usr/share/kwangmyong/db/migrations -a -f /usr/share/kwangmyong/policy/default.policy
check "operations.md installed, uncompressed (the unit's Documentation=)" \
    test -f /usr/share/doc/kwangmyong/operations.md
check "systemd unit installed" test -f "$UNIT"

# The user and the database directory.
pw=$(getent passwd kwangmyong)
check "user kwangmyong exists" test -n "$pw"
uid=$(echo "$pw" | cut -d: -f3)
check "kwangmyong is a system user (uid $uid < 1000)" test "${uid:-1000}" -lt 1000
check "its home is $STATE" test "$(echo "$pw" | cut -d: -f6)" = "$STATE"
check "it has no login shell" sh -c "echo '$pw' | cut -d: -f7 | grep -q 'nologin\|/bin/false'"
check "group kwangmyong exists" sh -c "getent group kwangmyong >/dev/null"
check "$STATE is kwangmyong:kwangmyong 750" \
    test "$(stat -c '%U:%G %a' "$STATE")" = "kwangmyong:kwangmyong 750"

# The configuration file: a conffile listing every key with its default.
check "$CONF is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' kwangmyong | grep -q ' $CONF '"
missing=
kwangmyong help config | sed -n 's/^\([a-z_]*\) (default: \(.*\))$/\1 \2/p' >"$W/keys"
while read -r key def; do
    [ "$def" = '""' ] && def=
    grep -qxF "#$key =${def:+ $def}" "$CONF" || missing="$missing $key"
done <"$W/keys"
check "$CONF lists all $(wc -l <"$W/keys") keys with their defaults${missing:+ (missing:$missing)}" \
    test -z "$missing" -a -s "$W/keys"
check "$CONF sets nothing (every key commented out)" \
    sh -c "! grep -v '^[[:space:]]*#' '$CONF' | grep -q '[^[:space:]]'"
sed 's/^#\([a-z_]* =\)/\1/' "$CONF" >"$W/all.conf"
check "every key uncommented, the file still loads (config_load_file)" \
    sh -c "kwangmyong verify --config '$W/all.conf' --db '$W/conf.db' >/dev/null 2>&1"

# The unit as the brief asks for it.
for want in 'User=kwangmyong' 'ProtectSystem=strict' "ReadWritePaths=$STATE" \
    'NoNewPrivileges=yes' 'PrivateTmp=yes' 'ProtectHome=yes' 'MemoryMax=512M' \
    'Restart=on-failure'; do
    check "unit: $want" grep -qx "$want" "$UNIT"
done
check "unit: no network namespace (it must listen)" sh -c "! grep -q '^PrivateNetwork=yes' '$UNIT'"
EXEC=$(sed -n 's/^ExecStart=//p' "$UNIT")
check "unit: ExecStart is serve with --config, --db, --data-dir" test \
    "$EXEC" = "/usr/bin/kwangmyong serve --config $CONF --db $DB --data-dir /usr/share/kwangmyong"
if command -v systemd-analyze >/dev/null; then
    # Offline: it parses the unit, checks ExecStart and the man page in
    # Documentation=; any line it prints is a complaint.
    systemd-analyze verify "$UNIT" >"$W/verify.log" 2>&1
    sed 's/^/    systemd-analyze verify: /' "$W/verify.log"
    check "systemd-analyze verify: no complaint about the unit" \
        sh -c "! grep -q . '$W/verify.log'"
    systemd-analyze security --offline=true "$UNIT" 2>/dev/null | tail -n 1 |
        sed 's/^/    systemd-analyze security: /'
fi

# 3. Serve: the unit's ExecStart (plus --listen on a free port) as the
# kwangmyong user, in a mount namespace like the unit's sandbox: / read-only
# but the state directory (ProtectSystem=strict, ReadWritePaths), empty
# /tmp and /var/tmp (PrivateTmp), no /home or /root (ProtectHome), no
# new privileges nor capabilities, UMask=0027.
sandbox() {
    exec unshare -m --propagation private sh -c '
        set -e
        mount --bind "$0" "$0"
        mount -t tmpfs -o mode=1777 tmpfs /tmp
        mount -t tmpfs -o mode=1777 tmpfs /var/tmp
        mount -t tmpfs -o ro,mode=755 tmpfs /home
        mount -t tmpfs -o ro,mode=700 tmpfs /root
        mount -o remount,bind,ro /
        cd "$0"
        umask 0027
        exec setpriv --reuid=kwangmyong --regid=kwangmyong --init-groups \
            --no-new-privs --inh-caps=-all --bounding-set=-all "$@"' "$STATE" "$@"
}
start_service() {
    : >"$W/serve.log"
    # The subshell execs the sandbox, so $! is the server's own pid.
    # shellcheck disable=SC2086 # ExecStart is split on spaces, as systemd does
    sandbox $EXEC --listen 127.0.0.1:0 >"$W/serve.out" 2>"$W/serve.log" &
    SERVER_PID=$!
    PORT=
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$W/serve.log" | head -1)
        [ -n "$PORT" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$PORT" ] || { cat "$W/serve.log"; SERVER_PID=; return 1; }
    BASE=http://127.0.0.1:$PORT
}
stop_service() {
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID"
    local rc=$?
    SERVER_PID=
    return $rc
}
if start_service; then
    ok "ExecStart runs as kwangmyong in the sandbox (port $PORT)"
else
    bad "ExecStart runs as kwangmyong in the sandbox"
    finish
fi
check "the server process runs as kwangmyong" \
    test "$(ps -o uid= -p "$SERVER_PID" | tr -d ' ')" = "$uid"
check "the server process has no new privileges" \
    grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$SERVER_PID/status"
check "the database was created in $STATE" test -f "$DB"
check "healthz 200" test "$(code "$BASE/healthz")" = 200
check "home page 200" test "$(code "$BASE/")" = 200

# The first admin.
if K user add admin --role admin --generate >"$W/admin.out" 2>&1; then
    ok "user add admin --role admin --generate (as kwangmyong)"
else
    cat "$W/admin.out"; bad "user add admin --role admin --generate (as kwangmyong)"
fi
check "user list shows the admin" sh -c "runuser -u kwangmyong -- kwangmyong user list --db '$DB' | grep -q '^admin'"
check "login page 200" test "$(code "$BASE/admin/login")" = 200

# A small tree: HTML, Markdown, text and a PDF (made here, byte offsets and
# all), ingested and approved as the kwangmyong user.
T=$W/tree
mkdir -p "$T/sub"
printf '<!DOCTYPE html><html lang="en"><head><title>Package test page</title></head><body><h1>Package test page</h1><p>The quokkaword lives here. See <a href="sub/notes.html">the notes</a>.</p></body></html>\n' >"$T/index.html"
printf '<html><head><title>Notes</title></head><body><p>Second page with wombatword.</p></body></html>\n' >"$T/sub/notes.html"
printf '# 패키지 시험\n\n광명 포털의 **패키지** 시험 문서입니다.\n' >"$T/korean.md"
printf 'Plain text file\n\nnumbatword in plain text.\n' >"$T/plain.txt"
make_pdf() {
    local out=$1 text=$2 off=() stream xref o
    printf '%%PDF-1.4\n' >"$out"
    obj() { off+=("$(stat -c %s "$out")"); printf '%s\n' "$1" >>"$out"; }
    obj '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj'
    obj '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj'
    obj '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj'
    stream="BT /F1 18 Tf 72 700 Td ($text) Tj ET"
    obj "4 0 obj << /Length ${#stream} >> stream
$stream
endstream endobj"
    obj '5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj'
    xref=$(stat -c %s "$out")
    {
        printf 'xref\n0 6\n0000000000 65535 f \n'
        for o in "${off[@]}"; do printf '%010d 00000 n \n' "$o"; done
        printf 'trailer << /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' "$xref"
    } >>"$out"
}
make_pdf "$T/paper.pdf" "A portable document about the platypusword"
chmod -R a+rX "$T"
if K ingest --collection pkgtest --collection-title "Package test" \
    --approve --operator package-test --report "$STATE/report.json" "$T" \
    >"$W/ingest.out" 2>&1; then
    ok "ingest --approve of a small tree (as kwangmyong)"
else
    cat "$W/ingest.out"; bad "ingest --approve of a small tree (as kwangmyong)"
fi
check "the PDF went through pdftotext" grep -q 'platypusword' <(curl -s "$BASE/c/pkgtest/paper.pdf")

home=$(curl -s "$BASE/")
check "home page lists the collection" grep -q 'Package test' <<<"$home"
check "collection page 200" test "$(code "$BASE/c/pkgtest/")" = 200
doc=$(curl -s -w '\n%{http_code}' "$BASE/c/pkgtest/index.html")
check "document page 200" test "$(tail -n 1 <<<"$doc")" = 200
check "document page shows its text" grep -q quokkaword <<<"$doc"
check "nested document served" grep -q wombatword <(curl -s "$BASE/c/pkgtest/sub/notes.html")
check "Markdown document (Korean) served" grep -q '광명 포털' <(curl -s "$BASE/c/pkgtest/korean.md")
check "search finds the document" grep -q 'Package test page' <(curl -s "$BASE/search?q=quokkaword")
check "static files from /usr/share/kwangmyong" test "$(code "$BASE/favicon.ico")" = 200
check "/metrics answers loopback" test "$(code "$BASE/metrics")" = 200

# Backup and verify, as the user.
if K backup "$STATE/backup.db" >"$W/backup.out" 2>&1; then
    ok "backup while serving"
else
    cat "$W/backup.out"; bad "backup while serving"
fi
check "verify the database" sh -c "runuser -u kwangmyong -- kwangmyong verify --db '$DB' >'$W/verify1.out' 2>&1"
check "verify the backup" sh -c "runuser -u kwangmyong -- kwangmyong verify --db '$STATE/backup.db' >'$W/verify2.out' 2>&1"

check "SIGTERM: the server stops with exit 0" stop_service
bad_owner=$(find "$STATE" ! -user kwangmyong -print | head -3)
check "every file in $STATE belongs to kwangmyong${bad_owner:+ ($bad_owner)}" test -z "$bad_owner"
world=$(find "$DB" "$DB.lock" -perm /o=rwx -print | head -3)
check "the server's files are closed to others (UMask=0027)${world:+ ($world)}" test -z "$world"
stray=$(find /etc /home /opt /root /srv /tmp /usr /var /dev/shm -xdev -path "$STATE" -prune \
    -o -user kwangmyong -print 2>/dev/null | head -3)
check "no file owned by kwangmyong outside $STATE${stray:+ ($stray)}" test -z "$stray"

# Restart on the same database: documents still there.
if start_service; then
    check "restarted server serves the document" grep -q quokkaword <(curl -s "$BASE/c/pkgtest/index.html")
    check "SIGTERM again: exit 0" stop_service
else
    bad "server restarts on its database"
fi

# 4. Remove keeps the data and the user; purge removes them.
if DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq kwangmyong >"$W/remove.log" 2>&1; then
    ok "apt-get remove"
else
    cat "$W/remove.log"; bad "apt-get remove"
fi
check "remove: binary gone" test ! -e /usr/bin/kwangmyong
check "remove: database kept" test -f "$DB"
check "remove: configuration kept" test -f "$CONF"
check "remove: user kept" sh -c "getent passwd kwangmyong >/dev/null"
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq kwangmyong >"$W/purge.log" 2>&1; then
    ok "apt-get purge"
    INSTALLED=
else
    cat "$W/purge.log"; bad "apt-get purge"
fi
check "purge: $STATE gone" test ! -e "$STATE"
check "purge: /etc/kwangmyong gone" test ! -e /etc/kwangmyong
check "purge: /usr/share/kwangmyong gone" test ! -e /usr/share/kwangmyong
check "purge: user gone" sh -c '! getent passwd kwangmyong >/dev/null'
check "purge: group gone" sh -c '! getent group kwangmyong >/dev/null'
check "purge: dpkg forgot the package" \
    sh -c "! dpkg-query -W -f='\${Status}' kwangmyong 2>/dev/null | grep -q 'installed\|config-files'"
finish
