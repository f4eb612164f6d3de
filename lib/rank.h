/*
 * rank: relevance of documents and sections to a query.  Layer: lib/,
 * depends on sqlite3's FTS5 API and tokenizer (for the API pointer);
 * never on microhttpd.h.
 *
 * The FTS5 auxiliary function kwtf(section_fts) returns, for the current
 * row, how often each phrase of the query occurs in each column (title,
 * heading, body): a blob of nphrase * RANK_NCOL uint16_t in native byte
 * order, counts above 65535 saturated; kwdoc adds the proximity window.
 * rank_doc_score() turns them into BM25F (below).  What FTS5's bm25()
 * would cost, and how it is avoided:
 *
 * - bm25() asks xColumnSize for every row, a lookup in the %_docsize
 *   table that cost 1.7 us of its 1.8 us per row (measured on 17,641
 *   rows: 32 ms with it, 2.8 ms without).  Column lengths come from the
 *   search catalog instead, which reads doc_fts_docsize once when it is
 *   built (searchcat.h).
 * - IDF: bm25() computes it with a pass over each phrase's posting list
 *   per query through a callback per row; here one count(*) per phrase
 *   (search.c), the same pass without the callbacks.
 */
#ifndef KW_RANK_H
#define KW_RANK_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct strbuf;

/*
 * Documents (doc_fts, docindex.h) are ranked by BM25F: for each positive
 * phrase t of the query, its occurrences in title, headings and body are
 * weighted (RANK_DOC_W_*) into one pseudo-frequency, each column's count
 * divided by that column's length in tokens relative to the corpus mean
 * (1 - b + b * len / avglen, b = RANK_DOC_B_*), and
 *
 *   score = sum over t of idf(t) * f~ / (k1 + f~),
 *   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
 *
 * with N the published documents and df those containing t (Lucene's
 * non-negative form), plus a proximity bonus when two or more phrases
 * occur close together in one column: RANK_PROX_WEIGHT * (sum of their
 * idf) * min(1, m / span), for m phrases whose nearest occurrences lie
 * within a window of span tokens (span <= RANK_PROX_MAX_SPAN * m; a window
 * shorter than m holds colocated tokens, the parts of one identifier, and
 * counts as m side by side).  So the bonus is at most RANK_PROX_WEIGHT
 * times the sum of the idf, the bound the top k of several words needs
 * (search.c).  The FTS5
 * function kwdoc(doc_fts) gives what the score needs per row: kwtf's
 * counts followed by a uint32_t, the smallest such window (0: none).
 */
/* The pseudo-frequency sums weighted columns, so one title hit is 10 and
 * saturated at Lucene's k1 of 1.2 (0.89, no less than a body that says the
 * word twenty times).  4.0 leaves tf and the weights room: measured on the
 * seven judged sets (docs/benchmarks.md), MRR@10 rose on all of them from
 * 1.2 to 3; from 3 to 4 sqlite and the Korean GIMP rose, the rest moved
 * by 0.001 or less; past 5 postgresql falls.  The impact lists are built
 * with it (rank_params). */
#define RANK_K1 4.0
#define RANK_DOC_W_TITLE 10.0
#define RANK_DOC_W_HEADING 3.0
#define RANK_DOC_W_BODY 1.0
#define RANK_DOC_B_TITLE 0.5
/* Headings hold the definition terms too (a glossary's, an API page's):
 * a long list is weighed down less than a long body.  0.3 rather than
 * 0.75 raised MRR@10 on all seven judged sets (docs/benchmarks.md); the
 * impact lists are built with it, so a change needs them built again
 * (migration 0007 drops them). */
#define RANK_DOC_B_HEADING 0.3
#define RANK_DOC_B_BODY 0.5
#define RANK_PROX_WEIGHT 0.05
#define RANK_PROX_MAX_SPAN 4
/* Occurrences looked at for the window, per row: a bound on the cost of
 * a long document full of common words. */
#define RANK_PROX_MAX_INST 4096
/* Phrases counted; a longer query's extra phrases do not add to scores. */
#define RANK_MAX_PHRASES 64

/* Columns of section_fts and doc_fts: title, heading, body. */
#define RANK_NCOL 3

/* What the document score needs beyond the row: per phrase its idf (0 for
 * an excluded phrase) and the mean length of each column.  When the
 * phrases hold the parts of identifiers (query_parts()), part marks them
 * (bit k: phrase k is a part) and parts_of[k] the parts of identifier
 * phrase k: *matched then counts the words asked, an identifier being
 * held when it is or when all of its parts are (memset 0: every phrase
 * counts). */
struct rank_corpus {
    int nphrase;
    double idf[RANK_MAX_PHRASES];
    double avg_len[RANK_NCOL];
    uint64_t part;
    uint64_t parts_of[RANK_MAX_PHRASES];
};

/* idf from the number of documents n and the number containing the
 * phrase df. */
double rank_idf(double n, double df);

