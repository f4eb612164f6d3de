#!/usr/bin/env python3
"""Relevance judgments from a manual's back-of-book index.

    extract.py --tree DIR [--format auto|FORMAT] [--index FILE]...
               [--max N] [--seed S] [--script hangul|latin]
               [--out FILE.jsonl] [--stats FILE.json]

One query per index entry, one JSON object a line:

    {"query": "abyss policy", "relevant": ["gimp-tool-warp.html"]}

Rules, the same for every format:
- a sub-entry becomes the query "parent sub" (every level of the entry's
  path, joined by spaces);
- targets lose their fragment and query string, are made relative to the
  tree root, and are kept only when they name an HTML file that exists in
  the tree and is not one of the index pages themselves (unless half or
  more of a page's index links point into itself: a one-page manual with
  its own index, whose entries then name that page); an entry left with
  no target is dropped;
- characters that are query syntax or list punctuation (quotes, brackets,
  parentheses, commas, a leading - or +) become spaces; an entry any level
  of which is only symbols, or whose query has fewer than two letters or
  digits, is dropped;
- entries whose queries are equal (ignoring case) are one judgment with the
  union of their targets;
- --script hangul keeps only queries with a Hangul syllable (a Korean set
  from a partly translated index), --script latin only those without;
- at most --max judgments, a seeded sample (--seed, default 1) of the
  eligible ones, written sorted by query.

Formats (--format auto tries them in this order and takes the first that
yields entries):
  libreoffice  the help's bookmarks.js ({url:..., text:"parent -- sub"})
  sphinx       genindex-all.html, or genindex.html (+ genindex-*.html)
  docbook      pages whose <div class="index"> holds indexterm links
  texinfo      makeinfo index tables (<table class="index-cp">, printindex)
  list         a page named *index* and headed "Index" with a long list of
               links into the tree (e.g. SQLite's keyword_index.html,
               javadoc's index-all.html); --index FILE names pages to read
               this way (or with the format given)
Standard library only.
"""

import argparse
import html.parser
import json
import os
import random
import re
import sys
import urllib.parse

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "param", "source", "track", "wbr", "keygen"}
LISTS = {"ul", "ol", "dl", "menu"}
BLOCKS = {"p", "div", "ul", "ol", "dl", "table", "h1", "h2", "h3", "h4",
          "h5", "h6", "pre", "blockquote", "section", "nav", "header",
          "footer", "form", "hr", "address", "figure", "aside", "main"}
# An open element of these kinds ends the search for an element to close
# implicitly (a <li> closes the previous <li> of the same list only).
SCOPE = {"li": {"ul", "ol", "menu", "table"},
         "dt": {"dl", "table"}, "dd": {"dl", "table"},
         "tr": {"table"}, "td": {"tr", "table"}, "th": {"tr", "table"},
         "option": {"select"}}
SKIP_TEXT = {"script", "style", "template", "noscript"}
HTML_EXT = (".html", ".htm", ".xhtml", ".shtml")


class Node:
    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag, attrs=None, parent=None):
        self.tag = tag
        self.attrs = attrs or {}
        self.children = []
        self.parent = parent

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def iter(self):
        """Every element below (depth first, document order), not self."""
        stack = list(reversed([c for c in self.children if isinstance(c, Node)]))
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed([c for c in n.children if isinstance(c, Node)]))

    def has_ancestor(self, tags, stop=None):
        p = self.parent
        while p is not None and p is not stop:
            if p.tag in tags:
                return True
            p = p.parent
        return False


