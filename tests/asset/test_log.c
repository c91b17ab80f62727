/* test_log.c — the log hook (dp_desc.log): silent by default; it names a root that does not
 * exist and an extension that a second type claims in vain. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"

static void noop_destroy(void *asset, void *user)
{
    (void)asset;
    (void)user;
}

static void test_missing_root_is_logged_with_its_path(void **state)
{
    (void)state;
    dp_test_logbook b = {0};
    dp_depot *dp = NULL;
    dp_desc d = {.root = "/no-such-depot-root/assets", .log = {dp_test_log_record, &b}};
    assert_int_equal(dp_create(&d, &dp), DP_ERR_NOT_FOUND);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.level, DP_LOG_ERROR);
    assert_non_null(strstr(b.last, "/no-such-depot-root/assets"));
}

static void test_no_hook_means_nothing_is_written_anywhere(void **state)
{
    (void)state;
    char dir[256], path[300];
    dp_test_mkdtemp(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2);
    FILE *f = freopen(path, "w", stderr);
    assert_non_null(f);
    dp_depot *dp = NULL;
    dp_status st = dp_create(&(dp_desc){.root = "/no-such-depot-root"}, &dp);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(st, DP_ERR_NOT_FOUND);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    assert_int_equal(fgetc(in), EOF);
    fclose(in);
    dp_test_rmrf(dir);
}

static void test_extension_claimed_twice_is_logged_naming_both_types(void **state)
{
    (void)state;
    dp_test_logbook b = {0};
    dp_depot *dp = NULL;
    dp_desc d = {.workers = 1, .log = {dp_test_log_record, &b}};
    assert_int_equal(dp_create(&d, &dp), DP_OK);
    static const char *const first_exts[] = {"tex", NULL};
    static const char *const second_exts[] = {"mesh", "tex", NULL};
    dp_type first = {.name = "texture", .extensions = first_exts, .destroy = noop_destroy};
    dp_type second = {.name = "model", .extensions = second_exts, .destroy = noop_destroy};
    dp_type_id a, c;
    assert_int_equal(dp_register_type(dp, &first, &a), DP_OK);
    assert_int_equal(b.n, 0);
    assert_int_equal(dp_register_type(dp, &second, &c), DP_OK);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.level, DP_LOG_WARN);
    assert_non_null(strstr(b.last, "\"tex\""));
    assert_non_null(strstr(b.last, "\"texture\""));
    assert_non_null(strstr(b.last, "\"model\""));
    assert_int_equal(dp_destroy(dp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_root_is_logged_with_its_path),
        cmocka_unit_test(test_no_hook_means_nothing_is_written_anywhere),
        cmocka_unit_test(test_extension_claimed_twice_is_logged_naming_both_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
