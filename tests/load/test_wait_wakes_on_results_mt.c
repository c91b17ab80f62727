/* test_wait_wakes_on_results_mt.c — dp_wait sleeps until a worker hands it something (a
 * result, a failure, a cancellation), not on a poll: while a load is held at a gate, the
 * owner makes a small, fixed number of dp_update calls, however long the gate stays shut,
 * and the wait returns once the result is posted. A custom source's `poll` (called by every
 * dp_update) counts the updates. Files are real, in a fresh temp folder.
 *
 * Nothing here measures time. The gate is held until the owner has made POLL_PROOF updates
 * (what a polling wait does in about POLL_PROOF ms) or HOLD_MS have passed, whichever comes
 * first: a polling dp_wait fails the update bound at once, an event-driven one holds it
 * whatever the machine's load. A lost wake-up would show as a wait that ran into its
 * (generous) timeout, DP_TEST_WAIT_MS. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"

#define POLL_PROOF 50 /* updates during one gated wait that only polling explains */
#define HOLD_MS 300   /* the longest the helper holds the gate (a polling wait ends it sooner) */
#define SMALL 4       /* updates one event-driven wait may take: before, after the result */
#define MANY 200

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    char dir[256];
    dp_test_gate gate;
    atomic_int updates; /* dp_update calls so far (the counting source's poll) */
    atomic_int at_open; /* `updates` when the helper opened the gate */
    atomic_int plains;  /* "plain" loads that returned their result */
    int others;         /* loads the helper makes, one at a time, while it holds the gate */
    dp_handle other[MANY];
} fx;

static fx *the_fx;

static dp_status plain_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    (void)bytes;
    (void)len;
    dp_status st = dp_test_ctx_result(ctx, 8, asset, asset_bytes);
    atomic_fetch_add(&the_fx->plains, 1);
    return st;
}

/* A parent whose result names the gated file: it is applied first, its dependency later. */
static dp_status parent_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                             size_t *asset_bytes)
{
    dp_handle child;
    (void)bytes;
    (void)len;
    dp_status st = dp_ctx_load_dep(ctx, "child.slow", &child);
    return st != DP_OK ? st : dp_test_ctx_result(ctx, 8, asset, asset_bytes);
}

static dp_status tick_read(void *user, const char *path, const dp_cancel *cancel,
                           void **bytes, size_t *len)
{
    (void)user;
    (void)path;
    (void)cancel;
    (void)bytes;
    (void)len;
    return DP_ERR_NOT_FOUND;
}

static void tick_free(void *user, void *bytes)
{
    (void)user;
    (void)bytes;
}

/* Owner thread, once per dp_update. */
static void tick_poll(void *user, void (*changed)(void *ctx, const char *path), void *ctx)
{
    (void)changed;
    (void)ctx;
    fx *f = user;
    atomic_fetch_add(&f->updates, 1);
}

