/* test_hash.c — the key table's string hash (common/hash.h): every byte counts, whatever the
 * length, and the string and byte forms agree. */
#include <string.h>

#include "common/hash.h"
#include "testutil.h"

/* A key of n bytes ('a' + i % 26). */
static void fill(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)('a' + i % 26);
    buf[n] = '\0';
}

static void test_changing_any_one_byte_changes_the_hash_at_every_length(void **state)
{
    (void)state;
    char key[72];
    for (size_t n = 1; n <= 64; n++) {
        fill(key, n);
        uint64_t h = dp__hash_bytes(key, n);
        for (size_t i = 0; i < n; i++) {
            char was = key[i];
            key[i] = (char)(was ^ 0x20);
            assert_true(dp__hash_bytes(key, n) != h);
            key[i] = was;
        }
    }
}

static void test_bytes_past_the_length_do_not_count(void **state)
{
    (void)state;
    char a[40], b[40];
    fill(a, 39);
    fill(b, 39);
    b[38] = 'Z';
    for (size_t n = 0; n < 38; n++)
        assert_true(dp__hash_bytes(a, n) == dp__hash_bytes(b, n));
}

static void test_string_hash_is_the_hash_of_its_bytes_and_never_zero(void **state)
{
    (void)state;
    char key[72];
    for (size_t n = 0; n <= 64; n++) {
        fill(key, n);
        assert_true(dp__hash(key) == dp__hash_bytes(key, n));
        assert_true(dp__hash(key) != 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changing_any_one_byte_changes_the_hash_at_every_length),
        cmocka_unit_test(test_bytes_past_the_length_do_not_count),
        cmocka_unit_test(test_string_hash_is_the_hash_of_its_bytes_and_never_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
