/* test_load_priority_mt.c — load options and priorities (issue 14): dp_load_ex with NULL or
 * zeroed options loads as dp_load; a forced type and a group behave as dp_load_as and
 * dp_load_into; bad priorities and flags are refused. With one worker held at a gate, the
 * order in which the queued loads then run shows the queue's order: highest priority
 * first, first in first out within a priority; dp_set_priority moves a queued load and its
 * queued dependencies; a dependency runs at the highest priority of the parents that want
 * it. Assets are mem:// blobs: "x.thing" loads record the order they ran in; a "gateA" or
 * "gateB" in a key blocks its load at that gate; a ".deps" file names each line as a
 * dependency. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"

#define MAX_RUNS 64

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id thing, deps;
    dp_test_gate gate_a, gate_b;
    atomic_int nruns;
    char runs[MAX_RUNS][48]; /* the keys in the order their loads ran (one worker) */
} fx;

static fx *F;

static void record(dp_load_ctx *ctx)
{
    int i = atomic_fetch_add(&F->nruns, 1);
    if (i < MAX_RUNS) {
        const char *k = dp_ctx_key(ctx);
        strncpy(F->runs[i], strncmp(k, "mem://", 6) ? k : k + 6, sizeof F->runs[i] - 1);
    }
    if (strstr(dp_ctx_key(ctx), "gateA"))
        dp_test_gate_block(&F->gate_a);
    if (strstr(dp_ctx_key(ctx), "gateB"))
        dp_test_gate_block(&F->gate_b);
}

static dp_status thing_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    (void)bytes;
    (void)len;
    record(ctx);
    return dp_test_ctx_result(ctx, 8, asset, asset_bytes);
}

/* Each line of the content is a key this asset depends on. */
static dp_status deps_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    record(ctx);
    const char *s = bytes, *end = s + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        char key[64];
        if (n > 0 && n < sizeof key) {
            memcpy(key, s, n);
            key[n] = 0;
            dp_handle child;
            dp_status st = dp_ctx_load_dep(ctx, key, &child);
            if (st != DP_OK)
                return st;
        }
        s += n + 1;
    }
    return dp_test_ctx_result(ctx, 8, asset, asset_bytes);
}

