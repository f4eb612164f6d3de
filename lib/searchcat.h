/*
 * searchcat: the search catalog, what ranking needs to know about every
 * searchable section and its document, in memory: the section's document
 * and body length, the document's collection, language and year.  Layer:
 * lib/; depends on db (it is read in the caller's snapshot); never on
 * microhttpd.h or server/.
 *
 * Why: the search scan used to join every matching section to its row in
 * section and in document, two B-tree seeks of about 1 us each that cost
 * three times the matching itself (31 ms of a 36 ms query for a word in
 * 17,641 sections).  Arrays indexed by id answer the same in nanoseconds.
 *
 * Only published documents and their sections are in it; everything else
 * the FTS index returns (pending, rejected, superseded versions) is
 * skipped.  A catalog is immutable once built and reference-counted, so a
 * search keeps using the one it started with while a newer one replaces
 * it.  It is valid for one search generation (searchcache.h): when the
 * generation moves, the server makes the next one from it and the
 * documents that changed (searchcat_update), or builds it anew.  Memory:
 * 6 bytes per section id and 28 per document id up to the largest (1M
 * sections in 100k documents: about 9 MB).
 *
 * The one part that changes after the build is its memo: the number of
 * published documents each query term matched (the IDF's df), counted by
 * the searches that share the catalog, so that a word asked again costs
 * no count of its documents (3-6 ms for a common word at 100,000
 * documents, linear in them).  A count belongs to the generation, so only
 * a search whose snapshot is at the catalog's own generation may add one
 * (a catalog can be newer than a reader's snapshot).  Own lock, bounded
 * (SEARCHCAT_MEMO_BYTES, least recently used out first).
 */
#ifndef KW_SEARCHCAT_H
#define KW_SEARCHCAT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* Distinct document languages told apart (more fall into "none"). */
#define SEARCHCAT_MAX_LANGS 64
/* No language (lang), no date (year). */
#define SEARCHCAT_NO_LANG 0xff
/* The memo's budget: some thousands of terms. */
#define SEARCHCAT_MEMO_BYTES (256 * 1024)

struct searchcat_memo;

struct searchcat_doc {
    uint32_t coll;    /* collection id; 0: not published */
    uint16_t year;    /* year published (UTC); 0: no date */
    uint8_t lang;     /* index into langs, SEARCHCAT_NO_LANG: none */
    uint32_t ntok[3]; /* tokens in doc_fts's title, heading, body */
    float hub;        /* rank_hub_factor of its link share */
    uint32_t sec_lo;  /* its lowest and highest section ids (0: none) */
    uint32_t sec_hi;
};

/* Distinct title affixes kept (query_title_affix(); more are not used). */
#define SEARCHCAT_MAX_AFFIX 32

/* One affix of the titles of one or more collections: normalised, "" for
 * no prefix or no suffix. */
struct searchcat_affix {
    char *prefix;
    char *suffix;
};

/* A collection whose titles have an affix: its index in affix[]. */
struct searchcat_coll_affix {
    uint32_t coll;
    uint32_t affix;
};

struct searchcat {
    long refs;
    int64_t gen;               /* the search generation it was built in */
    uint32_t *sec_doc;         /* by section id: its document id, 0: none */
    uint16_t *sec_bytes;       /* by section id: body length, saturated */
    size_t nsec;               /* largest section id + 1 */
    struct searchcat_doc *doc; /* by document id */
    size_t ndoc;               /* largest document id + 1 */
    char *langs[SEARCHCAT_MAX_LANGS];
    size_t nlang;
    size_t npublished;           /* published documents */
    double avg_ntok[3];          /* their mean ntok[] (1 when none) */
    struct searchcat_memo *memo; /* searchcat_df_*; NULL: none */
    /* The title affix of each collection that has one (by coll), read
     * from a sample of its published titles at every build and update. */
    struct searchcat_affix affix[SEARCHCAT_MAX_AFFIX];
    size_t naffix;
    struct searchcat_coll_affix *coll_affix;
    size_t ncoll_affix;
};

/* Build a catalog from db (a reader; call it inside the snapshot the
 * search reads in).  gen is recorded as is.  0 with *out (one reference),
 * or -1 on a database error, out of memory, or ids beyond 2^32. */
int searchcat_build(struct db *db, int64_t gen, struct searchcat **out);

/* The catalog of generation gen (db a reader inside the snapshot the
 * search reads in) from old, of an earlier one, by reading again only the
 * documents search_change names after old's generation
 * (db/migrations/0010_search_change.sql): what a full build gives, for the
 * price of copying old's arrays (about 60 MB at a million documents) and
 * three lookups per document changed, against a second and more for a
 * build.  0 with *out (one reference); 1 when a build is the way: the rows
 * since old were deleted (search_change_floor), or more documents changed
 * than a sixteenth of old's (plus SEARCHCAT_UPDATE_MIN); -1 on a database
 * error or out of memory. */
int searchcat_update(struct db *db, const struct searchcat *old, int64_t gen,
                     struct searchcat **out);
/* A document read again costs about ten times its share of a build
 * (three lookups against one row of three scans): past a sixteenth the
 * build is as quick. */
#define SEARCHCAT_UPDATE_SHARE 16
#define SEARCHCAT_UPDATE_MIN 256

/* The title affix of collection coll, or NULL when it has none. */
const struct searchcat_affix *searchcat_affix_of(const struct searchcat *c,
                                                 uint32_t coll);

/* Take and drop references (thread-safe).  unref(NULL) is a no-op. */
struct searchcat *searchcat_ref(struct searchcat *c);
void searchcat_unref(struct searchcat *c);

/* The index of language code l in c->langs, or -1 when no published
 * document has it. */
int searchcat_lang(const struct searchcat *c, const char *l);

/* The memo's count of documents for the MATCH expression of one term
 * (term, n bytes, borrowed): 1 with *df set, or 0 when it holds none.
 * Thread-safe. */
int searchcat_df_get(const struct searchcat *c, const char *term, size_t n,
                     long *df);

/* Remember df for term, counted in a snapshot at generation c->gen (the
 * caller's to check).  Out of memory or over budget, it is not kept.
 * Thread-safe. */
void searchcat_df_put(const struct searchcat *c, const char *term, size_t n,
                      long df);

#endif
