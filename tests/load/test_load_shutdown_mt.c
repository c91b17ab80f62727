/* test_load_shutdown_mt.c — dp_destroy with loads queued, running and stalled inside a
 * source; results that arrive for dead assets. A "thing" type counts its loads and
 * destroys; a "block" source stalls until the test opens its gate or the job is cancelled. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"


typedef struct fx {
    dp_test_alloc alloc;
    char dir[256];
    dp_depot *dp;
    dp_type_id thing;
    atomic_int loads_ok, destroys;
    atomic_int reads_started, reads_cancelled;
    atomic_bool gate;            /* opens the block source */
    atomic_bool load_gate;       /* opens the "slow" type's load (ignores cancellation) */
    atomic_int slow_loads_started;
    atomic_uint_fast64_t load_gate_opened_at; /* dp_test_now_ns() when it opened */
} fx;

typedef struct thing {
    int value;
} thing;

static fx *F;

static dp_status thing_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    (void)bytes;
    const dp_allocator *a = dp_ctx_allocator(ctx);
    if (strstr(dp_ctx_key(ctx), "slow")) {
        atomic_fetch_add(&F->slow_loads_started, 1);
        while (!atomic_load(&F->load_gate))
            usleep(1000);
    }
    thing *t = a->alloc(sizeof *t, a->user);
    if (!t)
        return DP_ERR_NOMEM;
    t->value = (int)len;
    atomic_fetch_add(&F->loads_ok, 1);
    *asset = t;
    *asset_bytes = sizeof *t;
    return DP_OK;
}

static void thing_destroy(void *asset, void *user)
{
    fx *f = user;
    atomic_fetch_add(&f->destroys, 1);
    f->alloc.iface.free(asset, f->alloc.iface.user);
}

static dp_status block_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                            size_t *len)
{
    fx *f = user;
    (void)path;
    atomic_fetch_add(&f->reads_started, 1);
    while (!atomic_load(&f->gate)) {
        if (dp_cancelled(cancel)) {
            atomic_fetch_add(&f->reads_cancelled, 1);
            return DP_ERR_CANCELLED;
        }
        usleep(1000);
    }
    char *b = malloc(8);
    memcpy(b, "payload", 8);
    *bytes = b;
    *len = 7;
    return DP_OK;
}

static void block_free(void *user, void *bytes)
{
    (void)user;
    free(bytes);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    F = f;
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    for (int i = 0; i < 40; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/t%02d.thing", f->dir, i);
        assert_int_equal(dp_test_write_file(p, "x", 1), 0);
    }
    dp_desc d = {.root = f->dir, .workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const ext[] = {"thing", NULL};
    dp_type t = {.name = "thing", .extensions = ext, .load = thing_load,
                 .destroy = thing_destroy, .user = f};
    assert_int_equal(dp_register_type(f->dp, &t, &f->thing), DP_OK);
    dp_source src = {.scheme = "block", .read = block_read, .free_bytes = block_free, .user = f};
    assert_int_equal(dp_register_source(f->dp, &src), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->dp)
        dp_destroy(f->dp);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

static bool wait_for(atomic_int *v, int at_least)
{
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        if (atomic_load(v) >= at_least)
            return true;
        usleep(1000);
    }
    return false;
}

static void *open_load_gate_later(void *arg)
{
    fx *f = arg;
    usleep(50000);
    atomic_store(&f->load_gate_opened_at, dp_test_now_ns());
    atomic_store(&f->load_gate, true);
    return NULL;
}

static void test_destroy_with_queued_running_and_stalled_loads_frees_everything(void **state)
{
    fx *f = *state;
    /* Loaded ones. */
    dp_handle loaded[3];
    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof key, "t%02d.thing", i);
        assert_int_equal(dp_load(f->dp, key, &loaded[i]), DP_OK);
        assert_int_equal(dp_wait(f->dp, loaded[i], DP_TEST_WAIT_MS), DP_OK);
    }
    /* Both workers stall inside the source. */
    dp_handle stalled[2];
    assert_int_equal(dp_load_as(f->dp, "block://a", f->thing, &stalled[0]), DP_OK);
    assert_int_equal(dp_load_as(f->dp, "block://b", f->thing, &stalled[1]), DP_OK);
    assert_true(wait_for(&f->reads_started, 2));
    /* Queued behind them. */
    dp_handle queued[30];
    for (int i = 0; i < 30; i++) {
        char key[32];
        snprintf(key, sizeof key, "t%02d.thing", 10 + i);
        assert_int_equal(dp_load(f->dp, key, &queued[i]), DP_OK);
    }
    dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, stalled[0]), DP_STATE_LOADING);
    assert_int_equal(dp_state_of(f->dp, queued[29]), DP_STATE_PENDING);
    /* The stalled reads end only when cancelled (their gate never opens): destroy returning
     * and both counted cancelled is the proof, with no bound on how long it took. */
    size_t held = dp_destroy(f->dp);
    f->dp = NULL;
    assert_int_equal(held, 3 + 2 + 30);
    assert_int_equal(atomic_load(&f->reads_cancelled), 2);
    assert_int_equal(atomic_load(&f->loads_ok), 3);
    assert_int_equal(atomic_load(&f->destroys), 3); /* once per asset that was loaded */
    assert_int_equal(atomic_load(&f->alloc.live), 0);
}

static void test_destroy_with_a_load_finished_but_not_applied_destroys_its_result(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "t00.thing", &h), DP_OK);
    /* Finished on the worker and handed over, never applied: no update. */
    assert_true(wait_for(&f->loads_ok, 1));
    assert_int_equal(dp_wait_idle(f->dp, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_destroy(f->dp), 1);
    f->dp = NULL;
    assert_int_equal(atomic_load(&f->destroys), 1);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
}

