/*
 * cmd_pack: `kwangmyong pack keygen|export|import|check`, signed packs
 * that carry a collection to an air-gapped server on removable media.
 * Layer: cli/ (the program's front end); calls lib/pack and lib/packdb;
 * never includes microhttpd.h.  It prints and returns exit codes; lib/
 * does neither.
 */
#ifndef KW_CMD_PACK_H
#define KW_CMD_PACK_H

#include "cli.h"

/* Run `pack ACTION ...`: argv[0] is "pack", argv[1] the action; c (the
 * front end's state, borrowed) has the common options applied.  Returns
 * 0 done, 1 a pack refused (unsigned, changed, truncated, untrusted) or
 * bad input, 2 usage or fatal error. */
int cmd_pack_main(struct cli *c, int argc, char **argv);

/* The --help text, on stdout. */
void cmd_pack_usage(void);

#endif
