/*
 * serve: the `kwangmyong serve` command: start the HTTP server over the
 * database, take checkpoints while it runs, stop gracefully on a signal.
 * Layer: server/; called by the front end in cli/, as ingest_main is, and
 * never includes a cli/ or ingest/ header.
 */
#ifndef KW_SERVE_H
#define KW_SERVE_H

#include "config.h"

/* Run `serve ...`: argv[0] is "serve"; the common options are already
 * taken out of argv and applied to cfg, and data_dir is found (both
 * borrowed for the whole run).  Returns the exit code (exitcode.h): 0
 * after a graceful stop, 2 on a usage or fatal error. */
int serve_main(struct config *cfg, const char *data_dir, int argc, char **argv);

/* The --help text, on stdout; common_help prints the options every
 * command shares (the front end's), between serve's options and its
 * notes. */
void serve_usage(void (*common_help)(void));

#endif