static void test_destroy_while_a_type_load_is_running_waits_for_it_and_destroys_the_result(void **state)
{
    fx *f = *state;
    dp_handle h;
    char p[512];
    snprintf(p, sizeof p, "%s/slow.thing", f->dir);
    assert_int_equal(dp_test_write_file(p, "s", 1), 0);
    assert_int_equal(dp_load(f->dp, "slow.thing", &h), DP_OK);
    assert_true(wait_for(&f->slow_loads_started, 1));
    /* Another thread opens the load's gate shortly after destroy started joining, so
     * destroy does meet a running load. */
    pthread_t opener;
    assert_int_equal(pthread_create(&opener, NULL, open_load_gate_later, f), 0);
    assert_int_equal(dp_destroy(f->dp), 1);
    f->dp = NULL;
    assert_true(atomic_load(&f->load_gate_opened_at) > 0); /* destroy waited for the load */
    pthread_join(opener, NULL);
    assert_int_equal(atomic_load(&f->loads_ok), 1);
    assert_int_equal(atomic_load(&f->destroys), 1);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
}

static void test_result_arriving_for_a_dead_asset_is_destroyed_and_counted(void **state)
{
    fx *f = *state;
    dp_handle h;
    char p[512];
    snprintf(p, sizeof p, "%s/slow_dead.thing", f->dir);
    assert_int_equal(dp_test_write_file(p, "s", 1), 0);
    assert_int_equal(dp_load(f->dp, "slow_dead.thing", &h), DP_OK);
    assert_true(wait_for(&f->slow_loads_started, 1));
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_update(f->dp); /* frees the asset while its load runs */
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_INVALID);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    size_t discarded_before = st.results_discarded;
    atomic_store(&f->load_gate, true);
    assert_true(wait_for(&f->loads_ok, 1));
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        dp_get_stats(f->dp, &st);
        if (st.pending_jobs == 0)
            break;
        usleep(1000);
    }
    assert_int_equal(st.pending_jobs, 0);
    assert_int_equal(st.results_discarded, discarded_before + 1);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(atomic_load(&f->destroys), 1); /* the result, destroyed, never applied */
}

/* ---- cancellation --------------------------------------------------------------------------- */

static void test_a_loading_asset_is_counted_only_by_its_callers(void **state)
{
    fx *f = *state;
    dp_handle h, again;
    assert_int_equal(dp_load_as(f->dp, "block://c", f->thing, &h), DP_OK);
    assert_true(wait_for(&f->reads_started, 1));
    dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_LOADING);
    assert_int_equal(dp_count(f->dp, h), 1); /* the job holds none */
    assert_int_equal(dp_load_as(f->dp, "block://c", f->thing, &again), DP_OK);
    assert_true(dp_handle_eq(h, again));
    assert_int_equal(dp_count(f->dp, h), 2);
    dp_release(f->dp, again);
    assert_int_equal(dp_count(f->dp, h), 1);
    atomic_store(&f->gate, true);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_count(f->dp, h), 1);
    assert_int_equal(atomic_load(&f->reads_cancelled), 0);
    dp_release(f->dp, h);
}

static void test_release_to_zero_while_loading_cancels_the_read_and_frees_the_asset(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load_as(f->dp, "block://d", f->thing, &h), DP_OK);
    assert_true(wait_for(&f->reads_started, 1));
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_update(f->dp); /* the asset dies; its job sees dp_cancelled */
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_INVALID);
    assert_true(wait_for(&f->reads_cancelled, 1));
    dp_stats st;
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        dp_get_stats(f->dp, &st);
        if (st.pending_jobs == 0)
            break;
        usleep(1000);
    }
    assert_int_equal(st.pending_jobs, 0);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(st.results_discarded, 1);
    assert_int_equal(atomic_load(&f->loads_ok), 0);
    assert_int_equal(atomic_load(&f->destroys), 0);
    /* The worker is free again: another load completes. */
    dp_handle t;
    assert_int_equal(dp_load(f->dp, "t00.thing", &t), DP_OK);
    assert_int_equal(dp_wait(f->dp, t, DP_TEST_WAIT_MS), DP_OK);
    dp_release(f->dp, t);
}

static void test_release_and_reacquire_in_one_frame_does_not_cancel(void **state)
{
    fx *f = *state;
    dp_handle h, again;
    assert_int_equal(dp_load_as(f->dp, "block://e", f->thing, &h), DP_OK);
    assert_true(wait_for(&f->reads_started, 1));
    dp_release(f->dp, h);
    assert_int_equal(dp_load_as(f->dp, "block://e", f->thing, &again), DP_OK);
    assert_true(dp_handle_eq(h, again));
    dp_update(f->dp);
    usleep(20000);
    assert_int_equal(atomic_load(&f->reads_cancelled), 0);
    atomic_store(&f->gate, true);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    dp_release(f->dp, h);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_destroy_with_queued_running_and_stalled_loads_frees_everything),
        T(test_destroy_with_a_load_finished_but_not_applied_destroys_its_result),
        T(test_destroy_while_a_type_load_is_running_waits_for_it_and_destroys_the_result),
        T(test_result_arriving_for_a_dead_asset_is_destroyed_and_counted),
        T(test_a_loading_asset_is_counted_only_by_its_callers),
        T(test_release_to_zero_while_loading_cancels_the_read_and_frees_the_asset),
        T(test_release_and_reacquire_in_one_frame_does_not_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
