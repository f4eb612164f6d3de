#!/bin/bash
# C2 (docs/hostile-world.md): SIGKILL the server during moderation writes,
# HOSTILE_C2_ROUNDS rounds (default 20).  Each round: start the server
# (checkpoints every second, so kills land in checkpoints too), log in as
# a moderator, run 3 parallel streams of approve / reject / withdraw /
# restore / edit / bulk approve on disjoint sets of documents (each
# action valid for the document's state), kill -9 the server after a
# random 0.2-2.0 s, then check, with the server down:
#  - PRAGMA integrity_check ok, `kwangmyong verify` ok (FTS index, stored
#    hashes, the audit hash chain);
#  - every action that got its 303 persisted: an audit row of that action
#    on that document, and no more rows than acknowledged plus unanswered
#    actions (nothing invented); an acknowledged edit's title is stored;
#  - no document between states: every document's status is the target
#    of its last moderation audit row (pending when it has none), and the
#    columns of its status are filled (published_at, decided_by, reason);
#  - the restart is clean: the server comes up and /healthz says ok; the
#    reader agrees with the database for the round's documents
#    (/api/documents/ID 200 exactly for the published ones).
# First a regression check: with the write lock held by another process,
# a bulk act says 503 like a single one (it said 303, deciding nothing).
. "${KW_SRCDIR:-.}/tests/lib.sh"
. "$KW_SRCDIR/tests/hostile/_web.sh"
need curl sqlite3 awk
ROUNDS=${HOSTILE_C2_ROUNDS:-20}
t0=$(date +%s)
site "$TMP/site" doc 240
K ingest --collection c --operator op "$TMP/site" >/dev/null 2>&1
check "fixture: 240 pending documents" test "$(q "SELECT count(*) FROM document WHERE status = 'pending'")" = 240
user mod moderator 'moderator password 1'
SARGS=(--set checkpoint_interval=1)

# stream S ROUND: moderation requests on the documents with id % 3 = S
# until a request goes unanswered or the stop file appears; one log line
# a request: "ACTION IDS CODE TITLE".
stream() {
    local s=$1 r=$2 seq=0 id st code a t ids
    declare -A state
    while read -r id st; do state[$id]=$st; done < <(awk -v s="$s" '$1 % 3 == s' "$TMP/states")
    local list=("${!state[@]}")
    while [ ! -e "$TMP/stop" ]; do
        seq=$((seq + 1))
        id=${list[RANDOM % ${#list[@]}]}
        st=${state[$id]}
        t='' ids=$id
        case $st in
        pending)
            case $((RANDOM % 10)) in
            0 | 1) a=reject ;;
            2 | 3) a=edit ;;
            4)
                # bulk: this one and two more pending ones of the stream
                a=bulk
                for x in "${list[@]}"; do
                    [ "${state[$x]}" = pending ] && [ "$x" != "$id" ] && ids="$ids,$x"
                    [ "$(tr -cd , <<<"$ids" | wc -c)" -ge 2 ] && break
                done ;;
            *) a=approve ;;
            esac ;;
        published) if [ $((RANDOM % 4)) = 0 ]; then a=edit; else a=withdraw; fi ;;
        *) a=restore ;;
        esac
        case $a in
        edit)
            t="C2 r$r s$s n$seq"
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -b "$TMP/jar" \
                --data-urlencode "csrf_token=$TOK" --data-urlencode "title=$t" \
                "$BASE/admin/documents/$id/edit") ;;
        bulk)
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -b "$TMP/jar" \
                --data "csrf_token=$TOK&action=approve&confirm=1&id=${ids//,/\&id=}" \
                "$BASE/admin/queue/bulk") ;;
        *)
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -b "$TMP/jar" \
                --data-urlencode "csrf_token=$TOK" --data-urlencode "reason=C2 r$r s$s n$seq" \
                "$BASE/admin/documents/$id/$a") ;;
        esac
        echo "$a $ids $code $t"
        [ "$code" = 303 ] || break
        case $a in
        approve) state[$id]=published ;;
        bulk) for x in ${ids//,/ }; do state[$x]=published; done ;;
        reject) state[$id]=rejected ;;
        withdraw) state[$id]=withdrawn ;;
        restore) state[$id]=pending ;;
        esac
    done
}

# The audit rows that are moderation acts, and the status each leads to.
last_act_sql="SELECT a.object_id, json_extract(a.detail, '\$.to') AS t FROM audit a
    WHERE a.object_type = 'document' AND a.action IN ('approve', 'reject', 'withdraw', 'restore')
    AND a.id = (SELECT max(b.id) FROM audit b WHERE b.object_type = 'document'
        AND b.object_id = a.object_id AND b.action IN ('approve', 'reject', 'withdraw', 'restore'))"

