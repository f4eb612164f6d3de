/*
 * cmd_pack: `kwangmyong pack keygen|export|import|check`.  Layer: cli/
 * (front end); depends on lib/ (pack, packdb, db, config); never on
 * microhttpd.h, server/ or ingest/.  An import verifies the pack before
 * it opens the database, so a refused pack leaves the database file as
 * it was (not even created).
 */
#include "cmd_pack.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "pack.h"
#include "packdb.h"

/* Trusted keys at most (--trust and pack_trusted_keys together). */
#define CMD_PACK_KEYS_MAX 64

void
cmd_pack_usage(void)
{
    printf(
        "Usage: kwangmyong pack ACTION [OPTIONS]\n"
        "Signed packs carry a collection, or its changes since a time, to "
        "an\nair-gapped server on removable media (Ed25519; docs/pack.md).\n\n"
        "  keygen --out NAME\n"
        "        write NAME.key (secret, mode 0600) and NAME.pub; never "
        "overwrites\n"
        "  export --collection NAME [--since TIME] --key KEY.key OUT.kwpack\n"
        "        the collection's published documents, withdrawals, "
        "assets and\n"
        "        provenance, signed; --since (Unix seconds or ISO 8601) "
        "keeps what\n"
        "        changed since then\n"
        "  import [--trust KEY.pub]... [--operator NAME] IN.kwpack\n"
        "        verify the signature against the trusted keys (--trust "
        "and the\n"
        "        pack_trusted_keys setting), then import all of it in one\n"
        "        transaction; importing a pack twice changes nothing\n"
        "  check [--trust KEY.pub]... IN.kwpack\n"
        "        verify only\n\n"
        "A pack that is unsigned, changed, truncated or signed by a key "
        "that is\nnot trusted is refused (exit 1) before the database is "
        "opened.\n");
}

/* Write text to a new file at path (never an existing one) with mode. */
static int
write_new(const char *path, const char *text, mode_t mode)
{
    size_t n = strlen(text);
    int fd =
        open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

    if (fd < 0) {
        return -1;
    }
    if (write(fd, text, n) != (ssize_t)n || fsync(fd) != 0) {
        int e = errno;

        close(fd);
        unlink(path);
        errno = e;
        return -1;
    }
    return close(fd);
}

/* pack keygen --out NAME */
static int
keygen(int argc, char **argv)
{
    static const struct option lo[] = {
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    struct pack_key k;
    const char *name = NULL;
    char secret[256], public[256], kpath[4200], ppath[4200];
    int ch, rc = EXIT_FATAL;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (ch != 'o') {
            return EXIT_FATAL;
        }
        name = optarg;
    }
    if (name == NULL || name[0] == '\0' || optind != argc) {
        fprintf(stderr, "Usage: kwangmyong pack keygen --out NAME\n");
        return EXIT_FATAL;
    }
    snprintf(kpath, sizeof(kpath), "%s.key", name);
    snprintf(ppath, sizeof(ppath), "%s.pub", name);
    if (access(kpath, F_OK) == 0 || access(ppath, F_OK) == 0) {
        fprintf(stderr, "kwangmyong pack keygen: %s exists; not overwriting\n",
                access(kpath, F_OK) == 0 ? kpath : ppath);
        return EXIT_FATAL;
    }
    if (pack_key_generate(&k) < 0 ||
        pack_key_secret_text(&k, secret, sizeof(secret)) < 0 ||
        pack_key_public_text(&k, public, sizeof(public)) < 0) {
        fprintf(stderr, "kwangmyong pack keygen: libsodium failed\n");
        goto out;
    }
    if (write_new(kpath, secret, 0600) < 0) {
        fprintf(stderr, "kwangmyong pack keygen: %s: %s\n", kpath,
                strerror(errno));
        goto out;
    }
    if (write_new(ppath, public, 0644) < 0) {
        fprintf(stderr, "kwangmyong pack keygen: %s: %s\n", ppath,
                strerror(errno));
        unlink(kpath);
        goto out;
    }
    printf("pack keygen: %s (secret: keep it on the exporting machine) and "
           "%s written\nfingerprint %s\n",
           kpath, ppath, k.fp);
    rc = EXIT_OK;
out:
    pack_key_wipe(&k);
    memset(secret, 0, sizeof(secret));
    return rc;
}

