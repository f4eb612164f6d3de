/*
 * main: the `kwangmyong` program: the subcommand table and its dispatch.
 * Layer: cli/, the top of the tree: the only place that sees both server/
 * (serve) and ingest/ (ingest), which never include each other's headers;
 * the other subcommands are in cli/cmd_*.c over lib/.  Common options,
 * configuration and the data directory are taken here (cli.c) before a
 * subcommand runs.  Exit codes (exitcode.h): 0 success, 1 done with some
 * bad input, 2 usage or fatal.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_db.h"
#include "cmd_export.h"
#include "cmd_pack.h"
#include "cmd_user.h"
#include "ingest.h"
#include "serve.h"
#include "version.h"

static int
wants_help(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return 1;
        }
    }
    return 0;
}

static void
usage(FILE *f)
{
    fprintf(f, "Usage: kwangmyong COMMAND [OPTIONS]\n\n"
               "Commands:\n"
               "  serve     serve the portal over HTTP\n"
               "  ingest    bring mirrored documents in as pending\n"
               "  user      manage admin, moderator and operator accounts\n"
               "  requests  export the pages readers asked for\n"
               "  backup    write an online copy of the database\n"
               "  verify    check database integrity and stored hashes\n"
               "  reindex   rebuild the document-level search index\n"
               "  pack      signed packs for air-gapped servers\n"
               "  export    a collection as a ZIM archive for offline "
               "reading\n"
               "  version   print the version\n"
               "  help      this text; 'help config' lists configuration "
               "keys\n\n"
               "'kwangmyong COMMAND --help' describes a command's options.\n"
               "Exit codes: 0 success, 1 some input was bad (reported), "
               "2 usage or fatal error.\n");
}

struct command {
    const char *name;
    int (*run)(struct cli *c, int argc, char **argv);
    const char *help;
};

/* kwangmyong serve: see server/serve.c. */
static int
cmd_serve(struct cli *c, int argc, char **argv)
{
    return serve_main(&c->cfg, c->data_dir, argc, argv);
}

/* kwangmyong ingest: see ingest/ingest.c. */
static int
cmd_ingest(struct cli *c, int argc, char **argv)
{
    return ingest_main(&c->cfg, c->data_dir, argc, argv);
}

/* kwangmyong user: see cli/cmd_user.c. */
static int
cmd_user(struct cli *c, int argc, char **argv)
{
    struct db *db;
    int rc;

    if (cli_open_writer(c, &db) < 0) {
        return EXIT_FATAL;
    }
    rc = cmd_user_main(db, argc, argv);
    db_close(db);
    return rc;
}

static const struct command commands[] = {
    {"serve", cmd_serve, NULL},
    {"verify", cmd_db_verify,
     "Usage: kwangmyong verify [OPTIONS]\n"
     "Check PRAGMA integrity_check, foreign keys, the FTS index, every\n"
     "stored body and blob against its sha256, and the audit log's hash\n"
     "chain, and that the document index holds the published documents.\n"
     "Exit 1 when anything is wrong.\n"},
    {"reindex", cmd_db_reindex,
     "Usage: kwangmyong reindex [OPTIONS] [--lists]\n"
     "Rebuild the document-level search index from the published\n"
     "documents, in one transaction (after statuses or titles were changed\n"
     "with SQL by hand; `verify` says when it is needed).  Searches keep\n"
     "running meanwhile.\n"
     "  --lists   build only search's impact lists anew (after an upgrade\n"
     "            that changed the ranking; minutes, not the hour a\n"
     "            rebuild takes at a million documents)\n"},
    {"backup", cmd_db_backup,
     "Usage: kwangmyong backup [OPTIONS] DEST\n"
     "Write a consistent copy of the database to DEST (which must not "
     "exist)\nwhile the server keeps running.\n"},
    {"ingest", cmd_ingest, NULL},
    {"user", cmd_user, NULL},
    {"pack", cmd_pack_main, NULL},
    {"export", cmd_export_main, NULL},
    {"requests", cmd_db_requests,
     "Usage: kwangmyong requests export [OPTIONS]\n"
     "Print the open acquisition requests (pages readers asked for), most\n"
     "wanted first, one URL a line.\n"},
};

int
main(int argc, char **argv)
{
    struct cli c;
    size_t i;
    int rc;

    if (argc < 2) {
        usage(stderr);
        return EXIT_FATAL;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        if (argc > 2 && strcmp(argv[2], "config") == 0) {
            cli_print_config_keys();
        } else {
            usage(stdout);
        }
        return EXIT_OK;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("kwangmyong %s (schema %d, SQLite %s)\n", KW_VERSION,
               KW_SCHEMA_VERSION, sqlite3_libversion());
        return EXIT_OK;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) != 0) {
            continue;
        }
        argc--;
        argv++;
        if (wants_help(argc, argv)) {
            if (commands[i].run == cmd_ingest) {
                ingest_usage();
                cli_print_common_help();
            } else if (commands[i].run == cmd_user) {
                cmd_user_usage();
                cli_print_common_help();
            } else if (commands[i].run == cmd_pack_main) {
                cmd_pack_usage();
                cli_print_common_help();
            } else if (commands[i].run == cmd_export_main) {
                cmd_export_usage();
                cli_print_common_help();
            } else if (commands[i].help == NULL) {
                serve_usage(cli_print_common_help);
            } else {
                fputs(commands[i].help, stdout);
                cli_print_common_help();
            }
            return EXIT_OK;
        }
        rc = cli_init(&c, &argc, argv);
        if (rc != 0) {
            cli_free(&c);
            return rc;
        }
        if (cli_find_data_dir(&c, argv[0]) < 0) {
            cli_free(&c);
            return EXIT_FATAL;
        }
        rc = commands[i].run(&c, argc, argv);
        cli_free(&c);
        return rc;
    }
    fprintf(stderr, "kwangmyong: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_FATAL;
}
