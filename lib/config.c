/*
 * config: table-driven configuration.  Layer: lib/, libc only.  Values
 * are validated against the table's range when set, so the rest of the
 * program can trust a struct config without re-checking.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

#define OFF(f) offsetof(struct config, f)

const struct config_key config_keys[] = {
    {"db", CONFIG_STR, OFF(db), "kwangmyong.db", 0, 0,
     "SQLite database file (also KWANGMYONG_DB and --db)"},
    {"listen", CONFIG_STR, OFF(listen), "127.0.0.1:8080", 0, 0,
     "address and port to listen on, ADDR:PORT ([v6]:PORT for IPv6)"},
    {"base_path", CONFIG_STR, OFF(base_path), "", 0, 0,
     "URL prefix when served behind a reverse proxy, e.g. /portal"},
    {"data_dir", CONFIG_STR, OFF(data_dir), "", 0, 0,
     "templates, static files and migrations (default: the install "
     "datadir)"},
    {"access_log", CONFIG_STR, OFF(access_log), "-", 0, 0,
     "access log file, - for stderr; reopened on SIGHUP"},
    {"log_level", CONFIG_STR, OFF(log_level), "info", 0, 0,
     "error, warn, info or debug"},
    {"default_language", CONFIG_STR, OFF(default_language), "ko", 0, 0,
     "UI language when neither ?lang=, cookie nor Accept-Language "
     "decide (ko or en)"},
    {"threads", CONFIG_INT, OFF(threads), "0", 0, 256,
     "HTTP worker threads; 0 means one per CPU core"},
    {"max_connections", CONFIG_INT, OFF(max_connections), "1024", 1, 65536,
     "concurrent connections, all clients together"},
    {"max_connections_per_ip", CONFIG_INT, OFF(max_connections_per_ip), "64", 0,
     65536,
     "concurrent connections from one client address (0: no limit; raise "
     "it behind a reverse proxy)"},
    {"connection_memory", CONFIG_SIZE, OFF(connection_memory), "32k", 8192,
     16777216, "memory for one connection's request headers and buffers"},
    {"connection_timeout", CONFIG_INT, OFF(connection_timeout), "30", 1, 3600,
     "seconds a connection may stay idle (slowloris defence)"},
    {"max_body", CONFIG_SIZE, OFF(max_body), "1M", 0, 1073741824,
     "largest request body accepted; larger gets 413"},
    {"query_timeout_ms", CONFIG_INT, OFF(query_timeout_ms), "2000", 10, 600000,
     "a database query running longer is interrupted"},
    {"busy_timeout_ms", CONFIG_INT, OFF(busy_timeout_ms), "5000", 0, 600000,
     "how long a connection waits for a database lock"},
    {"lock_timeout_ms", CONFIG_INT, OFF(lock_timeout_ms), "10000", 0, 600000,
     "how long a writer waits for the cross-process write lock"},
    {"checkpoint_interval", CONFIG_INT, OFF(checkpoint_interval), "30", 1,
     86400, "seconds between the server's WAL checkpoints"},
    {"lists_interval", CONFIG_INT, OFF(lists_interval), "600", 0, 86400,
     "seconds between the server's looks at whether search's impact lists "
     "are stale, which it then builds anew beside the ones in use (0: "
     "never)"},
    {"wal_restart_bytes", CONFIG_SIZE, OFF(wal_restart_bytes), "64M", 0,
     1073741824, "WAL size above which a checkpoint restarts the log"},
    {"shutdown_timeout", CONFIG_INT, OFF(shutdown_timeout), "10", 0, 600,
     "seconds to let in-flight requests finish on SIGTERM"},
    {"session_idle", CONFIG_INT, OFF(session_idle), "1800", 60, 86400 * 30,
     "seconds of inactivity after which an admin session expires"},
    {"session_max", CONFIG_INT, OFF(session_max), "43200", 60, 86400 * 90,
     "absolute lifetime of an admin session in seconds"},
    {"cookie_secure", CONFIG_BOOL, OFF(cookie_secure), "false", 0, 1,
     "mark cookies Secure (set when a TLS proxy is in front)"},
    {"search_cache", CONFIG_SIZE, OFF(search_cache), "16M", 0, 1073741824,
     "memory for search results kept until something is published or "
     "withdrawn (0: off)"},
    {"page_cache", CONFIG_SIZE, OFF(page_cache), "24M", 0, 1073741824,
     "memory for ready document pages kept until the database changes "
     "(0: off)"},
    {"search_threads", CONFIG_INT, OFF(search_threads), "0", 0, 256,
     "threads that run searches, apart from the HTTP threads so pages "
     "never wait behind them; 0 means one per CPU core"},
    {"search_queue", CONFIG_INT, OFF(search_queue), "64", 1, 65536,
     "searches that may wait for a search thread; past that a search is "
     "answered 503 with Retry-After"},
    {"search_timeout_ms", CONFIG_INT, OFF(search_timeout_ms), "1000", 10,
     600000,
     "CPU budget of one search; past it the answer is 503 with "
     "Retry-After"},
    {"metrics_public", CONFIG_BOOL, OFF(metrics_public), "false", 0, 1,
     "answer /metrics to everyone, not only to loopback clients and "
     "operator sessions"},
    {"tls_cert", CONFIG_STR, OFF(tls_cert), "", 0, 0,
     "PEM certificate chain: serve HTTPS (with tls_key); cookies are then "
     "Secure and __Host- prefixed, and HSTS is sent"},
    {"tls_key", CONFIG_STR, OFF(tls_key), "", 0, 0,
     "PEM private key of tls_cert"},
    {"read_only", CONFIG_BOOL, OFF(read_only), "false", 0, 1,
     "a read-only replica: never write to the database (no migration, no "
     "checkpoint, no stored renditions, search log in memory); admin "
     "pages, logins and every form answer 303 to primary_url"},
    {"primary_url", CONFIG_STR, OFF(primary_url), "", 0, 0,
     "the primary's public URL (http://portal.example/prefix) where a "
     "read_only replica sends admin pages and forms; empty: 503"},
    {"immutable", CONFIG_BOOL, OFF(immutable), "false", 0, 1,
     "with read_only: the file is a snapshot nothing writes while it is "
     "served; opened with immutable=1 (no locks, no -shm); replace it by "
     "rename and the server rolls over to the new one"},
    {"pack_trusted_keys", CONFIG_STR, OFF(pack_trusted_keys), "", 0, 0,
     "public key files (NAME.pub, comma-separated) whose signed packs "
     "pack import accepts, besides those given with --trust"},
    {NULL, CONFIG_STR, 0, NULL, 0, 0, NULL},
};

const struct config_key *
config_find(const char *name)
{
    const struct config_key *k;

    for (k = config_keys; k->name != NULL; k++) {
        if (strcmp(k->name, name) == 0) {
            return k;
        }
    }
    return NULL;
}

/* Parse a number with an optional k/M/G suffix (SIZE) into *out. */
static int
parse_long(const char *s, int with_suffix, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s) {
        return -1;
    }
    if (with_suffix && *end != '\0' && end[1] == '\0') {
        long mul = 1;

        switch (*end) {
        case 'k':
        case 'K':
            mul = 1024;
            break;
        case 'm':
        case 'M':
            mul = 1024L * 1024;
            break;
        case 'g':
        case 'G':
            mul = 1024L * 1024 * 1024;
            break;
        default:
            return -1;
        }
        if (v > LONG_MAX / mul || v < LONG_MIN / mul) {
            return -1;
        }
        v *= mul;
        end++;
    }
    if (*end != '\0') {
        return -1;
    }
    *out = v;
    return 0;
}

