/*
 * check_audit: the hash-chained audit log: append, verify, and detection
 * of a tampered, deleted or reordered row.  Layer: tests/.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "checkmain.h"
#include "testdb.h"

static struct testdb tdb;
static struct db *db;

static void
setup(void)
{
    testdb_open(&tdb, "kwau", TESTDB_WRITER);
    db = tdb.w;
}

static void
teardown(void)
{
    testdb_close(&tdb);
}

static int nbad;
static int64_t bad_ids[16];

static void
report(void *ctx, int64_t id, const char *why)
{
    (void)ctx;
    (void)why;
    if (nbad < 16) {
        bad_ids[nbad] = id;
    }
    nbad++;
}

static void
append_rows(int n)
{
    int i;

    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    for (i = 0; i < n; i++) {
        struct audit_entry e = {0};
        char reason[32];

        snprintf(reason, sizeof(reason), "reason %d", i);
        e.actor = i % 2 ? "alice" : "cli:op";
        e.action = "approve";
        e.object_type = "document";
        e.object_id = i + 1;
        e.reason = reason;
        e.client = i % 3 ? "127.0.0.1" : NULL;
        ck_assert_int_eq(audit_append(db, &e), i + 1);
    }
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
}

START_TEST(test_chain_ok)
{
    append_rows(10);
    nbad = 0;
    ck_assert_int_eq(audit_verify(db, report, NULL), 0);
    ck_assert_int_eq(nbad, 0);
}
END_TEST

START_TEST(test_tampered_row_found)
{
    append_rows(10);
    ck_assert_int_eq(
        db_exec(db, "UPDATE audit SET reason = 'forged' WHERE id = 4"),
        SQLITE_OK);
    nbad = 0;
    ck_assert_int_eq(audit_verify(db, report, NULL), 1);
    ck_assert_int_eq(bad_ids[0], 4);
}
END_TEST

START_TEST(test_deleted_row_found)
{
    append_rows(10);
    ck_assert_int_eq(db_exec(db, "DELETE FROM audit WHERE id = 6"), SQLITE_OK);
    nbad = 0;
    ck_assert_int_eq(audit_verify(db, report, NULL), 1);
    ck_assert_int_eq(bad_ids[0], 7);
}
END_TEST

START_TEST(test_rehashed_row_found)
{
    /* A forger who recomputes one row's hash still breaks the next row's
     * prev_hash link. */
    append_rows(5);
    ck_assert_int_eq(db_exec(db, "UPDATE audit SET actor = 'mallory',"
                                 " hash = printf('%064d', 7) WHERE id = 2"),
                     SQLITE_OK);
    nbad = 0;
    ck_assert_int_ge(audit_verify(db, report, NULL), 2);
    ck_assert_int_eq(bad_ids[0], 2);
    ck_assert_int_eq(bad_ids[1], 3);
}
END_TEST

START_TEST(test_rollback_leaves_no_row)
{
    struct audit_entry e = {0};

    e.actor = "x";
    e.action = "approve";
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(audit_append(db, &e), 1);
    db_write_rollback(db);
    append_rows(1);
    nbad = 0;
    ck_assert_int_eq(audit_verify(db, report, NULL), 0);
}
END_TEST

static Suite *
audit_suite(void)
{
    Suite *s = suite_create("audit");
    TCase *core = tcase_create("core"), *errors = tcase_create("errors");

    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(core, test_chain_ok);
    tcase_add_test(core, test_rollback_leaves_no_row);
    tcase_add_test(errors, test_tampered_row_found);
    tcase_add_test(errors, test_deleted_row_found);
    tcase_add_test(errors, test_rehashed_row_found);
    suite_add_tcase(s, core);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(audit_suite());
}