class TreeBuilder(html.parser.HTMLParser):
    """A forgiving DOM: implied end tags for li, dt/dd, tr, td/th, p."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]
        self.base = None

    def _close(self, tag):
        """Pop up to and including the innermost open TAG."""
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return True
        return False

    def _implied(self, tag):
        closers = {"li": ("li",), "dt": ("dt", "dd"), "dd": ("dt", "dd"),
                   "tr": ("tr", "td", "th"), "td": ("td", "th"),
                   "th": ("td", "th"), "option": ("option",)}.get(tag)
        if closers:
            scope = SCOPE[tag]
            for i in range(len(self.stack) - 1, 0, -1):
                t = self.stack[i].tag
                if t in closers:
                    del self.stack[i:]
                    if tag == "tr" or t not in ("td", "th"):
                        break
                    continue
                if t in scope:
                    break
        if tag in BLOCKS:
            for i in range(len(self.stack) - 1, 0, -1):
                t = self.stack[i].tag
                if t == "p":
                    del self.stack[i:]
                    break
                if t not in ("a", "span", "b", "i", "em", "strong", "code",
                             "tt", "var", "font", "small", "big", "u", "sup",
                             "sub", "kbd", "samp", "cite"):
                    break

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"]
        self._implied(tag)
        node = Node(tag, a, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._close(tag)

    def handle_endtag(self, tag):
        if tag not in VOID:
            self._close(tag)

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def read_text(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        m = re.search(rb'charset=["\']?([A-Za-z0-9_.:-]+)', raw[:4096])
        if m:
            try:
                return raw.decode(m.group(1).decode("ascii"), errors="replace")
            except LookupError:
                pass
        return raw.decode("latin-1")


def parse_html(path):
    b = TreeBuilder()
    b.feed(read_text(path))
    b.close()
    return b.root, b.base


def text_of(node, skip_lists=False):
    out = []

    def walk(n):
        for c in n.children:
            if isinstance(c, str):
                out.append(c)
            elif c.tag in SKIP_TEXT or (skip_lists and c.tag in LISTS):
                continue
            else:
                if c.tag in BLOCKS or c.tag in ("br", "li", "dt", "dd", "td", "th"):
                    out.append(" ")
                walk(c)
    walk(node)
    return re.sub(r"\s+", " ", "".join(out)).strip()


# ------------------------------------------------------------ entry terms

def item_parts(item):
    """The item's own content (its children without nested lists): the term
    and the hrefs.  The term is the text before the first link when that
    has a letter or digit (DocBook: "Term, <a>Section</a>"), otherwise the
    first link's text (Sphinx, texinfo, plain link lists)."""
    before = []
    first_link = None
    hrefs = []
    state = {"seen_link": False}

    def walk(n):
        for c in n.children:
            if isinstance(c, str):
                if not state["seen_link"]:
                    before.append(c)
                continue
            if c.tag in LISTS or c.tag in SKIP_TEXT:
                continue
            if c.tag == "a" and c.attrs.get("href") is not None:
                nonlocal_first(c)
                hrefs.append(c.attrs["href"])
                state["seen_link"] = True
                continue
            walk(c)

    def nonlocal_first(a):
        nonlocal first_link
        if first_link is None:
            first_link = a

    walk(item)
    pre = re.sub(r"\s+", " ", "".join(before)).strip()
    pre = re.sub(r"[\s,:;]*\(?\s*see(\s+also)?\s*$", "", pre, flags=re.I)
    if any(ch.isalnum() for ch in pre):
        term = pre
    elif first_link is not None:
        term = text_of(first_link)
    else:
        term = pre
    return term.strip(" ,:;"), hrefs


def walk_list(lst, parents, emit):
    """ul/ol/menu: each li an entry, nested lists its sub-entries.  dl: each
    dt an entry, the lists in the dd after it its sub-entries."""
    if lst.tag == "dl":
        last = None
        for c in lst.children:
            if not isinstance(c, Node):
                continue
            if c.tag == "dt":
                term, hrefs = item_parts(c)
                last = term
                emit(parents + [term], hrefs)
                for sub in top_lists(c):
                    walk_list(sub, parents + [term], emit)
            elif c.tag == "dd":
                for sub in top_lists(c):
                    walk_list(sub, parents + ([last] if last else []), emit)
            elif c.tag in LISTS:
                walk_list(c, parents, emit)
            else:
                # wrappers some generators put around dt/dd pairs
                for sub in [c] if c.tag in LISTS else top_lists(c):
                    walk_list(sub, parents, emit)
        return
    for c in lst.children:
        if not isinstance(c, Node):
            continue
        if c.tag == "li":
            term, hrefs = item_parts(c)
            emit(parents + [term], hrefs)
            for sub in top_lists(c):
                walk_list(sub, parents + [term], emit)
        elif c.tag in LISTS:
            walk_list(c, parents, emit)


