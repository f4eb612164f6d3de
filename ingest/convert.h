/*
 * convert: one input file to a stored document: read (bounded, no
 * symlinks), gunzip, detect, convert to UTF-8, extract (HTML, Markdown,
 * text, PDF), sanitize, hash.  Layer: ingest/; depends on lib/ (sanitize,
 * url, gz) and ingest/extract.  This is what a worker process runs on
 * each job; it is called directly by the unit tests.
 */
#ifndef KW_CONVERT_H
#define KW_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "extract.h"

struct convert_job {
    const char *path;     /* file to read */
    const char *rel;      /* path inside the tree, for names and titles */
    const char *doc_url;  /* the document's absolute URL (real or
                             synthetic): relative links resolve against it */
    const char *tree_url; /* the tree's base URL: images under it are kept */
    const char *charset;  /* the charset it was served with, or NULL */
    size_t max_bytes;     /* input size limit (policy max_size) */
    const char *types;    /* allowed formats, space separated */
    struct extract_limits limits;
};

/* A link of the document: its absolute URL, and whether an <img> used it. */
struct converted_link {
    char *url;
    int is_image;
};

/* A section: its anchor (or NULL), heading (or NULL) and text. */
struct converted_section {
    char *anchor;
    char *heading;
    char *text;
};

/*
 * What a worker makes of one file, the contract between convert_file (in
 * the worker), the pool's frames (ingest/pool.c) and the writer
 * (ingest/store.c).  When ok is 0 only reason is set.  Otherwise format
 * and content_type, the hashes, body_html and text are set; the other
 * strings may be NULL.  Every string is UTF-8 without NUL.  raw holds the
 * file's bytes when they are kept as an attachment (a PDF that was not
 * gzipped), else NULL.  Everything is owned by the struct: free it with
 * converted_free().
 */
struct converted {
    int ok;
    char *reason;       /* why the file cannot be stored (ok == 0) */
    char *format;       /* extract_format_name(): "html", "pdf", ... */
    char *content_type; /* the format's MIME type */
    char orig_sha256[65];
    int64_t orig_size; /* bytes of the file as read (before gunzip) */
    char *body_html;   /* sanitized body */
    char body_sha256[65];
    char *text; /* plain text of the body */
    char *title, *authors, *date, *language, *description, *canonical;
    char *language_guess; /* "ko", "en" or NULL, from the text */
    struct converted_link *links;
    size_t nlinks;
    struct converted_section *sections;
    size_t nsections;
    unsigned char *raw;
    size_t raw_len;
    /* Private: the one block every string points into when the struct
     * was decoded from a frame (ingest/pool.c), else NULL. */
    void *block;
};

/*
 * Convert one file.  Returns a new struct converted (converted_free):
 * ok with the document, or not ok with the reason for input that cannot
 * be stored.  NULL only when out of memory.
 */
struct converted *convert_file(const struct convert_job *job);

/* A new failed result with a copy of reason, or NULL (out of memory). */
struct converted *converted_fail(const char *reason);

/* Free c and everything it owns; NULL is fine. */
void converted_free(struct converted *c);

#endif