static void add(const char *path, const char *content)
{
    assert_int_equal(dp_mem_add(F->dp, path, content, strlen(content)), DP_OK);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    F = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 1, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const thing_ext[] = {"thing", NULL};
    static const char *const deps_ext[] = {"deps", NULL};
    dp_type t = {.name = "thing", .extensions = thing_ext, .load = thing_load,
                 .destroy = dp_test_alloc_destroy, .user = &f->alloc};
    assert_int_equal(dp_register_type(f->dp, &t, &f->thing), DP_OK);
    dp_type dt = {.name = "deps", .extensions = deps_ext, .load = deps_load,
                  .destroy = dp_test_alloc_destroy, .user = &f->alloc};
    assert_int_equal(dp_register_type(f->dp, &dt, &f->deps), DP_OK);
    static const char *const names[] = {"gateA.thing", "gateB.thing", "a.thing", "b.thing",
                                        "c.thing", "d.thing", "e.thing", "f.thing"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        add(names[i], "x");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&f->gate_a); /* a failed test must not leave the worker blocked */
    dp_test_gate_open(&f->gate_b);
    dp_destroy(f->dp);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static dp_handle load_at(const char *key, int priority)
{
    dp_handle h;
    assert_int_equal(dp_load_ex(F->dp, key, &(dp_load_opts){.priority = priority}, &h), DP_OK);
    return h;
}

/* Holds the only worker at gate A, so that what is loaded next stays queued. */
static dp_handle hold_worker(void)
{
    dp_handle h = load_at("mem://gateA.thing", DP_PRIORITY_NORMAL);
    assert_true(dp_test_gate_wait_reached(&F->gate_a, DP_TEST_WAIT_MS));
    return h;
}

static void wait_loaded(dp_handle h)
{
    assert_int_equal(dp_wait(F->dp, h, DP_TEST_WAIT_MS), DP_OK);
}

/* The keys that ran, in order, joined with spaces. */
static void assert_runs(const char *expected)
{
    char got[1024] = "";
    int n = atomic_load(&F->nruns);
    for (int i = 0; i < n && i < MAX_RUNS; i++) {
        if (i)
            strcat(got, " ");
        strcat(got, F->runs[i]);
    }
    assert_string_equal(got, expected);
}

static void release_all(dp_handle *hs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(dp_release(F->dp, hs[i]), DP_OK);
}

/* ---- options --------------------------------------------------------------------------------- */

static void test_null_options_load_as_dp_load(void **state)
{
    (void)state;
    dp_handle a, b;
    assert_int_equal(dp_load_ex(F->dp, "mem://a.thing", NULL, &a), DP_OK);
    assert_int_equal(dp_load(F->dp, "mem://a.thing", &b), DP_OK);
    assert_int_equal(a.bits, b.bits);
    assert_int_equal(dp_type_of(F->dp, a), F->thing);
    assert_int_equal(dp_count(F->dp, a), 2);
    wait_loaded(a);
    dp_handle hs[] = {a, b};
    release_all(hs, 2);
}

static void test_zeroed_options_load_as_dp_load(void **state)
{
    (void)state;
    dp_handle a;
    assert_int_equal(dp_load_ex(F->dp, "mem://a.thing", &(dp_load_opts){0}, &a), DP_OK);
    assert_int_equal(dp_type_of(F->dp, a), F->thing);
    wait_loaded(a);
    assert_non_null(dp_get(F->dp, a));
    release_all(&a, 1);
}

static void test_priority_outside_the_enum_is_refused(void **state)
{
    (void)state;
    static const int bad[] = {-2, 3, 100, -1000};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dp_handle h = {12345};
        assert_int_equal(dp_load_ex(F->dp, "mem://a.thing", &(dp_load_opts){.priority = bad[i]}, &h),
                         DP_ERR_INVALID);
        assert_int_equal(h.bits, 0);
    }
    dp_stats s;
    dp_get_stats(F->dp, &s);
    assert_int_equal(s.live_assets, 0); /* nothing was made */
}

static void test_unknown_flags_are_refused(void **state)
{
    (void)state;
    dp_handle h = {12345};
    assert_int_equal(dp_load_ex(F->dp, "mem://a.thing", &(dp_load_opts){.flags = 1u << 31}, &h),
                     DP_ERR_INVALID);
    assert_int_equal(h.bits, 0);
}

static void test_null_out_without_a_group_is_refused(void **state)
{
    (void)state;
    assert_int_equal(dp_load_ex(F->dp, "mem://a.thing", NULL, NULL), DP_ERR_INVALID);
}

static void test_type_forces_the_type_as_dp_load_as(void **state)
{
    (void)state;
    dp_handle h, other = {1};
    add("n.thing", "\n"); /* as a "deps", it names nothing */
    assert_int_equal(dp_load_ex(F->dp, "mem://n.thing", &(dp_load_opts){.type = F->deps}, &h),
                     DP_OK);
    assert_int_equal(dp_type_of(F->dp, h), F->deps);
    wait_loaded(h);
    assert_int_equal(dp_load_ex(F->dp, "mem://n.thing", &(dp_load_opts){.type = F->thing}, &other),
                     DP_ERR_EXISTS);
    assert_int_equal(other.bits, 0);
    assert_int_equal(dp_load_ex(F->dp, "mem://b.thing", &(dp_load_opts){.type = 200}, &other),
                     DP_ERR_INVALID); /* not a registered type */
    release_all(&h, 1);
}

