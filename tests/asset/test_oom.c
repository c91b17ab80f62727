/* test_oom.c — out of memory: each registry scenario is run with the Nth allocation failing,
 * for N = 1, 2, ... until a run sees no injected failure (and with every allocation failing
 * from the Nth on, for a few N). Every call must succeed or return DP_ERR_NOMEM (a step that
 * got NOMEM is skipped and later steps adapt), dp_check must pass after every step that ran,
 * and after dp_destroy no allocation is live and every handed-over asset was destroyed once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

enum { MAXOBJ = 64, MAXHELD = 64 };

typedef struct obj {
    int id;
} obj;

typedef struct run {
    dp_test_alloc a;
    dp_depot *dp;
    dp_type_id type;
    int nobj;
    unsigned char handed[MAXOBJ], destroyed[MAXOBJ];
    dp_handle held[MAXHELD]; /* strong references the scenario owns */
    size_t nheld;
    dp_group groups[4];
    int ngroups;
    bool all_fail; /* fail_all_after mode: dp_check itself may get NOMEM */
} run;

static void destroy_obj(void *asset, void *user)
{
    run *r = user;
    obj *o = asset;
    assert_true(o->id >= 0 && o->id < r->nobj);
    assert_true(r->handed[o->id]);
    assert_int_equal(r->destroyed[o->id], 0);
    r->destroyed[o->id] = 1;
    free(o);
}

static void check(run *r)
{
    dp_status st = dp_check(r->dp);
    if (st == DP_ERR_NOMEM && !r->all_fail)
        st = dp_check(r->dp); /* the single injected failure was the check's own */
    if (st == DP_ERR_NOMEM && r->all_fail)
        return;
    assert_int_equal(st, DP_OK);
}

static void ok_or_nomem(run *r, dp_status st)
{
    if (st != DP_OK && st != DP_ERR_NOMEM)
        fail_msg("got %s", dp_status_str(st));
    check(r);
}

static void hold(run *r, dp_handle h)
{
    assert_true(r->nheld < MAXHELD);
    r->held[r->nheld++] = h;
}

/* Drops one reference the scenario holds on h. */
static void drop(run *r, dp_handle h)
{
    if (dp_handle_is_null(h))
        return;
    for (size_t i = 0; i < r->nheld; i++) {
        if (dp_handle_eq(r->held[i], h)) {
            r->held[i] = r->held[--r->nheld];
            assert_int_equal(dp_release(r->dp, h), DP_OK);
            check(r);
            return;
        }
    }
}

static dp_handle add(run *r, const char *key, size_t bytes)
{
    obj *o = malloc(sizeof *o);
    assert_true(r->nobj < MAXOBJ);
    o->id = r->nobj++;
    dp_handle h;
    dp_status st = (dp_add)(r->dp, r->type, o, bytes, key, &h);
    if (st == DP_OK) {
        r->handed[o->id] = 1;
        hold(r, h);
    } else {
        assert_int_equal(st, DP_ERR_NOMEM);
        assert_true(dp_handle_is_null(h));
        free(o);
    }
    check(r);
    return h;
}

static void retain(run *r, dp_handle h)
{
    if (dp_handle_is_null(h))
        return;
    assert_int_equal(dp_retain(r->dp, h), DP_OK);
    hold(r, h);
    check(r);
}

static void depend(run *r, dp_handle p, dp_handle c)
{
    if (dp_handle_is_null(p) || dp_handle_is_null(c))
        return;
    ok_or_nomem(r, dp_depend(r->dp, p, c));
}

static void update(run *r)
{
    assert_int_equal(dp_update(r->dp), DP_OK);
    check(r);
}

static dp_group group(run *r, const char *name)
{
    dp_group g;
    dp_status st = dp_group_create(r->dp, name, &g);
    ok_or_nomem(r, st);
    if (st == DP_OK)
        r->groups[r->ngroups++] = g;
    return g;
}

static void group_add(run *r, dp_group g, dp_handle h)
{
    if (!g.bits || dp_handle_is_null(h))
        return;
    ok_or_nomem(r, dp_group_add(r->dp, g, h));
}

/* ---- scenarios ---------------------------------------------------------------------------- */