static void write_file(fx *f, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    assert_int_equal(dp_test_write_file(path, "x", 1), 0);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    write_file(f, "a.slow");
    write_file(f, "child.slow");
    write_file(f, "p.parent");
    write_file(f, "e.plain");
    for (int i = 0; i < MANY; i++) {
        char name[32];
        snprintf(name, sizeof name, "q%d.plain", i);
        write_file(f, name);
    }
    dp_desc d = {.workers = 2, .root = f->dir, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const parent_ext[] = {"parent", NULL}, *const plain_ext[] = {"plain", NULL};
    dp_type types[] = {
        {.name = "parent", .extensions = parent_ext, .load = parent_load},
        {.name = "plain", .extensions = plain_ext, .load = plain_load},
    };
    dp_type_id id;
    for (int i = 0; i < 2; i++) {
        types[i].destroy = dp_test_alloc_destroy;
        types[i].user = &f->alloc;
        assert_int_equal(dp_register_type(f->dp, &types[i], &id), DP_OK);
    }
    /* The gated file type: "slow" loads block at f->gate (gate.c). */
    assert_int_equal(dp_test_slow_register(f->dp, &f->gate, &f->alloc, &id), DP_OK);
    dp_source tick = {.scheme = "tick", .read = tick_read, .free_bytes = tick_free,
                      .poll = tick_poll, .user = f};
    assert_int_equal(dp_register_source(f->dp, &tick), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&f->gate);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* The helper's other loads: one at a time, each started once the last returned its result,
 * so that their results reach the owner one by one while it waits. */
static void load_others(fx *f)
{
    for (int i = 0; i < f->others; i++) {
        char key[32];
        snprintf(key, sizeof key, "q%d.plain", i);
        if (dp_load(f->dp, key, &f->other[i]) != DP_OK)
            return; /* the test's own assertions report it */
        for (uint64_t t0 = dp_test_now_ns();
             atomic_load(&f->plains) <= i && dp_test_waiting(t0);)
            usleep(1000);
    }
}

/* The helper: once a load reached the gate, makes its other loads, then holds the gate until
 * the owner made POLL_PROOF updates or HOLD_MS passed, then notes the update count and
 * opens it. */
static void *hold_gate(void *arg)
{
    fx *f = arg;
    if (!dp_test_gate_wait_reached(&f->gate, DP_TEST_WAIT_MS))
        return NULL; /* the test's own assertions report it */
    load_others(f);
    for (int ms = 0; ms < HOLD_MS && atomic_load(&f->updates) < POLL_PROOF; ms++)
        usleep(1000);
    atomic_store(&f->at_open, atomic_load(&f->updates));
    dp_test_gate_open(&f->gate);
    return NULL;
}

/* dp_wait on h while the helper holds the gate; the updates it made before and after the
 * gate opened. */
static void gated_wait(fx *f, dp_handle h, int *total, int *after_open)
{
    pthread_t helper;
    assert_int_equal(pthread_create(&helper, NULL, hold_gate, f), 0);
    int before = atomic_load(&f->updates);
    dp_status st = dp_wait(f->dp, h, DP_TEST_WAIT_MS);
    int end = atomic_load(&f->updates);
    assert_int_equal(pthread_join(helper, NULL), 0);
    assert_int_equal(st, DP_OK);
    assert_true(atomic_load(&f->gate.open));
    *total = end - before;
    *after_open = end - atomic_load(&f->at_open);
}

static void test_wait_sleeps_while_its_load_is_held_at_a_gate(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "a.slow", &h), DP_OK);
    int total, after_open;
    gated_wait(f, h, &total, &after_open);
    print_message("updates during the wait: %d (%d after the gate opened)\n", total, after_open);
    assert_true(total <= SMALL);        /* a polling wait makes about one a millisecond */
    assert_true(after_open >= 1);       /* the result was applied by an update after it */
    assert_true(after_open <= SMALL);   /* woken by the result, not by a timer */
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_LOADED);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_update(f->dp);
}

static void test_a_wait_for_one_load_sleeps_through_the_results_of_others(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "a.slow", &h), DP_OK);
    f->others = MANY / 4; /* the other worker loads them while the gate holds this one */
    int total, after_open;
    gated_wait(f, h, &total, &after_open);
    print_message("updates during the wait: %d (%d after the gate opened)\n", total, after_open);
    assert_true(total <= SMALL); /* not one a result */
    assert_int_equal(atomic_load(&f->plains), MANY / 4);
    for (int i = 0; i < MANY / 4; i++) {
        assert_int_equal(dp_wait(f->dp, f->other[i], DP_TEST_WAIT_MS), DP_OK);
        assert_int_equal(dp_release(f->dp, f->other[i]), DP_OK);
    }
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_update(f->dp);
}

