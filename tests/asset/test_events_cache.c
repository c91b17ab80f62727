/* test_events_cache.c — events (order, lifetime of the view, listeners, MODIFIED from
 * dp_replace/dp_touch) and the unused cache (LRU order, budget, hits, dp_release_unused). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "asset_fixture.h"
#include "testutil.h"

static int setup_cache48(void **state) { return setup_desc(state, (dp_desc){.keep_unused_bytes = 48}); }

static long find_event(const dp_event *ev, size_t n, dp_event_kind kind, dp_handle h)
{
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == kind && dp_handle_eq(ev[i].handle, h))
            return (long)i;
    return -1;
}

/* ---- events -------------------------------------------------------------------------------- */

static void test_events_of_one_update_come_in_causal_order(void **state)
{
    fixture *f = *state;
    dp_handle old = add(f, "old");
    dp_update(f->dp);
    dp_handle fresh = add(f, "fresh");
    dp_release(f->dp, old);
    dp_update(f->dp);
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev);
    assert_int_equal(n, 4);
    long loaded = find_event(ev, n, DP_EV_LOADED, fresh);
    long deep = find_event(ev, n, DP_EV_LOADED_DEEP, fresh);
    long unused = find_event(ev, n, DP_EV_UNUSED, old);
    long freed = find_event(ev, n, DP_EV_FREED, old);
    assert_true(loaded >= 0 && deep > loaded);
    assert_true(unused > deep && freed > unused);
    assert_int_equal(ev[loaded].type, f->type);
    assert_int_equal(ev[freed].status, DP_OK);
    dp_release(f->dp, fresh);
}

static void test_add_and_release_in_one_frame_announce_load_before_free(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, NULL);
    dp_release(f->dp, h);
    dp_update(f->dp);
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev);
    long loaded = find_event(ev, n, DP_EV_LOADED, h);
    long unused = find_event(ev, n, DP_EV_UNUSED, h);
    long freed = find_event(ev, n, DP_EV_FREED, h);
    assert_true(loaded >= 0 && unused > loaded && freed > unused);
}

static void test_events_view_stays_valid_until_next_update(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "a");
    dp_update(f->dp);
    const dp_event *ev1, *ev2;
    size_t n1 = dp_events(f->dp, &ev1);
    dp_event copy[8];
    memcpy(copy, ev1, n1 * sizeof *ev1);
    /* Work between updates (release, touch) does not disturb the published view. */
    dp_touch(f->dp, h);
    dp_handle b = add(f, NULL);
    size_t n2 = dp_events(f->dp, &ev2);
    assert_int_equal(n1, n2);
    assert_ptr_equal(ev1, ev2);
    assert_memory_equal(copy, ev2, n1 * sizeof *ev1);
    dp_update(f->dp);
    assert_int_equal(count_events(f, DP_EV_MODIFIED), 1);
    assert_int_equal(count_events(f, DP_EV_LOADED), 1);
    dp_update(f->dp);
    assert_int_equal(dp_events(f->dp, &ev1), 0);
    dp_release(f->dp, h);
    dp_release(f->dp, b);
}

typedef struct listener_log {
    int calls;
    size_t total;
    size_t last_n;
    int freed;
} listener_log;

static void log_listener(void *user, const dp_event *events, size_t n)
{
    listener_log *l = user;
    l->calls++;
    l->total += n;
    l->last_n = n;
    for (size_t i = 0; i < n; i++)
        l->freed += events[i].kind == DP_EV_FREED;
}

static void test_listener_sees_every_batch_including_empty_ones(void **state)
{
    fixture *f = *state;
    listener_log log = {0};
    assert_int_equal(dp_listen(f->dp, log_listener, &log), DP_OK);
    dp_update(f->dp);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.last_n, 0);
    dp_handle h = add(f, NULL);
    dp_update(f->dp);
    assert_int_equal(log.last_n, 2);
    dp_release(f->dp, h);
    dp_update(f->dp);
    dp_update(f->dp);
    assert_int_equal(log.calls, 4);
    assert_int_equal(log.last_n, 0);
    assert_int_equal(log.total, 4);
    assert_int_equal(log.freed, 1);
    assert_int_equal(dp_unlisten(f->dp, log_listener, &log), DP_OK);
    dp_update(f->dp);
    assert_int_equal(log.calls, 4);
}