static void cocos_chain(run *r)
{
    dp_handle frame = add(r, "frame", 16), tex = add(r, "tex", 16), img = add(r, "img", 16);
    depend(r, frame, tex);
    depend(r, tex, img);
    drop(r, tex);
    drop(r, img);
    retain(r, frame);
    retain(r, frame);
    update(r);
    for (int i = 0; i < 3; i++)
        drop(r, frame);
    update(r);
}

static void scene_switch(run *r)
{
    dp_group ga = group(r, "A");
    dp_handle shared = add(r, "shared", 16), a_own = add(r, "a_own", 16);
    group_add(r, ga, shared);
    group_add(r, ga, a_own);
    drop(r, a_own);
    update(r);
    dp_group gb = group(r, "B");
    dp_handle b_own = add(r, "b_own", 16);
    group_add(r, gb, shared);
    group_add(r, gb, b_own);
    drop(r, shared);
    drop(r, b_own);
    if (ga.bits)
        ok_or_nomem(r, dp_group_release(r->dp, ga));
    update(r);
}

static void release_reacquire(run *r)
{
    dp_handle h = add(r, "level", 16);
    update(r);
    drop(r, h);
    dp_handle again;
    dp_status st = dp_find(r->dp, "level", &again);
    if (!dp_handle_is_null(h)) {
        assert_int_equal(st, DP_OK);
        hold(r, again);
    }
    check(r);
    update(r);
}

static void leak(run *r)
{
    dp_handle h = add(r, "leaky", 16);
    retain(r, h);
    drop(r, h);
    update(r);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    dp_report_leaks(r->dp, m);
    fclose(m);
    free(buf);
    r->nheld = 0; /* keep it: dp_destroy must free it anyway */
}

static void cycles(run *r)
{
    dp_handle a = add(r, NULL, 16), b = add(r, NULL, 16), s = add(r, NULL, 16), kid = add(r, NULL, 16);
    depend(r, a, b);
    depend(r, b, a);
    depend(r, s, s);
    depend(r, a, kid);
    drop(r, a);
    drop(r, b);
    drop(r, s);
    drop(r, kid);
    ok_or_nomem(r, dp_collect_cycles(r->dp));
    update(r);
    update(r);
}

static void cache(run *r)
{
    dp_handle a = add(r, "a", 16), b = add(r, "b", 16), c = add(r, "c", 16);
    drop(r, a);
    update(r);
    drop(r, b);
    update(r);
    drop(r, c);
    update(r);
    dp_handle x;
    if (dp_find(r->dp, "b", &x) == DP_OK)
        hold(r, x);
    check(r);
    update(r);
    ok_or_nomem(r, dp_release_unused(r->dp));
}

/* ---- the driver ----------------------------------------------------------------------------- */

typedef void (*scenario_fn)(run *r);

/* One run with allocation n failing (0 = none). Returns true if a failure was injected. */
static bool run_once(scenario_fn fn, dp_desc d, long n, bool all_fail)
{
    run *r = calloc(1, sizeof *r);
    dp_test_alloc_init(&r->a);
    r->a.fail_all_after = all_fail;
    r->all_fail = all_fail;
    dp_test_alloc_fail_at(&r->a, n);
    d.allocator = &r->a.iface;
    dp_status st = dp_create(&d, &r->dp);
    if (st == DP_OK) {
        dp_type t = {.name = "obj", .destroy = destroy_obj, .user = r};
        st = dp_register_type(r->dp, &t, &r->type);
        if (st == DP_OK) {
            fn(r);
            for (int i = 0; i < r->ngroups; i++)
                assert_int_equal(dp_group_destroy(r->dp, r->groups[i]), DP_OK);
            while (r->nheld)
                drop(r, r->held[r->nheld - 1]);
            update(r);
        } else {
            assert_int_equal(st, DP_ERR_NOMEM);
        }
        dp_destroy(r->dp);
    } else {
        assert_int_equal(st, DP_ERR_NOMEM);
        assert_null(r->dp);
    }
    assert_int_equal(atomic_load(&r->a.live), 0);
    for (int i = 0; i < r->nobj; i++)
        assert_int_equal(r->destroyed[i], r->handed[i]);
    bool failed = atomic_load(&r->a.failed) > 0;
    free(r);
    return failed;
}

