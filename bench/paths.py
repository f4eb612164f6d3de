#!/usr/bin/env python3
"""Request paths of every benchmark case, for one server.

    bench/paths.py --profile P.json --server kw|nginx|kiwix --out DIR
                   [--collection NAME] [--ko-collection NAME]
                   [--book NAME] [--ko-book NAME] [--css PATH] [--cold N]

Writes DIR/cases.tsv (case, path; one line each, paths URL-encoded; a case
the server has no counterpart for is left out), DIR/mix.paths (the
rotating mix: English queries then Korean ones, interleaved) and
DIR/cold.paths (N distinct queries, each asked once).

kwangmyong searches every collection (no filter), as a reader would;
kiwix-serve is given the book the query is meant for (content=BOOK), which
spares it a search across all its books.
"""

import argparse
import json
import os
from urllib.parse import quote

CASES = ["doc", "doc-gzip", "home", "collection", "search-common",
         "search-rare", "search-phrase", "search-ko-word",
         "search-ko-partial", "search-mix", "suggest", "css", "api-search"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", required=True)
    ap.add_argument("--server", required=True, choices=["kw", "nginx",
                                                         "kiwix"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--collection", default="sqlite")
    ap.add_argument("--ko-collection", default="")
    ap.add_argument("--book", default="sqlite")
    ap.add_argument("--ko-book", default="")
    ap.add_argument("--css", default="")
    ap.add_argument("--cold", type=int, default=100)
    ap.add_argument("--only", default="", help="comma-separated case names")
    a = ap.parse_args()

    with open(a.profile, encoding="utf-8") as f:
        p = json.load(f)
    q = lambda s: quote(s, safe="")
    os.makedirs(a.out, exist_ok=True)

    if a.server == "kiwix":
        def search(term, ko=False):
            book = (a.ko_book or a.book) if ko else a.book
            return "/search?content=%s&pattern=%s" % (q(book), q(term))
        cases = {
            "doc": "/%s/%s" % (a.book, p["doc_page"]),
            "home": "/",
            "suggest": "/suggest?content=%s&term=%s" % (
                q(a.book), q(p["suggest_en"])),
        }
    else:
        def search(term, ko=False):
            return "/search?q=%s" % q(term)
        cases = {
            "doc": "/c/%s/%s" % (a.collection, p["doc_page"]),
            "home": "/",
            "collection": "/c/%s/" % a.collection,
        }
        if a.server == "kw":
            cases["suggest"] = "/suggest?q=%s" % q(p["suggest_en"])
            cases["api-search"] = "/api/search?q=%s" % q(p["common"])
    cases["doc-gzip"] = cases["doc"]
    if a.css:
        cases["css"] = a.css
    if a.server != "nginx":
        cases["search-common"] = search(p["common"])
        cases["search-rare"] = search(p["rare"])
        cases["search-phrase"] = search(p["phrase"])
        cases["search-ko-word"] = search(p["ko_word"], True)
        cases["search-ko-partial"] = search(p["ko_partial"], True)
        cases["search-mix"] = "@mix.paths"
        en = [search(t) for t in p["mix_en"]]
        ko = [search(t, True) for t in p["mix_ko"]]
        mix = []
        for i in range(max(len(en), len(ko))):
            if i < len(en):
                mix.append(en[i])
            if i < len(ko):
                mix.append(ko[i])
        with open(os.path.join(a.out, "mix.paths"), "w") as f:
            f.write("\n".join(mix) + "\n")
        cold = [search(t, any("\uac00" <= c <= "\ud7a3" for c in t))
                for t in p["cold"][:a.cold]]
        with open(os.path.join(a.out, "cold.paths"), "w") as f:
            f.write("\n".join(cold) + "\n")
    only = set(a.only.split(",")) if a.only else None
    with open(os.path.join(a.out, "cases.tsv"), "w") as f:
        for name in CASES:
            if name in cases and (only is None or name in only):
                f.write("%s\t%s\n" % (name, cases[name]))


if __name__ == "__main__":
    main()