def top_lists(node):
    """The lists under node that are not inside another list under node."""
    out = []
    stack = [c for c in reversed(node.children) if isinstance(c, Node)]
    while stack:
        n = stack.pop()
        if n.tag in LISTS:
            out.append(n)
            continue
        if n.tag in SKIP_TEXT:
            continue
        stack.extend(c for c in reversed(n.children) if isinstance(c, Node))
    return out


def walk_table(table, emit):
    """makeinfo index tables: a row with a link is an entry; its term is the
    first link's text (texinfo writes "term, sub" itself)."""
    for tr in table.iter():
        if tr.tag != "tr":
            continue
        term, hrefs = item_parts(tr)
        if hrefs:
            emit([term], hrefs)


# ---------------------------------------------------------------- formats

def html_files(tree):
    for d, dirs, files in os.walk(tree):
        dirs.sort()
        for f in sorted(files):
            if f.lower().endswith(HTML_EXT):
                yield os.path.join(d, f)


def grep_files(tree, pattern, min_count=1, limit_bytes=16 << 20):
    """HTML files of tree in which the regex pattern (bytes) matches at
    least min_count times."""
    rx = re.compile(pattern)
    hits = []
    for p in html_files(tree):
        try:
            if os.path.getsize(p) > limit_bytes:
                continue
            with open(p, "rb") as f:
                data = f.read()
        except OSError:
            continue
        n = 0
        for _ in rx.finditer(data):
            n += 1
            if n >= min_count:
                hits.append(p)
                break
    return hits


def find_sphinx(tree):
    for d, dirs, files in os.walk(tree):
        dirs.sort()
        if "genindex-all.html" in files:
            return [os.path.join(d, "genindex-all.html")]
        if "genindex.html" in files:
            gi = os.path.join(d, "genindex.html")
            with open(gi, "rb") as f:
                if b"indextable" in f.read():
                    return [gi]
            letters = sorted(os.path.join(d, f) for f in files
                             if re.match(r"genindex-.+\.html$", f))
            return letters or [gi]
    return []


def sphinx_entries(root, emit):
    tables = [n for n in root.iter() if n.tag == "table" and
              ("genindextable" in n.classes() or "indextable" in n.classes())]
    for t in tables:
        for lst in top_lists(t):
            walk_list(lst, [], emit)


def docbook_containers(root):
    """The outermost div.index (or div.setindex) elements."""
    out = []
    for n in root.iter():
        if n.tag == "div" and set(n.classes()) & {"index", "setindex"}:
            p = n.parent
            while p is not None:
                if p.tag == "div" and set(p.classes()) & {"index", "setindex"}:
                    break
                p = p.parent
            if p is None:
                out.append(n)
    return out


def docbook_entries(root, emit):
    for c in docbook_containers(root):
        for lst in top_lists(c):
            walk_list(lst, [], emit)


def texinfo_tables(root):
    return [n for n in root.iter() if n.tag == "table" and any(
        re.match(r"index-", k) or "printindex" in k for k in n.classes())]


def texinfo_entries(root, emit):
    for t in texinfo_tables(root):
        walk_table(t, emit)


