/*
 * listkeeper: the server keeps search's impact lists fresh (lib/impact.h).
 * Layer: server/; depends on lib/ (config, db, impact, log).
 *
 * Why: most documents reach readers through the moderation form, and only
 * `ingest --approve` and pack imports rebuilt the lists.  What was
 * approved since the last build is scored by every search that matches it,
 * so searches grew slower as approvals piled up, until an operator ran
 * `reindex --lists`.  A thread with a writer connection of its own looks
 * every lists_interval seconds, and when impact_refresh finds the lists
 * stale builds them online: beside the ones in use, in write transactions
 * short enough that the moderation form hardly waits, at a lower CPU
 * priority than the threads that answer requests.
 */
#ifndef KW_LISTKEEPER_H
#define KW_LISTKEEPER_H

#include "config.h"

struct listkeeper;

/* Start the thread, with a writer opened on cfg's database (already
 * migrated by the server's own).  0 with *out set (NULL when
 * cfg->lists_interval is 0), or -1 with err set. */
int listkeeper_start(const struct config *cfg, const char *data_dir,
                     struct listkeeper **out, char *err, size_t errlen);

/* Stop and free it (NULL: nothing): a build under way stops at once and
 * leaves the lists in use as they were. */
void listkeeper_stop(struct listkeeper *k);

#endif
