/* test_ext.c — extension records (src/asset/ext.c): the soft count, use clock and unused-cache
 * link of the few assets that need them live beside the record, in pages made on first use.
 * Assets on different pages and chunks keep their own fields; without room for a page, a
 * soft retain is refused and an unused asset is freed instead of cached. */
#include <stdio.h>

#include "asset/asset_internal.h"
#include "asset_fixture.h"

#define SPAN 1600u /* slots 0..1599: chunks 0..1 (512, 1024 slots), pages of 128 */

/* SPAN assets, keyed "k<i>" when `keyed`; slot i holds hs[i] (a fresh depot hands slots out
 * in order). */
static void add_span(fixture *f, dp_handle *hs, bool keyed)
{
    char key[32];
    for (uint32_t i = 0; i < SPAN; i++) {
        snprintf(key, sizeof key, "k%u", i);
        hs[i] = add(f, keyed ? key : NULL);
        assert_int_equal(dp_handle_index(hs[i]), i);
    }
    dp_update(f->dp);
}

/* The slots the tests use: page and chunk edges, and one alone on its page. */
static const uint32_t picks[] = {0, 127, 128, 511, 512, 639, 640, 1535, 1536, 1599, 1000};
#define NPICKS (sizeof picks / sizeof picks[0])

static void test_soft_counts_on_different_pages_and_chunks_stay_apart(void **state)
{
    fixture *f = *state;
    static dp_handle hs[SPAN];
    add_span(f, hs, false);
    for (uint32_t k = 0; k < NPICKS; k++)
        for (uint32_t n = 0; n <= k; n++) /* pick k gets k + 1 soft references */
            assert_int_equal(dp_retain_soft(f->dp, hs[picks[k]]), DP_OK);
    for (uint32_t k = 0; k < NPICKS; k++) {
        assert_int_equal(dp_soft_count(f->dp, hs[picks[k]]), k + 1);
        assert_int_equal(dp_count(f->dp, hs[picks[k]]), k + 2);
        assert_int_equal(dp_soft_count(f->dp, hs[picks[k] ^ 1u]), 0); /* its neighbour */
    }
    assert_int_equal(dp_check(f->dp), DP_OK);
    /* The strong count goes; the soft ones stay, and a strong release below them is refused
     * (count.c reads the floor from the extension record). */
    for (uint32_t k = 0; k < NPICKS; k++) {
        assert_int_equal(dp_release(f->dp, hs[picks[k]]), DP_OK);
        assert_int_equal(dp_release(f->dp, hs[picks[k]]), DP_ERR_UNDERFLOW);
        for (uint32_t n = 0; n <= k; n++)
            assert_int_equal(dp_release_soft(f->dp, hs[picks[k]]), DP_OK);
    }
    for (uint32_t i = 0; i < SPAN; i++)
        if (dp_count(f->dp, hs[i]) == 1)
            assert_int_equal(dp_release(f->dp, hs[i]), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static int setup_cache(void **state)
{
    return setup_desc(state, (dp_desc){.keep_unused_bytes = 16u * SPAN});
}

static void test_unused_cache_keeps_its_order_across_pages(void **state)
{
    fixture *f = *state;
    static dp_handle hs[SPAN];
    add_span(f, hs, true);
    /* Released from the last slot down: slot SPAN-1 is the least recently used. */
    for (uint32_t i = SPAN; i-- > 0;)
        assert_int_equal(dp_release(f->dp, hs[i]), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_check(f->dp), DP_OK);
    /* The picks are used again and dropped: now the most recently used, in pick order. */
    char key[32];
    for (uint32_t k = 0; k < NPICKS; k++) {
        dp_handle h;
        snprintf(key, sizeof key, "k%u", picks[k]);
        assert_int_equal(dp_find(f->dp, key, &h), DP_OK);
        assert_int_equal(dp_release(f->dp, h), DP_OK);
        dp_update(f->dp);
    }
    assert_int_equal(dp_check(f->dp), DP_OK);
    /* As many newer unused assets as there are others: the cache, full, lets go of the
     * oldest ones, which are all but the picks. */
    for (uint32_t i = 0; i < SPAN - NPICKS; i++) {
        snprintf(key, sizeof key, "x%u", i);
        assert_int_equal(dp_release(f->dp, add(f, key)), DP_OK);
    }
    dp_update(f->dp);
    for (uint32_t k = 0; k < NPICKS; k++)
        assert_int_equal(dp_state_of(f->dp, hs[picks[k]]), DP_STATE_LOADED);
    size_t alive = 0;
    for (uint32_t i = 0; i < SPAN; i++)
        alive += dp_state_of(f->dp, hs[i]) != DP_STATE_INVALID;
    assert_int_equal(alive, NPICKS);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_soft_retain_without_room_for_a_page_takes_no_count(void **state)
{
    fixture *f = *state;
    static dp_handle hs[SPAN];
    add_span(f, hs, false);
    assert_int_equal(dp_retain_soft(f->dp, hs[0]), DP_OK); /* residency set up, page 0 */
    dp_test_alloc_fail_at(&f->alloc, 1); /* chunk 1's directory, which slot 1000's page needs */
    assert_int_equal(dp_retain_soft(f->dp, hs[1000]), DP_ERR_NOMEM);
    dp_test_alloc_fail_at(&f->alloc, 0);
    assert_int_equal(dp_count(f->dp, hs[1000]), 1);
    assert_int_equal(dp_soft_count(f->dp, hs[1000]), 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
    assert_int_equal(dp_retain_soft(f->dp, hs[1000]), DP_OK); /* and later it works */
    assert_int_equal(dp_soft_count(f->dp, hs[1000]), 1);
    assert_int_equal(dp_release_soft(f->dp, hs[1000]), DP_OK);
    assert_int_equal(dp_release_soft(f->dp, hs[0]), DP_OK);
    for (uint32_t i = 0; i < SPAN; i++)
        assert_int_equal(dp_release(f->dp, hs[i]), DP_OK);
    dp_update(f->dp);
}

static void test_unused_asset_without_room_for_a_page_is_freed_not_cached(void **state)
{
    fixture *f = *state;
    static dp_handle hs[SPAN];
    add_span(f, hs, true);
    assert_int_equal(dp_release(f->dp, hs[0]), DP_OK);
    dp_update(f->dp); /* cached: page 0 made */
    size_t freed = freed_total(f);
    assert_int_equal(dp_release(f->dp, hs[1000]), DP_OK);
    f->alloc.fail_all_after = 1;
    dp_test_alloc_fail_at(&f->alloc, 1);
    dp_update(f->dp);
    dp_test_alloc_fail_at(&f->alloc, 0);
    f->alloc.fail_all_after = 0;
    assert_int_equal(freed_total(f), freed + 1);
    dp_handle h;
    assert_int_equal(dp_find(f->dp, "k1000", &h), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_state_of(f->dp, hs[0]), DP_STATE_LOADED); /* still cached */
    assert_int_equal(dp_check(f->dp), DP_OK);
    for (uint32_t i = 1; i < SPAN; i++)
        if (i != 1000)
            assert_int_equal(dp_release(f->dp, hs[i]), DP_OK);
    dp_update(f->dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_soft_counts_on_different_pages_and_chunks_stay_apart,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_unused_cache_keeps_its_order_across_pages,
                                        setup_cache, teardown),
        cmocka_unit_test_setup_teardown(test_soft_retain_without_room_for_a_page_takes_no_count,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_unused_asset_without_room_for_a_page_is_freed_not_cached, setup_cache,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
