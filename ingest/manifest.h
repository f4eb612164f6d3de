/*
 * manifest: the JSON Lines manifest that may accompany an ingested tree,
 * giving each document's provenance and metadata.  Layer: ingest/, depends
 * on lib/ (strbuf, alloc, fsutil, url) and jansson; never on microhttpd.h
 * or server/.  The manifest comes from outside with the material, so it is
 * hostile input (hostile-world.md, row I7): a bad line becomes an issue
 * with its line number and the other lines are kept.
 *
 * One JSON object per line; empty lines are skipped, CRLF is accepted, a
 * UTF-8 BOM at the start is ignored, unknown keys are ignored:
 *
 *   path          relative path inside the ingested tree ("./" prefixes
 *                 and "." or empty segments dropped; absolute paths, ".."
 *                 segments, backslashes and control characters refused)
 *   url           the document's own http(s) URL (for --fetch)
 *   title, language, license, abstract     strings
 *   authors       string, or array of strings joined with "; "
 *   source_url    http(s) URL the document was mirrored from
 *   retrieved_at  ISO 8601 date or date-time (no zone = UTC), or integer
 *                 Unix seconds
 *   tags          array of strings
 *
 * Each entry needs a path or a url.  Both URLs are stored in url_normalize
 * form (fragment dropped), which is how links find documents later.  Empty
 * strings count as absent, so an empty title never hides an extracted one.
 * A later entry with the same path or url as an earlier one is refused.
 */
#ifndef KW_MANIFEST_H
#define KW_MANIFEST_H

#include <stddef.h>

/* Limits that keep a hostile manifest bounded in memory and time. */
#define MANIFEST_MAX_LINE (1024 * 1024)
#define MANIFEST_MAX_ENTRIES 1000000
#define MANIFEST_MAX_ISSUES 1000
#define MANIFEST_MAX_DEPTH 32

struct manifest_entry {
    int line;               /* 1-based line of the manifest */
    char *path;             /* owned, normalised; NULL when absent */
    char *url;              /* owned, url_normalize form; NULL when absent */
    char *title;            /* owned strings below, NULL when absent */
    char *authors;          /* joined with "; " */
    char *source_url;       /* url_normalize form */
    long long retrieved_at; /* Unix seconds; -1 when absent */
    char *language;
    char **tags; /* owned array of ntags owned strings */
    size_t ntags;
    char *license;
    char *abstract;
};

struct manifest_issue {
    int line;      /* 1-based; the line of the last issue when capped */
    char msg[200]; /* printable ASCII only */
};

/* Private to manifest.c: one key of a lookup index. */
struct manifest_key {
    const char *key; /* borrowed from an entry */
    size_t entry;
};

struct manifest {
    struct manifest_entry *entries; /* owned, in line order */
    size_t n;
    struct manifest_issue *issues; /* owned, in line order */
    size_t nissues;
    /* private: sorted indexes behind manifest_find_path/_url (owned) */
    struct manifest_key *by_path;
    size_t npath;
    struct manifest_key *by_url;
    size_t nurl;
};

/* Load the manifest at path into out (owned by the caller; release with
 * manifest_free).  Bad lines are skipped and reported as issues; the rest
 * is kept.  Returns 0, or -1 when the file as a whole cannot be used
 * (unreadable, not a regular file, larger than max_bytes, out of memory)
 * with a message in err; out is then empty. */
int manifest_load(const char *path, size_t max_bytes, struct manifest *out,
                  char *err, size_t errlen);
/* Parse text[0..len) (need not be NUL-terminated) into out, as
 * manifest_load does.  0, or -1 only when out of memory (out empty). */
int manifest_parse(const char *text, size_t len, struct manifest *out);
/* Release everything m owns and leave it empty.  Safe on an empty or
 * zeroed manifest. */
void manifest_free(struct manifest *m);

/* The entry for path (normalised like manifest paths, so "./a/b" finds
 * "a/b"), borrowed from m, or NULL. */
const struct manifest_entry *manifest_find_path(const struct manifest *m,
                                                const char *path);
/* The entry whose url equals url after url_normalize (fragment ignored),
 * borrowed from m, or NULL. */
const struct manifest_entry *manifest_find_url(const struct manifest *m,
                                               const char *url);

#endif
