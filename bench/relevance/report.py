"""relevance.json and relevance.md from one run of bench/relevance/run."""

import json
import os

CAUSES = ["spread", "common-words", "identifier", "word-missing", "outranked",
          "tokens", "not-ingested"]


def worst_misses(per_query, n=20):
    """kwangmyong's misses at 10, worst first: those kiwix-serve found in
    its first 10 (by kiwix's rank), then the rest; within each, pages
    not found at all before pages found past 10 (by rank, deepest first)."""
    miss = [r for r in per_query if not r["kw"]["rank"] or r["kw"]["rank"] > 10]

    def key(r):
        x = r.get("kiwix") or {}
        xr = x.get("rank") if x.get("rank") and x["rank"] <= 10 else None
        kr = r["kw"]["rank"]
        return (0 if xr else 1, xr or 0, 0 if not kr else 1, -(kr or 0),
                r["query"])
    out = []
    for r in sorted(miss, key=key)[:n]:
        out.append({"query": r["query"], "relevant": r["relevant"],
                    "kw_rank": r["kw"]["rank"], "kw_total": r["kw"]["total"],
                    "kw_top": r["kw"]["top"][:3],
                    "kiwix_rank": (r.get("kiwix") or {}).get("rank"),
                    "kiwix_total": (r.get("kiwix") or {}).get("total"),
                    "why": r["kw"].get("why")})
    return out


def f3(v):
    return "–" if v is None else "%.3f" % v