# Regression (found by this row): a bulk act that could not write
# answered 303 as if done.  With the cross-process write lock held by
# another process, single and bulk acts must both say 503, and decide
# nothing; once the lock is free, the same bulk act is done.
if command -v flock >/dev/null; then
    start_server --set lock_timeout_ms=300 || { bad "server starts"; finish; exit 1; }
    login "$TMP/jar" mod 'moderator password 1' >/dev/null
    TOK=$(csrf "$TMP/jar")
    flock -x "$DB.lock" sleep 3 &
    ROW_PIDS=($!)
    sleep 0.5
    c1=$(curl -s -o /dev/null -w '%{http_code}' -b "$TMP/jar" --data "csrf_token=$TOK" "$BASE/admin/documents/1/approve")
    c2=$(curl -s -o /dev/null -w '%{http_code}' -b "$TMP/jar" \
        --data "csrf_token=$TOK&action=approve&confirm=1&id=2&id=3" "$BASE/admin/queue/bulk")
    wait "${ROW_PIDS[0]}"
    ROW_PIDS=()
    check "write lock held elsewhere: single approve 503 ($c1), bulk approve 503 ($c2)" test "$c1/$c2" = 503/503
    check "write lock held elsewhere: nothing decided" test "$(q "SELECT count(*) FROM document WHERE id IN (1, 2, 3) AND status = 'pending'")" = 3
    c2=$(curl -s -o /dev/null -w '%{http_code}' -b "$TMP/jar" \
        --data "csrf_token=$TOK&action=approve&confirm=1&id=2&id=3" "$BASE/admin/queue/bulk")
    check "lock free again: the bulk approve is done (303: $c2)" test "$c2" = 303 -a \
        "$(q "SELECT count(*) FROM document WHERE id IN (2, 3) AND status = 'published'")" = 2
    stop_server
else
    echo "# flock (util-linux) missing: the write-lock regression check is skipped"
fi

