/*
 * cli: what every subcommand shares: the common options (--db, --config,
 * --set, --data-dir), configuration in its order of precedence, finding
 * the data directory and opening the database as a command's writer.
 * Layer: cli/ (the program's front end, above server/ and ingest/); never
 * includes microhttpd.h.
 */
#ifndef KW_CLI_H
#define KW_CLI_H

#include "config.h"
#include "db.h"
#include "exitcode.h"

struct cli {
    struct config cfg;
    char data_dir[4096];
};

/* Apply defaults, then --config FILE, then KWANGMYONG_DB, then --db,
 * --data-dir and --set in order.  Recognised common options are removed
 * from argv (argc updated); the rest is left for the subcommand.
 * 0, or EXIT_FATAL after printing the reason. */
int cli_init(struct cli *c, int *argc, char **argv);
void cli_free(struct cli *c);
/* Find the data directory: --data-dir/data_dir, KWANGMYONG_DATA_DIR, the
 * install datadir, or the source tree the binary sits in.  0 or -1. */
int cli_find_data_dir(struct cli *c, const char *argv0);
/* Open the database as the writer (db_open_writer: created when missing,
 * migrated).  0 with *db set (new, db_close), or -1 after printing the
 * reason. */
int cli_open_writer(struct cli *c, struct db **db);
/* Print the common options for a subcommand's --help. */
void cli_print_common_help(void);
/* Print the configuration keys, one block each (help config). */
void cli_print_config_keys(void);

#endif
