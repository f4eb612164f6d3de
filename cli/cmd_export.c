/*
 * cmd_export: `kwangmyong export --collection NAME --format zim|html OUT`,
 * a collection's published documents as readers see them, for reading
 * offline.  Layer: cli/ (front end); depends on lib/ (offline, db); never
 * on microhttpd.h, server/ or ingest/.
 *
 * lib/offline.c writes the collection as a static tree; for a ZIM the
 * tree goes to a new folder in TMPDIR and zimwriterfs (Debian's
 * zim-tools) packs it in a child process, run with an argument vector
 * and no shell.  Keeping libzim's C++ writer API out of the program
 * keeps the binary C-only, and zimwriterfs builds the full-text index
 * (it does unless told --withoutFTIndex).  The ZIM is written as OUT.tmp
 * and renamed to OUT only when zimwriterfs succeeded, so OUT is either
 * the whole archive or left as it was; the temporary tree is removed in
 * every case.
 */
#include "cmd_export.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "offline.h"
#include "strbuf.h"
#include "version.h"

/* The program that packs the tree, and the package that has it. */
#define ZIMWRITERFS "zimwriterfs"
#define ZIMWRITERFS_PACKAGE "zim-tools"

void
cmd_export_usage(void)
{
    printf("Usage: kwangmyong export --collection NAME [--format zim|html] "
           "OUT\n"
           "Write the published documents of a collection as readers see "
           "them\n(sanitized; links between its documents bound inside the "
           "copy, links\nleading elsewhere made plain text), with the assets "
           "they use and a\nwelcome page listing them, for reading "
           "offline.\n\n"
           "  --format zim   (the default) a ZIM archive with a full-text "
           "index for\n"
           "                 Kiwix readers, packed by " ZIMWRITERFS
           " (package " ZIMWRITERFS_PACKAGE "); OUT\n"
           "                 is replaced only when the whole archive is "
           "written\n"
           "  --format html  the static tree itself, in OUT, a new "
           "directory\n\n"
           "Exit 2 for an unknown or empty collection, a missing " ZIMWRITERFS
           ", or\nan OUT that cannot be written.\n");
}

/* 1 when name is an executable file in a folder of PATH. */
static int
in_path(const char *name)
{
    const char *path = getenv("PATH"), *p;
    struct strbuf f = STRBUF_INIT;
    int found = 0;

    for (p = path; p != NULL && !found;
         p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL) {
        size_t n = strcspn(p, ":");

        strbuf_reset(&f);
        strbuf_append(&f, n > 0 ? p : ".", n > 0 ? n : 1);
        strbuf_printf(&f, "/%s", name);
        found = strbuf_ok(&f) && access(strbuf_peek(&f), X_OK) == 0;
    }
    strbuf_free(&f);
    return found;
}

static int
remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove the tree at dir (ours: made by mkdtemp), never following a
 * link. */
static void
remove_tree(const char *dir)
{
    if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0) {
        fprintf(stderr, "kwangmyong export: removing %s: %s\n", dir,
                strerror(errno));
    }
}

/* Run zimwriterfs over tree into zim (which must not exist).  0 when it
 * exited 0, else -1 after saying why (its own messages on stderr). */
