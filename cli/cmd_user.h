/*
 * cmd_user: the `kwangmyong user` subcommand: add, passwd, list, disable
 * and enable the accounts of admins, moderators and operators.  Layer:
 * cli/ (the program's front end); calls lib/auth; never includes
 * microhttpd.h.  It prints and returns exit codes; lib/ does neither.
 */
#ifndef KW_CMD_USER_H
#define KW_CMD_USER_H

#include "db.h"

/* Run `user ...`: argv[0] is "user", argv[1] the action.  w is the writer
 * connection (borrowed; the caller opens and closes it).  Initialises
 * auth with the production limits.  Returns 0 done, 1 bad input (unknown
 * user, weak or empty password, name taken), 2 usage or fatal error. */
int cmd_user_main(struct db *w, int argc, char **argv);

/* The --help text, on stdout. */
void cmd_user_usage(void);

#endif
