/*
 * cmd_user: `kwangmyong user add|passwd|list|disable|enable`.  Layer:
 * cli/ (front end); depends on lib/ (auth, db), libsodium and
 * jansson; never on microhttpd.h.  Passwords come from the terminal with
 * echo off (typed twice), or as one line on stdin when stdin is not a
 * terminal, or are generated and printed once; they are wiped from memory
 * after use.  Every change is audited by lib/auth as "cli:$USER".
 */
#include "cmd_user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "cli.h"

/* Buffer for a password line: the limit, a byte to detect overflow, NUL. */
#define CMD_USER_PWBUF (AUTH_PW_MAX + 2)
#define CMD_USER_GENERATED 20

void
cmd_user_usage(void)
{
    printf("Usage: kwangmyong user ACTION [OPTIONS]\n"
           "Manage the accounts of the people who run the portal.\n\n"
           "  add NAME --role admin|moderator|operator [--generate]\n"
           "                  create an account\n"
           "  passwd NAME [--generate]\n"
           "                  set a new password (ends the user's "
           "sessions)\n"
           "  list            name, role, disabled, created\n"
           "  disable NAME    refuse logins and end the user's sessions\n"
           "  enable NAME     allow logins again\n\n"
           "Names are 1-%d of A-Z a-z 0-9 . _ -.  Passwords need at least "
           "%d characters.\nThe password is read from the terminal without "
           "echo (twice), or as one\nline from stdin when stdin is not a "
           "terminal; --generate prints a random\none instead, once.  "
           "Roles: operator sees the queue and reports; moderator\nalso "
           "approves, rejects, withdraws, restores and edits; admin also "
           "manages\nusers.  Every change is written to the audit log as "
           "cli:$USER.\n",
           AUTH_NAME_MAX, AUTH_PW_MIN);
}

/* "cli:$USER", or "cli" when $USER is unset or not a plain name. */
static void
actor_name(char *out, size_t n)
{
    const char *u = getenv("USER");

    if (u != NULL && auth_name_valid(u)) {
        snprintf(out, n, "cli:%s", u);
    } else {
        snprintf(out, n, "cli");
    }
}

/* Read one line from fd into buf (CMD_USER_PWBUF bytes), without the
 * newline.  0, or -1 when it is longer than AUTH_PW_MAX bytes or the read
 * failed; an empty line (or EOF) gives "". */
static int
read_line(int fd, char *buf)
{
    size_t n = 0;
    int over = 0;

    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0 || ch == '\n') {
            if (r < 0) {
                return -1;
            }
            break;
        }
        if (n < AUTH_PW_MAX) {
            buf[n++] = ch;
        } else {
            over = 1; /* keep reading to the end of the line */
        }
    }
    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }
    buf[n] = '\0';
    return over ? -1 : 0;
}

/* Prompt on the terminal with echo off.  0, or -1 with a message. */
static int
read_tty(char *pw, const char *name)
{
    char again[CMD_USER_PWBUF];
    struct termios old, quiet;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), rc = -1;

    if (fd < 0 || tcgetattr(fd, &old) < 0) {
        fprintf(stderr, "kwangmyong user: cannot use the terminal: %s\n",
                strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
        fprintf(stderr, "kwangmyong user: cannot turn echo off: %s\n",
                strerror(errno));
        close(fd);
        return -1;
    }
    dprintf(fd, "Password for %s: ", name);
    if (read_line(fd, pw) == 0) {
        dprintf(fd, "\nAgain: ");
        if (read_line(fd, again) == 0) {
            rc = strcmp(pw, again) == 0 ? 0 : -2;
        }
    }
    dprintf(fd, "\n");
    tcsetattr(fd, TCSAFLUSH, &old);
    close(fd);
    sodium_memzero(again, sizeof(again));
    if (rc == -2) {
        fprintf(stderr, "kwangmyong user: the passwords differ\n");
        return -1;
    }
    if (rc < 0) {
        fprintf(stderr,
                "kwangmyong user: password longer than %d bytes "
                "or unreadable\n",
                AUTH_PW_MAX);
    }
    return rc;
}

