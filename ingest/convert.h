/*
 * convert: one input file to a stored document: read (bounded, no
 * symlinks), gunzip, detect, convert to UTF-8, extract (HTML, Markdown,
 * text, PDF), sanitize, hash.  Layer: ingest/; depends on lib/ (sanitize,
 * url, gz) and ingest/extract.  This is what a worker process runs on
 * each job; it is called directly by the unit tests.
 */
#ifndef KW_CONVERT_H
#define KW_CONVERT_H

#include <jansson.h>
#include <stddef.h>

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

/*
 * Convert one file.  Returns a new JSON object (json_decref):
 * {"ok": true, "format", "content_type", "orig_sha256", "orig_size",
 *  "body_html", "body_sha256", "text", "title", "authors", "date",
 *  "language", "description", "canonical", "links": [[url, is_image]],
 *  "sections": [[anchor, heading, text]]}
 * or {"ok": false, "reason": "..."} for input that cannot be stored.
 * NULL only when out of memory.
 */
json_t *convert_file(const struct convert_job *job);

/* The job as JSON for the pipe to a worker, and back.  The struct filled
 * by convert_job_from_json borrows strings from `j`. */
json_t *convert_job_to_json(const struct convert_job *job);
int convert_job_from_json(json_t *j, struct convert_job *job);

#endif
