/*
 * ingest: the `kwangmyong ingest` command.  Layer: ingest/; depends on
 * lib/ and the other ingest/ modules, never on microhttpd.h.
 */
#ifndef KW_INGEST_H
#define KW_INGEST_H

struct config;

/* Run the command; argv[0] is "ingest".  Returns the exit code: 0 all
 * stored, 1 some input rejected (reported), 2 usage or fatal error. */
int ingest_main(const struct config *cfg, const char *data_dir, int argc,
                char **argv);
void ingest_usage(void);

#endif
