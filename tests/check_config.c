/*
 * check_config: the configuration table, parser and file loader; the
 * i18n tables and language choice.  Layer: tests/.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkmain.h"
#include "config.h"
#include "i18n.h"

START_TEST(test_defaults)
{
    struct config c;
    const struct config_key *k;

    ck_assert_int_eq(config_init(&c), 0);
    ck_assert_str_eq(c.listen, "127.0.0.1:8080");
    ck_assert_str_eq(c.db, "kwangmyong.db");
    ck_assert_int_eq(c.connection_memory, 32768);
    ck_assert_int_eq(c.max_body, 1048576);
    /* every default is inside its own range and documented */
    for (k = config_keys; k->name != NULL; k++) {
        ck_assert_ptr_nonnull(k->help);
        ck_assert(strlen(k->help) > 10);
    }
    config_free(&c);
}
END_TEST

START_TEST(test_set_values)
{
    struct config c;
    struct config_error e;

    config_init(&c);
    ck_assert_int_eq(config_set(&c, "threads", "4", &e), 0);
    ck_assert_int_eq(c.threads, 4);
    ck_assert_int_eq(config_set(&c, "max_body", "2M", &e), 0);
    ck_assert_int_eq(c.max_body, 2 * 1024 * 1024);
    ck_assert_int_eq(config_set(&c, "log_level", "debug", &e), 0);
    ck_assert_str_eq(c.log_level, "debug");
    ck_assert_int_eq(config_set_pair(&c, "base_path=/portal", &e), 0);
    ck_assert_str_eq(c.base_path, "/portal");
    config_free(&c);
}
END_TEST

START_TEST(test_set_errors)
{
    struct config c;
    struct config_error e;

    config_init(&c);
    ck_assert_int_eq(config_set(&c, "nope", "1", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "unknown"));
    ck_assert_int_eq(config_set(&c, "threads", "many", &e), -1);
    ck_assert_int_eq(config_set(&c, "threads", "100000", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "outside"));
    ck_assert_int_eq(config_set(&c, "max_body", "1X", &e), -1);
    ck_assert_int_eq(config_set(&c, "max_body", "99999999999999999999", &e),
                     -1);
    ck_assert_int_eq(config_set_pair(&c, "=3", &e), -1);
    ck_assert_int_eq(config_set_pair(&c, "threads", &e), -1);
    /* a failed set leaves the old value */
    ck_assert_int_eq(c.threads, 0);
    config_free(&c);
}
END_TEST

START_TEST(test_load_file)
{
    struct config c;
    struct config_error e;
    char path[] = "/tmp/kwcfgXXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");

    fputs("# comment\n\nlisten = 127.0.0.2:9000\n  threads=3  \n"
          "bogus line\n",
          f);
    fclose(f);
    config_init(&c);
    ck_assert_int_eq(config_load_file(&c, path, &e), -1);
    ck_assert_str_eq(c.listen, "127.0.0.2:9000");
    ck_assert_int_eq(c.threads, 3);
    /* the error names the file and the line */
    ck_assert_ptr_nonnull(strstr(e.msg, ":5:"));
    ck_assert_int_eq(config_load_file(&c, "/nonexistent/x.conf", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/x.conf"));
    config_free(&c);
    unlink(path);
}
END_TEST

START_TEST(test_i18n_tables)
{
    struct i18n t;
    char dir[4096], err[512];
    const char *src = getenv("KW_SRCDIR");

    snprintf(dir, sizeof(dir), "%s/templates/i18n", src ? src : ".");
    ck_assert_msg(i18n_load(&t, dir, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(json_string_value(
                         json_object_get(i18n_strings(&t, 0), "language_name")),
                     "한국어");
    ck_assert_uint_eq(json_object_size(i18n_strings(&t, 0)),
                      json_object_size(i18n_strings(&t, 1)));
    i18n_free(&t);
}
END_TEST

START_TEST(test_i18n_choose)
{
    ck_assert_int_eq(i18n_choose(NULL, NULL, NULL, 0), 0);
    ck_assert_int_eq(i18n_choose("en", "ko", "ko", 0), 1);
    ck_assert_int_eq(i18n_choose("xx", "en", "ko", 0), 1);
    ck_assert_int_eq(i18n_choose(NULL, NULL, "en-US,en;q=0.9", 0), 1);
    ck_assert_int_eq(i18n_choose(NULL, NULL, "fr, en;q=0.5, ko;q=0.8", 1), 0);
    ck_assert_int_eq(i18n_choose(NULL, NULL, "de", 1), 1);
    ck_assert_int_eq(i18n_choose(NULL, NULL, ";;,,q=,", 0), 0);
}
END_TEST

static Suite *
config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *core = tcase_create("core"), *errors = tcase_create("errors");

    tcase_add_test(core, test_defaults);
    tcase_add_test(core, test_set_values);
    tcase_add_test(core, test_load_file);
    tcase_add_test(core, test_i18n_tables);
    tcase_add_test(core, test_i18n_choose);
    tcase_add_test(errors, test_set_errors);
    suite_add_tcase(s, core);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(config_suite());
}
