#!/usr/bin/env python3
"""Synthetic corpus generator for the Kwangmyong benchmark.

    bench/synth.py --docs N --out DIR [--seed S] [--ko-ratio R]

Writes N HTML documents under DIR (a mirrored-site tree: DIR/dNNN/pNNNNNN.html,
at most 1000 files a folder, plus DIR/index.html) and DIR.profile.json, the
query profile that bench/run uses for the search cases of this corpus.

The text is meant to look like a technical manual to a search engine:
- English pages draw words from a Zipf distribution over a vocabulary of real
  technical English words followed by a long tail of pronounceable
  pseudo-words, with a few set phrases repeated often;
- Korean pages (--ko-ratio, default 0.3) build sentences from real Korean
  nouns with particles attached (패키지를, 데이터베이스에서) and a tail of
  pseudo-words made of common syllables, so partial-word (bigram) search has
  something to find;
- sizes are log-normal (median about 7 KB of text, a long tail up to about
  200 KB), split into h2 sections;
- links: each page links to 3-25 others, chosen with a preference for a few
  hub pages (Zipf over document numbers), as relative URLs, plus a few
  absolute links leaving the site; a navigation block links prev/next/index.

The output depends only on --docs, --seed and --ko-ratio (deterministic).
Standard library only.
"""

import argparse
import json
import math
import os
import random
import sys

EN_WORDS = """
the of and to in is that for it as with be on by this are or from at an which
not can if when each one all value table index query row column database file
page data function statement memory cache lock transaction write read journal
option default return error result string integer number type key select insert
update delete create trigger view schema storage engine server client request
response thread process system operation record field buffer pointer byte size
limit time version interface library module search token text document section
list entry node tree hash sort order group filter match range scan plan cost
estimate parameter argument compile build source binary format encoding header
checkpoint backup restore recovery integrity constraint foreign primary unique
collation affinity expression operator clause subquery join outer inner left
aggregate window frame partition offset cursor statement prepare bind step
finalize connection handle mutex thread safe concurrent reader writer busy
timeout retry commit rollback savepoint vacuum analyze pragma virtual module
extension loadable shared object path directory temporary persistent volatile
network socket address port protocol message packet stream channel queue event
signal handler callback timer interval schedule worker pool job task batch
kernel driver device block sector page fault mapping virtual address space
compiler linker optimizer register instruction branch loop vector scalar array
matrix graph edge vertex weight distance path shortest spanning flow capacity
""".split()

# Two-word phrases repeated often (phrase search has something to find).
EN_PHRASES = ["memory allocator", "query planner", "virtual table",
              "write lock", "page cache", "foreign key", "worker pool",
              "primary key", "full text", "shared memory"]

# Real Korean nouns (technical vocabulary) and particles.
KO_NOUNS = """
데이터베이스 데이터 패키지 시스템 설치 관리 사용자 프로그램 파일 문서 검색
색인 서버 클라이언트 네트워크 보안 커널 메모리 프로세스 스레드 버전 업그레이드
소프트웨어 하드웨어 저장소 설정 구성 명령어 인터페이스 라이브러리 모듈 함수
변수 문자열 정수 배열 구조체 포인터 컴파일러 운영체제 배포판 아카이브 릴리스
트랜잭션 질의 테이블 인덱스 잠금 캐시 백업 복구 무결성 제약 조건 연결 요청
응답 오류 결과 형식 인코딩 한국어 영어 번역 과학 기술 연구 논문 실험 측정 분석
""".split()
KO_PARTICLES = ["", "", "을", "를", "이", "가", "은", "는", "에", "에서", "의",
                "로", "으로", "와", "과", "도", "만", "까지"]
KO_ENDINGS = ["합니다", "있습니다", "됩니다", "입니다", "없습니다", "했습니다",
              "사용합니다", "제공합니다", "필요합니다"]
KO_SYLLABLES = ("가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허"
                "고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후"
                "기니디리미비시이지치키티피히개내대래매배새애재채캐태패해"
                "한국민정보통신전산기술과학연구개발관리운영체계")

RARE_EN = "zyxquatic"          # in about 3 documents
RARE_KO = "뷁쇏"               # in about 3 documents


def pseudo_words(rng, n, syll):
    out = set()
    while len(out) < n:
        k = rng.choice((2, 2, 3, 3, 3, 4))
        out.add("".join(rng.choice(syll) for _ in range(k)))
    return sorted(out)