static int
run_zimwriterfs(const char *tree, const char *zim, const char *name,
                const struct offline_result *r)
{
    struct strbuf zname = STRBUF_INIT, source = STRBUF_INIT;
    char *argv[24];
    int n = 0, status, rc = -1;
    pid_t pid;

    strbuf_printf(&zname, "kwangmyong_%s", name);
    strbuf_puts(&source, r->source_url != NULL ? r->source_url : "");
    if (!strbuf_ok(&zname) || !strbuf_ok(&source)) {
        fprintf(stderr, "kwangmyong export: out of memory\n");
        goto out;
    }
    argv[n++] = ZIMWRITERFS;
    argv[n++] = "--welcome=" OFFLINE_WELCOME;
    argv[n++] = "--illustration=" OFFLINE_ILLUSTRATION;
    argv[n++] = "--language";
    argv[n++] = r->languages;
    argv[n++] = "--title";
    argv[n++] = r->title;
    argv[n++] = "--description";
    argv[n++] = r->description;
    argv[n++] = "--creator";
    argv[n++] = r->title;
    argv[n++] = "--publisher";
    argv[n++] = "Kwangmyong Portal";
    argv[n++] = "--name";
    argv[n++] = zname.buf;
    argv[n++] = "--scraper";
    argv[n++] = "kwangmyong " KW_VERSION;
    if (source.len > 0) {
        argv[n++] = "--source";
        argv[n++] = source.buf;
    }
    argv[n++] = (char *)tree;
    argv[n++] = (char *)zim;
    argv[n] = NULL;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "kwangmyong export: fork: %s\n", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        /* Its progress lines are not ours to print; its errors are. */
        int devnull = open("/dev/null", O_WRONLY);

        if (devnull >= 0) {
            dup2(devnull, STDOUT_FILENO);
            close(devnull);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "kwangmyong export: %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "kwangmyong export: waitpid: %s\n",
                    strerror(errno));
            goto out;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        rc = 0;
    } else if (WIFEXITED(status)) {
        fprintf(stderr, "kwangmyong export: %s failed (exit %d)\n", ZIMWRITERFS,
                WEXITSTATUS(status));
    } else {
        fprintf(stderr, "kwangmyong export: %s killed by signal %d\n",
                ZIMWRITERFS, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
out:
    strbuf_free(&zname);
    strbuf_free(&source);
    return rc;
}

/* Open the database as a reader: the export is one read snapshot and
 * never blocks writers. */
static int
open_reader(struct cli *c, struct db **db)
{
    struct db_opts o = {0};
    struct db_error err;

    o.path = c->cfg.db;
    o.flags = DB_READONLY;
    o.busy_timeout_ms = c->cfg.busy_timeout_ms;
    o.lock_timeout_ms = c->cfg.lock_timeout_ms;
    o.query_timeout_ms = c->cfg.query_timeout_ms;
    if (db_open(&o, db, &err) < 0) {
        fprintf(stderr, "kwangmyong export: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* Write the tree of collection name into dir; prints the reason on
 * failure.  0 or -1. */
static int
write_tree(struct cli *c, const char *name, const char *dir,
           struct offline_result *r)
{
    struct offline_error err;
    struct db *db;
    int rc;

    if (open_reader(c, &db) < 0) {
        return -1;
    }
    rc =
        offline_write(db, c->data_dir, name, dir, (int64_t)time(NULL), r, &err);
    db_close(db);
    if (rc < 0) {
        fprintf(stderr, "kwangmyong export: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* --format html: the tree in out, a new directory. */
static int
export_html(struct cli *c, const char *name, const char *out)
{
    struct offline_result r;

    if (mkdir(out, 0755) < 0) {
        fprintf(stderr, "kwangmyong export: %s: %s%s\n", out, strerror(errno),
                errno == EEXIST ? " (it must be a new directory)" : "");
        return EXIT_FATAL;
    }
    if (write_tree(c, name, out, &r) < 0) {
        remove_tree(out);
        return EXIT_FATAL;
    }
    printf("export: %s: %ld document(s), %ld asset(s)\n", out, r.documents,
           r.assets);
    offline_result_free(&r);
    return EXIT_OK;
}

/* --format zim: the tree in TMPDIR, zimwriterfs into out.tmp, renamed. */
static int
export_zim(struct cli *c, const char *name, const char *out)
{
    struct strbuf tmp = STRBUF_INIT, tree = STRBUF_INIT;
    struct offline_result r = {0};
    const char *tmpdir = getenv("TMPDIR");
    int fd, rc = EXIT_FATAL, made_tree = 0;

    if (!in_path(ZIMWRITERFS)) {
        fprintf(stderr, "kwangmyong export: " ZIMWRITERFS " is not in PATH; it "
                        "packs the ZIM: install the " ZIMWRITERFS_PACKAGE
                        " package (apt-get install " ZIMWRITERFS_PACKAGE ")\n");
        return EXIT_FATAL;
    }
    strbuf_printf(&tmp, "%s.tmp", out);
    strbuf_printf(&tree, "%s/kwzim.XXXXXX",
                  tmpdir != NULL && tmpdir[0] != '\0' ? tmpdir : "/tmp");
    if (!strbuf_ok(&tmp) || !strbuf_ok(&tree)) {
        fprintf(stderr, "kwangmyong export: out of memory\n");
        goto out;
    }
    /* Find out now, not after the work, that OUT cannot be written. */
    fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "kwangmyong export: %s: %s%s\n", tmp.buf,
                strerror(errno),
                errno == EEXIST ? " (another export writing it? remove it "
                                  "if not)"
                                : "");
        goto out;
    }
    close(fd);
    unlink(tmp.buf);
    if (mkdtemp(tree.buf) == NULL) {
        fprintf(stderr, "kwangmyong export: %s: %s\n", tree.buf,
                strerror(errno));
        goto out;
    }
    made_tree = 1;
    if (write_tree(c, name, tree.buf, &r) < 0 ||
        run_zimwriterfs(tree.buf, tmp.buf, name, &r) < 0) {
        unlink(tmp.buf);
        goto out;
    }
    if (rename(tmp.buf, out) < 0) {
        fprintf(stderr, "kwangmyong export: %s: %s\n", out, strerror(errno));
        unlink(tmp.buf);
        goto out;
    }
    printf("export: %s: %ld document(s), %ld asset(s), language %s\n", out,
           r.documents, r.assets, r.languages);
    rc = EXIT_OK;
out:
    if (made_tree) {
        remove_tree(tree.buf);
    }
    offline_result_free(&r);
    strbuf_free(&tmp);
    strbuf_free(&tree);
    return rc;
}

int
cmd_export_main(struct cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"collection", required_argument, NULL, 'c'},
        {"format", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *format = "zim";
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'c':
            name = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        default:
            return EXIT_FATAL;
        }
    }
    if (name == NULL || optind != argc - 1 ||
        (strcmp(format, "zim") != 0 && strcmp(format, "html") != 0)) {
        fprintf(stderr, "Usage: kwangmyong export --collection NAME "
                        "[--format zim|html] OUT (kwangmyong export "
                        "--help)\n");
        return EXIT_FATAL;
    }
    if (strcmp(format, "html") == 0) {
        return export_html(c, name, argv[optind]);
    }
    return export_zim(c, name, argv[optind]);
}