int
config_set(struct config *cfg, const char *name, const char *value,
           struct config_error *err)
{
    const struct config_key *k = config_find(name);
    char *base = (char *)cfg;
    long v;

    if (k == NULL) {
        snprintf(err->msg, sizeof(err->msg), "unknown configuration key '%s'",
                 name);
        return -1;
    }
    switch (k->type) {
    case CONFIG_STR: {
        char **slot = (char **)(base + k->offset);
        char *copy = kw_strdup(value);

        if (copy == NULL) {
            snprintf(err->msg, sizeof(err->msg), "out of memory");
            return -1;
        }
        kw_free(*slot);
        *slot = copy;
        return 0;
    }
    case CONFIG_BOOL:
        if (strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
            strcasecmp(value, "yes") == 0 || strcasecmp(value, "on") == 0) {
            v = 1;
        } else if (strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
                   strcasecmp(value, "no") == 0 ||
                   strcasecmp(value, "off") == 0) {
            v = 0;
        } else {
            snprintf(err->msg, sizeof(err->msg),
                     "%s: '%s' is not true or false", name, value);
            return -1;
        }
        break;
    case CONFIG_INT:
    case CONFIG_SIZE:
        if (parse_long(value, k->type == CONFIG_SIZE, &v) < 0) {
            snprintf(err->msg, sizeof(err->msg), "%s: '%s' is not a %s", name,
                     value,
                     k->type == CONFIG_SIZE ? "size (like 64k, 1M)"
                                            : "whole number");
            return -1;
        }
        if (v < k->min || v > k->max) {
            snprintf(err->msg, sizeof(err->msg), "%s: %ld is outside %ld..%ld",
                     name, v, k->min, k->max);
            return -1;
        }
        break;
    default:
        return -1;
    }
    *(long *)(base + k->offset) = v;
    return 0;
}