class Zipf:
    """Draw indexes 0..n-1 with probability proportional to 1/(i+1)^s."""

    def __init__(self, n, s=1.07):
        acc, self.cdf = 0.0, []
        for i in range(n):
            acc += 1.0 / (i + 1) ** s
            self.cdf.append(acc)
        self.total = acc

    def draw(self, rng):
        import bisect
        return bisect.bisect_left(self.cdf, rng.random() * self.total)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--ko-ratio", type=float, default=0.3)
    ap.add_argument("--median-bytes", type=int, default=7000,
                    help="median text size of a page (log-normal, sigma 0.9)")
    a = ap.parse_args()
    if a.docs < 10:
        sys.exit("synth.py: --docs must be at least 10")
    if not 600 <= a.median_bytes <= 200000:
        sys.exit("synth.py: --median-bytes must be 600 to 200000")

    rng = random.Random(a.seed)
    en_syll = ["ka", "lo", "mi", "ne", "tu", "ra", "sen", "dor", "vek", "pi",
               "qua", "ber", "zo", "fin", "tal", "gre", "mon", "sha", "rix",
               "el", "an", "ul", "or", "ix", "em"]
    en_vocab = EN_WORDS + pseudo_words(rng, 20000, en_syll)
    ko_tail = pseudo_words(rng, 6000, KO_SYLLABLES)
    ko_vocab = KO_NOUNS + ko_tail
    en_z, ko_z = Zipf(len(en_vocab)), Zipf(len(ko_vocab))
    doc_z = Zipf(a.docs, 0.9)

    n = a.docs
    langs = ["ko" if rng.random() < a.ko_ratio else "en" for _ in range(n)]
    langs[0], langs[1] = "en", "ko"
    rare_en = set(rng.sample([i for i in range(n) if langs[i] == "en"],
                             min(3, langs.count("en"))))
    rare_ko = set(rng.sample([i for i in range(n) if langs[i] == "ko"],
                             min(3, langs.count("ko"))))

    def path(i):
        return "d%03d/p%06d.html" % (i // 1000, i)

    def rel(frm, to):
        return os.path.relpath(path(to), os.path.dirname(path(frm)))

    def en_sentence_new():
        k = rng.randint(6, 22)
        ws = [en_vocab[en_z.draw(rng)] for _ in range(k)]
        if rng.random() < 0.15:
            ws.insert(rng.randrange(len(ws)), rng.choice(EN_PHRASES))
        s = " ".join(ws)
        return s[0].upper() + s[1:] + "."

    def ko_sentence_new():
        k = rng.randint(4, 12)
        ws = [ko_vocab[ko_z.draw(rng)] + rng.choice(KO_PARTICLES)
              for _ in range(k)]
        return " ".join(ws) + " " + rng.choice(KO_ENDINGS) + "."

    # Documents draw their sentences from pools: the word statistics stay
    # Zipfian and 100k documents take a minute or two, not half an hour.
    en_pool = [en_sentence_new() for _ in range(min(60000, 600 * n + 1000))]
    ko_pool = [ko_sentence_new() for _ in range(min(30000, 300 * n + 1000))]

    def en_sentence():
        return en_pool[rng.randrange(len(en_pool))]

    def ko_sentence():
        return ko_pool[rng.randrange(len(ko_pool))]

    titles = []
    for i in range(n):
        if langs[i] == "en":
            t = " ".join(en_vocab[en_z.draw(rng) % 400 + 20]
                         for _ in range(rng.randint(2, 5)))
            titles.append(t.title())
        else:
            titles.append(" ".join(KO_NOUNS[rng.randrange(len(KO_NOUNS))]
                                   for _ in range(rng.randint(2, 4))))

    os.makedirs(a.out, exist_ok=True)
    total_bytes = 0
    for i in range(n):
        lang = langs[i]
        sent = en_sentence if lang == "en" else ko_sentence
        # Log-normal text size: median 7 KB by default, capped at ~200 KB.
        target = min(int(math.exp(rng.gauss(math.log(a.median_bytes), 0.9))),
                     200000)
        target = max(target, 600)
        links = set()
        for _ in range(rng.randint(3, 25)):
            j = doc_z.draw(rng)
            if j != i:
                links.add(j)
        links = sorted(links)
        parts = []
        size, sec = 0, 0
        while size < target:
            sec += 1
            head = (en_sentence() if lang == "en" else ko_sentence())[:60]
            parts.append('<h2 id="s%d">%s</h2>\n' % (sec, head.rstrip(".")))
            for _ in range(rng.randint(2, 6)):
                ss = [sent() for _ in range(rng.randint(2, 7))]
                if links and rng.random() < 0.5:
                    j = links[rng.randrange(len(links))]
                    w = ss[-1].split(" ")
                    ss[-1] = '%s <a href="%s">%s</a>.' % (
                        " ".join(w[:-1]), rel(i, j), titles[j])
                if rng.random() < 0.04:
                    ss.append('See <a href="https://www.example.org/ref/%d">'
                              'the reference</a>.' % rng.randrange(10000))
                p = " ".join(ss)
                parts.append("<p>%s</p>\n" % p)
                size += len(p.encode("utf-8"))
                if size >= target:
                    break
        if i in rare_en:
            parts.append("<p>The %s handler is rarely used.</p>\n" % RARE_EN)
        if i in rare_ko:
            parts.append("<p>%s 항목은 거의 쓰이지 않습니다.</p>\n" % RARE_KO)
        nav = ['<a href="%s">index</a>' % os.path.relpath(
            "index.html", os.path.dirname(path(i)))]
        if i > 0:
            nav.append('<a href="%s">prev</a>' % rel(i, i - 1))
        if i + 1 < n:
            nav.append('<a href="%s">next</a>' % rel(i, i + 1))
        see = "".join('<li><a href="%s">%s</a></li>' % (rel(i, j), titles[j])
                      for j in links[:8])
        doc = ('<!DOCTYPE html>\n<html lang="%s">\n<head>\n'
               '<meta charset="utf-8">\n<title>%s</title>\n'
               '<meta name="description" content="%s">\n</head>\n<body>\n'
               '<nav>%s</nav>\n<h1>%s</h1>\n%s<h2>See also</h2>\n<ul>%s</ul>\n'
               '</body>\n</html>\n') % (
            lang, titles[i], titles[i], " | ".join(nav), titles[i],
            "".join(parts), see)
        fp = os.path.join(a.out, path(i))
        os.makedirs(os.path.dirname(fp), exist_ok=True)
        data = doc.encode("utf-8")
        with open(fp, "wb") as f:
            f.write(data)
        total_bytes += len(data)

    idx = "".join('<li><a href="%s">%s</a></li>\n' % (path(i), titles[i])
                  for i in range(min(n, 200)))
    with open(os.path.join(a.out, "index.html"), "w", encoding="utf-8") as f:
        f.write('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                '<title>Synthetic corpus</title></head><body>'
                '<h1>Synthetic corpus</h1><ul>\n%s</ul></body></html>\n' % idx)

    # Query profile: common/rare terms, a phrase, Korean word and partial,
    # a rotating mix (40 English + 30 Korean) and 100 cold queries.
    en_content = [w for w in EN_WORDS if len(w) >= 4]
    mix_en = en_content[:30] + EN_PHRASES
    mix_en = ['"%s"' % q if " " in q else q for q in mix_en][:40]
    ko_mix = KO_NOUNS[:24] + ["데이터베", "패키", "업그레", "라이브", "컴파", "운영체"]
    cold_en = [w for w in en_content[30:] if w not in mix_en][:40]
    cold_en += en_vocab[len(EN_WORDS):len(EN_WORDS) + 30]
    cold_ko = KO_NOUNS[24:54]
    profile = {
        "generator": "bench/synth.py",
        "docs": n, "seed": a.seed, "ko_ratio": a.ko_ratio,
        "median_bytes": a.median_bytes,
        "bytes": total_bytes,
        "documents_en": langs.count("en"), "documents_ko": langs.count("ko"),
        "doc_page": path(0),
        "common": "data", "rare": RARE_EN, "phrase": '"query planner"',
        "ko_word": "데이터베이스", "ko_partial": "베이스",
        "suggest_en": titles[0][:3].lower(), "suggest_ko": "데이",
        "mix_en": mix_en, "mix_ko": ko_mix,
        "cold": (cold_en + cold_ko)[:100],
    }
    with open(a.out.rstrip("/") + ".profile.json", "w",
              encoding="utf-8") as f:
        json.dump(profile, f, ensure_ascii=False, indent=1)
    print("synth: %d documents (%d en, %d ko), %.1f MB in %s" % (
        n, langs.count("en"), langs.count("ko"), total_bytes / 1e6, a.out))


if __name__ == "__main__":
    main()
