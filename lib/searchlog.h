/*
 * searchlog: what readers search for, counted in memory by the server's
 * threads and written to the search_log table now and then in one short
 * transaction, so searching never waits for the write lock.  The counts
 * feed the zero-result report (what readers want and do not find).
 * Layer: lib/; depends on db and query.
 */
#ifndef KW_SEARCHLOG_H
#define KW_SEARCHLOG_H

#include <stddef.h>

#include "db.h"

struct searchlog;

/* New log that keeps at most max distinct queries between flushes
 * (further new queries are dropped until the next flush).  NULL on OOM. */
struct searchlog *searchlog_new(size_t max);
void searchlog_free(struct searchlog *l);
/* Count one search of `query` that found `total` documents.  Thread-safe;
 * empty queries are ignored. */
void searchlog_note(struct searchlog *l, const char *query, long total);
/* Add the counts to search_log through the writer and start over.
 * Returns the number of rows written, or -1 (the counts are kept). */
int searchlog_flush(struct searchlog *l, struct db *w);

#endif