/* A random password from letters and digits that are hard to confuse
 * (about 115 bits). */
static void
generate(char *pw)
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz"
                                   "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    size_t i;

    for (i = 0; i < CMD_USER_GENERATED; i++) {
        pw[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    }
    pw[i] = '\0';
}

/* The password for `name`: generated, from the terminal or from stdin.
 * 0, or -1 after printing why. */
static int
get_password(char *pw, const char *name, int gen)
{
    if (gen) {
        generate(pw);
        return 0;
    }
    if (isatty(0)) {
        return read_tty(pw, name);
    }
    if (read_line(0, pw) < 0) {
        fprintf(stderr,
                "kwangmyong user: password longer than %d bytes or "
                "unreadable\n",
                AUTH_PW_MAX);
        return -1;
    }
    return 0;
}

/* Map a lib/auth result to an exit code, printing the reason. */
static int
report(int rc, const char *err)
{
    if (rc == 0) {
        return EXIT_OK;
    }
    fprintf(stderr, "kwangmyong user: %s\n", err);
    return rc == AUTH_EDB ? EXIT_FATAL : EXIT_BAD_INPUT;
}

/* 1 when `name` has an account, 0 not, -1 database error. */
static int
user_exists(struct db *w, const char *name)
{
    json_t *list;
    size_t i;
    int found = 0;

    if (auth_user_list(w, &list) < 0) {
        return -1;
    }
    for (i = 0; i < json_array_size(list); i++) {
        const char *n =
            json_string_value(json_object_get(json_array_get(list, i), "name"));

        if (n != NULL && strcmp(n, name) == 0) {
            found = 1;
        }
    }
    json_decref(list);
    return found;
}

static int
do_list(struct db *w)
{
    json_t *list;
    size_t i;

    if (auth_user_list(w, &list) < 0) {
        fprintf(stderr, "kwangmyong user: database: %s\n", db_errmsg(w));
        return EXIT_FATAL;
    }
    printf("%-24s %-10s %-9s %s\n", "NAME", "ROLE", "DISABLED", "CREATED");
    for (i = 0; i < json_array_size(list); i++) {
        json_t *u = json_array_get(list, i);
        time_t t = (time_t)json_integer_value(json_object_get(u, "created_at"));
        char when[32] = "?";
        struct tm tm;

        if (gmtime_r(&t, &tm) != NULL) {
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
        }
        printf("%-24s %-10s %-9s %s\n",
               json_string_value(json_object_get(u, "name")),
               json_string_value(json_object_get(u, "role")),
               json_is_true(json_object_get(u, "disabled")) ? "yes" : "no",
               when);
    }
    json_decref(list);
    return EXIT_OK;
}

/* add and passwd: they share the password handling. */
static int
do_password(struct db *w, const char *action, const char *name, int role,
            int gen, const char *actor)
{
    char pw[CMD_USER_PWBUF], err[256] = "";
    int rc;

    if (!auth_name_valid(name)) {
        fprintf(stderr,
                "kwangmyong user: user names are 1-%d of A-Z a-z 0-9 . _ -\n",
                AUTH_NAME_MAX);
        return EXIT_BAD_INPUT;
    }
    rc = user_exists(w, name);
    if (rc < 0) {
        fprintf(stderr, "kwangmyong user: database: %s\n", db_errmsg(w));
        return EXIT_FATAL;
    }
    if (rc == 0 && role == 0) {
        fprintf(stderr, "kwangmyong user: no user %s\n", name);
        return EXIT_BAD_INPUT;
    }
    if (rc == 1 && role != 0) {
        fprintf(stderr, "kwangmyong user: user %s exists\n", name);
        return EXIT_BAD_INPUT;
    }
    if (get_password(pw, name, gen) < 0) {
        sodium_memzero(pw, sizeof(pw));
        return EXIT_BAD_INPUT;
    }
    if (role != 0) {
        rc = auth_user_add(w, name, role, pw, actor, NULL, err, sizeof(err));
    } else {
        rc = auth_user_passwd(w, name, pw, actor, NULL, err, sizeof(err));
    }
    if (rc == 0) {
        printf("user %s: %s%s\n", name, action,
               role != 0 ? auth_role_name(role) : "");
        if (gen) {
            /* Shown once: only its hash is kept. */
            printf("password: %s\n", pw);
        }
    }
    sodium_memzero(pw, sizeof(pw));
    return report(rc, err);
}

