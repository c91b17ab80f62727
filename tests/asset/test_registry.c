/* test_registry.c — the registry's basic contract: add, counts, release at update, keys,
 * edges and cascades, events, evict, the unused cache. */
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

typedef struct fixture {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id type;
    int destroyed;
} fixture;

static void destroy_obj(void *asset, void *user)
{
    fixture *f = user;
    f->destroyed++;
    free(asset);
}

static int setup_desc(void **state, dp_desc d)
{
    fixture *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    d.allocator = &f->alloc.iface;
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    dp_type t = {.name = "obj", .destroy = destroy_obj, .user = f};
    assert_int_equal(dp_register_type(f->dp, &t, &f->type), DP_OK);
    *state = f;
    return 0;
}

static int setup(void **state) { return setup_desc(state, (dp_desc){0}); }

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->dp)
        dp_destroy(f->dp);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static dp_handle add(fixture *f, const char *key)
{
    dp_handle h;
    assert_int_equal(dp_add(f->dp, f->type, malloc(16), 16, key, &h), DP_OK);
    return h;
}

static size_t count_events(fixture *f, dp_event_kind kind)
{
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev), c = 0;
    for (size_t i = 0; i < n; i++)
        c += ev[i].kind == kind;
    return c;
}

static void pass_quarantine(fixture *f) { dp_test_pass_quarantine(f->dp); }

static void test_add_gives_loaded_asset_with_count_one(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "a");
    assert_int_equal(dp_count(f->dp, h), 1);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_LOADED);
    assert_non_null(dp_get(f->dp, h));
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(count_events(f, DP_EV_LOADED), 1);
    assert_int_equal(count_events(f, DP_EV_LOADED_DEEP), 1);
    assert_int_equal(dp_state_deep(f->dp, h), DP_STATE_LOADED);
}

static void test_release_to_zero_frees_at_next_update(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, NULL);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    assert_int_equal(f->destroyed, 0);
    assert_non_null(dp_get(f->dp, h)); /* until the update */
    dp_update(f->dp);
    assert_int_equal(count_events(f, DP_EV_UNUSED), 1);
    assert_int_equal(count_events(f, DP_EV_FREED), 1);
    assert_null(dp_get(f->dp, h));
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_INVALID);
    assert_int_equal(dp_release(f->dp, h), DP_ERR_STALE);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
}

static void test_release_below_zero_is_underflow(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, NULL);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    assert_int_equal(dp_release(f->dp, h), DP_ERR_UNDERFLOW);
    assert_int_equal(dp_count(f->dp, h), 0);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
}

static void test_release_then_find_before_update_keeps_asset(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "tex"), again;
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    assert_int_equal(dp_find(f->dp, "tex", &again), DP_OK);
    assert_true(dp_handle_eq(h, again));
    dp_update(f->dp);
    assert_int_equal(f->destroyed, 0);
    assert_int_equal(count_events(f, DP_EV_FREED), 0);
    assert_int_equal(dp_count(f->dp, h), 1);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_add_of_live_key_returns_exists_with_count(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "k"), other;
    void *mine = malloc(8);
    assert_int_equal(dp_add(f->dp, f->type, mine, 8, "k", &other), DP_ERR_EXISTS);
    assert_true(dp_handle_eq(h, other));
    assert_int_equal(dp_count(f->dp, h), 2);
    free(mine);
}

static void test_cocos_sprite_chain_frees_all_three_once(void **state)
{
    fixture *f = *state;
    dp_handle frame = add(f, "frame"), tex = add(f, "tex"), img = add(f, "img");
    assert_int_equal(dp_depend(f->dp, frame, tex), DP_OK);
    assert_int_equal(dp_depend(f->dp, tex, img), DP_OK);
    dp_release(f->dp, tex);
    dp_release(f->dp, img);
    dp_retain(f->dp, frame);
    dp_retain(f->dp, frame); /* three scene nodes */
    assert_int_equal(dp_count(f->dp, frame), 3);
    assert_int_equal(dp_count(f->dp, tex), 1);
    assert_int_equal(dp_count(f->dp, img), 1);
    for (int i = 0; i < 3; i++)
        dp_release(f->dp, frame);
    dp_update(f->dp);
    assert_int_equal(count_events(f, DP_EV_FREED), 3);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
}

static void test_long_chain_cascades_without_recursion(void **state)
{
    fixture *f = *state;
    enum { N = 100000 };
    dp_handle prev = add(f, NULL), first = prev;
    for (int i = 1; i < N; i++) {
        dp_handle h = add(f, NULL);
        assert_int_equal(dp_depend(f->dp, prev, h), DP_OK);
        dp_release(f->dp, h);
        prev = h;
    }
    dp_update(f->dp);
    dp_release(f->dp, first);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, N);
}

static void test_evict_makes_handles_stale_now_and_destroys_at_the_next_update(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "e"), kid = add(f, NULL);
    dp_depend(f->dp, h, kid);
    dp_release(f->dp, kid);
    dp_retain(f->dp, h);
    assert_int_equal(dp_evict(f->dp, h), DP_OK);
    assert_int_equal(f->destroyed, 0); /* retired: a holder's pointer stays readable */
    assert_null(dp_get(f->dp, h));
    assert_int_equal(dp_retain(f->dp, h), DP_ERR_STALE);
    assert_int_equal(dp_release(f->dp, h), DP_ERR_STALE);
    dp_handle x;
    assert_int_equal(dp_find(f->dp, "e", &x), DP_ERR_NOT_FOUND);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 2); /* its data, and the child that went with it */
}

