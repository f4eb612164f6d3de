/*
 * tests/checkmain.h: what every Check program's main() does, once.
 * Header only, so each tests/check_*.c stays one translation unit.
 */
#ifndef KW_TESTS_CHECKMAIN_H
#define KW_TESTS_CHECKMAIN_H

#include <check.h>

/* Run every test of s (each forked, Check's normal output): the exit
 * status, 0 when all passed, else 1. */
static inline int
check_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

#endif