int
config_init(struct config *cfg)
{
    const struct config_key *k;
    struct config_error err;

    memset(cfg, 0, sizeof(*cfg));
    for (k = config_keys; k->name != NULL; k++) {
        if (config_set(cfg, k->name, k->def, &err) < 0) {
            config_free(cfg);
            return -1;
        }
    }
    return 0;
}

void
config_free(struct config *cfg)
{
    const struct config_key *k;

    for (k = config_keys; k->name != NULL; k++) {
        if (k->type == CONFIG_STR) {
            char **slot = (char **)((char *)cfg + k->offset);

            kw_free(*slot);
            *slot = NULL;
        }
    }
}

int
config_set_pair(struct config *cfg, const char *pair, struct config_error *err)
{
    const char *eq = strchr(pair, '=');
    char name[64];
    size_t n;

    if (eq == NULL || eq == pair || (size_t)(eq - pair) >= sizeof(name)) {
        snprintf(err->msg, sizeof(err->msg), "expected key=value, got '%s'",
                 pair);
        return -1;
    }
    n = (size_t)(eq - pair);
    memcpy(name, pair, n);
    name[n] = '\0';
    return config_set(cfg, name, eq + 1, err);
}

/* Trim ASCII white space at both ends in place; returns the new start. */
static char *
trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s)) {
        s++;
    }
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) {
        *--e = '\0';
    }
    return s;
}

int
config_load_file(struct config *cfg, const char *path, struct config_error *err)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int lineno = 0, rc = 0;

    if (f == NULL) {
        snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p, *eq, *key, *val;
        struct config_error e2;

        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(err->msg, sizeof(err->msg), "%s:%d: line too long", path,
                     lineno);
            rc = -1;
            break;
        }
        p = trim(line);
        if (*p == '\0' || *p == '#') {
            continue;
        }
        eq = strchr(p, '=');
        if (eq == NULL) {
            snprintf(err->msg, sizeof(err->msg),
                     "%s:%d: expected 'key = value'", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        key = trim(p);
        val = trim(eq + 1);
        if (config_set(cfg, key, val, &e2) < 0) {
            snprintf(err->msg, sizeof(err->msg), "%s:%d: %.400s", path, lineno,
                     e2.msg);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

void
config_format(const struct config *cfg, const struct config_key *k, char *buf,
              size_t len)
{
    const char *base = (const char *)cfg;

    switch (k->type) {
    case CONFIG_STR:
        snprintf(buf, len, "%s", *(char *const *)(base + k->offset));
        break;
    case CONFIG_BOOL:
        snprintf(buf, len, "%s",
                 *(const long *)(base + k->offset) ? "true" : "false");
        break;
    default:
        snprintf(buf, len, "%ld", *(const long *)(base + k->offset));
        break;
    }
}