static void test_listener_registry_limits(void **state)
{
    fixture *f = *state;
    listener_log logs[17];
    for (int i = 0; i < 16; i++)
        assert_int_equal(dp_listen(f->dp, log_listener, &logs[i]), DP_OK);
    assert_int_equal(dp_listen(f->dp, log_listener, &logs[3]), DP_ERR_EXISTS);
    assert_int_equal(dp_listen(f->dp, log_listener, &logs[16]), DP_ERR_OVERFLOW);
    assert_int_equal(dp_listen(f->dp, NULL, NULL), DP_ERR_INVALID);
    assert_int_equal(dp_unlisten(f->dp, log_listener, &logs[16]), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_unlisten(f->dp, log_listener, &logs[3]), DP_OK);
    assert_int_equal(dp_unlisten(f->dp, log_listener, &logs[3]), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_listen(f->dp, log_listener, &logs[16]), DP_OK);
}

static void test_replace_emits_modified_and_destroys_old_data_one_update_later(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "img");
    dp_update(f->dp);
    obj *old = dp_get(f->dp, h), *fresh = mk(f);
    assert_int_equal(dp_replace(f->dp, h, fresh, 32), DP_OK);
    assert_ptr_equal(dp_get(f->dp, h), fresh);
    assert_int_equal(dp_bytes_of(f->dp, h), 32);
    assert_int_equal(f->destroyed, 0);
    dp_update(f->dp);
    assert_int_equal(count_events(f, DP_EV_MODIFIED), 1);
    assert_int_equal(f->destroyed, 0); /* pointers of the frame before may still be in use */
    assert_int_equal(f->per_id[old->id], 0); /* (and reading old is no use after free) */
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
    assert_int_equal(f->per_id[0], 1);
    assert_int_equal(count_events(f, DP_EV_MODIFIED), 0);
    dp_release(f->dp, h);
}

static void test_replace_refuses_stale_and_null(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, NULL);
    assert_int_equal(dp_replace(f->dp, h, NULL, 1), DP_ERR_INVALID);
    dp_release(f->dp, h);
    dp_update(f->dp);
    obj *o = mk(f);
    assert_int_equal(dp_replace(f->dp, h, o, 1), DP_ERR_STALE);
    assert_int_equal(dp_touch(f->dp, h), DP_ERR_STALE);
    f->next_id--;
    free(o);
}

static void test_touch_emits_modified_at_next_update(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, NULL);
    dp_update(f->dp);
    assert_int_equal(dp_touch(f->dp, h), DP_OK);
    dp_update(f->dp);
    assert_int_equal(count_events(f, DP_EV_MODIFIED), 1);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 0);
    dp_release(f->dp, h);
}

/* ---- the unused cache ------------------------------------------------------------------------ */

static void release_and_update(fixture *f, dp_handle h)
{
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_cache_keeps_released_assets_within_budget(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "a"), b = add(f, "b"), c = add(f, "c"), d = add(f, "d");
    release_and_update(f, a);
    release_and_update(f, b);
    release_and_update(f, c);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 0); /* 48 bytes: exactly the budget */
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.unused_cached_bytes, 48);
    assert_int_equal(st.unused_assets, 3);
    release_and_update(f, d);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1); /* the least recently used, a */
    assert_int_equal(f->per_id[0], 1);
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.unused_cached_bytes, 48);
}

static void test_cache_find_is_a_hit_without_destroy(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "a");
    void *data = dp_get(f->dp, a);
    release_and_update(f, a);
    dp_handle again;
    assert_int_equal(dp_find(f->dp, "a", &again), DP_OK);
    assert_true(dp_handle_eq(a, again));
    assert_ptr_equal(dp_get(f->dp, again), data);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 0);
    assert_int_equal(count_events(f, DP_EV_LOADED), 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
    release_and_update(f, again);
}

static void test_cache_hit_makes_asset_most_recently_used(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "a"), b = add(f, "b"), c = add(f, "c"), d = add(f, "d");
    release_and_update(f, a);
    release_and_update(f, b);
    release_and_update(f, c);
    dp_handle x;
    assert_int_equal(dp_find(f->dp, "a", &x), DP_OK);
    dp_update(f->dp);
    release_and_update(f, x); /* a is now the most recently used */
    release_and_update(f, d);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
    assert_int_equal(f->per_id[1], 1); /* b went, not a */
    assert_int_equal(dp_find(f->dp, "a", &x), DP_OK);
    dp_release(f->dp, x);
}