/* The score of a row from its counts tf (kwtf's blob, or kwdoc's cut by
 * rank_kwdoc_span; n bytes, borrowed), the proximity window span (0:
 * none), its column lengths (in the unit of c->avg_len) and its hub
 * factor hub (rank_hub_factor; 1 for none); *matched gets
 * how many of the corpus's phrases with idf > 0 occur in it (the OR
 * fallback's first key), or, when the corpus has parts (struct
 * rank_corpus), the words held times RANK_MAX_PHRASES plus the parts held
 * of the identifiers not held.  Higher is better; malformed counts score 0 with
 * *matched 0. */
double rank_doc_score(const void *tf, size_t n, uint32_t span,
                      const double len[RANK_NCOL], const struct rank_corpus *c,
                      double hub, int *matched);

/* The saturated weight f/(k1 + f) of one phrase in a row, where f sums
 * its counts tf[] (title, heading, body) weighted and normalised by the
 * column lengths len[] against the means avg[], as rank_doc_score does,
 * in a document of hub factor hub (see "Hubs" below): in [0, 1).  A
 * phrase's share of rank_doc_score is its idf times this; the impact
 * lists (impact.h) store it. */
double rank_saturation(const uint16_t tf[RANK_NCOL],
                       const double len[RANK_NCOL], const double avg[RANK_NCOL],
                       double hub);

/* kwdoc's window, from its blob (*n bytes, borrowed); *n becomes the
 * length of the counts before it.  0 (and *n 0) for a blob too short. */
uint32_t rank_kwdoc_span(const void *blob, size_t *n);
/* Mean section body length in bytes that a section's score compares its
 * length with (sections are chunks of at most 4 KiB). */
#define RANK_AVG_BODY_BYTES 1024.0

/*
 * Hubs.  A page whose text is mostly the text of its links (a back-of-book
 * index, a table of contents, a site map) holds the words of other pages'
 * subjects, often right next to each other ("boxstyle, axes property"),
 * and outranks the pages it points to.  Measured on three manuals, such
 * pages have 75-100% of their text inside links, pages of prose 1-30%.
 * So a document's link share (rank_link_share, stored in
 * document.link_share at ingest) gives it a hub factor h: 1 up to
 * RANK_HUB_FROM, falling linearly to 1 - RANK_HUB_CUT at 1.  A hub's
 * title is its own, though: a chapter's table of contents is titled with
 * its subject ("Graphical User Interfaces with Tk").  So each phrase's
 * saturated weight in a hub is h times its weight over all columns plus
 * 1 - h times its weight in the title alone, and the proximity bonus is
 * scaled by h.  (Measured on the seven judged sets, two samples: MRR@10
 * +0.001 to +0.003 on five, one more query found on Python, gimp-ko
 * -0.002, against h times the whole score; docs/benchmarks.md.)
 */
#define RANK_HUB_FROM 0.5
#define RANK_HUB_CUT 0.8

/* The share of the text of sanitized HTML html (n bytes, borrowed) that
 * lies inside <a href> elements, in characters, 0 for no text. */
double rank_link_share(const char *html, size_t n);

/* The factor rank_doc_score's result is multiplied by for a document
 * with link share share. */
double rank_hub_factor(double share);

/* The constants a stored impact depends on (impact.h), as text into buf
 * (n bytes): lists built with other ones are not used, and the next
 * build replaces them. */
void rank_params(char *buf, size_t n);
#define RANK_PARAMS_MAX 128

/*
 * Definition terms.  A manual defines its terms in definition lists: a
 * glossary's entries, a function's signature (Sphinx), an option or a
 * parameter (DocBook's variablelist), a texinfo @deffn or @table item.
 * Such a term names what the text after it is about, as a heading does,
 * so the document index holds the text of every <dt> in the heading
 * column beside the headings (the view doc_text, migration 0007).
 * Measured on six manuals' back-of-book indexes (fresh ingests): MRR@10
 * +0.007 to +0.021 on all six, success@10 -0.005 to +0.010
 * (docs/benchmarks.md).
 */
/* Text of each <dt> element of sanitized HTML html (n bytes, borrowed;
 * the sanitizer's entities decoded, tags dropped, white space and control
 * characters collapsed to one space), the terms separated by the byte
 * 0x1e, appended to sb; at most RANK_TERMS_MAX bytes of terms (a term
 * that would pass it is left out, and so is the rest).  0, or -1 when out
 * of memory. */
int rank_definition_terms(const char *html, size_t n, struct strbuf *sb);
#define RANK_TERMS_MAX 65536

