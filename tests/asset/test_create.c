/* test_create.c — dp_create's checks of its desc: a root that is not an existing directory
 * is refused at once (it used to give a depot on which every load failed with NOT_FOUND). */
#include <stdio.h>

#include "depot/depot.h"
#include "testutil.h"

static void test_create_with_missing_root_is_not_found(void **state)
{
    (void)state;
    char dir[256], missing[300];
    dp_test_mkdtemp(dir, sizeof dir);
    snprintf(missing, sizeof missing, "%s/no-such-folder", dir);
    dp_depot *dp = (dp_depot *)1;
    assert_int_equal(dp_create(&(dp_desc){.root = missing}, &dp), DP_ERR_NOT_FOUND);
    assert_null(dp);
    dp_test_rmrf(dir);
}

static void test_create_with_a_file_as_root_is_not_found(void **state)
{
    (void)state;
    char dir[256], file[300];
    dp_test_mkdtemp(dir, sizeof dir);
    snprintf(file, sizeof file, "%s/plain.txt", dir);
    assert_int_equal(dp_test_write_file(file, "x", 1), 0);
    dp_depot *dp = NULL;
    assert_int_equal(dp_create(&(dp_desc){.root = file}, &dp), DP_ERR_NOT_FOUND);
    assert_null(dp);
    dp_test_rmrf(dir);
}

static void test_create_with_existing_or_no_root_succeeds(void **state)
{
    (void)state;
    char dir[256];
    dp_test_mkdtemp(dir, sizeof dir);
    dp_depot *dp = NULL;
    assert_int_equal(dp_create(&(dp_desc){.root = dir, .workers = 1}, &dp), DP_OK);
    assert_int_equal(dp_destroy(dp), 0);
    assert_int_equal(dp_create(&(dp_desc){.workers = 1}, &dp), DP_OK);
    assert_int_equal(dp_destroy(dp), 0);
    dp_test_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_with_missing_root_is_not_found),
        cmocka_unit_test(test_create_with_a_file_as_root_is_not_found),
        cmocka_unit_test(test_create_with_existing_or_no_root_succeeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
