/* test_status.c — dp_status and its names come from one list (DP_STATUS_LIST). */
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

static void test_every_listed_code_names_itself(void **state)
{
    (void)state;
    int codes = 0;
#define CHECK(name, value, meaning)                          \
    assert_int_equal((int)name, value);                      \
    assert_string_equal(dp_status_str(name), #name);         \
    assert_true(strlen(meaning) > 0);                        \
    codes++;
    DP_STATUS_LIST(CHECK)
#undef CHECK
    assert_true(codes >= 14); /* DP_OK and the 13 errors of the first release */
}

static void test_listed_codes_are_zero_then_consecutive_negatives(void **state)
{
    (void)state;
    int expect = 0;
#define CHECK(name, value, meaning) \
    assert_int_equal(value, expect); \
    expect--;
    DP_STATUS_LIST(CHECK)
#undef CHECK
}

static void test_unlisted_value_is_named_unknown(void **state)
{
    (void)state;
    assert_string_equal(dp_status_str((dp_status)-1000), "DP_ERR_UNKNOWN");
    assert_string_equal(dp_status_str((dp_status)1), "DP_ERR_UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_listed_code_names_itself),
        cmocka_unit_test(test_listed_codes_are_zero_then_consecutive_negatives),
        cmocka_unit_test(test_unlisted_value_is_named_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
