/*
 * cmd_db: `kwangmyong verify`, `reindex`, `backup` and `requests export`,
 * the subcommands over the whole database.  Layer: cli/; never includes
 * microhttpd.h.  Each takes the front end's state c (borrowed; the common
 * options are already applied) and argv with argv[0] the command's name,
 * and returns an exit code (exitcode.h).
 */
#ifndef KW_CMD_DB_H
#define KW_CMD_DB_H

#include "cli.h"

/* Integrity, foreign keys, the FTS indexes, stored hashes, the document
 * index and the audit chain; 1 when anything is wrong. */
int cmd_db_verify(struct cli *c, int argc, char **argv);
/* The document index rebuilt from the published documents. */
int cmd_db_reindex(struct cli *c, int argc, char **argv);
/* An online, consistent copy to argv[1], which must not exist. */
int cmd_db_backup(struct cli *c, int argc, char **argv);
/* The open acquisition requests, most wanted first, one URL a line. */
int cmd_db_requests(struct cli *c, int argc, char **argv);

#endif
