#!/usr/bin/env python3
"""How the two fixture trees of tests/data/relevance were made (kept for
the record; the tests read the committed trees, never run this).

    make-fixture.py --sqlite /usr/share/doc/sqlite3 \
        --libreoffice DIR/usr/share/libreoffice/help/ko --out tests/data/relevance

sqlite/          the pages of SQLITE_PAGES from sqlite3-doc (public domain)
                 without scripts, inline SVG diagrams, the site menu and the
                 table of contents,
                 and keyword_index.html cut to at most 4 entries per page
                 of the subset
libreoffice-ko/ko/  the pages of LO_PAGES from libreoffice-help-ko (MPL 2.0)
                 without the head's scripts, the header, the side panels
                 and the id, class, dir and microdata attributes,
                 and bookmarks.js cut to at most 3 entries with Hangul per
                 page of the subset
Then bench/relevance/extract.py makes the judgments (sqlite.jsonl,
libreoffice-ko.jsonl); tests/relevance.sh checks that it still does.
"""

import argparse
import collections
import os
import re

SQLITE_PAGES = """
lang_corefunc.html lang_mathfunc.html datatype3.html wal.html uri.html
lang_datefunc.html limits.html loadext.html floatingpoint.html whentouse.html
lang_transaction.html security.html lang_vacuum.html withoutrowid.html
lang_analyze.html autoinc.html rowidtable.html
c3ref/c_abort_rollback.html c3ref/c_alter_table.html c3ref/result_blob.html
c3ref/bind_blob.html c3ref/open.html c3ref/prepare.html c3ref/errcode.html
c3ref/c_limit_attached.html c3ref/free.html
""".split()

LO_PAGES = """
text/shared/guide/insert_bitmap.html text/shared/guide/insert_graphic_drawit.html
text/shared/guide/import_ms.html text/shared/guide/fontwork.html
text/shared/guide/ctl.html text/shared/guide/export_ms.html
text/shared/guide/tabs.html text/shared/guide/space_hyphen.html
text/swriter/guide/even_odd_sdw.html text/swriter/guide/references.html
text/swriter/guide/navigator.html text/swriter/guide/finding.html
text/swriter/guide/word_completion.html text/swriter/guide/wrap.html
text/swriter/guide/words_count.html text/swriter/guide/text_capital.html
text/scalc/guide/value_with_name.html text/scalc/guide/validity.html
text/scalc/guide/print_details.html text/scalc/guide/csv_files.html
text/scalc/guide/rounding_numbers.html text/scalc/guide/printranges.html
text/scalc/guide/address_auto.html text/scalc/guide/calc_series.html
text/simpress/guide/printing.html text/simpress/guide/animated_objects.html
text/simpress/guide/footer.html text/simpress/guide/line_edit.html
text/shared/optionen/01040400.html text/shared/optionen/01090100.html
text/shared/optionen/01013000.html
""".split()


def cut_div(html, start_rx):
    """Remove the div that starts at the first match of start_rx."""
    m = re.search(start_rx, html)
    if not m:
        return html
    depth = 0
    for t in re.finditer(r"<(/?)div\b[^>]*>", html[m.start():]):
        depth += -1 if t.group(1) else 1
        if depth == 0:
            return html[:m.start()] + html[m.start() + t.end():]
    return html


def strip_common(html):
    html = re.sub(r"(?is)<script\b.*?</script>", "", html)
    html = re.sub(r"(?is)<style\b.*?</style>", "", html)
    html = re.sub(r"(?is)<svg\b.*?</svg>", "", html)
    html = re.sub(r"(?is)<noscript\b.*?</noscript>", "", html)
    html = re.sub(r"(?i)<link\b[^>]*>", "", html)
    html = re.sub(r"[ \t]+\n", "\n", html)
    return re.sub(r"\n{3,}", "\n\n", html)


def sqlite(src, out):
    dst = os.path.join(out, "sqlite")
    for p in SQLITE_PAGES:
        h = open(os.path.join(src, p), encoding="utf-8").read()
        h = cut_div(strip_common(h), r"<div class=nosearch>")
        h = cut_div(h, r'<div class="fancy_toc">')
        os.makedirs(os.path.dirname(os.path.join(dst, p)), exist_ok=True)
        open(os.path.join(dst, p), "w", encoding="utf-8").write(h)
    ki = open(os.path.join(src, "keyword_index.html"), encoding="utf-8").read()
    items = re.findall(r'<li> <a href="([^"#]+)(#[^"]*)?">(.*?)</a> </li>', ki)
    per = collections.Counter()
    keep = []
    for href, frag, text in items:
        if href in SQLITE_PAGES and per[href] < 4:
            per[href] += 1
            keep.append('<li> <a href="%s%s">%s</a> </li>' % (href, frag, text))
    open(os.path.join(dst, "keyword_index.html"), "w", encoding="utf-8").write(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
        "<title>SQLite Keyword Index</title></head><body>\n"
        "<h2 align=center>Keyword Index</h2>\n<ul class='lessindent'>\n%s\n"
        "</ul>\n</body></html>\n" % "\n".join(keep))


def libreoffice(src, out):
    dst = os.path.join(out, "libreoffice-ko", "ko")
    for p in LO_PAGES:
        h = open(os.path.join(src, p), encoding="utf-8").read()
        h = strip_common(h)
        h = re.sub(r"(?i)<base\b[^>]*>", "", h)
        h = re.sub(r"(?is)<header\b.*?</header>", "", h)
        h = re.sub(r"(?is)<aside\b.*?</aside>", "", h)
        h = re.sub(r"(?is)<footer\b.*?</footer>", "", h)
        h = re.sub(r'\s(?:id|dir|class|itemprop|itemscope|itemtype)="[^"]*"', "", h)
        os.makedirs(os.path.dirname(os.path.join(dst, p)), exist_ok=True)
        open(os.path.join(dst, p), "w", encoding="utf-8").write(h)
    js = open(os.path.join(src, "bookmarks.js"), encoding="utf-8").read()
    rows = re.findall(r'(\{url:"ko/([^"?#]*)[^"]*", app:"[^"]*", text:"([^"]*)"\},?)', js)
    per = collections.Counter()
    keep = []
    for line, path, text in rows:
        if path in LO_PAGES and re.search("[\uac00-\ud7a3]", text) and per[path] < 3:
            per[path] += 1
            keep.append(line.rstrip(","))
    open(os.path.join(dst, "bookmarks.js"), "w", encoding="utf-8").write(
        "var bookmarks = [\n%s\n];\n" % ",\n".join(keep))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", required=True)
    ap.add_argument("--libreoffice", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    sqlite(a.sqlite, a.out)
    libreoffice(a.libreoffice, a.out)


if __name__ == "__main__":
    main()
