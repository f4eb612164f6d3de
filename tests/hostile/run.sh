#!/bin/bash
# tests/hostile/run.sh [ROW...]: the hostile-world tier (make check-hostile).
# Runs every row script tests/hostile/ROW-*.sh (or only the rows named),
# each under a time limit, and prints one line a row.  A row exits 0 when
# its pass criterion held, 77 when a tool it needs is missing (skipped,
# reported as such), anything else when it failed.
# Environment: KW_BIN (the binary), KW_SRCDIR (the source tree),
# HOSTILE_ROW_TIMEOUT (seconds a row may take, default 900),
# HOSTILE_LOG_DIR (where each row's output goes, default ./hostile-logs).
set -u
: "${KW_SRCDIR:=.}"
: "${KW_BIN:=./kwangmyong}"
: "${HOSTILE_ROW_TIMEOUT:=900}"
: "${HOSTILE_LOG_DIR:=$(pwd)/hostile-logs}"
export KW_SRCDIR KW_BIN
dir="$KW_SRCDIR/tests/hostile"
mkdir -p "$HOSTILE_LOG_DIR"

rows=("$@")
scripts=()
if [ ${#rows[@]} -eq 0 ]; then
    for f in "$dir"/[A-Z]*-*.sh; do scripts+=("$f"); done
else
    for r in "${rows[@]}"; do
        for f in "$dir/$r"-*.sh; do
            [ -e "$f" ] || { echo "no row $r" >&2; exit 2; }
            scripts+=("$f")
        done
    done
fi

failed=0 skipped=0 passed=0
summary=()
for f in "${scripts[@]}"; do
    name=$(basename "$f" .sh)
    log="$HOSTILE_LOG_DIR/$name.log"
    start=$(date +%s)
    timeout -k 10 "$HOSTILE_ROW_TIMEOUT" bash "$f" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    case $rc in
    0) passed=$((passed + 1)); st=PASS ;;
    77) skipped=$((skipped + 1)); st=SKIP ;;
    124) failed=$((failed + 1)); st="FAIL (timed out)" ;;
    *) failed=$((failed + 1)); st="FAIL ($rc)" ;;
    esac
    line=$(printf '%-28s %-18s %4ds  %s' "$name" "$st" "$secs" \
        "$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)")
    summary+=("$line")
    echo "$line"
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        echo "---- $name: last lines of $log"
        grep -E '^FAIL' "$log" | head -20
        tail -15 "$log"
        echo "----"
    fi
done
echo
echo "hostile tier: $passed passed, $skipped skipped, $failed failed"
[ "$failed" -eq 0 ]
