/*
 * cmd_export: `kwangmyong export`, a collection's published documents as
 * a ZIM archive (or the static tree it is made of) for reading offline.
 * Layer: cli/ (the program's front end); calls lib/offline and runs
 * zimwriterfs; never includes microhttpd.h.  It prints and returns exit
 * codes; lib/ does neither.
 */
#ifndef KW_CMD_EXPORT_H
#define KW_CMD_EXPORT_H

#include "cli.h"

/* Run `export ...`: argv[0] is "export"; c (borrowed) has the common
 * options applied.  Returns 0 done, 2 usage or fatal error (unknown or
 * empty collection, zimwriterfs missing or failing, OUT not writable). */
int cmd_export_main(struct cli *c, int argc, char **argv);

/* The --help text, on stdout. */
void cmd_export_usage(void);

#endif
