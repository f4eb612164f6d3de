#!/bin/bash
# clang-format check of every C file we own (.clang-format at the top).
. "${KW_SRCDIR:-.}/tests/lib.sh"
cd "$KW_SRCDIR" || exit 1
if ! command -v clang-format >/dev/null; then
    echo "clang-format not installed: skipped"
    rm -rf "$TMP"
    exit 77
fi
for f in lib/*.[ch] server/*.[ch] ingest/*.[ch] cli/*.[ch] tests/*.c tests/fuzz/*.[ch]; do
    [ -f "$f" ] || continue
    if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        ok "$f formatted"
    else
        bad "$f is not clang-formatted (run: clang-format -i $f)"
    fi
done
finish
