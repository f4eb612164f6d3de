"""Why kwangmyong missed a judged page: a word check of the query against
what ingest stored for the relevant documents (the `section` rows of the
database: the document title on the first row, each row a section or a
4 KiB chunk of one with its heading; a document holds a word when any
row does), read with Python's sqlite3 (the FTS5 index itself needs the
server's tokenizer, so it is not used).

Causes, in the order they are tested:
  not-ingested   no relevant page is a published document (ingest skipped
                 or rejected it)
  common-words   the page matched (it is among the results, or it holds
                 every word and the results went past the depth asked) but
                 ranks below 10, and a word of the query is on at least 10%
                 of the pages: many pages hold the words, others score
                 higher
  outranked      the same, and no word is common: other pages score higher
                 (title and heading weights, length, proximity)
  tokens         this check finds every word on the page, yet the page did
                 not match: the check and the tokenizer disagree, or a
                 phrase spans two sections
  spread         (no longer a cause: search matches whole documents since
                 issue #12; kept so that older reports compare)
  identifier     a query word is on the page only inside a longer
                 identifier (add_password in HTTPPasswordMgr.add_password),
                 or a query identifier is not but its parts are
                 (sqlite3_module.xBegin): the document indexes each whole
                 identifier and its parts, the query the whole only
  word-missing   a query word is on none of the relevant pages: every word
                 must match, so the page cannot be found (the index's
                 wording is not the page's)
The word check mimics kwtok (lib/tokenizer.c) roughly: Latin words and
identifiers as whole and parts with a light suffix strip instead of the
Porter stemmer, Hangul as substrings.  A cause is a strong hint, not a
proof.
"""

import re
import sqlite3

COMMON_DF = 0.10
SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s",
            "ly", "e", "y")
# A Latin word or identifier as kwtok reads it: word characters (letters,
# digits, '_'), joined by '.' or '-' when a word character follows.  The
# document indexes the whole and each part (split at '_', '.', '-'); a
# query word matches the whole only.
IDENT = re.compile(r"[^\W]+(?:[.\-][^\W]+)*")


def is_hangul(s):
    return any("\uac00" <= ch <= "\ud7a3" for ch in s)


def stem(t):
    if not t.isascii():
        return t
    for s in SUFFIXES:
        if t.endswith(s) and len(t) - len(s) >= 3:
            return t[:-len(s)]
    return t


def query_terms(q):
    """The query's words as kwtok's query side reads them, casefolded,
    without repeats: a Latin word or identifier is one term matched whole;
    a word with Hangul, or one that separators cut in pieces (Cut/Copy,
    XForms의), is a phrase of its pieces (a term with spaces)."""
    terms = []
    for w in q.casefold().split():
        pieces = IDENT.findall(w)
        if not pieces:
            continue
        t = " ".join(pieces)
        if t not in terms:
            terms.append(t)
    return terms


def is_phrase(term):
    return " " in term or is_hangul(term)


_RX = {}


def term_regex(term):
    """A regex for a phrase term: its pieces (Hangul runs as substrings,
    Latin runs on word boundaries) with only separators between them."""
    rx = _RX.get(term)
    if rx is None:
        runs = []
        for piece in term.split(" "):
            runs.extend(re.findall(r"[\uac00-\ud7a3]+|[^\uac00-\ud7a3]+", piece))
        parts = []
        for i, r in enumerate(runs):
            e = re.escape(r)
            if not is_hangul(r):
                if i == 0:
                    e = r"(?<![^\W_])" + e
                if i == len(runs) - 1:
                    e = e + r"(?![^\W_])"
            parts.append(e)
        rx = _RX[term] = re.compile(r"[\W_]*".join(parts))
    return rx


def doc_tokens(text):
    """Stemmed whole identifiers and their parts of a (casefolded) text."""
    out = set()
    for w in IDENT.findall(text):
        if is_hangul(w):
            continue
        out.add(stem(w))
        if any(c in w for c in "_.-"):
            for part in re.split(r"[_.\-]+", w):
                if part:
                    out.add(stem(part))
    return out


class Row:
    __slots__ = ("text", "_tokens")

    def __init__(self, text):
        self.text = text
        self._tokens = None

    def has(self, term):
        if is_phrase(term):
            return bool(term_regex(term).search(self.text))
        if self._tokens is None:
            self._tokens = doc_tokens(self.text)
        return stem(term) in self._tokens

    def inside(self, term):
        """term only as a part of a longer identifier (add_password in
        httppasswordmgr.add_password)."""
        if is_phrase(term) or term not in self.text:
            return None
        edge = re.compile(r"(?:^|[_.\-])%s(?:$|[_.\-])" % re.escape(term))
        for w in IDENT.findall(self.text):
            if w != term and term in w and edge.search(w):
                return w
        return None


def df_regex(term):
    """For document frequency over the whole collection (a cheap
    approximation of Row.has): the term as a whole word or part."""
    if is_phrase(term):
        return term_regex(term)
    st = re.escape(stem(term))
    return re.compile(r"(?<![^\W_])%s[^\W_]{0,5}(?![^\W_])" % st)