def list_entries(root, emit, min_items=10):
    """The long lists of a page (not in nav, header, footer or aside): every
    top-level list with at least min_items items and a tenth as many as
    the longest."""
    body = next((n for n in root.iter() if n.tag == "body"), root)
    lists = [l for l in top_lists(body)
             if not l.has_ancestor({"nav", "header", "footer", "aside"})]

    def size(l):
        return sum(1 for c in l.children if isinstance(c, Node)
                   and c.tag in ("li", "dt"))
    if not lists:
        return
    big = max(size(l) for l in lists)
    for l in lists:
        if size(l) >= max(min_items, big // 10):
            walk_list(l, [], emit)


def find_list_pages(tree):
    out = []
    for p in html_files(tree):
        name = os.path.basename(p).lower()
        if "index" not in name or name in ("index.html", "index.htm"):
            continue
        try:
            head = read_text(p)[:20000]
        except OSError:
            continue
        m = re.search(r"<title[^>]*>(.*?)</title>", head, re.S | re.I)
        heads = re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", head, re.S | re.I)
        words = " ".join([m.group(1) if m else ""] + heads)
        if re.search(r"\bindex\b|색인|찾아보기", re.sub(r"<[^>]+>", " ", words),
                     re.I):
            out.append(p)
    return out


def find_libreoffice(tree):
    for cand in (os.path.join(tree, "bookmarks.js"),
                 os.path.join(os.path.dirname(tree.rstrip("/")), "bookmarks.js")):
        if os.path.isfile(cand):
            return [cand]
    return []


def libreoffice_entries(path, emit_raw):
    """bookmarks.js: var bookmarks = [{url:"ko/text/...html?DbPAR=..#bm",
    app:"WRITER", text:"parent -- sub"}, ...]."""
    t = read_text(path)
    rx = re.compile(r'\{\s*url\s*:\s*"((?:[^"\\]|\\.)*)"[^{}]*?text\s*:\s*"((?:[^"\\]|\\.)*)"')
    for m in rx.finditer(t):
        try:
            url = json.loads('"%s"' % m.group(1))
            text = json.loads('"%s"' % m.group(2))
        except ValueError:
            continue
        parts = [p.strip() for p in text.split("--")]
        emit_raw([p for p in parts if p], [url])


# ----------------------------------------------------------- normalising

QUOTES = "\"'`\u2018\u2019\u201c\u201d\u00ab\u00bb\u300c\u300d"
SEPARATORS = "()[]{}<>,;*|" + QUOTES


def clean_level(s):
    s = s.replace("\u2026", " ")
    for ch in SEPARATORS:
        s = s.replace(ch, " ")
    toks = []
    for tok in s.split():
        tok = tok.lstrip("-+:/=!?~^%$&@.")
        tok = tok.rstrip(".,:;!?=")
        if tok and any(ch.isalnum() for ch in tok):
            toks.append(tok)
    return " ".join(toks)


def has_hangul(s):
    return any("\uac00" <= ch <= "\ud7a3" for ch in s)


def make_query(levels):
    """levels: the entry's path of terms.  None when the entry is dropped."""
    # Sphinx writes an alternative qualifier of the parent's name as a
    # sub-entry: "abs() (decimal.Context method)" > "(in module operator)".
    levels = list(levels)
    for i in range(1, len(levels)):
        if levels[i].lstrip().startswith("(") and " (" in levels[i - 1]:
            levels[i - 1] = levels[i - 1].split(" (")[0]
    cleaned = [clean_level(x) for x in levels]
    if not cleaned or any(not c for c in cleaned):
        return None
    q = " ".join(cleaned)
    if sum(1 for ch in q if ch.isalnum()) < 2:
        return None
    return q


class Collector:
    def __init__(self, tree, index_pages, allowed=()):
        self.tree = os.path.realpath(tree)
        self.index_pages = {os.path.realpath(p) for p in index_pages}
        # index pages that are content too (a one-page manual with its own
        # index): targets like any other page
        self.allowed = {os.path.realpath(p) for p in allowed}
        self.entries = {}       # key -> [query, set(paths)]
        self.seen = 0           # entries read
        self.no_target = 0      # entries without a target in the tree
        self.dropped = 0        # symbols-only or too short
        self.links = {}         # index page -> links read from it
        self.self_links = {}    # index page -> links to itself
        self.source = None      # the index page being read (real path)
        self.source_path = None  # the same as found in the tree
        self._exists = {}

    def target(self, href, base_dir):
        href = href.strip()
        if href.startswith("#") and self.source:
            # a place on the index page itself: a "see" reference, or an
            # entry of a one-page manual that indexes itself
            self.links[self.source] = self.links.get(self.source, 0) + 1
            self.self_links[self.source] = self.self_links.get(self.source, 0) + 1
            if self.source in self.allowed:
                rel = os.path.relpath(self.source_path, self.tree)
                return None if rel.startswith("..") else rel.replace(os.sep, "/")
            return None
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            return None
        u = urllib.parse.urlsplit(href)
        if u.scheme or u.netloc:
            return None
        path = urllib.parse.unquote(u.path)
        if not path:
            return None
        full = os.path.normpath(os.path.join(base_dir, path))
        if path.startswith("/"):
            full = os.path.normpath(os.path.join(self.tree, path.lstrip("/")))
        real = self._exists.get(full)
        if real is None:
            real = os.path.realpath(full) if os.path.isfile(full) else ""
            self._exists[full] = real
        if self.source:
            self.links[self.source] = self.links.get(self.source, 0) + 1
            if real and real == self.source:
                self.self_links[self.source] = self.self_links.get(self.source, 0) + 1
        if not real or (real in self.index_pages and real not in self.allowed):
            return None
        if not full.lower().endswith(HTML_EXT):
            return None
        rel = os.path.relpath(full, self.tree)
        if rel.startswith(".."):
            return None
        return rel.replace(os.sep, "/")

    def self_indexed(self):
        """Index pages at least half of whose links point to themselves."""
        return {p for p, n in self.self_links.items()
                if n >= 0.5 * self.links.get(p, 0)}

    def add(self, levels, hrefs, base_dirs):
        self.seen += 1
        paths = set()
        for h in hrefs:
            for b in base_dirs:
                t = self.target(h, b)
                if t:
                    paths.add(t)
                    break
        if not paths:
            self.no_target += 1
            return
        q = make_query(levels)
        if q is None:
            self.dropped += 1
            return
        key = q.casefold()
        if key in self.entries:
            self.entries[key][1] |= paths
        else:
            self.entries[key] = [q, paths]


def read_pages(f, tree, pages, col):
    """Read the index pages of format f into the collector."""
    for p in pages:
        d = os.path.dirname(p)
        col.source, col.source_path = os.path.realpath(p), p
        if f == "libreoffice":
            # urls are relative to the help root: the file's directory
            # or the one above it (help/ko/bookmarks.js: "ko/text/...")
            bases = [d, os.path.dirname(d)]
            libreoffice_entries(p, lambda lv, h: col.add(lv, h, bases))
            continue
        root, base = parse_html(p)
        bases = [os.path.normpath(os.path.join(d, base))] if base else [d]

        def emit(levels, hrefs, bases=bases):
            col.add(levels, hrefs, bases)
        if f == "sphinx":
            sphinx_entries(root, emit)
        elif f == "docbook":
            docbook_entries(root, emit)
        elif f == "texinfo":
            texinfo_entries(root, emit)
        else:
            list_entries(root, emit)
    col.source = None
    return col


def pick_list_pages(tree, pages, enough=50):
    """Of the candidate pages, those whose long lists give at least
    `enough` judgments; else the best one if it gives 10."""
    counts = []
    for p in pages:
        col = Collector(tree, pages)
        root, base = parse_html(p)
        d = os.path.dirname(p)
        bases = [os.path.normpath(os.path.join(d, base))] if base else [d]
        list_entries(root, lambda lv, h: col.add(lv, h, bases))
        counts.append((len(col.entries), p))
    good = [p for n, p in counts if n >= enough]
    if good:
        return good
    best = max(counts, default=(0, None))
    return [best[1]] if best[0] >= 10 else []


def extract(tree, fmt="auto", index_files=None, log=None):
    """Returns (format, index pages, Collector)."""
    tree = os.path.realpath(tree)
    order = ["libreoffice", "sphinx", "docbook", "texinfo", "list"] \
        if fmt == "auto" else [fmt]
    for f in order:
        if index_files:
            pages = [os.path.realpath(p) for p in index_files]
        elif f == "libreoffice":
            pages = find_libreoffice(tree)
        elif f == "sphinx":
            pages = find_sphinx(tree)
        elif f == "docbook":
            # an index page links to many places through indexterm links
            # (content pages hold indexterm anchors, without href)
            pages = grep_files(tree, rb'<a\s[^>]*class="indexterm"[^>]*\shref=|'
                               rb'<a\s[^>]*href="[^"]*"[^>]*class="indexterm"', 5)
        elif f == "texinfo":
            pages = grep_files(tree, rb'<table[^>]*class="[^"]*(index-|printindex)')
        elif f == "list":
            pages = find_list_pages(tree)
        else:
            raise ValueError("unknown format %s" % f)
        if f == "list" and not index_files:
            pages = pick_list_pages(tree, pages)
        if not pages:
            continue
        related = list(pages)
        if f == "sphinx":
            # the per-letter pages of a split index are index pages too
            d = os.path.dirname(pages[0])
            related += [os.path.join(d, q) for q in sorted(os.listdir(d))
                        if re.match(r"genindex(-.+)?\.html$", q)
                        and os.path.join(d, q) not in pages]
        col = read_pages(f, tree, pages, Collector(tree, related))
        again = col.self_indexed()
        if again:
            col = read_pages(f, tree, pages, Collector(tree, related, again))
        if col.entries:
            if log:
                log("%s: %d index page(s), %d entries read, %d judgments "
                    "(%d without a target in the tree, %d only symbols)"
                    % (f, len(pages), col.seen, len(col.entries),
                       col.no_target, col.dropped))
            return f, pages, col
    return None, [], Collector(tree, [])


def judgments(col, max_n=0, seed=1, script=None):
    items = sorted(col.entries.items())
    if script == "hangul":
        items = [kv for kv in items if has_hangul(kv[1][0])]
    elif script == "latin":
        items = [kv for kv in items if not has_hangul(kv[1][0])]
    eligible = len(items)
    if max_n and len(items) > max_n:
        items = random.Random(seed).sample(items, max_n)
        items.sort()
    return eligible, [{"query": q, "relevant": sorted(paths)}
                      for _, (q, paths) in items]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", required=True)
    ap.add_argument("--format", default="auto",
                    choices=["auto", "libreoffice", "sphinx", "docbook",
                             "texinfo", "list"])
    ap.add_argument("--index", action="append", default=[],
                    help="index page(s) to read (default: found by format)")
    ap.add_argument("--max", type=int, default=0, help="at most N (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--script", choices=["hangul", "latin"])
    ap.add_argument("--out", help="JSONL output (default: stdout)")
    ap.add_argument("--stats", help="write counts and the format as JSON")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.tree):
        ap.error("no such directory: %s" % a.tree)
    fmt, pages, col = extract(a.tree, a.format, a.index,
                              log=lambda m: print(m, file=sys.stderr))
    if not fmt:
        print("extract.py: no back-of-book index found in %s" % a.tree,
              file=sys.stderr)
        return 1
    eligible, js = judgments(col, a.max, a.seed, a.script)
    out = open(a.out, "w", encoding="utf-8") if a.out else sys.stdout
    for j in js:
        out.write(json.dumps(j, ensure_ascii=False) + "\n")
    if a.out:
        out.close()
    if a.stats:
        tree = os.path.realpath(a.tree)
        with open(a.stats, "w", encoding="utf-8") as f:
            json.dump({"tree": a.tree, "format": fmt,
                       "index_pages": [os.path.relpath(p, tree) for p in pages],
                       "entries_read": col.seen, "no_target": col.no_target,
                       "symbols_only": col.dropped,
                       "judgments_total": len(col.entries),
                       "eligible": eligible, "written": len(js),
                       "max": a.max, "seed": a.seed, "script": a.script},
                      f, ensure_ascii=False, indent=1)
    print("%d judgments written (%d eligible)" % (len(js), eligible),
          file=sys.stderr)
    return 0 if js else 1


if __name__ == "__main__":
    sys.exit(main())
