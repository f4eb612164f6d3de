#!/usr/bin/env python3
"""Turn bench/run's records into results.md and results.json.

    bench/report.py --records RUN/records.jsonl --out DIR

Reads the JSON Lines that bench/run appends (meta, preflight, case, cold,
ingest, dbsize, server_memory, note, failure), picks the best run of each
case (highest requests/s; every run is kept in the JSON), computes ratios
against the baselines measured in the same run, evaluates the targets
("met" / "not met", never asserted) and flags cases during which the
machine was busy with other work.

Exit status: 0 when every step ran and no kwangmyong or nginx case saw an
error or a non-2xx answer; 1 otherwise.
"""

import argparse
import json
import os
import re
import sys

SERVERS = ["kwangmyong", "nginx", "kiwix-serve", "bare-libmicrohttpd",
           "nginx-cluster"]
CASE_ORDER = ["doc", "doc-gzip", "home", "collection", "search-common",
              "search-rare", "search-phrase", "search-ko-word",
              "search-ko-partial", "search-mix", "suggest", "css",
              "api-search"]
SEARCH_CASES = ["search-common", "search-rare", "search-phrase",
                "search-ko-word", "search-ko-partial", "search-mix",
                "api-search"]


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    return v[min(len(v) - 1, int(len(v) * p / 100.0))]


def median(values):
    v = sorted(values)
    if not v:
        return None
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


def parse_time_v(path):
    """Wall seconds, peak RSS (KB), user+sys seconds of /usr/bin/time -v."""
    out = {}
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return out
    m = re.search(r"Elapsed \(wall clock\) time.*?: (?:(\d+):)?(\d+):([\d.]+)",
                  text)
    if m:
        out["seconds"] = (int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60
                          + float(m.group(3)))
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        out["peak_rss_kb"] = int(m.group(1))
    u = re.search(r"User time \(seconds\): ([\d.]+)", text)
    s = re.search(r"System time \(seconds\): ([\d.]+)", text)
    if u and s:
        out["cpu_seconds"] = float(u.group(1)) + float(s.group(1))
    return out