class Diagnoser:
    def __init__(self, db_path, collection):
        self.db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True,
                                  timeout=30)
        self.collection = collection
        self._docs = None
        self._df = {}

    def close(self):
        self.db.close()

    def doc_ids(self, path):
        rows = self.db.execute(
            "SELECT d.id FROM document d JOIN collection c ON c.id = d.collection_id"
            " WHERE c.name = ? AND d.path = ? AND d.status = 'published'",
            (self.collection, path)).fetchall()
        return [r[0] for r in rows]

    def rows(self, doc_id):
        return [(t or "") + "\n" + (h or "") + "\n" + (b or "")
                for t, h, b in self.db.execute(
                    "SELECT title, heading, body FROM section"
                    " WHERE document_id = ? ORDER BY ord", (doc_id,))]

    def all_texts(self):
        if self._docs is None:
            self._docs = [(t or "").casefold() + "\n" + (b or "").casefold()
                          for t, b in self.db.execute(
                "SELECT d.title, d.body_text FROM document d JOIN collection c"
                " ON c.id = d.collection_id WHERE c.name = ?"
                " AND d.status = 'published'", (self.collection,))]
        return self._docs

    def df(self, term):
        """Share of published documents whose title or text has the term."""
        if term not in self._df:
            docs = self.all_texts()
            rx = df_regex(term)
            if is_phrase(term):
                n = sum(1 for d in docs if rx.search(d))
            else:
                st = stem(term)
                n = sum(1 for d in docs if st in d and rx.search(d))
            self._df[term] = n / len(docs) if docs else 0.0
        return self._df[term]

    def explain(self, query, relevant, rank, total, depth):
        terms = query_terms(query)
        docs = []
        for p in relevant:
            for i in self.doc_ids(p):
                docs.append((p, [Row(r.casefold()) for r in self.rows(i)]))
        if rank:
            where = "rank %d" % rank
        elif total == 0:
            where = "no result"
        elif total <= depth:
            where = "not among its %d result%s" % (total, "" if total == 1 else "s")
        else:
            where = "not in the first %d of %d" % (depth, total)
        # every result was seen and the page was not one: it did not match
        unmatched = not rank and total <= depth
        if not docs:
            return {"cause": "not-ingested", "where": where,
                    "detail": "no relevant page is a published document"}
        if rank:
            return self.ranking(terms, where, "found at %s" % where)
        best_missing = None
        for p, rows in docs:
            missing = [t for t in terms if not any(r.has(t) for r in rows)]
            if missing:
                if best_missing is None or len(missing) < len(best_missing[1]):
                    best_missing = (p, missing)
                continue
            # Search matches whole documents: every word somewhere on the
            # page is a match (a phrase must still be in one section).
            if unmatched:
                return {"cause": "tokens", "where": where,
                        "detail": "%s has every word by this check, yet did "
                        "not match (stemming or tokenizing differs, or a "
                        "phrase spans two sections)" % p}
            return self.ranking(terms, where, "%s has every word" % p)
        p, missing = best_missing
        rows = next(r for q, r in docs if q == p)
        inside = {}
        for t in missing:
            for r in rows:
                w = r.inside(t)
                if w:
                    inside[t] = w
                    break
        parts = [t for t in missing if t not in inside and not is_phrase(t)
                 and re.search(r"[_.\-]", t.strip("_.-"))
                 and all(any(r.has(x) for r in rows)
                         for x in re.split(r"[_.\-]+", t) if x)]
        if missing and len(parts) + len(inside) == len(missing):
            said = ["'%s' only inside %s" % (t, w[:60]) for t, w in inside.items()]
            said += ["'%s' only as its parts" % t for t in parts]
            return {"cause": "identifier", "where": where,
                    "detail": "on %s: %s; a query identifier matches whole "
                    "identifiers only" % (p, "; ".join(said))}
        return {"cause": "word-missing", "where": where,
                "detail": "%s not on %s" % (
                    ", ".join("'%s'" % t for t in missing), p)}

    def ranking(self, terms, where, how):
        """The page matched but ranked low: common words or other pages."""
        dfs = sorted(((self.df(t), t) for t in terms), reverse=True)
        common = [(d, t) for d, t in dfs if d >= COMMON_DF]
        if common and len(terms) > 1 and dfs[-1][0] < COMMON_DF:
            rare = dfs[-1]
            return {"cause": "common-words", "where": where,
                    "detail": "%s; %s on %s of the pages, beside "
                    "'%s' (%.1f%%)" % (
                        how, ", ".join("'%s'" % t for _, t in common),
                        "/".join("%.0f%%" % (100 * d) for d, _ in common),
                        rare[1], 100 * rare[0])}
        if common:
            return {"cause": "common-words", "where": where,
                    "detail": "%s; every word is common (%s)" % (
                        how, ", ".join("'%s' %.0f%%" % (t, 100 * d)
                                       for d, t in common))}
        return {"cause": "outranked", "where": where,
                "detail": "%s; no word is common (the most: '%s', %.1f%% of "
                "the pages)" % (how, dfs[0][1] if dfs else "",
                                100 * (dfs[0][0] if dfs else 0))}