/*
 * Heading keys.  A page whose heading or definition term is the query,
 * word for word, is about what was asked: the glossary's entry
 * "decorator", the section "Feathering".  The document index cannot tell
 * a heading that is the query from one that holds it, so each indexed
 * document's section headings and definition terms, each normalised as a
 * title is (query_normalize_title: a leading section number dropped,
 * Latin letters folded) and without a permalink sign or a label's colon
 * after it, are also kept as keys in the table heading_key (docindex.c
 * owns it; migration 0012).  A term that is mostly code (<code>, <var>,
 * ...: four fifths of its letters and digits) names a parameter, a field
 * or an option in a reference page's list, not the page's subject, and is
 * no key.  A signature defines a name: the word before a term's first '('
 * is a key too ("ctime" of ": str = ctime (t)"), and so is that word of
 * the first cell of a table row (a function table's "left ( string text,
 * n integer ) → text"), whose text is otherwise no key.  A page's file
 * name names it too: "postgres-user.html" is the key "postgres user"
 * (texinfo's escapes decoded: "I_002fO-Dialogs.html", "i/o dialogs").
 * Search ranks
 * the documents whose key equals the query right after those whose title
 * does (search.c), unless more than
 * RANK_HEADING_DOCS documents share that key: then it is a template's
 * ("Description", "Examples", "Navigation"), not a subject.  Measured on
 * the seven judged sets, two samples each (docs/benchmarks.md).  After
 * them come the documents with a key that is a qualified name made of
 * the query's words ("flask.ctx.appcontext" for "AppContext class in
 * flask.ctx": search.c, "Qualified names").
 */
/* Longest key kept, in bytes: longer terms are signatures and sentences,
 * not something a reader types whole. */
#define RANK_HEADING_KEY_MAX 64
#define RANK_HEADING_DOCS 20

/* The keys of a document: of its section headings headings (hn bytes,
 * borrowed, separated by the byte 0x1e), of the definition terms of its
 * sanitized HTML html (n bytes, borrowed), of the signatures in the first
 * cells of its table rows and of the file name of its path (pn bytes,
 * borrowed), appended to sb, each ended by 0x1e; empty and overlong ones
 * left out, repeats kept.  0, or -1 when out of memory. */
int rank_heading_keys(const char *headings, size_t hn, const char *html,
                      size_t n, const char *path, size_t pn, struct strbuf *sb);

/*
 * Duplicates.  A mirrored site often holds one text several times: a page
 * and its source (the .txt files of Sphinx's _sources), a page and a copy
 * of it.  A reader wants it once, in the form meant for reading.  Each
 * document gets a sketch of its text at ingest (rank_sketch: a b-bit
 * MinHash of its word 3-shingles, RANK_SKETCH bytes), and search shows one
 * result per group of documents of a collection whose sketches estimate a
 * Jaccard similarity of at least RANK_DUP_SIMILAR when their forms differ
 * (rank_form: HTML, Markdown, PDF, other text), or, when they are alike,
 * whose normalised titles are equal and whose sketches reach
 * RANK_DUP_SAME_FORM, at the best rank of the group, as its most readable
 * form (or, of one form, as the copy more pages link to).  A source is
 * shown as its page, whatever their texts: a plain-text or Markdown
 * document is a page's source when an HTML document of its collection and
 * of its file name (the path's last part up to its first '.') links to it,
 * as Sphinx's "Show Source" links module/FindSQLite3.html to
 * _sources/module/FindSQLite3.rst.txt, a stub whose one line pulls the
 * page's text from elsewhere (a PDF is not a source: a landing page may
 * link to the paper it describes).  It shows at its own rank, even where
 * the page alone would rank lower or not match (the reST markup of the
 * source holds words the page renders away).  Measured:
 * python3.11-doc's pages and their reST sources 0.05-0.81 (three in four above
 * 0.4), unrelated pages at most 0.13; but pages of one kind share boilerplate
 * and templates (sqlite3-doc's release notes of point releases 0.4-0.87), hence
 * the stricter bound within one form.
 */
#define RANK_SKETCH 64
#define RANK_DUP_SIMILAR 0.4
#define RANK_DUP_SAME_FORM 0.9

/* Texts shorter than this many words get no sketch: too few shingles to
 * tell a copy from two short pages that happen to say the same (or
 * nothing, when a sanitizer dropped their whole body). */
#define RANK_SKETCH_MIN_WORDS 8

/* The sketch of text (n bytes, borrowed, UTF-8) into out: 1, or 0 (out
 * unset) for a text of fewer than RANK_SKETCH_MIN_WORDS words. */
int rank_sketch(const char *text, size_t n, unsigned char out[RANK_SKETCH]);

/* The Jaccard similarity two sketches estimate, 0..1. */
double rank_sketch_similarity(const unsigned char *a, const unsigned char *b);

/* How readable a content type is as a result: 0 (HTML) is best. */
int rank_form(const char *content_type);

/* Register kwtf and kwdoc (FTS5), and link_share(html),
 * text_sketch(text), definition_terms(html) and heading_keys(headings,
 * html, path) (SQL, for ingest and migrations; heading_keys gives
 * rank_heading_keys' output as text) on db: every connection.  SQLITE_OK, or
 * SQLITE_ERROR when the library has no FTS5. */
int rank_register(sqlite3 *db);

#endif