static void test_group_holds_the_asset_as_dp_load_into(void **state)
{
    (void)state;
    dp_group g;
    assert_int_equal(dp_group_create(F->dp, "scene", &g), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load_ex(F->dp, "mem://a.thing", &(dp_load_opts){.group = g}, &h), DP_OK);
    assert_int_equal(dp_group_size(F->dp, g), 1);
    assert_int_equal(dp_count(F->dp, h), 1); /* the group's; the caller got a weak view */
    wait_loaded(h);
    assert_int_equal(dp_load_ex(F->dp, "mem://a.thing", &(dp_load_opts){.group = g}, NULL),
                     DP_ERR_EXISTS);
    assert_int_equal(dp_group_release(F->dp, g), DP_OK);
    dp_update(F->dp);
    assert_int_equal(dp_state_of(F->dp, h), DP_STATE_INVALID);
    assert_int_equal(dp_group_destroy(F->dp, g), DP_OK);
}

static void *load_into_group_off_owner(void *arg)
{
    dp_group *g = arg;
    dp_handle h;
    return (void *)(intptr_t)dp_load_ex(F->dp, "mem://a.thing", &(dp_load_opts){.group = *g}, &h);
}

static void test_group_off_the_owner_thread_is_wrong_thread(void **state)
{
    (void)state;
    dp_group g;
    assert_int_equal(dp_group_create(F->dp, "scene", &g), DP_OK);
    pthread_t t;
    void *ret;
    assert_int_equal(pthread_create(&t, NULL, load_into_group_off_owner, &g), 0);
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_int_equal((dp_status)(intptr_t)ret, DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_group_size(F->dp, g), 0);
    assert_int_equal(dp_group_destroy(F->dp, g), DP_OK);
}

/* ---- the queue's order ----------------------------------------------------------------------- */

static void test_later_high_priority_load_runs_before_earlier_low_ones(void **state)
{
    (void)state;
    dp_handle hs[5];
    hs[0] = hold_worker();
    hs[1] = load_at("mem://a.thing", DP_PRIORITY_LOW);
    hs[2] = load_at("mem://b.thing", DP_PRIORITY_LOW);
    hs[3] = load_at("mem://c.thing", DP_PRIORITY_LOW);
    hs[4] = load_at("mem://d.thing", DP_PRIORITY_HIGH);
    dp_test_gate_open(&F->gate_a);
    for (int i = 0; i < 5; i++)
        wait_loaded(hs[i]);
    assert_runs("gateA.thing d.thing a.thing b.thing c.thing");
    release_all(hs, 5);
}

static void test_each_priority_runs_in_order_and_fifo_within_it(void **state)
{
    (void)state;
    dp_handle hs[7];
    hs[0] = hold_worker();
    hs[1] = load_at("mem://a.thing", DP_PRIORITY_LOW);
    hs[2] = load_at("mem://b.thing", DP_PRIORITY_NORMAL);
    hs[3] = load_at("mem://c.thing", DP_PRIORITY_HIGH);
    hs[4] = load_at("mem://d.thing", DP_PRIORITY_IMMEDIATE);
    hs[5] = load_at("mem://e.thing", DP_PRIORITY_NORMAL);
    hs[6] = load_at("mem://f.thing", DP_PRIORITY_IMMEDIATE);
    dp_test_gate_open(&F->gate_a);
    for (int i = 0; i < 7; i++)
        wait_loaded(hs[i]);
    assert_runs("gateA.thing d.thing f.thing c.thing b.thing e.thing a.thing");
    release_all(hs, 7);
}

static void test_set_priority_moves_a_queued_load_ahead(void **state)
{
    (void)state;
    dp_handle hs[4];
    hs[0] = hold_worker();
    hs[1] = load_at("mem://a.thing", DP_PRIORITY_NORMAL);
    hs[2] = load_at("mem://b.thing", DP_PRIORITY_NORMAL);
    hs[3] = load_at("mem://c.thing", DP_PRIORITY_NORMAL);
    assert_int_equal(dp_set_priority(F->dp, hs[3], DP_PRIORITY_HIGH), DP_OK);
    assert_int_equal(dp_set_priority(F->dp, hs[1], DP_PRIORITY_LOW), DP_OK); /* lowers too */
    dp_test_gate_open(&F->gate_a);
    for (int i = 0; i < 4; i++)
        wait_loaded(hs[i]);
    assert_runs("gateA.thing c.thing b.thing a.thing");
    release_all(hs, 4);
}

