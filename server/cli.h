/*
 * cli: what every subcommand shares: the common options (--db, --config,
 * --set, --data-dir), configuration in its order of precedence, and
 * finding the data directory.  Layer: server/ (the program's front end).
 */
#ifndef KW_CLI_H
#define KW_CLI_H

#include "config.h"

/* Exit codes of every subcommand. */
enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_FATAL = 2 };

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
/* Print the common options for a subcommand's --help. */
void cli_print_common_help(void);
/* Print the configuration keys, one block each (help config). */
void cli_print_config_keys(void);

#endif