static void test_two_cycle_is_collected(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, NULL), b = add(f, NULL), self = add(f, NULL);
    dp_depend(f->dp, a, b);
    dp_depend(f->dp, b, a);
    dp_depend(f->dp, self, self);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
    dp_release(f->dp, self);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
}

static void test_cycle_held_from_outside_stays(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, NULL), b = add(f, NULL);
    dp_depend(f->dp, a, b);
    dp_depend(f->dp, b, a);
    dp_release(f->dp, b);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    assert_int_equal(f->destroyed, 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, a);
    dp_collect_cycles(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 2);
}

static void test_group_release_frees_only_unshared(void **state)
{
    fixture *f = *state;
    dp_group ga, gb;
    dp_group_create(f->dp, "A", &ga);
    dp_group_create(f->dp, "B", &gb);
    dp_handle shared = add(f, "shared"), own = add(f, "own");
    dp_group_add(f->dp, ga, shared);
    dp_group_add(f->dp, ga, own);
    dp_group_add(f->dp, gb, shared);
    dp_release(f->dp, shared);
    dp_release(f->dp, own);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_group_release(f->dp, ga);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
    assert_non_null(dp_get(f->dp, shared));
    dp_group_destroy(f->dp, gb);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 2);
}

static void test_unused_cache_keeps_released_asset(void **state)
{
    fixture *f = *state;
    dp_destroy(f->dp);
    f->dp = NULL;
    fixture *g = *state;
    dp_create(&(dp_desc){.keep_unused_bytes = 40, .allocator = &g->alloc.iface}, &g->dp);
    dp_type t = {.name = "obj", .destroy = destroy_obj, .user = g};
    dp_register_type(g->dp, &t, &g->type);
    dp_handle a = add(g, "a"), b = add(g, "b"), c = add(g, "c");
    dp_release(g->dp, a);
    dp_update(g->dp);
    dp_release(g->dp, b);
    dp_update(g->dp);
    assert_int_equal(g->destroyed, 0); /* 32 bytes cached */
    assert_int_equal(dp_check(g->dp), DP_OK);
    dp_release(g->dp, c);
    dp_update(g->dp);
    pass_quarantine(g);
    assert_int_equal(g->destroyed, 1); /* 48 > 40: the least recently used (a) goes */
    dp_handle x;
    assert_int_equal(dp_find(g->dp, "a", &x), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_find(g->dp, "b", &x), DP_OK);
    dp_update(g->dp);
    assert_int_equal(dp_check(g->dp), DP_OK);
    assert_int_equal(dp_release_unused(g->dp), DP_OK);
    pass_quarantine(g);
    assert_int_equal(g->destroyed, 2);
    dp_release(g->dp, x);
}

static void test_destroy_reports_held_assets(void **state)
{
    fixture *f = *state;
    add(f, "leak");
    dp_handle a = add(f, NULL), b = add(f, NULL);
    dp_depend(f->dp, a, b);
    dp_release(f->dp, b);
    assert_int_equal(dp_destroy(f->dp), 2);
    f->dp = NULL;
    assert_int_equal(f->destroyed, 3);
}

/* Owner-only calls from other threads: test_owner_only_calls_from_another_thread_are_refused
 * in test_concurrency_mt.c. Here: NULL and null-handle arguments are rejected cleanly. */
static void test_null_depot_and_null_handle_are_rejected(void **state)
{
    fixture *f = *state;
    assert_int_equal(dp_update(NULL), DP_ERR_INVALID);
    assert_int_equal(dp_retain(f->dp, DP_NULL_HANDLE), DP_ERR_STALE);
    assert_int_equal(dp_depend(f->dp, DP_NULL_HANDLE, DP_NULL_HANDLE), DP_ERR_STALE);
    assert_null(dp_get(f->dp, DP_NULL_HANDLE));
}

static void test_loaded_events_come_in_creation_order(void **state)
{
    fixture *f = *state;
    dp_handle h[5];
    for (int i = 0; i < 5; i++)
        h[i] = add(f, NULL);
    dp_update(f->dp);
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev);
    int seen = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == DP_EV_LOADED)
            assert_true(dp_handle_eq(ev[i].handle, h[seen++]));
    assert_int_equal(seen, 5);
    for (int i = 0; i < 5; i++)
        dp_release(f->dp, h[i]);
}

static void test_stats_count_only_cached_bytes_as_cached(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "k"); /* the default desc keeps no unused cache */
    dp_release(f->dp, h);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.unused_assets, 1);       /* unused until the next update... */
    assert_int_equal(st.unused_cached_bytes, 0); /* ...but not in any cache */
    dp_update(f->dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_gives_loaded_asset_with_count_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_to_zero_frees_at_next_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_below_zero_is_underflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_then_find_before_update_keeps_asset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_of_live_key_returns_exists_with_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cocos_sprite_chain_frees_all_three_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_chain_cascades_without_recursion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evict_makes_handles_stale_now_and_destroys_at_the_next_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_cycle_is_collected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle_held_from_outside_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_release_frees_only_unshared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unused_cache_keeps_released_asset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_reports_held_assets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_depot_and_null_handle_are_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loaded_events_come_in_creation_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_count_only_cached_bytes_as_cached, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