typedef struct set_arg {
    dp_handle h;
    dp_status st;
} set_arg;

static void *set_priority_off_owner(void *arg)
{
    set_arg *a = arg;
    a->st = dp_set_priority(F->dp, a->h, DP_PRIORITY_IMMEDIATE);
    return NULL;
}

static void test_set_priority_works_from_another_thread(void **state)
{
    (void)state;
    dp_handle hs[3];
    hs[0] = hold_worker();
    hs[1] = load_at("mem://a.thing", DP_PRIORITY_NORMAL);
    hs[2] = load_at("mem://b.thing", DP_PRIORITY_NORMAL);
    set_arg a = {.h = hs[2]};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, set_priority_off_owner, &a), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(a.st, DP_OK);
    dp_test_gate_open(&F->gate_a);
    for (int i = 0; i < 3; i++)
        wait_loaded(hs[i]);
    assert_runs("gateA.thing b.thing a.thing");
    release_all(hs, 3);
}

static void test_set_priority_refuses_bad_input(void **state)
{
    (void)state;
    dp_handle h = load_at("mem://a.thing", DP_PRIORITY_NORMAL);
    assert_int_equal(dp_set_priority(F->dp, h, 3), DP_ERR_INVALID);
    assert_int_equal(dp_set_priority(F->dp, h, -2), DP_ERR_INVALID);
    assert_int_equal(dp_set_priority(NULL, h, DP_PRIORITY_HIGH), DP_ERR_INVALID);
    assert_int_equal(dp_set_priority(F->dp, DP_NULL_HANDLE, DP_PRIORITY_HIGH), DP_ERR_STALE);
    wait_loaded(h);
    assert_int_equal(dp_set_priority(F->dp, h, DP_PRIORITY_HIGH), DP_OK); /* nothing queued */
    release_all(&h, 1);
    dp_update(F->dp);
    assert_int_equal(dp_set_priority(F->dp, h, DP_PRIORITY_HIGH), DP_ERR_STALE);
}

/* ---- dependencies ------------------------------------------------------------------------------ */

static void test_dependency_inherits_its_parents_priority(void **state)
{
    (void)state;
    add("p.deps", "mem://e.thing");
    dp_handle hs[5];
    hs[0] = hold_worker();
    hs[1] = load_at("mem://a.thing", DP_PRIORITY_NORMAL);
    hs[2] = load_at("mem://b.thing", DP_PRIORITY_NORMAL);
    hs[3] = load_at("mem://c.thing", DP_PRIORITY_NORMAL);
    hs[4] = load_at("mem://p.deps", DP_PRIORITY_HIGH);
    dp_test_gate_open(&F->gate_a);
    for (int i = 0; i < 5; i++)
        wait_loaded(hs[i]);
    assert_runs("gateA.thing p.deps e.thing a.thing b.thing c.thing");
    release_all(hs, 5);
}

static void test_dependency_runs_at_the_highest_priority_of_its_parents(void **state)
{
    (void)state;
    add("p.deps", "mem://e.thing");
    dp_handle hs[5];
    hs[0] = hold_worker();
    hs[1] = load_at("mem://e.thing", DP_PRIORITY_LOW); /* queued first, at LOW */
    hs[2] = load_at("mem://a.thing", DP_PRIORITY_NORMAL);
    hs[3] = load_at("mem://b.thing", DP_PRIORITY_NORMAL);
    hs[4] = load_at("mem://p.deps", DP_PRIORITY_HIGH); /* wants e: e runs at HIGH */
    dp_test_gate_open(&F->gate_a);
    for (int i = 0; i < 5; i++)
        wait_loaded(hs[i]);
    assert_runs("gateA.thing p.deps e.thing a.thing b.thing");
    release_all(hs, 5);
}