def fmt(v, spec="%.0f", none="–"):
    return none if v is None else spec % v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    recs = []
    with open(a.records, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                recs.append({"type": "failure",
                             "message": "bad record line %d: %s" % (n, e)})
    meta = next((r for r in recs if r["type"] == "meta"), {})
    meta_end = next((r for r in recs if r["type"] == "meta_end"), {})
    busy_pct = float(meta.get("busy_pct", 25))
    failures = [r["message"] for r in recs if r["type"] == "failure"]
    notes = [r["message"] for r in recs if r["type"] == "note"]

    # ---- load cases
    pre = {}
    for r in recs:
        if r["type"] == "preflight":
            pre[(r["corpus"], r["server"], r["case"])] = r
    cases = {}
    for r in recs:
        if r["type"] != "case" or "run" not in r:
            continue
        w = r.get("wrk") or {}
        run = {"run": r["run"], "wrk_exit": r.get("wrk_exit")}
        if w.get("requests"):
            dur = w["duration_us"] / 1e6
            run.update({
                "requests": w["requests"],
                "rps": w["requests"] / dur,
                "p50_ms": w["p50_us"] / 1e3, "p90_ms": w["p90_us"] / 1e3,
                "p99_ms": w["p99_us"] / 1e3, "max_ms": w["max_us"] / 1e3,
                "errors": w["connect"] + w["read"] + w["write"]
                + w["timeout"],
                "errors_detail": {k: w[k] for k in ("connect", "read",
                                                    "write", "timeout")},
                "non2xx": w["status"],
                "mb_per_s": w["bytes"] / dur / 1e6,
            })
            # Other processes' CPU during the run, in % of one core.
            clk = float(r.get("clk_tck") or 100)
            wt = str(r.get("wrk_time", "")).split()
            wrk_cpu = (float(wt[1]) + float(wt[2])) if len(wt) >= 3 else 0.0
            other = (r.get("sys_ticks", 0) - r.get("server_ticks", 0)) / clk \
                - wrk_cpu
            # The CPU counters span the whole measured window (wrk's start
            # and exit included), not just wrk's -d.
            win = (r.get("window_ms") or 0) / 1000.0 or dur
            run["server_cpu_pct"] = 100.0 * r.get("server_ticks", 0) / clk / win
            # The server's CPU for one answer: what its rate would be on a
            # machine of its own, less moved by neighbours than req/s.
            if r.get("server_ticks", 0) > 0:
                run["cpu_us_per_req"] = (1e6 * r["server_ticks"] / clk /
                                         w["requests"])
            if r.get("server_ticks", 0) >= 0:
                run["other_cpu_pct"] = max(0.0, 100.0 * other / win)
                run["busy"] = run["other_cpu_pct"] > busy_pct
            else:       # the server died during the run: cannot tell
                run["other_cpu_pct"] = None
                run["busy"] = False
        run["rss_max_mb"] = (r.get("rss_max_kb") or 0) / 1024.0
        run["hwm_mb"] = (r.get("hwm_kb") or 0) / 1024.0
        run["anon_mb"] = (r.get("anon_kb") or 0) / 1024.0
        run["load1_before"] = r.get("load1_before")
        key = (r["corpus"], r["server"], r["case"])
        c = cases.setdefault(key, {"corpus": r["corpus"],
                                   "server": r["server"], "case": r["case"],
                                   "path": r.get("path"),
                                   "bytes": r.get("bytes"), "runs": []})
        c["runs"].append(run)
    for key, c in cases.items():
        good = [x for x in c["runs"] if "rps" in x]
        best = max(good, key=lambda x: x["rps"]) if good else None
        c["best"] = best
        c["busy"] = any(x.get("busy") for x in c["runs"])
        c["errors"] = sum(x.get("errors", 0) for x in c["runs"])
        c["non2xx"] = sum(x.get("non2xx", 0) for x in c["runs"])
        p = pre.get(key)
        if p and not str(p.get("status", "")).startswith("2"):
            c["preflight"] = p.get("status")
        # Socket errors and answers >= 400 are failures; timeouts (an
        # answer slower than wrk's --timeout) are a speed result, reported
        # in the table but not failed on (no speed assertions).
        c["timeouts"] = sum(x.get("errors_detail", {}).get("timeout", 0)
                            for x in c["runs"])
        hard = c["errors"] - c["timeouts"]
        if c["server"] != "kiwix-serve" and (hard or c["non2xx"]):
            failures.append("%s: %s (%s): %d socket errors, %d answers "
                            ">= 400" % (c["server"], c["case"], c["corpus"],
                                        hard, c["non2xx"]))
        if c["server"] != "kiwix-serve" and not good:
            failures.append("%s: %s (%s): no wrk result" % (
                c["server"], c["case"], c["corpus"]))
    for key, p in pre.items():
        if key not in cases and not str(p.get("status")).startswith("2"):
            cases[key] = {"corpus": key[0], "server": key[1], "case": key[2],
                          "path": p.get("path"), "runs": [], "best": None,
                          "busy": False, "errors": 0, "non2xx": 0,
                          "preflight": p.get("status")}

    def best(server, case, corpus="main"):
        c = cases.get((corpus, server, case))
        return c["best"] if c else None

    def cpu_median(server, case, corpus="main"):
        c = cases.get((corpus, server, case))
        v = sorted(x["cpu_us_per_req"] for x in (c["runs"] if c else [])
                   if x.get("cpu_us_per_req"))
        return v[len(v) // 2] if v else None

    def ratio(x, y):
        if x and y and y.get("rps"):
            return x["rps"] / y["rps"]
        return None

    # ---- cold
    cold = []
    for r in recs:
        if r["type"] != "cold":
            continue
        rows = []
        try:
            for line in open(r["file"]):
                parts = line.split()
                if len(parts) == 2:
                    rows.append((parts[0], float(parts[1]) * 1000))
        except OSError:
            pass
        t = [x[1] for x in rows]
        cold.append({"server": r["server"], "label": r["label"],
                     "queries": len(rows), "median_ms": median(t),
                     "p99_ms": pct(t, 99), "max_ms": max(t) if t else None,
                     "non2xx": sum(1 for x in rows
                                   if not x[0].startswith("2"))})

    def cold_of(server, label):
        return next((c for c in cold if c["server"] == server
                     and c["label"] == label), None)

    # ---- ingest
    ingest = []
    for r in recs:
        if r["type"] != "ingest":
            continue
        i = {"tool": r["tool"], "label": r["label"], "exit": r.get("exit")}
        i.update(parse_time_v(r.get("time_file", "")))
        if r["tool"] == "kwangmyong":
            try:
                rep = json.load(open(r["report"], encoding="utf-8"))
                i["documents"] = rep.get("new", 0) + rep.get("changed", 0) \
                    + rep.get("unchanged", 0)
                i["rejected"] = rep.get("rejected", 0)
                i["skipped"] = rep.get("skipped", 0)
                i["input_bytes"] = rep.get("bytes")
            except (OSError, ValueError, KeyError):
                pass
        else:
            i["zim_bytes"] = r.get("zim_bytes")
        if i.get("documents") and i.get("seconds"):
            i["documents_per_s"] = i["documents"] / i["seconds"]
        ingest.append(i)

    def ingest_of(tool, label):
        return next((i for i in ingest if i["tool"] == tool
                     and i["label"] == label), None)

    dbsize = {r["label"]: r["bytes"] for r in recs if r["type"] == "dbsize"}
    srvmem = [r for r in recs if r["type"] == "server_memory"]

    # ---- scaling
    scaling = []
    for r in recs:
        if r["type"] == "dbsize" and r["label"].startswith("synth-"):
            n = int(r["docs"])
            lab = r["label"]
            ing = ingest_of("kwangmyong", lab) or {}
            co = cold_of("kwangmyong", lab) or {}
            mix = best("kwangmyong", "search-mix", lab) or {}
            com = best("kwangmyong", "search-common", lab) or {}
            srv = [x for c in cases.values() if c["corpus"] == lab
                   for x in c["runs"]]
            scaling.append({
                "documents": n, "ingest_s": ing.get("seconds"),
                "documents_per_s": ing.get("documents_per_s"),
                "ingest_peak_rss_mb": (ing.get("peak_rss_kb") or 0) / 1024.0,
                "db_mb": r["bytes"] / 1e6,
                "cold_queries": co.get("queries"),
                "cold_p50_ms": co.get("median_ms"),
                "cold_p99_ms": co.get("p99_ms"),
                "mix_rps": mix.get("rps"), "mix_p50_ms": mix.get("p50_ms"),
                "mix_p99_ms": mix.get("p99_ms"),
                "common_rps": com.get("rps"),
                "common_p50_ms": com.get("p50_ms"),
                "common_p99_ms": com.get("p99_ms"),
                "server_hwm_mb": max([x.get("hwm_mb", 0) for x in srv] or
                                     [0]),
                "busy": any(c["busy"] for c in cases.values()
                            if c["corpus"] == lab),
            })

    # ---- targets
    targets = []

    def target(name, value, ok, shown):
        targets.append({"target": name, "value": value,
                        "status": "n/a" if ok is None else
                        ("met" if ok else "not met"), "shown": shown})

    for case, label in (("doc", "plain"), ("doc-gzip", "gzip")):
        rt = ratio(best("kwangmyong", case), best("nginx", case))
        target("document page >= 0.5 x nginx req/s (%s)" % label, rt,
               None if rt is None else rt >= 0.5, fmt(rt, "%.2f x"))
        rb = ratio(best("kwangmyong", case), best("bare-libmicrohttpd", case))
        target("document page >= 0.85 x bare libmicrohttpd, same bytes (%s)"
               % label, rb, None if rb is None else rb >= 0.85,
               fmt(rb, "%.2f x"))
        ck = cpu_median("kwangmyong", case)
        cb = cpu_median("bare-libmicrohttpd", case)
        rcpu = cb / ck if ck and cb else None
        target("document page: bare libmicrohttpd's server CPU per request "
               "/ kwangmyong's, median of runs, >= 0.85 (%s)" % label, rcpu,
               None if rcpu is None else rcpu >= 0.85,
               fmt(rcpu, "%.2f x") + (" (%.1f / %.1f us)" % (cb, ck)
                                      if rcpu else ""))
        rc = ratio(best("nginx-cluster", case), best("nginx", case))
        target("document page through the nginx cluster (cached) >= 0.8 x "
               "static nginx (%s)" % label, rc,
               None if rc is None else rc >= 0.8, fmt(rc, "%.2f x"))
    kiwix_ran = any(c["server"] == "kiwix-serve" for c in cases.values())
    for case in ("search-common", "search-mix"):
        rt = ratio(best("kwangmyong", case), best("kiwix-serve", case))
        target("%s >= 10 x kiwix-serve req/s" % case, rt,
               None if rt is None else rt >= 10,
               fmt(rt, "%.1f x") if rt is not None else
               ("kiwix not run" if not kiwix_ran else "–"))
    for case in ("search-common", "search-mix"):
        rt = ratio(best("kwangmyong", case, "main-nocache"),
                   best("kiwix-serve", case))
        target("%s >= 10 x kiwix-serve req/s, result cache off" % case, rt,
               None if rt is None else rt >= 10,
               fmt(rt, "%.1f x") if rt is not None else "–")
    p99s = [(best("kwangmyong", c)["p99_ms"], c) for c in SEARCH_CASES
            if best("kwangmyong", c)]
    worst = max(p99s) if p99s else None
    target("search p99 < 50 ms under load (worst search case)",
           worst[0] if worst else None,
           None if worst is None else worst[0] < 50,
           "%.1f ms (%s)" % worst if worst else "–")
    nc = [(best("kwangmyong", c, "main-nocache")["p99_ms"], c)
          for c in SEARCH_CASES if best("kwangmyong", c, "main-nocache")]
    worst = max(nc) if nc else None
    target("search p99 < 50 ms under load, result cache off",
           worst[0] if worst else None,
           None if worst is None else worst[0] < 50,
           "%.1f ms (%s)" % worst if worst else "–")
    co = cold_of("kwangmyong", "main")
    v = co["median_ms"] if co else None
    target("cold single query median < 3 ms", v,
           None if v is None else v < 3, fmt(v, "%.2f ms"))
    s = best("kwangmyong", "suggest")
    v = s["rps"] if s else None
    target("suggest >= 10,000 req/s", v, None if v is None else v >= 10000,
           fmt(v, "%.0f req/s"))
    ki, zi = ingest_of("kwangmyong", "sqlite"), ingest_of("zimwriterfs",
                                                          "sqlite")
    rt = (ki["seconds"] / zi["seconds"]) if (ki and zi and zi.get("seconds")
                                            and ki.get("seconds")
                                            and zi.get("exit") == 0) else None
    target("ingest time <= 0.5 x zimwriterfs", rt,
           None if rt is None else rt <= 0.5,
           fmt(rt, "%.2f x") if rt is not None else "zimwriterfs not run")
    v = (ki or {}).get("peak_rss_kb")
    v = v / 1024.0 if v else None
    target("ingest peak RSS < 100 MB", v, None if v is None else v < 100,
           fmt(v, "%.1f MB"))
    rss = [x.get("rss_max_mb", 0) for c in cases.values()
           if c["server"] == "kwangmyong" and c["corpus"] == "main"
           for x in c["runs"]]
    hw = [m["hwm_kb"] / 1024.0 for m in srvmem if m.get("role") == "kw"]
    hw += [x.get("hwm_mb", 0) for c in cases.values()
           if c["server"] == "kwangmyong" and c["corpus"] == "main"
           for x in c["runs"]]
    v = max(rss) if rss else None
    h = max(hw) if hw else None
    target("server RSS < 64 MB (largest VmRSS sampled under load)", v,
           None if v is None else v < 64,
           fmt(v, "%.1f MB") + (" (VmHWM since start: %.1f MB)" % h
                                if h else ""))
    # VmRSS counts the readers' mapped database file; RssAnon is the
    # server's own memory (page cache, arenas, SQLite's page caches).
    anon = [m["anon_kb"] / 1024.0 for m in srvmem
            if m.get("role") == "kw" and m.get("anon_kb")]
    anon += [x["anon_mb"] for c in cases.values()
             if c["server"] == "kwangmyong" and c["corpus"] == "main"
             for x in c["runs"] if x.get("anon_mb")]
    v = max(anon) if anon else None
    target("server private memory (RssAnon, after each load run) < 64 MB", v,
           None if v is None else v < 64, fmt(v, "%.1f MB"))
    big = next((s for s in scaling if s["documents"] == 100000), None)
    v = big["cold_p50_ms"] if big else None
    target("100k documents: search p50 < 20 ms (single client)", v,
           None if v is None else v < 20,
           fmt(v, "%.2f ms") if big else "100k not run")

    # ---- busy
    busy = []
    for c in cases.values():
        for x in c["runs"]:
            if x.get("busy"):
                busy.append("%s %s (%s) run %d: other processes used %.0f%% "
                            "of a core (load1 before %s)" % (
                                c["server"], c["case"], c["corpus"],
                                x["run"], x["other_cpu_pct"],
                                x.get("load1_before")))

    # ---- markdown
    L = []
    L.append("# Kwangmyong benchmark results")
    L.append("")
    L.append("%s; %s; wrk -t%s -c%s -d%s, best of %s run(s) per case; %s "
             "cores, %s; commit %s; %s." % (
                 "SMOKE run (tiny corpus, no speed claims)"
                 if str(meta.get("smoke")) == "1" else "Full run",
                 meta.get("version", "?"), meta.get("threads"),
                 meta.get("connections"), meta.get("duration"),
                 meta.get("runs"), meta.get("nproc"), meta.get("cpu", "?"),
                 meta.get("commit", "?"), meta.get("build", "")))
    L.append("Started %s, took %s s." % (meta.get("started", "?"),
                                          meta_end.get("seconds", "?")))
    nruns = sum(len(c["runs"]) for c in cases.values())
    if busy:
        L.append("")
        L.append("**The machine was busy with other work during %d of %d "
                 "load runs** (see \"Machine busy\"): absolute numbers are "
                 "low and noisy; ratios within one case are fairer." % (
                     len(busy), nruns))
    L.append("")
    L.append("## Serving (main corpus: SQLite documentation + Debian FAQ in "
             "Korean)")
    L.append("")
    hdr = ("| case | bytes | hits kw / kiwix | kwangmyong req/s | p50 ms | p99 ms | errors | "
           "nginx req/s | kw ÷ nginx | kiwix req/s | p50 ms | p99 ms | "
           "kiwix errors | kw ÷ kiwix | busy |")
    L.append(hdr)
    L.append("|" + "---|" * (hdr.count("|") - 1))
    for case in CASE_ORDER:
        k = cases.get(("main", "kwangmyong", case))
        n = cases.get(("main", "nginx", case))
        x = cases.get(("main", "kiwix-serve", case))
        if not (k or n or x):
            continue
        kb, nb, xb = [c["best"] if c else None for c in (k, n, x)]

        def err(c):
            if not c:
                return "–"
            if c.get("preflight"):
                return "HTTP %s" % c["preflight"]
            s = "%d / %d" % (c["errors"], c["non2xx"])
            if c.get("timeouts"):
                s += " (%d timeouts)" % c["timeouts"]
            return s

        def kx(c, b):
            if not c:
                return ("–", "–", "–")
            if c.get("preflight"):
                return ("HTTP %s" % c["preflight"], "–", "–")
            if not b:
                return ("no result", "–", "–")
            return (fmt(b["rps"]), fmt(b["p50_ms"], "%.2f"),
                    fmt(b["p99_ms"], "%.2f"))
        xr = kx(x, xb)
        def hits(server):
            h = (pre.get(("main", server, case)) or {}).get("hits")
            return "–" if h in (None, "") else str(h)
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
                 "%s | %s | %s | %s |" % (
                     case, ((k or {}).get("bytes") or "–")
                     if case != "search-mix" else "(rotating)",
                     ("%s / %s" % (hits("kwangmyong"), hits("kiwix-serve")))
                     if case.startswith("search-") or case == "api-search"
                     else "",
                     fmt(kb["rps"]) if kb else "–",
                     fmt(kb["p50_ms"], "%.2f") if kb else "–",
                     fmt(kb["p99_ms"], "%.2f") if kb else "–",
                     err(k), fmt(nb["rps"]) if nb else "–",
                     fmt(ratio(kb, nb), "%.2f"), xr[0], xr[1], xr[2],
                     err(x), fmt(ratio(kb, xb), "%.1f"),
                     "yes" if any(c and c["busy"] for c in (k, n, x))
                     else ""))
    L.append("")
    L.append("errors: wrk socket errors (timeouts included: no answer "
             "within wrk's --timeout) / answers >= 400, over all runs "
             "(every URL is checked with curl first; a non-2xx there shows "
             "as HTTP nnn). A server that died during a case shows errors "
             "and the notes say so. "
             "bytes: the kwangmyong response body (gzip case: compressed). "
             "hits: the number of results each server reports for the query "
             "(a fast answer with 0 hits is not a win). "
             "kiwix-serve serves the original page plus its toolbar, so its "
             "sizes differ.")
    L.append("")
    nocache = [c for c in CASE_ORDER
               if cases.get(("main-nocache", "kwangmyong", c))]
    if nocache:
        L.append("## Search with the result cache off (main corpus)")
        L.append("")
        L.append("The same search cases against a second server started with "
                 "`--set search_cache=0`: every request ranks, counts facets "
                 "and makes snippets.")
        L.append("")
        L.append("| case | req/s | p50 ms | p99 ms | errors | kiwix req/s | "
                 "kw ÷ kiwix | with cache req/s | busy |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for case in nocache:
            c = cases[("main-nocache", "kwangmyong", case)]
            b = c["best"]
            xb = best("kiwix-serve", case)
            wb = best("kwangmyong", case)
            L.append("| %s | %s | %s | %s | %d / %d | %s | %s | %s | %s |" % (
                case, fmt(b["rps"]) if b else "–",
                fmt(b["p50_ms"], "%.2f") if b else "–",
                fmt(b["p99_ms"], "%.2f") if b else "–",
                c["errors"], c["non2xx"], fmt(xb["rps"]) if xb else "–",
                fmt(ratio(b, xb), "%.1f"), fmt(wb["rps"]) if wb else "–",
                "yes" if c["busy"] else ""))
        L.append("")
    if cold:
        L.append("## Cold search (distinct queries, each asked once, one "
                 "client)")
        L.append("")
        L.append("`main-repeat` is the same queries asked a second time, "
                 "answered from the result cache; every other row is "
                 "without its help. The scaling servers run with the cache "
                 "off.")
        L.append("")
        L.append("| server | corpus | queries | median ms | p99 ms | max ms | "
                 "non-2xx |")
        L.append("|---|---|---|---|---|---|---|")
        for c in cold:
            L.append("| %s | %s | %d | %s | %s | %s | %d |" % (
                c["server"], c["label"], c["queries"],
                fmt(c["median_ms"], "%.2f"), fmt(c["p99_ms"], "%.2f"),
                fmt(c["max_ms"], "%.2f"), c["non2xx"]))
        L.append("")
    if ingest:
        L.append("## Ingest")
        L.append("")
        L.append("| tool | corpus | documents | seconds | documents/s | "
                 "CPU s | peak RSS MB | output MB | exit |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for i in ingest:
            out_b = i.get("zim_bytes") if i["tool"] == "zimwriterfs" else \
                dbsize.get(i["label"] if i["label"].startswith("synth-")
                           else "main")
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                i["tool"], i["label"], i.get("documents", "–"),
                fmt(i.get("seconds"), "%.2f"),
                fmt(i.get("documents_per_s"), "%.1f"),
                fmt(i.get("cpu_seconds"), "%.2f"),
                fmt((i.get("peak_rss_kb") or 0) / 1024.0, "%.1f"),
                fmt(out_b / 1e6 if out_b else None, "%.1f"), i.get("exit")))
        L.append("")
        L.append("Peak RSS is the largest single process (/usr/bin/time -v); "
                 "kwangmyong's output is the whole database after both "
                 "collections (main) or the scaling database.")
        L.append("")
    if scaling:
        L.append("## Scaling (synthetic corpora, English and Korean)")
        L.append("")
        L.append("| documents | ingest s | documents/s | DB MB | cold p50 ms | "
                 "cold p99 ms | mix req/s | mix p50 ms | mix p99 ms | "
                 "common req/s | common p99 ms | server peak MB | busy |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for s in scaling:
            L.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
                     "| %s | %s |" % (
                         s["documents"], fmt(s["ingest_s"], "%.1f"),
                         fmt(s["documents_per_s"], "%.1f"),
                         fmt(s["db_mb"], "%.1f"),
                         fmt(s["cold_p50_ms"], "%.2f"),
                         fmt(s["cold_p99_ms"], "%.2f"), fmt(s["mix_rps"]),
                         fmt(s["mix_p50_ms"], "%.2f"),
                         fmt(s["mix_p99_ms"], "%.2f"), fmt(s["common_rps"]),
                         fmt(s["common_p99_ms"], "%.2f"),
                         fmt(s["server_hwm_mb"], "%.1f"),
                         "yes" if s["busy"] else ""))
        L.append("")
    L.append("## Targets (reported, not asserted)")
    L.append("")
    L.append("| target | measured | status |")
    L.append("|---|---|---|")
    for t in targets:
        L.append("| %s | %s | %s |" % (t["target"], t["shown"], t["status"]))
    L.append("")
    if busy:
        L.append("## Machine busy")
        L.append("")
        L.append("Cases during which other processes used more than %.0f%% "
                 "of a core (the numbers of these cases are suspect):" %
                 busy_pct)
        L.append("")
        L += ["- " + b for b in busy]
        L.append("")
    if notes:
        L.append("## Notes")
        L.append("")
        L += ["- " + n for n in notes]
        L.append("")
    if failures:
        L.append("## Failures")
        L.append("")
        L += ["- " + f for f in failures]
        L.append("")

    os.makedirs(a.out, exist_ok=True)
    md = "\n".join(L)
    with open(os.path.join(a.out, "results.md"), "w", encoding="utf-8") as f:
        f.write(md)
    result = {
        "meta": meta, "meta_end": meta_end,
        "cases": sorted(cases.values(), key=lambda c: (
            c["corpus"], SERVERS.index(c["server"])
            if c["server"] in SERVERS else 9,
            CASE_ORDER.index(c["case"]) if c["case"] in CASE_ORDER else 99)),
        "ratios": {
            case: {"nginx": ratio(best("kwangmyong", case),
                                  best("nginx", case)),
                   "nginx-cluster/nginx": ratio(
                       best("nginx-cluster", case), best("nginx", case)),
                   "bare-libmicrohttpd": ratio(
                       best("kwangmyong", case),
                       best("bare-libmicrohttpd", case)),
                   "kiwix-serve": ratio(best("kwangmyong", case),
                                        best("kiwix-serve", case))}
            for case in CASE_ORDER},
        "cold": cold, "ingest": ingest, "db_bytes": dbsize,
        "scaling": scaling, "targets": targets, "busy": busy,
        "notes": notes, "failures": failures,
        "ok": not failures,
    }
    with open(os.path.join(a.out, "results.json"), "w",
              encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    print(md)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