static void test_cache_hit_released_in_the_same_frame_is_most_recently_used(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "a"), b = add(f, "b"), c = add(f, "c"), d = add(f, "d");
    release_and_update(f, a);
    release_and_update(f, b);
    release_and_update(f, c);
    dp_handle x;
    assert_int_equal(dp_find(f->dp, "a", &x), DP_OK);
    assert_int_equal(dp_release(f->dp, x), DP_OK); /* used and dropped within one frame */
    release_and_update(f, d);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
    assert_int_equal(f->per_id[1], 1); /* b is the least recently used, not a */
    assert_int_equal(dp_find(f->dp, "a", &x), DP_OK);
    dp_release(f->dp, x);
}

static void test_cache_does_not_keep_an_asset_larger_than_budget(void **state)
{
    fixture *f = *state;
    dp_handle big;
    assert_int_equal((dp_add)(f->dp, f->type, mk(f), 49, "big", &big), DP_OK);
    release_and_update(f, big);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
}

static void test_cache_does_not_keep_keyless_assets(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, NULL);
    release_and_update(f, h);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
}

static void test_release_unused_empties_the_cache(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "a"), b = add(f, "b"), c = add(f, "c");
    release_and_update(f, a);
    release_and_update(f, b);
    dp_release(f->dp, c); /* not even seen by an update yet */
    assert_int_equal(dp_release_unused(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.unused_cached_bytes, 0);
    assert_int_equal(st.live_assets, 0);
    dp_handle x;
    assert_int_equal(dp_find(f->dp, "a", &x), DP_ERR_NOT_FOUND);
    /* The cache works again afterwards. */
    dp_handle d = add(f, "d");
    release_and_update(f, d);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
}

static void test_release_unused_frees_cached_zero_byte_assets(void **state)
{
    fixture *f = *state;
    dp_handle empty;
    assert_int_equal((dp_add)(f->dp, f->type, mk(f), 0, "empty", &empty), DP_OK);
    release_and_update(f, empty);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 0);
    assert_int_equal(dp_release_unused(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_cached_parent_keeps_children_until_it_goes(void **state)
{
    fixture *f = *state;
    dp_handle p = add(f, "p"), kid = add(f, NULL);
    dp_depend(f->dp, p, kid);
    dp_release(f->dp, kid);
    release_and_update(f, p);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 0);
    assert_int_equal(dp_count(f->dp, kid), 1);
    assert_int_equal(dp_release_unused(f->dp), DP_OK);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 2);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_evict_of_cached_asset_leaves_consistent_cache(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "a"), b = add(f, "b");
    release_and_update(f, a);
    release_and_update(f, b);
    assert_int_equal(dp_evict(f->dp, a), DP_OK);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_check(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_events_of_one_update_come_in_causal_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_and_release_in_one_frame_announce_load_before_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_view_stays_valid_until_next_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listener_sees_every_batch_including_empty_ones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listener_registry_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_emits_modified_and_destroys_old_data_one_update_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_refuses_stale_and_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touch_emits_modified_at_next_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_keeps_released_assets_within_budget, setup_cache48, teardown),
        cmocka_unit_test_setup_teardown(test_cache_find_is_a_hit_without_destroy, setup_cache48, teardown),
        cmocka_unit_test_setup_teardown(test_cache_hit_makes_asset_most_recently_used, setup_cache48, teardown),
        cmocka_unit_test_setup_teardown(test_cache_hit_released_in_the_same_frame_is_most_recently_used, setup_cache48, teardown),
        cmocka_unit_test_setup_teardown(test_cache_does_not_keep_an_asset_larger_than_budget, setup_cache48, teardown),
        cmocka_unit_test_setup_teardown(test_cache_does_not_keep_keyless_assets, setup_cache48, teardown),
        cmocka_unit_test_setup_teardown(test_release_unused_empties_the_cache, setup_cache48, teardown),
        cmocka_unit_test_setup_teardown(test_release_unused_frees_cached_zero_byte_assets, setup_cache48, teardown),
        cmocka_unit_test_setup_teardown(test_cached_parent_keeps_children_until_it_goes, setup_cache48, teardown),
        cmocka_unit_test_setup_teardown(test_evict_of_cached_asset_leaves_consistent_cache, setup_cache48, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