static void every_n(scenario_fn fn, dp_desc d)
{
    long n = 1;
    while (run_once(fn, d, n, false)) {
        n++;
        assert_true(n < 5000);
    }
    assert_true(n > 1); /* the scenario allocates */
    for (long k = 1; k <= n; k += (n / 8) + 1)
        run_once(fn, d, k, true);
}

static void test_cocos_chain_survives_every_failed_allocation(void **state)
{
    (void)state;
    every_n(cocos_chain, (dp_desc){0});
}

static void test_scene_switch_with_groups_survives_every_failed_allocation(void **state)
{
    (void)state;
    every_n(scene_switch, (dp_desc){0});
}

static void test_release_reacquire_survives_every_failed_allocation(void **state)
{
    (void)state;
    every_n(release_reacquire, (dp_desc){0});
}

static void test_leak_report_survives_every_failed_allocation(void **state)
{
    (void)state;
    every_n(leak, (dp_desc){.track_holders = true});
}

static void test_holder_tracking_survives_every_failed_allocation(void **state)
{
    (void)state;
    every_n(cocos_chain, (dp_desc){.track_holders = true});
}

static void test_cycles_survive_every_failed_allocation(void **state)
{
    (void)state;
    every_n(cycles, (dp_desc){0});
}

static void test_unused_cache_survives_every_failed_allocation(void **state)
{
    (void)state;
    every_n(cache, (dp_desc){.keep_unused_bytes = 32});
}

static void collect_child(void *user, dp_handle child)
{
    *(dp_handle *)user = child;
}

static void test_depend_that_runs_out_of_memory_takes_no_count(void **state)
{
    (void)state;
    int refused = 0;
    for (long n = 1; n <= 4; n++) {
        run *r = calloc(1, sizeof *r);
        dp_test_alloc_init(&r->a);
        assert_int_equal(dp_create(&(dp_desc){.allocator = &r->a.iface}, &r->dp), DP_OK);
        dp_type t = {.name = "obj", .destroy = destroy_obj, .user = r};
        assert_int_equal(dp_register_type(r->dp, &t, &r->type), DP_OK);
        /* p's first edge is kept in its record (no allocation): the second one, which moves
         * both to an array, is the depend that can run out of memory. */
        dp_handle p = add(r, NULL, 8), c0 = add(r, NULL, 8), c = add(r, NULL, 8);
        assert_int_equal(dp_depend(r->dp, p, c0), DP_OK);
        dp_test_alloc_fail_at(&r->a, n);
        dp_status st = dp_depend(r->dp, p, c);
        dp_handle seen = DP_NULL_HANDLE;
        assert_int_equal(dp_children(r->dp, p, collect_child, &seen), DP_OK);
        if (st == DP_OK) {
            assert_true(dp_handle_eq(seen, c));
            assert_int_equal(dp_count(r->dp, c), 2);
        } else {
            assert_int_equal(st, DP_ERR_NOMEM);
            refused++;
            assert_true(dp_handle_eq(seen, c0)); /* the first edge is still there, alone */
            assert_int_equal(dp_count(r->dp, c), 1); /* nothing changed */
        }
        dp_test_alloc_fail_at(&r->a, 0);
        assert_int_equal(dp_count(r->dp, c0), 2);
        drop(r, p);
        drop(r, c0);
        drop(r, c);
        update(r);
        dp_test_pass_quarantine(r->dp); /* the lifetime sanitizer's quarantine (ASan build) */
        assert_int_equal(r->destroyed[0] + r->destroyed[1] + r->destroyed[2], 3);
        dp_destroy(r->dp);
        assert_int_equal(atomic_load(&r->a.live), 0);
        free(r);
    }
    assert_true(refused > 0); /* else no depend ran out of memory and nothing was shown */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cocos_chain_survives_every_failed_allocation),
        cmocka_unit_test(test_scene_switch_with_groups_survives_every_failed_allocation),
        cmocka_unit_test(test_release_reacquire_survives_every_failed_allocation),
        cmocka_unit_test(test_leak_report_survives_every_failed_allocation),
        cmocka_unit_test(test_holder_tracking_survives_every_failed_allocation),
        cmocka_unit_test(test_cycles_survive_every_failed_allocation),
        cmocka_unit_test(test_unused_cache_survives_every_failed_allocation),
        cmocka_unit_test(test_depend_that_runs_out_of_memory_takes_no_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