total_req=0 total_ack=0 total_lost=0 kills=0 bad_rounds=0
for r in $(seq 1 "$ROUNDS"); do
    q "SELECT id, status FROM document ORDER BY id" | tr '|' ' ' >"$TMP/states"
    abase=$(q "SELECT coalesce(max(id), 0) FROM audit")
    if ! start_server "${SARGS[@]}"; then
        bad "round $r: the server restarts"
        bad_rounds=$((bad_rounds + 1))
        break
    fi
    h=$(curl -s --max-time 10 "$BASE/healthz")
    if ! grep -q '"status":"ok"' <<<"$h"; then
        bad "round $r: /healthz after the restart: '$h' (server $(alive && echo running || echo gone))"
        sed 's/^/  err.log: /' "$TMP/err.log" | tail -5
    fi
    if [ "$(login "$TMP/jar" mod 'moderator password 1')" != 303 ]; then
        bad "round $r: login"
        stop_server
        continue
    fi
    TOK=$(csrf "$TMP/jar")
    rm -f "$TMP/stop" "$TMP"/log.*
    pids=()
    for s in 0 1 2; do
        stream "$s" "$r" >"$TMP/log.$s" &
        pids+=($!)
    done
    ROW_PIDS=("${pids[@]}")
    delay=$((RANDOM % 1800 + 200))
    sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
    kill -9 "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    kills=$((kills + 1))
    touch "$TMP/stop"
    for p in "${pids[@]}"; do wait "$p"; done
    ROW_PIDS=()
    cat "$TMP"/log.* >"$TMP/log"
    # Per (document, action): acknowledged (303), unanswered (no answer:
    # it may or may not have happened), refused (a definite answer).
    awk '{
        n = split($2, ids, ",")
        act = $1 == "bulk" ? "approve" : $1
        for (i = 1; i <= n; i++) {
            k = ids[i] " " act
            if ($3 == 303) ack[k]++; else if ($3 == "000") lost[k]++; else refused[k]++
            keys[k] = 1
        }
    } END { for (k in keys) print k, ack[k] + 0, lost[k] + 0, refused[k] + 0 }' "$TMP/log" | sort >"$TMP/expect"
    nreq=$(wc -l <"$TMP/log")
    nack=$(awk '$3 == 303' "$TMP/log" | wc -l)
    nlost=$(awk '$3 == "000"' "$TMP/log" | wc -l)
    nother=$(awk '$3 != 303 && $3 != "000"' "$TMP/log" | wc -l)
    total_req=$((total_req + nreq)) total_ack=$((total_ack + nack)) total_lost=$((total_lost + nlost))
    fails0=$FAILED

    ic=$(q 'PRAGMA integrity_check')
    [ "$ic" = ok ] || bad "round $r: integrity_check: $ic"
    K verify >"$TMP/verify.out" 2>&1 || { bad "round $r: kwangmyong verify"; head -5 "$TMP/verify.out"; }
    q "SELECT object_id || ' ' || action || ' ' || count(*) FROM audit WHERE id > $abase
       AND object_type = 'document' AND actor = 'mod' GROUP BY object_id, action" | sort >"$TMP/audit"
    # acknowledged <= audited <= acknowledged + unanswered, per (doc, action)
    join -a 1 -a 2 -e 0 -o 0,1.2,1.3,1.4,2.2 \
        <(awk '{print $1 "_" $2, $3, $4, $5}' "$TMP/expect" | sort) \
        <(awk '{print $1 "_" $2, $3}' "$TMP/audit" | sort) |
        awk '{ if ($5 < $2) print "lost: " $1 " acknowledged " $2 ", audited " $5;
               else if ($5 > $2 + $3) print "invented: " $1 " acknowledged " $2 " + unanswered " $3 ", audited " $5 }' >"$TMP/diff"
    if [ -s "$TMP/diff" ]; then
        bad "round $r: acknowledged actions vs audit rows"
        head -5 "$TMP/diff"
        for d in $(head -5 "$TMP/diff" | sed 's/^[a-z]*: \([0-9]*\)_.*/\1/'); do
            echo "  requests on $d: $(grep -E "^[a-z]+ ([0-9]+,)*$d(,[0-9]+)* " "$TMP/log" | tr '\n' ';')"
            echo "  access log: $(grep -c 'POST /admin/queue/bulk' "$TMP/access.log") bulk lines: $(grep 'POST /admin/queue/bulk' "$TMP/access.log" | tail -3 | tr '\n' ';')"
            echo "  document $d now: $(q "SELECT status || ', audit: ' || coalesce((SELECT group_concat(action, ' ') FROM audit WHERE object_type = 'document' AND object_id = $d), '-') FROM document WHERE id = $d")"
        done
    fi
    # no document between states
    between=$(q "SELECT count(*) FROM document d LEFT JOIN ($last_act_sql) x ON x.object_id = d.id
        WHERE coalesce(x.t, 'pending') <> d.status")
    [ "$between" = 0 ] || bad "round $r: $between documents whose status is not where their last act led"
    cols=$(q "SELECT count(*) FROM document WHERE
        (status = 'published' AND (published_at IS NULL OR decided_by IS NULL)) OR
        (status IN ('rejected', 'withdrawn') AND (reason IS NULL OR decided_by IS NULL)) OR
        status NOT IN ('pending', 'published', 'rejected', 'withdrawn')")
    [ "$cols" = 0 ] || bad "round $r: $cols documents with their status columns unset"
    # the last acknowledged edit of each document is its title, unless an
    # unanswered edit came after it
    awk '$1 == "edit" { if ($3 == 303) { t = $4; for (i = 5; i <= NF; i++) t = t " " $i; last[$2] = t; unsure[$2] = 0 }
                        else if ($3 == "000") unsure[$2] = 1 }
         END { for (d in last) if (!unsure[d]) print d "|" last[d] }' "$TMP"/log.0 "$TMP"/log.1 "$TMP"/log.2 >"$TMP/titles"
    while IFS='|' read -r d t; do
        [ "$(q "SELECT title FROM document WHERE id = $d")" = "$t" ] || bad "round $r: document $d lost its acknowledged title '$t'"
    done <"$TMP/titles"

    # Restart and compare the reader with the database.
    if start_server "${SARGS[@]}"; then
        rd=0
        for d in $(awk '{print $1}' "$TMP/expect" | sort -u); do
            want=404
            [ "$(q "SELECT status FROM document WHERE id = $d")" = published ] && want=200
            got=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/documents/$d")
            [ "$got" = "$want" ] || { rd=$((rd + 1)); [ "$rd" -le 5 ] && echo "document $d: reader $got, database says $want"; }
        done
        if [ "$rd" != 0 ]; then
            bad "round $r: the reader disagrees with the database on $rd documents (server $(alive && echo running || echo gone))"
            sed 's/^/  err.log: /' "$TMP/err.log" | tail -5
        fi
        stop_server
        grep -i 'error' "$TMP/err.log" | grep -v 'log_level' | head -3 | sed "s/^/round $r: err.log: /"
    else
        bad "round $r: the server restarts after the kill"
    fi
    printf '# round %2d: kill after %4d ms: %3d requests, %3d acknowledged, %d unanswered, %d refused; %s\n' \
        "$r" "$delay" "$nreq" "$nack" "$nlost" "$nother" "$([ "$FAILED" = "$fails0" ] && echo consistent || echo FAILED)"
    [ "$FAILED" = "$fails0" ] || bad_rounds=$((bad_rounds + 1))
done
check "$kills kills: every round consistent ($bad_rounds bad)" test "$bad_rounds" -eq 0
check "the kills landed mid-stream (acknowledged and unanswered actions: $total_ack, $total_lost)" \
    test "$total_ack" -gt "$ROUNDS" -a "$total_lost" -gt 0
check "documents moved: $(q "SELECT group_concat(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM document GROUP BY status)")" \
    test "$(q "SELECT count(*) FROM document WHERE status <> 'pending'")" -gt 0
start_server "${SARGS[@]}" || bad "final restart"
check "final: /healthz ok" grep -q '"status":"ok"' <<<"$(curl -s "$BASE/healthz")"
stop_server
check "final: kwangmyong verify" K verify
echo "C2: $kills kill -9 rounds, $total_req moderation requests ($total_ack acknowledged, $total_lost unanswered) in $(($(date +%s) - t0)) s"
finish
