/* test_pool_payload_lines.c — with the default allocator, payload pages start on a 64-byte
 * cache line, so a 64-byte payload (the asset layer's record) never straddles two lines
 * (malloc alone gave 16-byte alignment: 3 records in 4 straddled). */
#include "testutil.h"

#include <stdint.h>

#include "depot/pool.h"

static void test_64_byte_payloads_each_sit_in_one_cache_line(void **state)
{
    (void)state;
    dp_pool *pool;
    assert_int_equal(dp_pool_create(&(dp_pool_desc){.payload_size = 64}, &pool), DP_OK);
    /* Three pages' worth: the first chunk's page and both of the second chunk's. */
    for (int i = 0; i < 3 * 512; i++) {
        dp_handle h;
        assert_int_equal(dp_pool_alloc(pool, &h), DP_OK);
        uintptr_t at = (uintptr_t)dp_pool_payload(pool, h);
        assert_int_equal(at % 64, 0);
    }
    dp_pool_destroy(pool);
}

static void test_a_user_allocator_gets_the_page_size_it_is_asked_for(void **state)
{
    (void)state;
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_pool *pool;
    assert_int_equal(dp_pool_create(&(dp_pool_desc){.allocator = &ta.iface, .payload_size = 64},
                                    &pool),
                     DP_OK);
    long before = atomic_load(&ta.live_bytes);
    dp_handle h;
    assert_int_equal(dp_pool_alloc(pool, &h), DP_OK);
    /* The first chunk (512 words and one page pointer) and one page: no padding asked for. */
    assert_int_equal(atomic_load(&ta.live_bytes) - before, 512 * 8 + 8 + 512 * 64);
    dp_pool_destroy(pool);
    assert_int_equal(atomic_load(&ta.live), 0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_64_byte_payloads_each_sit_in_one_cache_line),
        cmocka_unit_test(test_a_user_allocator_gets_the_page_size_it_is_asked_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