/* p (LOW) runs and names e (LOW, behind b, c and d); gate B holds the worker at b. */
static void queue_parent_and_dependency(dp_handle hs[6])
{
    add("p.deps", "mem://e.thing");
    hs[0] = hold_worker();
    hs[1] = load_at("mem://p.deps", DP_PRIORITY_LOW);
    hs[2] = load_at("mem://gateB.thing", DP_PRIORITY_LOW);
    hs[3] = load_at("mem://c.thing", DP_PRIORITY_LOW);
    hs[4] = load_at("mem://d.thing", DP_PRIORITY_LOW);
    dp_test_gate_open(&F->gate_a);
    assert_true(dp_test_gate_wait_reached(&F->gate_b, DP_TEST_WAIT_MS)); /* p ran: e is queued */
    hs[5] = DP_NULL_HANDLE;
}

static void finish_parent_and_dependency(dp_handle hs[6])
{
    dp_test_gate_open(&F->gate_b);
    for (int i = 0; i < 5; i++)
        wait_loaded(hs[i]);
    assert_runs("gateA.thing p.deps gateB.thing e.thing c.thing d.thing");
    release_all(hs, 5);
}

static void test_set_priority_raises_a_queued_dependency_of_a_loaded_parent(void **state)
{
    (void)state;
    dp_handle hs[6];
    queue_parent_and_dependency(hs);
    for (uint64_t t0 = dp_test_now_ns();
         dp_state_of(F->dp, hs[1]) != DP_STATE_LOADED && dp_test_waiting(t0);)
        dp_update(F->dp); /* p's result applied: its edge to e exists */
    assert_int_equal(dp_state_of(F->dp, hs[1]), DP_STATE_LOADED);
    assert_int_equal(dp_set_priority(F->dp, hs[1], DP_PRIORITY_HIGH), DP_OK);
    finish_parent_and_dependency(hs);
}

static void test_set_priority_raises_a_dependency_before_its_parent_is_applied(void **state)
{
    (void)state;
    dp_handle hs[6];
    queue_parent_and_dependency(hs);
    /* No dp_update yet: p's result waits, e is known only to it. */
    assert_int_equal(dp_set_priority(F->dp, hs[1], DP_PRIORITY_HIGH), DP_OK);
    /* Apply p while the worker still sits at gate B: the raise happens at apply. Opening the
     * gate first let the worker take c before the owner applied p (1 run in 20 under TSan). */
    for (uint64_t t0 = dp_test_now_ns();
         dp_state_of(F->dp, hs[1]) != DP_STATE_LOADED && dp_test_waiting(t0);)
        dp_update(F->dp);
    assert_int_equal(dp_state_of(F->dp, hs[1]), DP_STATE_LOADED);
    finish_parent_and_dependency(hs);
}

static void *set_parent_high(void *arg)
{
    set_arg *a = arg;
    a->st = dp_set_priority(F->dp, a->h, DP_PRIORITY_HIGH);
    return NULL;
}

static void test_set_priority_from_another_thread_raises_dependencies_at_update(void **state)
{
    (void)state;
    dp_handle hs[6];
    queue_parent_and_dependency(hs);
    for (uint64_t t0 = dp_test_now_ns();
         dp_state_of(F->dp, hs[1]) != DP_STATE_LOADED && dp_test_waiting(t0);)
        dp_update(F->dp);
    set_arg a = {.h = hs[1]};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, set_parent_high, &a), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(a.st, DP_OK);
    dp_update(F->dp); /* the owner spreads the raise over p's edges */
    finish_parent_and_dependency(hs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_null_options_load_as_dp_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zeroed_options_load_as_dp_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_outside_the_enum_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_flags_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_out_without_a_group_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_forces_the_type_as_dp_load_as, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_holds_the_asset_as_dp_load_into, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_off_the_owner_thread_is_wrong_thread, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_later_high_priority_load_runs_before_earlier_low_ones,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_priority_runs_in_order_and_fifo_within_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_priority_moves_a_queued_load_ahead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_priority_works_from_another_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_priority_refuses_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dependency_inherits_its_parents_priority, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dependency_runs_at_the_highest_priority_of_its_parents,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_priority_raises_a_queued_dependency_of_a_loaded_parent,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_priority_raises_a_dependency_before_its_parent_is_applied,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_priority_from_another_thread_raises_dependencies_at_update,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