def esc(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def write(meta, results, out):
    jp = os.path.join(out, "relevance.json")
    mp = os.path.join(out, "relevance.md")
    with open(jp, "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "sets": results}, f, ensure_ascii=False,
                  indent=1)
    with open(mp, "w", encoding="utf-8") as f:
        f.write(markdown(meta, results))
    return jp, mp


def markdown(meta, results):
    L = []
    m0 = meta.get("machine_start", {})
    m1 = meta.get("machine_end", {})
    L.append("# Relevance: judgments from back-of-book indexes\n")
    L.append("Run of %s, %s s; commit %s%s; %s. Machine: %s cores (%s), "
             "%.0f GiB; load average %s at the start, %s at the end. "
             "kiwix-tools %s, zim-tools %s.%s\n" % (
                 meta.get("started"), meta.get("seconds"), meta.get("commit"),
                 " (lib/, server/ or ingest/ modified in the working tree)" if meta.get("dirty") else "",
                 meta.get("version", ""), m0.get("nproc"), m0.get("cpu"),
                 (m0.get("mem_kb") or 0) / 1048576.0,
                 " ".join(m0.get("loadavg", [])), " ".join(m1.get("loadavg", [])),
                 meta.get("kiwix_tools") or "–", meta.get("zim_tools") or "–",
                 "" if meta.get("kiwix") else " kiwix-serve not run."))
    L.append("At most %d judged queries per set (a seeded sample, seed %d); "
             "binary gains; kwangmyong asked for %d results a query "
             "(/api/search, scored on the first 10), kiwix-serve for 10 "
             "(/search?format=xml).\n" % (meta.get("max", 0), meta.get("seed", 1),
                                         meta.get("depth", 10)))
    L.append("| set | manual | index | pages | queries | kw success@10 | kw MRR@10 "
             "| kw nDCG@10 | kiwix success@10 | kiwix MRR@10 | kiwix nDCG@10 |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        e = r.get("engines") or {}
        k = e.get("kwangmyong") or {}
        x = e.get("kiwix-serve") or {}
        man = (r.get("package") or r.get("tree") or "")
        if r.get("version"):
            man += " " + r["version"]
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], esc(man), r.get("format", "–"), r.get("pages", "–"),
            k.get("asked", r.get("judgments", "–")),
            f3(k.get("success")), f3(k.get("mrr")), f3(k.get("ndcg")),
            f3(x.get("success")), f3(x.get("mrr")), f3(x.get("ndcg"))))
    L.append("")
    L.append("| set | kw zero results | kiwix zero results | kw errors | kiwix errors "
             "| kw index page first | kiwix index page first | kw fallback (found) "
             "| kw median ms | kiwix median ms | ingest s | zimwriterfs s | judgments eligible |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        e = r.get("engines") or {}
        k = e.get("kwangmyong") or {}
        x = e.get("kiwix-serve") or {}
        fb = ("%s (%s)" % (k["fallback"], k.get("fallback_found", "–"))
              if "fallback" in k else "–")
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], k.get("zero_results", "–"), x.get("zero_results", "–"),
            k.get("errors", "–"), x.get("errors", "–"),
            k.get("index_page_first", "–"), x.get("index_page_first", "–"), fb,
            k.get("median_ms", "–"), x.get("median_ms", "–"),
            (r.get("ingest") or {}).get("seconds", "–"),
            (r.get("zim") or {}).get("seconds", "–"), r.get("eligible", "–")))
    L.append("")
    L.append("Zero results: queries answered with nothing (every word must "
             "match in kwangmyong). Index page first: queries whose first "
             "result is the manual's own index page, which holds every "
             "entry's words; it stays in the tree, as it would on a real "
             "mirror, and costs both engines the first place. Fallback: "
             "queries kwangmyong answered with documents holding any of the "
             "words, as fewer than a page held them all (in brackets, those "
             "with a relevant page in the first 10).\n")
    L.append("### kwangmyong's misses at 10, by cause\n")
    L.append("Causes (bench/relevance/diagnose.py): **spread**: no longer "
             "a cause (search matches whole documents since issue #12; the "
             "column stays so that older reports compare); "
             "**common-words**: it matches but ranks low, and a query word "
             "is on 10% or more of the pages; "
             "**identifier**: a query word is on the page only inside a longer "
             "identifier, or a query identifier only as its parts (a query "
             "identifier matches whole identifiers); "
             "**word-missing**: a query word is on none of the relevant pages; "
             "**outranked**: matches, no common word, others score higher; "
             "**tokens**: the check sees every word on the page, yet it did "
             "not match (tokenizing, or a phrase across sections); "
             "**not-ingested**: the page is not a published document.\n")
    L.append("| set | misses | " + " | ".join(CAUSES) + " |")
    L.append("|---|---|" + "---|" * len(CAUSES))
    for r in results:
        c = r.get("kw_miss_causes")
        if c is None:
            continue
        L.append("| %s | %d | %s |" % (r["name"], sum(c.values()),
                                       " | ".join(str(c.get(k, 0)) for k in CAUSES)))
    L.append("")
    for r in results:
        w = r.get("worst_misses")
        if not w:
            continue
        L.append("### %s: kwangmyong's worst misses\n" % r["name"])
        L.append("Misses kiwix-serve found in its first 10 come first.\n")
        L.append("| query | relevant | kw | kiwix | cause | detail |")
        L.append("|---|---|---|---|---|---|")
        for m in w:
            why = m.get("why") or {}
            rel = ", ".join(m["relevant"][:2]) + (" …" if len(m["relevant"]) > 2 else "")
            L.append("| %s | %s | %s | %s | %s | %s |" % (
                esc(m["query"]), esc(rel), esc(why.get("where", "")),
                ("rank %d" % m["kiwix_rank"]) if m.get("kiwix_rank") else
                ("–" if m.get("kiwix_total") is None else "miss (%d hits)" % m["kiwix_total"]),
                why.get("cause", ""), esc(why.get("detail", ""))))
        L.append("")
    if meta.get("notes") or meta.get("failures"):
        L.append("### Notes\n")
        for n in meta.get("failures", []):
            L.append("- FAILED: %s" % n)
        for n in meta.get("notes", []):
            L.append("- %s" % n)
        L.append("")
    return "\n".join(L) + "\n"