int
cmd_user_main(struct db *w, int argc, char **argv)
{
    const char *action, *name = NULL;
    char actor[AUTH_NAME_MAX + 8], err[256] = "";
    int i, gen = 0, role = 0, off, rc;

    if (argc < 2) {
        fprintf(stderr, "kwangmyong user: an action is needed: add, passwd, "
                        "list, disable or enable (see --help)\n");
        return EXIT_FATAL;
    }
    action = argv[1];
    if (strcmp(action, "add") != 0 && strcmp(action, "passwd") != 0 &&
        strcmp(action, "list") != 0 && strcmp(action, "disable") != 0 &&
        strcmp(action, "enable") != 0) {
        fprintf(stderr, "kwangmyong user: unknown action '%s' (see --help)\n",
                action);
        return EXIT_FATAL;
    }
    for (i = 2; i < argc; i++) {
        const char *r = NULL;

        if (strcmp(argv[i], "--generate") == 0) {
            gen = 1;
            continue;
        }
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc) {
            r = argv[++i];
        } else if (strncmp(argv[i], "--role=", 7) == 0) {
            r = argv[i] + 7;
        } else if (argv[i][0] != '-' && name == NULL) {
            name = argv[i];
            continue;
        } else {
            fprintf(stderr, "kwangmyong user %s: unexpected '%s'\n", action,
                    argv[i]);
            return EXIT_FATAL;
        }
        role = auth_role_parse(r);
        if (role == 0) {
            fprintf(stderr,
                    "kwangmyong user: unknown role '%s' (admin, moderator "
                    "or operator)\n",
                    r);
            return EXIT_FATAL;
        }
    }
    if (strcmp(action, "list") == 0) {
        if (name != NULL || gen || role != 0) {
            fprintf(stderr, "kwangmyong user list: takes no arguments\n");
            return EXIT_FATAL;
        }
        return do_list(w);
    }
    if (name == NULL) {
        fprintf(stderr, "kwangmyong user %s: a user name is needed\n", action);
        return EXIT_FATAL;
    }
    if (auth_init(NULL) < 0) {
        fprintf(stderr, "kwangmyong user: cannot initialise libsodium\n");
        return EXIT_FATAL;
    }
    actor_name(actor, sizeof(actor));
    if (strcmp(action, "add") == 0) {
        if (role == 0) {
            fprintf(stderr, "kwangmyong user add: --role admin|moderator|"
                            "operator is needed\n");
            return EXIT_FATAL;
        }
        return do_password(w, "added as ", name, role, gen, actor);
    }
    if (role != 0) {
        fprintf(stderr, "kwangmyong user %s: --role is only for add\n", action);
        return EXIT_FATAL;
    }
    if (strcmp(action, "passwd") == 0) {
        return do_password(w, "password changed", name, 0, gen, actor);
    }
    if (gen) {
        fprintf(stderr,
                "kwangmyong user %s: --generate is only for add and "
                "passwd\n",
                action);
        return EXIT_FATAL;
    }
    /* What is left is disable or enable: the action was checked above. */
    off = strcmp(action, "disable") == 0;
    rc = auth_user_set_disabled(w, name, off, actor, NULL, err, sizeof(err));
    if (rc == 0) {
        printf("user %s: %s\n", name, off ? "disabled" : "enabled");
    }
    return report(rc, err);
}
