#!/bin/bash
# M1: the suite under AddressSanitizer and UBSan.  Runs the rows in M1_ROWS
# (default: every row that drives the binary, except the long load rows)
# with KW_BIN an --enable-asan build, every sanitizer report written to a
# file (ASAN_OPTIONS/UBSAN_OPTIONS log_path), then fails when any row fails
# or any report was written.  `make check` runs the unit tiers under the
# same build (./quickstart check).  Skipped (77) with a normal binary.
. "${KW_SRCDIR:-.}/tests/lib.sh"
if ! grep -q '__asan_init' "$KW_BIN" 2>/dev/null; then
    echo "SKIP: $KW_BIN is not an --enable-asan build"
    rm -rf "$TMP"
    exit 77
fi
# The asan build has no test hooks; the rows that need them say so and
# skip that part here (the hooks tier runs them in full).
grep -q KW_TEST_AFTER_WALK "$KW_BIN" || export KW_HOSTILE_NO_HOOKS=1
ROWS=${M1_ROWS:-"H1 H2 H3 HD1 P1 S2 A1 A2 A3 C1 C4 I1 I2 I3 I4 I6 I7 I8"}
REP="$TMP/reports"
mkdir -p "$REP"
export ASAN_OPTIONS="log_path=$REP/asan:detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="log_path=$REP/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="log_path=$REP/lsan"
rows=()
for r in $ROWS; do
    ls "$KW_SRCDIR/tests/hostile/$r"-*.sh >/dev/null 2>&1 && rows+=("$r")
done
echo "rows under ASan/UBSan: ${rows[*]}"
HOSTILE_LOG_DIR="$TMP/logs" "$KW_SRCDIR/tests/hostile/run.sh" "${rows[@]}" | tee "$TMP/run.out"
rc=${PIPESTATUS[0]}
check "every row passed under ASan/UBSan (${#rows[@]} rows)" test "$rc" -eq 0
nrep=$(find "$REP" -type f | wc -l)
if [ "$nrep" -gt 0 ]; then
    for f in "$REP"/*; do
        echo "---- $f"
        head -40 "$f"
    done
fi
check "no sanitizer report ($nrep files)" test "$nrep" -eq 0
finish
