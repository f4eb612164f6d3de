/*
 * fuzz: what the libFuzzer targets in tests/fuzz/ share.  Layer: tests/.
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput() over one parser of
 * lib/, ingest/ or server/ and calls it the way the program does.  `make
 * fuzz` links each with clang's -fsanitize=fuzzer; `make check` links the
 * same file with replay.c and runs the committed corpus and regression
 * inputs through it, so an input that once crashed stays a test.
 *
 * An invariant that fails calls FUZZ_CHECK's abort(): libFuzzer keeps the
 * input as a crash, the replay driver names the file it was reading.
 */
#ifndef KW_FUZZ_H
#define KW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, what)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,         \
                    __LINE__, (what));                                         \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* 1 when s is NULL or printable ASCII. */
static inline int
fuzz_printable(const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
            return 0;
        }
    }
    return 1;
}

/* The source tree (templates, static files, migrations): $KW_SRCDIR, else
 * the one the target was built from.  Borrowed. */
static inline const char *
fuzz_srcdir(void)
{
    const char *s = getenv("KW_SRCDIR");

#ifdef KW_FUZZ_SRCDIR
    if (s == NULL || s[0] == '\0') {
        s = KW_FUZZ_SRCDIR;
    }
#endif
    return s != NULL && s[0] != '\0' ? s : ".";
}

#endif