static void test_wait_sleeps_until_a_dependency_that_loads_after_its_parent_is_in(void **state)
{
    fx *f = *state;
    dp_handle p;
    assert_int_equal(dp_load(f->dp, "p.parent", &p), DP_OK);
    int total, after_open;
    gated_wait(f, p, &total, &after_open);
    print_message("updates during the wait: %d (%d after the gate opened)\n", total, after_open);
    /* the parent's result, then the child's: a wake each */
    assert_true(total <= 2 * SMALL);
    assert_true(after_open <= SMALL);
    assert_int_equal(dp_state_deep(f->dp, p), DP_STATE_LOADED);
    assert_int_equal(dp_release(f->dp, p), DP_OK);
    dp_update(f->dp);
}

static void test_no_wake_up_is_lost_over_many_quick_loads(void **state)
{
    fx *f = *state;
    uint64_t worst_ns = 0;
    for (int i = 0; i < MANY; i++) {
        char key[32];
        snprintf(key, sizeof key, "q%d.plain", i);
        dp_handle h;
        assert_int_equal(dp_load(f->dp, key, &h), DP_OK);
        uint64_t t0 = dp_test_now_ns();
        int before = atomic_load(&f->updates);
        assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
        int made = atomic_load(&f->updates) - before;
        uint64_t took = dp_test_now_ns() - t0;
        worst_ns = took > worst_ns ? took : worst_ns;
        assert_true(made <= SMALL);
        assert_int_equal(dp_release(f->dp, h), DP_OK);
    }
    dp_update(f->dp);
    /* A lost wake-up sleeps until the timeout (the last look then finds the result). */
    assert_true(worst_ns < (uint64_t)DP_TEST_WAIT_MS * 1000000u);
}

/* An evicted asset whose reload dp_wait's dp_touch cannot start (out of memory) is asked
 * again soon, not when some other load posts: here the only other load stays at its gate
 * for the whole wait, so a wait that slept until a post would time out. */
static void test_a_restore_that_could_not_start_is_tried_again_without_a_post(void **state)
{
    fx *f = *state;
    dp_handle e, g;
    assert_int_equal(dp_load(f->dp, "e.plain", &e), DP_OK);
    assert_int_equal(dp_wait(f->dp, e, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_retain_soft(f->dp, e), DP_OK);
    assert_int_equal(dp_release(f->dp, e), DP_OK);
    assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_CRITICAL), DP_OK);
    assert_int_equal(dp_state_of(f->dp, e), DP_STATE_EVICTED);
    assert_int_equal(dp_load(f->dp, "a.slow", &g), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->gate, DP_TEST_WAIT_MS));
    /* The gated asset taken in, the evicted data destroyed: the next update allocates
     * nothing, so the failing allocation is the reload's job. */
    dp_update(f->dp);
    dp_test_pass_quarantine(f->dp);
    dp_update(f->dp);
    dp_stats before;
    assert_int_equal(dp_get_stats(f->dp, &before), DP_OK);
    dp_test_alloc_fail_at(&f->alloc, 1); /* the reload's job, in dp_wait's first dp_touch */
    assert_int_equal(dp_wait(f->dp, e, DP_TEST_WAIT_MS), DP_OK);
    dp_stats after;
    assert_int_equal(dp_get_stats(f->dp, &after), DP_OK);
    assert_int_equal(atomic_load(&f->alloc.failed), 1);
    assert_int_equal(after.restored_total, before.restored_total + 1); /* one restore began */
    assert_int_equal(dp_state_of(f->dp, e), DP_STATE_LOADED);
    assert_int_equal(dp_state_of(f->dp, g), DP_STATE_LOADING); /* the gate held throughout */
    dp_test_gate_open(&f->gate);
    assert_int_equal(dp_wait(f->dp, g, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_release_soft(f->dp, e), DP_OK);
    assert_int_equal(dp_release(f->dp, g), DP_OK);
    dp_update(f->dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wait_sleeps_while_its_load_is_held_at_a_gate,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_wait_for_one_load_sleeps_through_the_results_of_others, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_wait_sleeps_until_a_dependency_that_loads_after_its_parent_is_in, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_no_wake_up_is_lost_over_many_quick_loads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_a_restore_that_could_not_start_is_tried_again_without_a_post, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
