/* test_cache_budget.c — dp_desc.keep_unused_bytes bounds everything the unused cache keeps
 * alive: a cached parent (a bundle) and the dependencies only it holds count together;
 * dependencies that something live also holds do not count. Checked after every update,
 * also across a long run of scene switches with shared assets (dp_add/dp_depend only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "asset_fixture.h"
#include "testutil.h"

enum { BUDGET = 1000 };

static int setup_budget(void **state)
{
    return setup_desc(state, (dp_desc){.keep_unused_bytes = BUDGET});
}

static dp_handle add_sized(fixture *f, const char *key, size_t bytes)
{
    dp_handle h;
    assert_int_equal((dp_add)(f->dp, f->type, mk(f), bytes, key, &h), DP_OK);
    return h;
}

static bool alive(fixture *f, dp_handle h)
{
    return dp_state_of(f->dp, h) != DP_STATE_INVALID;
}

/* Bytes of every live asset: when the program holds nothing, all of it is kept by the cache. */
static size_t live_bytes(fixture *f)
{
    size_t n, b;
    assert_int_equal(dp_type_stats(f->dp, f->type, &n, &b), DP_OK);
    return b;
}

/* A parent of `pbytes` with children of `kbytes` each; the caller's counts on the children
 * are dropped (the parent's edges hold them). */
static dp_handle bundle(fixture *f, const char *key, size_t pbytes, dp_handle *kids, int n,
                        size_t kbytes)
{
    dp_handle p = add_sized(f, key, pbytes);
    char k[32];
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof k, "%s/%d", key, i);
        kids[i] = add_sized(f, k, kbytes);
        assert_int_equal(dp_depend(f->dp, p, kids[i]), DP_OK);
        assert_int_equal(dp_release(f->dp, kids[i]), DP_OK);
    }
    return p;
}

static void test_cached_bundle_counts_the_children_it_keeps(void **state)
{
    fixture *f = *state;
    dp_handle kids[4];
    dp_handle b = bundle(f, "scene.bundle", 10, kids, 4, 300); /* 1210 bytes in all */
    dp_update(f->dp);
    assert_int_equal(dp_release(f->dp, b), DP_OK);
    dp_update(f->dp);
    /* Before: the 10-byte bundle stayed cached and kept 1200 bytes of children alive. */
    assert_true(live_bytes(f) <= BUDGET);
    dp_stats s;
    dp_get_stats(f->dp, &s);
    assert_int_equal(s.unused_cached_bytes, live_bytes(f));
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_children_shared_with_a_live_asset_do_not_count(void **state)
{
    fixture *f = *state;
    dp_handle kids[2];
    dp_handle b = bundle(f, "b", 10, kids, 2, 600);
    dp_handle user = add_sized(f, "user", 16);
    assert_int_equal(dp_depend(f->dp, user, kids[1]), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_release(f->dp, b), DP_OK);
    dp_update(f->dp);
    /* Kept: the bundle and kids[0] (610); kids[1] is the live user's too. */
    assert_true(alive(f, b) && alive(f, kids[0]) && alive(f, kids[1]));
    dp_stats s;
    dp_get_stats(f->dp, &s);
    assert_int_equal(s.unused_cached_bytes, 610);
    assert_int_equal(dp_check(f->dp), DP_OK);
    /* The user lets go of kids[1]: now the cache alone keeps 1210 > 1000. */
    assert_int_equal(dp_undepend(f->dp, user, kids[1]), DP_OK);
    dp_update(f->dp);
    dp_get_stats(f->dp, &s);
    assert_true(live_bytes(f) - 16 <= BUDGET);
    assert_true(s.unused_cached_bytes <= BUDGET);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, user);
}

