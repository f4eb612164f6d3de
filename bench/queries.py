#!/usr/bin/env python3
"""Query profile of the real corpus (sqlite3-doc + debian-faq-ko).

    bench/queries.py --en-tree DIR --ko-tree DIR --out FILE.json

Writes the same profile shape as bench/synth.py: the benchmarked document
page, a common term, a rare term, a two-word phrase, a Korean word and a
Korean partial word, the suggest prefixes, the rotating mix (40 English and
30 Korean queries, chosen by hand from what the two corpora contain) and
100 cold queries derived from the trees (70 English words and 30 Korean
words that occur in 2-200 pages, none of them used by another case), in a
fixed order that does not depend on the machine.
"""

import argparse
import collections
import hashlib
import html
import json
import os
import re

DOC_PAGE = "datatype3.html"      # about 40 KB, close to its original size

MIX_EN = [
    "select", "insert", "index", "table", "trigger", "vacuum", "pragma",
    "journal", "checkpoint", "fts5", "rtree", "json", "collate",
    "autoincrement", "rowid", '"virtual table"', '"query planner"',
    "transaction", "savepoint", "blob", "attach", "schema", '"foreign key"',
    "busy", "mutex", '"prepared statement"', "sqlite3_prepare_v2", "bind",
    '"window function"', "upsert", "analyze", "explain", "affinity",
    "backup", "memory", "threadsafe", '"shared cache"', "lock",
    "amalgamation", "vfs",
]
MIX_KO = [
    "데비안", "패키지", "시스템", "설치", "리눅스", "사용자", "관리", "소스",
    "아카이브", "릴리스", "배포판", "프로그램", "매뉴얼", "소프트웨어",
    "업그레이드", "정보", "파일", "커널", "보안", "문서", "버전", "설정",
    "개발자", "버그", "하드웨어", "패키", "업그", "소프트", "아카", "배포",
]


def text_of(path):
    with open(path, "rb") as f:
        raw = f.read().decode("utf-8", "replace")
    raw = re.sub(r"(?is)<(script|style)[^>]*>.*?</\1>", " ", raw)
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))


def doc_freq(tree, pattern):
    df = collections.Counter()
    for root, _dirs, files in os.walk(tree):
        for name in sorted(files):
            if name.endswith((".html", ".htm")):
                words = re.findall(pattern, text_of(os.path.join(root, name)))
                df.update(set(w.lower() for w in words))
    return df


def stable(word):
    return hashlib.sha256(word.encode("utf-8")).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--en-tree", required=True)
    ap.add_argument("--ko-tree", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    used = set(q.strip('"') for q in MIX_EN + MIX_KO)
    used.update(["table", "pikchr", "virtual table", "패키지", "패키"])
    en = doc_freq(a.en_tree, r"[A-Za-z][A-Za-z0-9_]{4,}")
    ko = doc_freq(a.ko_tree, r"[\uac00-\ud7a3]{2,}")
    cold_en = sorted((w for w, c in en.items() if 2 <= c <= 200
                      and w not in used), key=stable)[:70]
    cold_ko = sorted((w for w, c in ko.items() if 1 <= c <= 200
                      and w not in used), key=stable)
    cold = cold_en + cold_ko[:100 - len(cold_en)]
    if len(cold) < 100:     # a small subset (smoke): fill from the rest
        extra = sorted((w for w in en if w not in used and w not in cold),
                       key=stable)
        cold += extra[:100 - len(cold)]
    profile = {
        "generator": "bench/queries.py",
        "doc_page": DOC_PAGE,
        "common": "table", "rare": "pikchr", "phrase": '"virtual table"',
        "ko_word": "패키지", "ko_partial": "패키",
        "suggest_en": "sel", "suggest_ko": "데비",
        "mix_en": MIX_EN, "mix_ko": MIX_KO,
        "cold": cold,
    }
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(profile, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
