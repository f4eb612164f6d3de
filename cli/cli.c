/*
 * cli: common options, configuration precedence, the data directory and
 * the writer connection.  Layer: cli/.
 */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

/* Remove argv[i] and, when takes_value, argv[i+1]. */
static void
shift(int *argc, char **argv, int i, int n)
{
    int j;

    for (j = i; j + n <= *argc; j++) {
        argv[j] = argv[j + n];
    }
    *argc -= n;
}

/* Value of "--opt VALUE" or "--opt=VALUE" at argv[i]; *n words used. */
static const char *
opt_value(int argc, char **argv, int i, const char *opt, int *n)
{
    size_t ol = strlen(opt);

    if (strncmp(argv[i], opt, ol) != 0) {
        return NULL;
    }
    if (argv[i][ol] == '=') {
        *n = 1;
        return argv[i] + ol + 1;
    }
    if (argv[i][ol] == '\0' && i + 1 < argc) {
        *n = 2;
        return argv[i + 1];
    }
    return NULL;
}

int
cli_init(struct cli *c, int *argc, char **argv)
{
    struct config_error err;
    const char *env;
    int i, n;

    memset(c, 0, sizeof(*c));
    if (config_init(&c->cfg) < 0) {
        fprintf(stderr, "kwangmyong: out of memory\n");
        return EXIT_FATAL;
    }
    /* --config first, whatever its position: the command line wins. */
    for (i = 1; i < *argc; i++) {
        const char *v = opt_value(*argc, argv, i, "--config", &n);

        if (v != NULL) {
            if (config_load_file(&c->cfg, v, &err) < 0) {
                fprintf(stderr, "kwangmyong: %s\n", err.msg);
                return EXIT_FATAL;
            }
            shift(argc, argv, i, n);
            i--;
        }
    }
    env = getenv("KWANGMYONG_DB");
    if (env != NULL && env[0] != '\0') {
        config_set(&c->cfg, "db", env, &err);
    }
    for (i = 1; i < *argc; i++) {
        const char *v;
        int rc = 0;

        if (strcmp(argv[i], "--") == 0) {
            break;
        }
        if ((v = opt_value(*argc, argv, i, "--db", &n)) != NULL) {
            rc = config_set(&c->cfg, "db", v, &err);
        } else if ((v = opt_value(*argc, argv, i, "--data-dir", &n)) != NULL) {
            rc = config_set(&c->cfg, "data_dir", v, &err);
        } else if ((v = opt_value(*argc, argv, i, "--set", &n)) != NULL) {
            rc = config_set_pair(&c->cfg, v, &err);
        } else if ((v = opt_value(*argc, argv, i, "--listen", &n)) != NULL) {
            rc = config_set(&c->cfg, "listen", v, &err);
        } else if ((v = opt_value(*argc, argv, i, "--base-path", &n)) != NULL) {
            rc = config_set(&c->cfg, "base_path", v, &err);
        } else {
            continue;
        }
        if (rc < 0) {
            fprintf(stderr, "kwangmyong: %s\n", err.msg);
            return EXIT_FATAL;
        }
        shift(argc, argv, i, n);
        i--;
    }
    /* A base path is "/prefix": leading slash, no trailing one. */
    {
        char *b = c->cfg.base_path;
        size_t bl = strlen(b);

        while (bl > 0 && b[bl - 1] == '/') {
            b[--bl] = '\0';
        }
        if (bl > 0 && (b[0] != '/' || strpbrk(b, "?#\"'<> ") != NULL)) {
            fprintf(stderr,
                    "kwangmyong: base_path must look like /prefix, got "
                    "'%s'\n",
                    b);
            return EXIT_FATAL;
        }
    }
    return 0;
}

void
cli_free(struct cli *c)
{
    config_free(&c->cfg);
}

/* 1 when dir holds templates/, static/ and db/migrations/. */
static int
is_data_dir(const char *dir)
{
    char p[4200];

    snprintf(p, sizeof(p), "%s/templates/i18n", dir);
    if (!fs_is_dir(p)) {
        return 0;
    }
    snprintf(p, sizeof(p), "%s/db/migrations", dir);
    return fs_is_dir(p);
}

int
cli_find_data_dir(struct cli *c, const char *argv0)
{
    const char *env = getenv("KWANGMYONG_DATA_DIR");
    char exe[PATH_MAX];
    ssize_t n;

    if (c->cfg.data_dir[0] != '\0') {
        snprintf(c->data_dir, sizeof(c->data_dir), "%s", c->cfg.data_dir);
        if (!is_data_dir(c->data_dir)) {
            fprintf(stderr,
                    "kwangmyong: %s has no templates/i18n or db/migrations\n",
                    c->data_dir);
            return -1;
        }
        return 0;
    }
    if (env != NULL && env[0] != '\0' && is_data_dir(env)) {
        snprintf(c->data_dir, sizeof(c->data_dir), "%s", env);
        return 0;
    }
    /* A binary run from a build tree uses that tree's files. */
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        char *slash;

        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            if (is_data_dir(exe)) {
                snprintf(c->data_dir, sizeof(c->data_dir), "%s", exe);
                return 0;
            }
        }
    }
    if (is_data_dir(KW_DATADIR)) {
        snprintf(c->data_dir, sizeof(c->data_dir), "%s", KW_DATADIR);
        return 0;
    }
    (void)argv0;
    fprintf(stderr,
            "kwangmyong: cannot find the data directory (templates, static, "
            "migrations); looked in %s; use --data-dir\n",
            KW_DATADIR);
    return -1;
}

int
cli_open_writer(struct cli *c, struct db **db)
{
    struct db_error err;

    if (db_open_writer(&c->cfg, c->data_dir, db, &err) < 0) {
        fprintf(stderr, "kwangmyong: %s\n", err.msg);
        return -1;
    }
    return 0;
}

void
cli_print_common_help(void)
{
    printf("Common options:\n"
           "  --db FILE          database file (default ./kwangmyong.db, "
           "or $KWANGMYONG_DB)\n"
           "  --config FILE      read 'key = value' lines (see 'kwangmyong "
           "help config')\n"
           "  --set KEY=VALUE    set one configuration key\n"
           "  --data-dir DIR     templates, static files and migrations\n"
           "  -h, --help         this help\n");
}

void
cli_print_config_keys(void)
{
    const struct config_key *k;

    for (k = config_keys; k->name != NULL; k++) {
        printf("%s (default: %s)\n    %s\n", k->name,
               k->def[0] ? k->def : "\"\"", k->help);
    }
}
