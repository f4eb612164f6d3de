/*
 * config: the one table of configuration keys.  Layer: lib/, libc only.
 * The table drives the parser (config file, --set), `--help`, the
 * `kwangmyong help config` listing used by the man page, and the test that
 * README.md documents every key.
 */
#ifndef KW_CONFIG_H
#define KW_CONFIG_H

#include <stddef.h>

enum config_type { CONFIG_STR, CONFIG_INT, CONFIG_BOOL, CONFIG_SIZE };

struct config {
    char *db;
    char *listen;
    char *base_path;
    char *data_dir;
    char *access_log;
    char *log_level;
    char *default_language;
    long threads;
    long max_connections;
    long max_connections_per_ip;
    long connection_memory;
    long connection_timeout;
    long max_body;
    long query_timeout_ms;
    long busy_timeout_ms;
    long lock_timeout_ms;
    long checkpoint_interval;
    long lists_interval;
    long wal_restart_bytes;
    long shutdown_timeout;
    long session_idle;
    long session_max;
    long cookie_secure;
    long search_cache;
    long page_cache;
    long search_threads;
    long search_queue;
    long search_timeout_ms;
    long metrics_public;
    char *tls_cert;
    char *tls_key;
    long read_only;
    char *primary_url;
    long immutable;
    char *pack_trusted_keys;
};

struct config_key {
    const char *name;
    enum config_type type;
    size_t offset; /* into struct config */
    const char *def;
    long min, max; /* for INT and SIZE */
    const char *help;
};

struct config_error {
    char msg[512];
};

/* The table, terminated by a NULL name; borrowed, static. */
extern const struct config_key config_keys[];

/* Fill every key with its default.  0, or -1 when out of memory. */
int config_init(struct config *cfg);
void config_free(struct config *cfg);
const struct config_key *config_find(const char *name);
/* Parse and set one key from text.  0, or -1 with err->msg filled. */
int config_set(struct config *cfg, const char *name, const char *value,
               struct config_error *err);
/* "key=value" as given to --set. */
int config_set_pair(struct config *cfg, const char *pair,
                    struct config_error *err);
/* Read "key = value" lines (# comments, blank lines).  The first bad line
 * stops the load with "FILE:LINE: ..." in err->msg. */
int config_load_file(struct config *cfg, const char *path,
                     struct config_error *err);
/* Text form of a key's current value into buf (for `help config`). */
void config_format(const struct config *cfg, const struct config_key *k,
                   char *buf, size_t len);

#endif