/* pack export --collection NAME [--since TIME] --key KEY.key OUT */
static int export(struct cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"collection", required_argument, NULL, 'c'},
        {"since", required_argument, NULL, 's'},
        {"key", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0},
    };
    struct packdb_export_opts o = {0};
    struct packdb_counts n;
    struct pack_error err;
    struct pack_key key;
    struct db_opts dbo = {0};
    struct db_error dberr;
    struct db *db;
    const char *keypath = NULL;
    char sha[65];
    int ch, rc;

    o.since = PACKDB_ALL;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o.collection = optarg;
            break;
        case 's':
            if (pack_parse_time(optarg, &o.since) < 0) {
                fprintf(stderr,
                        "kwangmyong pack export: --since '%s' is not a time "
                        "(Unix seconds, or ISO 8601 such as "
                        "2024-05-01T12:00:00Z)\n",
                        optarg);
                return EXIT_FATAL;
            }
            break;
        case 'k':
            keypath = optarg;
            break;
        default:
            return EXIT_FATAL;
        }
    }
    if (o.collection == NULL || keypath == NULL || optind != argc - 1) {
        fprintf(stderr, "Usage: kwangmyong pack export --collection NAME "
                        "[--since TIME] --key KEY.key OUT.kwpack\n");
        return EXIT_FATAL;
    }
    o.out = argv[optind];
    if (pack_key_load(keypath, &key, &err) < 0) {
        fprintf(stderr, "kwangmyong pack export: %s\n", err.msg);
        return EXIT_FATAL;
    }
    if (!key.has_secret) {
        fprintf(stderr,
                "kwangmyong pack export: %s is a public key; --key "
                "needs the secret one (NAME.key)\n",
                keypath);
        return EXIT_FATAL;
    }
    /* A reader: the export is one read snapshot and never blocks writers
     * (the server goes on publishing meanwhile). */
    dbo.path = c->cfg.db;
    dbo.flags = DB_READONLY;
    dbo.busy_timeout_ms = c->cfg.busy_timeout_ms;
    dbo.lock_timeout_ms = c->cfg.lock_timeout_ms;
    dbo.query_timeout_ms = c->cfg.query_timeout_ms;
    if (db_open(&dbo, &db, &dberr) < 0) {
        fprintf(stderr, "kwangmyong pack export: %s\n", dberr.msg);
        pack_key_wipe(&key);
        return EXIT_FATAL;
    }
    o.key = &key;
    o.now = (int64_t)time(NULL);
    rc = packdb_export(db, &o, &n, sha, &err);
    db_close(db);
    pack_key_wipe(&key);
    if (rc < 0) {
        fprintf(stderr, "kwangmyong pack export: %s\n", err.msg);
        return EXIT_FATAL;
    }
    printf("pack export: %s: %ld document(s), %ld withdrawal(s), %ld "
           "asset(s), %ld blob(s), %ld batch(es)\n"
           "content sha256 %s, signed by %s\n"
           "exported at %lld: the next export's --since\n",
           o.out, n.documents, n.withdrawals, n.assets, n.blobs, n.batches, sha,
           key.fp, (long long)o.now);
    return EXIT_OK;
}

/* Load one trusted public key into keys[*n]. */
static int
trust_add(const char *path, struct pack_key *keys, size_t *n)
{
    struct pack_error err;

    if (*n == CMD_PACK_KEYS_MAX) {
        fprintf(stderr, "kwangmyong pack: more than %d trusted keys\n",
                CMD_PACK_KEYS_MAX);
        return -1;
    }
    if (pack_key_load(path, &keys[*n], &err) < 0) {
        fprintf(stderr, "kwangmyong pack: trusted key %s\n", err.msg);
        return -1;
    }
    if (keys[*n].has_secret) {
        pack_key_wipe(&keys[*n]);
        fprintf(stderr,
                "kwangmyong pack: %s is a secret key; trust its .pub file\n",
                path);
        return -1;
    }
    (*n)++;
    return 0;
}

