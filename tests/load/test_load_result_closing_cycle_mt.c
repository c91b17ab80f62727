/* test_load_result_closing_cycle_mt.c — a dependency cycle closed by a load result. a.t names
 * b.t and b.t names a.t. The program releases a while b's job still holds its count on a
 * (taken by dp_ctx_load_dep, not an edge yet): a collection then rightly finds a held. When
 * b's result is applied that count becomes the edge b -> a, and no count drops, so nothing
 * pointed the collector at the cycle again: a and b leaked until dp_destroy. (The same race
 * made test_load_labels fail now and then: a label placeholder and its parent form such a
 * cycle.) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id t;
    dp_test_gate b_dep; /* b.t's load has taken its count on a.t */
} fx;

static fx *the_fx;

/* The file's content is the key of the one dependency. b.t waits for the test after
 * naming it. */
static dp_status t_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                        size_t *asset_bytes)
{
    fx *f = the_fx;
    char key[64] = {0};
    memcpy(key, bytes, len < 63 ? len : 63);
    dp_handle c;
    dp_status st = dp_ctx_load_dep(ctx, key, &c);
    if (st != DP_OK)
        return st;
    if (strcmp(dp_ctx_key(ctx), "mem://b.t") == 0)
        dp_test_gate_block(&f->b_dep);
    return dp_test_ctx_result(ctx, sizeof(int), asset, asset_bytes);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 1, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const ext[] = {"t", NULL};
    dp_type t = {.name = "t", .extensions = ext, .load = t_load, .destroy = dp_test_alloc_destroy,
                .user = &f->alloc};
    assert_int_equal(dp_register_type(f->dp, &t, &f->t), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "a.t", "mem://b.t", 9), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "b.t", "mem://a.t", 9), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&f->b_dep);
    size_t held = dp_destroy(f->dp);
    assert_int_equal(held, 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void test_cycle_closed_by_a_result_is_collected(void **state)
{
    fx *f = *state;
    dp_handle a;
    assert_int_equal(dp_load(f->dp, "mem://a.t", &a), DP_OK);
    for (uint64_t t0 = dp_test_now_ns(); !atomic_load(&f->b_dep.reached) && dp_test_waiting(t0);) {
        dp_update(f->dp); /* b's job may need the owner to start */
        usleep(1000);
    }
    assert_true(atomic_load(&f->b_dep.reached));
    for (uint64_t t0 = dp_test_now_ns();
         dp_state_of(f->dp, a) != DP_STATE_LOADED && dp_test_waiting(t0);) {
        dp_update(f->dp);
        usleep(1000);
    }
    assert_int_equal(dp_state_of(f->dp, a), DP_STATE_LOADED); /* edge a -> b is in */
    /* b's job still holds its count on a: a is held, and a collection says so. */
    assert_int_equal(dp_release(f->dp, a), DP_OK);
    dp_update(f->dp);
    dp_collect_cycles(f->dp);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 2);
    /* b's result turns that count into the edge b -> a: now a and b are garbage. */
    dp_test_gate_open(&f->b_dep);
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        dp_collect_cycles(f->dp);
        dp_get_stats(f->dp, &st);
        if (st.pending_jobs == 0 && st.live_assets == 0)
            break;
        usleep(1000);
    }
    assert_int_equal(st.pending_jobs, 0);
    assert_int_equal(st.live_assets, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cycle_closed_by_a_result_is_collected, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
