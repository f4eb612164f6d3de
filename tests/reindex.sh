#!/bin/bash
# kwangmyong reindex and reindex --lists.  A database whose impact lists
# were built with other ranking constants (an upgrade that changed them)
# gets them back with `reindex --lists`, the same lists without a rebuild
# of the index; `reindex` indexes every published document again and the
# database verifies; a wrong option is a usage error.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: skipped"; rm -rf "$TMP"; exit 77; }
K() { "$KW_BIN" "$@" --db "$TMP/t.db" --data-dir "$KW_SRCDIR"; }
Q() { sqlite3 "$TMP/t.db" "$1"; }
mkdir -p "$TMP/tree"
# 2,100 pages: "common" on every one, so it has a list (IMPACT_MIN_DF).
for i in $(seq 1 2100); do
    printf '<html><head><title>Page %d</title></head><body><p>common words, page %d%s</p></body></html>' \
        "$i" "$i" "$([ $((i % 7)) = 0 ] && echo ' common again')" >"$TMP/tree/p$i.html"
done
K ingest --collection c --approve --jobs 2 "$TMP/tree" >"$TMP/ingest.out" 2>&1
check "the ingest published 2,100 pages" grep -q "2100 new" "$TMP/ingest.out"
# The lists in use: the pair of tables impact_meta.slot names (0011).
LIVE="(SELECT * FROM term_impact WHERE (SELECT slot FROM impact_meta) = 0
       UNION ALL
       SELECT * FROM term_impact_1 WHERE (SELECT slot FROM impact_meta) = 1)"
lists=$(Q "SELECT count(*) FROM $LIVE")
params=$(Q "SELECT rank_params FROM impact_meta")
slot=$(Q "SELECT slot FROM impact_meta")
# What identifies the lists: how many, their bytes, counts and bounds.
LISTS_SQL="SELECT count(*), sum(length(list)), sum(df), total(bound) FROM $LIVE"
sum=$(Q "$LISTS_SQL")
check "the ingest built impact lists ($lists)" test "${lists:-0}" -gt 0
check "they record the ranking constants ($params)" test -n "$params"

# As a database of a program with another k1 holds them.
Q "UPDATE impact_meta SET rank_params = 'k1 1.2 w 10 3 1'"
K reindex --lists >"$TMP/lists.out" 2>&1
rc=$?
check "reindex --lists exits 0" test "$rc" -eq 0
check "it says how many lists it built ($(cat "$TMP/lists.out"))" \
    grep -q "^reindex: $lists search impact list(s) built" "$TMP/lists.out"
check "the lists carry this program's constants again" \
    test "$(Q "SELECT rank_params FROM impact_meta")" = "$params"
check "the same lists as the ingest's" \
    test "$(Q "$LISTS_SQL")" = "$sum"
check "in the other pair of tables" \
    test "$(Q "SELECT slot FROM impact_meta")" = "$((1 - slot))"
check "and the pair used before is empty" \
    test "$(Q "SELECT (SELECT count(*) FROM term_impact)
                    + (SELECT count(*) FROM term_docs)
                    + (SELECT count(*) FROM term_impact_1)
                    + (SELECT count(*) FROM term_docs_1)")" = "$((2 * lists))"

K reindex >"$TMP/re.out" 2>&1
rc=$?
check "reindex exits 0" test "$rc" -eq 0
check "it indexed every published page ($(cat "$TMP/re.out"))" \
    grep -q "^reindex: 2100 published document(s) indexed" "$TMP/re.out"
check "the database verifies" K verify
check "the lists are there after it" \
    test "$(Q "SELECT count(*) FROM $LIVE")" = "$lists"

# A running server builds stale lists itself (server/listkeeper.h): here
# lists of other constants, as after an upgrade.
Q "UPDATE impact_meta SET rank_params = 'k1 1.2 w 10 3 1'"
slot=$(Q "SELECT slot FROM impact_meta")
if start_server --set lists_interval=1; then
    for _ in $(seq 1 300); do
        [ "$(Q "SELECT rank_params FROM impact_meta")" = "$params" ] && break
        sleep 0.1
    done
    check "the server built the lists again" \
        test "$(Q "SELECT rank_params FROM impact_meta")" = "$params"
    check "in the other pair of tables" \
        test "$(Q "SELECT slot FROM impact_meta")" = "$((1 - slot))"
    check "the same lists" test "$(Q "$LISTS_SQL")" = "$sum"
    sleep 2.5
    check "and said so once (not again while they are fresh)" \
        test "$(grep -c "search impact lists rebuilt: $lists lists" "$TMP/err.log")" = 1
    curl -s "$BASE/api/search?q=common" >"$TMP/s.json"
    check "a search of a listed word is ranked from them" \
        grep -q '"topk": *true' "$TMP/s.json"
    stop_server
fi

K reindex --bogus >"$TMP/bad.out" 2>&1
rc=$?
check "a wrong option exits 2 ($rc)" test "$rc" -eq 2
check "with the usage line" grep -q "Usage: kwangmyong reindex" "$TMP/bad.out"
finish