/* The keys of the pack_trusted_keys setting (comma-separated files). */
static int
trust_config(const char *list, struct pack_key *keys, size_t *n)
{
    char *copy = kw_strdup(list), *save = NULL, *p;
    int rc = 0;

    if (copy == NULL) {
        return -1;
    }
    for (p = strtok_r(copy, ",", &save); p != NULL && rc == 0;
         p = strtok_r(NULL, ",", &save)) {
        char *e;

        while (*p == ' ' || *p == '\t') {
            p++;
        }
        e = p + strlen(p);
        while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
            *--e = '\0';
        }
        if (*p != '\0') {
            rc = trust_add(p, keys, n);
        }
    }
    kw_free(copy);
    return rc;
}

/* pack import and pack check. */
static int
import(struct cli *c, int argc, char **argv, int check_only)
{
    static const struct option lo[] = {
        {"trust", required_argument, NULL, 't'},
        {"operator", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    struct pack_key keys[CMD_PACK_KEYS_MAX];
    const char *op = getenv("USER"), *in, *verb = argv[0];
    struct pack_reader *r = NULL;
    struct packdb_counts n;
    struct pack_error err;
    struct db *db;
    size_t nkeys = 0;
    int ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (ch == 't') {
            if (trust_add(optarg, keys, &nkeys) < 0) {
                return EXIT_FATAL;
            }
        } else if (ch == 'o' && !check_only) {
            op = optarg;
        } else {
            return EXIT_FATAL;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr,
                "Usage: kwangmyong pack %s [--trust KEY.pub]...%s "
                "IN.kwpack\n",
                verb, check_only ? "" : " [--operator NAME]");
        return EXIT_FATAL;
    }
    in = argv[optind];
    if (trust_config(c->cfg.pack_trusted_keys, keys, &nkeys) < 0) {
        return EXIT_FATAL;
    }
    if (op == NULL || op[0] == '\0') {
        op = "operator";
    }
    if (pack_open(in, keys, nkeys, &r, &err) < 0) {
        fprintf(stderr, "kwangmyong pack %s: %s: refused: %s\n", verb, in,
                err.msg);
        return EXIT_BAD_INPUT;
    }
    if (check_only) {
        printf("pack check: %s: ok, signed by trusted key %s, content "
               "sha256 %s\n",
               in, pack_signer(r), pack_sha256(r));
        pack_close(r);
        return EXIT_OK;
    }
    if (cli_open_writer(c, &db) < 0) {
        pack_close(r);
        return EXIT_FATAL;
    }
    rc = packdb_import(db, r, op, &n, &err);
    db_close(db);
    if (rc < 0) {
        fprintf(stderr,
                "kwangmyong pack import: %s: refused: %s; nothing was "
                "imported\n",
                in, err.msg);
        pack_close(r);
        return EXIT_BAD_INPUT;
    }
    printf("pack import: %s: signed by trusted key %s\n"
           "%ld new document(s), %ld unchanged, %ld withdrawn, %ld "
           "withdrawal(s) of documents not here, %ld asset(s), %ld blob(s), "
           "%ld batch(es)%s\n",
           in, pack_signer(r), n.documents, n.unchanged, n.withdrawals,
           n.skipped, n.assets, n.blobs, n.batches,
           n.documents + n.withdrawals + n.assets + n.blobs + n.batches +
                       n.collection ==
                   0
               ? "; nothing to change"
               : "");
    pack_close(r);
    return EXIT_OK;
}

int
cmd_pack_main(struct cli *c, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "keygen") == 0) {
        return keygen(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "export") == 0) {
        return export(c, argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "import") == 0) {
        return import(c, argc - 1, argv + 1, 0);
    }
    if (argc >= 2 && strcmp(argv[1], "check") == 0) {
        return import(c, argc - 1, argv + 1, 1);
    }
    fprintf(stderr, "Usage: kwangmyong pack keygen|export|import|check ... "
                    "(kwangmyong pack --help)\n");
    return EXIT_FATAL;
}
