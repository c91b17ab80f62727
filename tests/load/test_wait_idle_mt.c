/* test_wait_idle_mt.c — dp_wait_idle: the owner blocks until no load job is queued or
 * running, so the next dp_update applies every result; with a timeout it returns
 * DP_ERR_TIMEOUT while a job still runs. Loads of type "slow" block at a gate the test (or
 * a helper thread) opens. Nothing here measures time: a wait that returned early shows as
 * an asset still LOADING after the dp_update that follows it. (No shutdown case: dp_destroy
 * runs on the owner, so it can never overlap the owner's wait.) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"

#define MANY 64

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_test_gate gate;
} fx;

static fx *the_fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const fast_ext[] = {"fast", NULL};
    dp_type fast = {.name = "fast", .extensions = fast_ext, .load = dp_test_bytes_load,
                    .destroy = dp_test_alloc_destroy, .user = &f->alloc};
    dp_type_id id;
    assert_int_equal(dp_register_type(f->dp, &fast, &id), DP_OK);
    assert_int_equal(dp_test_slow_register(f->dp, &f->gate, &f->alloc, &id), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "s.slow", "s", 1), DP_OK);
    for (int i = 0; i < MANY; i++) {
        char key[32];
        snprintf(key, sizeof key, "f%d.fast", i);
        assert_int_equal(dp_mem_add(f->dp, key, "f", 1), DP_OK);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&f->gate);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void test_wait_idle_with_nothing_in_flight_returns_ok_at_once(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_wait_idle(f->dp, -1), DP_OK);
    assert_int_equal(dp_wait_idle(f->dp, 0), DP_OK);
}

/* Opens the gate once a worker reached it: the owner is (or soon is) in dp_wait_idle. */
static void *opener(void *arg)
{
    fx *f = arg;
    if (dp_test_gate_wait_reached(&f->gate, DP_TEST_WAIT_MS))
        dp_test_gate_open(&f->gate);
    return NULL;
}

static void test_wait_idle_blocks_until_the_running_load_is_handed_over(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "mem://s.slow", &h), DP_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, opener, f), 0);
    assert_int_equal(dp_wait_idle(f->dp, -1), DP_OK);
    pthread_join(t, NULL);
    /* The result waits for the owner: one dp_update applies it. */
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_LOADED);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_wait_idle_times_out_while_a_load_runs(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "mem://s.slow", &h), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->gate, DP_TEST_WAIT_MS));
    assert_int_equal(dp_wait_idle(f->dp, 0), DP_ERR_TIMEOUT);
    assert_int_equal(dp_wait_idle(f->dp, 20), DP_ERR_TIMEOUT);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_not_equal(dp_state_of(f->dp, h), DP_STATE_LOADED);
    dp_test_gate_open(&f->gate);
    assert_int_equal(dp_wait_idle(f->dp, -1), DP_OK);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_LOADED);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_wait_idle_waits_for_every_queued_load_on_every_worker(void **state)
{
    fx *f = *state;
    dp_handle h[MANY];
    for (int i = 0; i < MANY; i++) {
        char key[32];
        snprintf(key, sizeof key, "mem://f%d.fast", i);
        assert_int_equal(dp_load(f->dp, key, &h[i]), DP_OK);
    }
    assert_int_equal(dp_wait_idle(f->dp, -1), DP_OK);
    assert_int_equal(dp_update(f->dp), DP_OK);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(dp_state_of(f->dp, h[i]), DP_STATE_LOADED);
        assert_int_equal(dp_release(f->dp, h[i]), DP_OK);
    }
}

static void *wait_elsewhere(void *arg)
{
    fx *f = arg;
    return (void *)(intptr_t)dp_wait_idle(f->dp, 0);
}

static void test_wait_idle_refuses_a_null_depot_and_other_threads(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_wait_idle(NULL, 0), DP_ERR_INVALID);
    pthread_t t;
    void *rc;
    assert_int_equal(pthread_create(&t, NULL, wait_elsewhere, f), 0);
    pthread_join(t, &rc);
    assert_int_equal((dp_status)(intptr_t)rc, DP_ERR_WRONG_THREAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wait_idle_with_nothing_in_flight_returns_ok_at_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_wait_idle_blocks_until_the_running_load_is_handed_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_idle_times_out_while_a_load_runs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_wait_idle_waits_for_every_queued_load_on_every_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_idle_refuses_a_null_depot_and_other_threads,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
