/*
 * replay: runs a fuzz target's LLVMFuzzerTestOneInput() over files, so
 * `make check` (built with the normal compiler, no libFuzzer) keeps every
 * committed corpus and regression input passing.  Layer: tests/.
 *
 * Usage: replay_<target> [DIR|FILE]...  With no argument it replays
 * $KW_SRCDIR/tests/fuzz/corpus/<target>/ and .../regress/<target>/ (the
 * corpus must exist; regress may not).  Files whose name starts with a dot
 * are skipped.  Exit 0 when every input ran; a failed invariant aborts,
 * after the file's name was printed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef KW_FUZZ_TARGET
#error "build with -DKW_FUZZ_TARGET='\"name\"'"
#endif

/* Read path whole into a new buffer of exactly its size (so a read past
 * the input's end is caught by ASan as it would be under libFuzzer). */
static int
replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *p;

            cap = cap ? cap * 2 : 4096;
            p = realloc(buf, cap);
            if (p == NULL) {
                free(buf);
                fclose(f);
                fprintf(stderr, "replay: %s: out of memory\n", path);
                return -1;
            }
            buf = p;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "replay: %s: read error\n", path);
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    {
        uint8_t *exact = malloc(len > 0 ? len : 1);

        if (exact == NULL) {
            free(buf);
            return -1;
        }
        memcpy(exact, buf, len);
        free(buf);
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    return 0;
}

/* Replay a file, or every file of a directory in name order.  The count
 * of inputs run goes to *count; -1 when something could not be read. */
static int
replay_path(const char *path, int must_exist, long *count)
{
    struct dirent **names;
    struct stat st;
    int n, i, rc = 0;

    if (stat(path, &st) < 0) {
        if (!must_exist && errno == ENOENT) {
            return 0;
        }
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return replay_file(path);
    }
    n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (i = 0; i < n; i++) {
        char full[4096];

        if (names[i]->d_name[0] != '.' && rc == 0) {
            snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
            if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
                (*count)++;
                rc = replay_file(full);
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int
main(int argc, char **argv)
{
    long count = 0;
    int i, rc = 0;

    if (argc > 1) {
        for (i = 1; i < argc && rc == 0; i++) {
            rc = replay_path(argv[i], 1, &count);
        }
    } else {
        char dir[4096];

        snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", fuzz_srcdir(),
                 KW_FUZZ_TARGET);
        rc = replay_path(dir, 1, &count);
        snprintf(dir, sizeof(dir), "%s/tests/fuzz/regress/%s", fuzz_srcdir(),
                 KW_FUZZ_TARGET);
        if (rc == 0) {
            rc = replay_path(dir, 0, &count);
        }
    }
    printf("replay_%s: %ld input(s) %s\n", KW_FUZZ_TARGET, count,
           rc == 0 ? "passed" : "not all read");
    return rc == 0 ? 0 : 1;
}
