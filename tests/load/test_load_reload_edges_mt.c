/* test_load_reload_edges_mt.c — a reload whose new result no longer names the edge that kept
 * its own asset alive (issue 9, defect 9). The asset named itself (or two assets named each
 * other), the caller released it, and the update that applies the reload removes that edge:
 * the asset dies in that update. Its new data must go to its type's destroy like any data
 * that reached the depot (before the fix it was dropped: LeakSanitizer, and one destroy
 * short). One worker; a gated "marker" load queued after the reload tells the test that the
 * reload's result is finished, so it is applied by the next dp_update. */
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"


typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id me, slow;
    dp_test_gate marker;
    atomic_int loads, destroys;
} fx;

static fx *the_fx;

/* The file names the key it holds ("self" = its own key; "-" = nothing). */
static dp_status me_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                         size_t *asset_bytes)
{
    char key[64] = {0};
    memcpy(key, bytes, len < 63 ? len : 63);
    dp_handle c;
    dp_status st = DP_OK;
    if (!strcmp(key, "self"))
        st = dp_ctx_load_dep(ctx, dp_ctx_key(ctx), &c);
    else if (strcmp(key, "-") != 0)
        st = dp_ctx_load_dep(ctx, key, &c);
    if (st != DP_OK)
        return st;
    atomic_fetch_add(&the_fx->loads, 1);
    return dp_test_ctx_result(ctx, 16, asset, asset_bytes);
}

static void me_destroy(void *asset, void *user)
{
    fx *f = user;
    atomic_fetch_add(&f->destroys, 1);
    dp_test_alloc_destroy(asset, &f->alloc);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 1, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const me_ext[] = {"me", NULL};
    dp_type me = {.name = "me", .extensions = me_ext, .load = me_load, .destroy = me_destroy,
                  .user = f};
    assert_int_equal(dp_register_type(f->dp, &me, &f->me), DP_OK);
    assert_int_equal(dp_test_slow_register(f->dp, &f->marker, &f->alloc, &f->slow), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "m.slow", "m", 1), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&f->marker);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->destroys), atomic_load(&f->loads));
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void put(fx *f, const char *path, const char *text)
{
    assert_int_equal(dp_mem_add(f->dp, path, text, strlen(text)), DP_OK);
}

/* Reloads h (whose file now says something else), waits until the reload's result is
 * finished, releases h and applies the result in one dp_update. */
static void reload_released(fx *f, dp_handle h)
{
    dp_handle m;
    assert_int_equal(dp_reload(f->dp, h), DP_OK);
    assert_int_equal(dp_load(f->dp, "mem://m.slow", &m), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->marker, DP_TEST_WAIT_MS));
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_update(f->dp);
    dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_INVALID); /* nobody holds it */
    dp_test_gate_open(&f->marker);
    assert_int_equal(dp_wait(f->dp, m, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_release(f->dp, m), DP_OK);
    dp_update(f->dp);
    dp_update(f->dp);
    assert_int_equal(atomic_load(&f->destroys), atomic_load(&f->loads));
}

static void test_a_reload_dropping_a_self_edge_destroys_the_new_data(void **state)
{
    fx *f = *state;
    put(f, "a.me", "self");
    dp_handle a;
    assert_int_equal(dp_load(f->dp, "mem://a.me", &a), DP_OK);
    assert_int_equal(dp_wait(f->dp, a, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_count(f->dp, a), 2); /* ours and its own edge */
    put(f, "a.me", "-");
    reload_released(f, a);
}

static void test_a_reload_breaking_a_two_cycle_destroys_the_new_data(void **state)
{
    fx *f = *state;
    put(f, "a.me", "mem://b.me");
    put(f, "b.me", "mem://a.me");
    dp_handle a, b;
    assert_int_equal(dp_load(f->dp, "mem://a.me", &a), DP_OK);
    assert_int_equal(dp_wait(f->dp, a, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_find(f->dp, "mem://b.me", &b), DP_OK);
    assert_int_equal(dp_wait(f->dp, b, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_release(f->dp, b), DP_OK);
    put(f, "a.me", "-");
    reload_released(f, a);
    assert_int_equal(dp_state_of(f->dp, b), DP_STATE_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_reload_dropping_a_self_edge_destroys_the_new_data,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_reload_breaking_a_two_cycle_destroys_the_new_data, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