static void test_a_caller_releasing_a_shared_child_makes_the_cache_pay_for_it(void **state)
{
    fixture *f = *state;
    dp_handle kids[2];
    dp_handle b = bundle(f, "b", 10, kids, 2, 600);
    assert_int_equal(dp_retain(f->dp, kids[1]), DP_OK); /* a caller holds it too */
    dp_update(f->dp);
    assert_int_equal(dp_release(f->dp, b), DP_OK);
    dp_update(f->dp);
    assert_true(alive(f, b));
    assert_int_equal(dp_release(f->dp, kids[1]), DP_OK);
    dp_update(f->dp);
    assert_true(live_bytes(f) <= BUDGET);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_a_kept_child_found_again_stops_counting(void **state)
{
    fixture *f = *state;
    dp_handle kids[2];
    dp_handle b = bundle(f, "b", 10, kids, 2, 400);
    dp_update(f->dp);
    assert_int_equal(dp_release(f->dp, b), DP_OK);
    dp_update(f->dp);
    dp_stats s;
    dp_get_stats(f->dp, &s);
    assert_int_equal(s.unused_cached_bytes, 810);
    dp_handle again;
    assert_int_equal(dp_find(f->dp, "b/0", &again), DP_OK); /* held from outside now */
    dp_update(f->dp);
    dp_get_stats(f->dp, &s);
    assert_int_equal(s.unused_cached_bytes, 410);
    /* 410 + a new 500-byte cached asset fit: the bundle is not pushed out. */
    dp_handle c = add_sized(f, "c", 500);
    dp_release(f->dp, c);
    dp_update(f->dp);
    assert_true(alive(f, b) && alive(f, c));
    assert_int_equal(dp_check(f->dp), DP_OK);
    assert_int_equal(dp_release(f->dp, again), DP_OK);
    dp_update(f->dp);
    assert_true(live_bytes(f) <= BUDGET);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_a_deep_chain_under_a_cached_root_counts(void **state)
{
    fixture *f = *state;
    dp_handle chain[6];
    char k[16];
    for (int i = 0; i < 6; i++) {
        snprintf(k, sizeof k, "c%d", i);
        chain[i] = add_sized(f, k, i == 0 ? 8 : 200);
        if (i > 0) {
            assert_int_equal(dp_depend(f->dp, chain[i - 1], chain[i]), DP_OK);
            assert_int_equal(dp_release(f->dp, chain[i]), DP_OK);
        }
    }
    dp_update(f->dp);
    assert_int_equal(dp_release(f->dp, chain[0]), DP_OK);
    dp_update(f->dp);
    assert_true(live_bytes(f) <= BUDGET); /* 8 + 5 * 200 = 1008 does not fit */
    assert_int_equal(dp_check(f->dp), DP_OK);
}

/* ---- scene switches ------------------------------------------------------------------------ */

enum { SCENES = 12, POOL = 40, PER_SCENE = 7, SWITCHES = 330 };

/* Scene s uses images (s * 3 + j * 5) % POOL: neighbouring scenes share some. */
static int image_of(int s, int j)
{
    return (s * 3 + j * 5) % POOL;
}

static size_t image_bytes(int i)
{
    return 60 + (size_t)(i % 7) * 25;
}

/* Finds or makes scene s (bundle + images); returns a handle the caller holds. */
static dp_handle open_scene(fixture *f, int s)
{
    char k[32];
    dp_handle b;
    snprintf(k, sizeof k, "scene%d", s);
    if (dp_find(f->dp, k, &b) == DP_OK)
        return b;
    b = add_sized(f, k, 12);
    for (int j = 0; j < PER_SCENE; j++) {
        int i = image_of(s, j);
        dp_handle img;
        snprintf(k, sizeof k, "img%d", i);
        if (dp_find(f->dp, k, &img) != DP_OK)
            img = add_sized(f, k, image_bytes(i));
        dp_status st = dp_depend(f->dp, b, img);
        assert_true(st == DP_OK || st == DP_ERR_EXISTS);
        assert_int_equal(dp_release(f->dp, img), DP_OK);
    }
    return b;
}

/* Bytes of scene s's closure (what the live scene holds). */
static size_t scene_bytes(int s)
{
    bool seen[POOL] = {0};
    size_t b = 12;
    for (int j = 0; j < PER_SCENE; j++) {
        int i = image_of(s, j);
        if (!seen[i])
            b += image_bytes(i);
        seen[i] = true;
    }
    return b;
}

static void test_scene_switches_never_keep_more_than_the_budget(void **state)
{
    fixture *f = *state;
    dp_group g[2];
    assert_int_equal(dp_group_create(f->dp, "a", &g[0]), DP_OK);
    assert_int_equal(dp_group_create(f->dp, "b", &g[1]), DP_OK);
    uint32_t seed = 7;
    int cur = 0;
    size_t peak = 0;
    for (int n = 0; n < SWITCHES; n++) {
        seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
        int next = (int)(seed % SCENES);
        dp_handle b = open_scene(f, next);
        dp_group *ng = &g[n % 2], *og = &g[(n + 1) % 2];
        assert_int_equal(dp_group_add(f->dp, *ng, b), DP_OK);
        assert_int_equal(dp_release(f->dp, b), DP_OK);
        assert_int_equal(dp_group_release(f->dp, *og), DP_OK);
        cur = next;
        assert_int_equal(dp_update(f->dp), DP_OK);
        size_t beyond = live_bytes(f) - scene_bytes(cur);
        if (beyond > peak)
            peak = beyond;
        if (beyond > BUDGET)
            fprintf(stderr, "switch %d: %zu bytes kept beyond the active scene\n", n, beyond);
        assert_true(beyond <= BUDGET);
        dp_stats s;
        dp_get_stats(f->dp, &s);
        assert_int_equal(s.unused_cached_bytes, beyond);
        assert_int_equal(dp_check(f->dp), DP_OK);
    }
    printf("peak bytes kept beyond the active scene: %zu (budget %d)\n", peak, BUDGET);
    assert_true(peak > 0); /* the cache was used */
    dp_group_destroy(f->dp, g[0]);
    dp_group_destroy(f->dp, g[1]);
    dp_release_unused(f->dp);
    assert_int_equal(live_bytes(f), 0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cached_bundle_counts_the_children_it_keeps, setup_budget, teardown),
        cmocka_unit_test_setup_teardown(test_children_shared_with_a_live_asset_do_not_count, setup_budget, teardown),
        cmocka_unit_test_setup_teardown(test_a_caller_releasing_a_shared_child_makes_the_cache_pay_for_it, setup_budget, teardown),
        cmocka_unit_test_setup_teardown(test_a_kept_child_found_again_stops_counting, setup_budget, teardown),
        cmocka_unit_test_setup_teardown(test_a_deep_chain_under_a_cached_root_counts, setup_budget, teardown),
        cmocka_unit_test_setup_teardown(test_scene_switches_never_keep_more_than_the_budget, setup_budget, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
