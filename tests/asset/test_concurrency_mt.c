/* test_concurrency_mt.c — the registry under threads (also run under TSan): workers retain,
 * release, upgrade and find shared assets (keyed and keyless, in cycles and with edges)
 * while the owner updates, evicts, collects cycles, adds and depends; owner-only calls from
 * other threads are refused; racing adds of one key end with one asset. Bounded by
 * iteration counts. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

enum { MAXOBJ = 8192, WORKERS = 4, ITERS = 4000 };
/* The owner's frames that add and drop assets: at most one add per two frames, so the ids
 * stay far below MAXOBJ. */
enum { OWNER_FRAMES = 4000 };
enum { NSTABLE = 16, NCYCLE = 16, NEVICT = 16 };

typedef struct obj {
    uint32_t magic;
    int id;
} obj;

typedef struct world {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id type;
    atomic_int nobj;
    atomic_int destroyed[MAXOBJ];
    /* Set before the workers start, read-only afterwards. */
    dp_handle stable[NSTABLE]; /* held by the owner until the end: never freed */
    dp_handle cycle[NCYCLE];   /* 2-cycles, owner drops its holds early: garbage */
    dp_handle evict[NEVICT];   /* the owner evicts these one by one */
    atomic_int nevicted;       /* evict[0..nevicted) are gone */
    atomic_int workers_started, workers_done;
    atomic_long upgrades_ok, upgrades_stale;
} world;

static void destroy_obj(void *asset, void *user)
{
    world *w = user;
    obj *o = asset;
    assert_int_equal(o->magic, 0xfeed);
    o->magic = 0xdead;
    atomic_fetch_add(&w->destroyed[o->id], 1);
    free(o);
}

static obj *mk(world *w)
{
    obj *o = malloc(sizeof *o);
    o->magic = 0xfeed;
    o->id = atomic_fetch_add(&w->nobj, 1);
    assert_true(o->id < MAXOBJ);
    return o;
}

static dp_handle add(world *w, const char *key)
{
    dp_handle h;
    assert_int_equal((dp_add)(w->dp, w->type, mk(w), 16, key, &h), DP_OK);
    return h;
}

static world *make_world(void)
{
    world *w = calloc(1, sizeof *w);
    dp_test_alloc_init(&w->alloc);
    assert_int_equal(dp_create(&(dp_desc){.allocator = &w->alloc.iface, .collect_budget = 64},
                               &w->dp), DP_OK);
    dp_type t = {.name = "obj", .destroy = destroy_obj, .user = w};
    assert_int_equal(dp_register_type(w->dp, &t, &w->type), DP_OK);
    return w;
}

/* Destroys the depot and checks that every asset was destroyed once and no byte is left. */
static void end_world(world *w)
{
    assert_int_equal(dp_destroy(w->dp), 0);
    assert_int_equal(atomic_load(&w->alloc.live), 0);
    int n = atomic_load(&w->nobj);
    for (int i = 0; i < n; i++)
        assert_int_equal(atomic_load(&w->destroyed[i]), 1);
    free(w);
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* A strong reference we hold must show live data. */
static void check_held(world *w, dp_handle h)
{
    obj *o = dp_get(w->dp, h);
    assert_non_null(o);
    assert_int_equal(o->magic, 0xfeed);
    assert_true(dp_count(w->dp, h) >= 1);
}

static void *worker(void *arg)
{
    world *w = arg;
    atomic_fetch_add(&w->workers_started, 1);
    uint32_t seed = (uint32_t)(uintptr_t)pthread_self() | 1u;
    dp_handle held[8];
    int nheld = 0;
    char key[16];
    for (int it = 0; it < ITERS; it++) {
        uint32_t r = rnd(&seed);
        dp_handle h;
        switch (r % 6) {
        case 0: /* retain and release a stable asset */
            h = w->stable[(r >> 8) % NSTABLE];
            assert_int_equal(dp_retain(w->dp, h), DP_OK);
            check_held(w, h);
            assert_int_equal(dp_release(w->dp, h), DP_OK);
            break;
        case 1: /* upgrade a weak handle to a cycle member while the collector runs */
            h = w->cycle[(r >> 8) % NCYCLE];
            if (dp_upgrade(w->dp, h) == DP_OK) {
                check_held(w, h);
                atomic_fetch_add(&w->upgrades_ok, 1);
                if (nheld < 8)
                    held[nheld++] = h;
                else
                    assert_int_equal(dp_release(w->dp, h), DP_OK);
            } else {
                atomic_fetch_add(&w->upgrades_stale, 1);
                assert_null(dp_get(w->dp, h));
            }
            break;
        case 2: /* find a keyed stable asset */
            snprintf(key, sizeof key, "s%u", (r >> 8) % NSTABLE);
            assert_int_equal(dp_find(w->dp, key, &h), DP_OK);
            check_held(w, h);
            assert_int_equal(dp_release(w->dp, h), DP_OK);
            break;
        case 3: { /* an evictable asset: fine or stale, never a crash */
            int k = (int)((r >> 8) % NEVICT);
            bool gone = k < atomic_load(&w->nevicted);
            h = w->evict[k];
            dp_status st = dp_retain(w->dp, h);
            if (gone)
                assert_int_equal(st, DP_ERR_STALE);
            if (st == DP_OK) {
                dp_status rs = dp_release(w->dp, h);
                assert_true(rs == DP_OK || rs == DP_ERR_STALE); /* evicted meanwhile */
            } else {
                assert_int_equal(st, DP_ERR_STALE);
                assert_int_equal(dp_release(w->dp, h), DP_ERR_STALE);
            }
            break;
        }
        case 4: /* let go of an upgraded cycle member */
            if (nheld) {
                h = held[--nheld];
                check_held(w, h);
                assert_int_equal(dp_release(w->dp, h), DP_OK);
            }
            break;
        default: /* reads of anything */
            h = w->cycle[(r >> 8) % NCYCLE];
            (void)dp_state_of(w->dp, h);
            (void)dp_count(w->dp, h);
            (void)dp_type_of(w->dp, h);
            break;
        }
    }
    while (nheld)
        assert_int_equal(dp_release(w->dp, held[--nheld]), DP_OK);
    atomic_fetch_add(&w->workers_done, 1);
    return NULL;
}

static void test_workers_and_owner_share_assets_safely(void **state)
{
    (void)state;
    world *w = make_world();
    char key[16];
    for (int i = 0; i < NSTABLE; i++) {
        snprintf(key, sizeof key, "s%d", i);
        w->stable[i] = add(w, key);
        if (i)
            assert_int_equal(dp_depend(w->dp, w->stable[i - 1], w->stable[i]), DP_OK);
    }
    for (int i = 0; i < NCYCLE; i += 2) {
        w->cycle[i] = add(w, NULL);
        snprintf(key, sizeof key, "c%d", i);
        w->cycle[i + 1] = add(w, key);
        dp_depend(w->dp, w->cycle[i], w->cycle[i + 1]);
        dp_depend(w->dp, w->cycle[i + 1], w->cycle[i]);
        dp_depend(w->dp, w->cycle[i], w->stable[i % NSTABLE]); /* an edge out of the cycle */
    }
    for (int i = 0; i < NEVICT; i++) {
        w->evict[i] = add(w, i % 2 ? NULL : (snprintf(key, sizeof key, "e%d", i), key));
        dp_depend(w->dp, w->evict[i], w->stable[(i * 3) % NSTABLE]);
    }
    dp_update(w->dp);

    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, w), 0);
    /* The frames are meant to race the workers: they start once every worker runs. */
    while (atomic_load(&w->workers_started) < WORKERS)
        sched_yield();

    /* The owner's frames: the first OWNER_FRAMES add, depend, release, evict and collect;
     * after them (workers still running on a loaded machine) the owner only updates and
     * collects, and yields between frames. Nothing here depends on how fast a worker is
     * scheduled (stop 11's CI: a worker started late, the owner's frames kept adding and ran
     * past MAXOBJ). */
    dp_handle extra[64];
    int nextra = 0;
    for (int frame = 0; atomic_load(&w->workers_done) < WORKERS || frame < 50; frame++) {
        if (frame == 5) {
            for (int i = 0; i < NCYCLE; i++)
                assert_int_equal(dp_release(w->dp, w->cycle[i]), DP_OK);
        }
        if (frame >= OWNER_FRAMES) {
            assert_int_equal(dp_collect_cycles(w->dp), DP_OK);
            assert_int_equal(dp_update(w->dp), DP_OK);
            sched_yield();
            continue;
        }
        if (frame % 7 == 3 && atomic_load(&w->nevicted) < NEVICT) {
            int k = atomic_load(&w->nevicted);
            assert_int_equal(dp_evict(w->dp, w->evict[k]), DP_OK);
            atomic_store(&w->nevicted, k + 1);
        }
        if (nextra < 64 && frame % 2 == 0) {
            dp_handle h = add(w, NULL);
            assert_int_equal(dp_depend(w->dp, h, w->stable[frame % NSTABLE]), DP_OK);
            if (nextra)
                assert_int_equal(dp_depend(w->dp, h, extra[nextra - 1]), DP_OK);
            extra[nextra++] = h;
        }
        if (nextra && frame % 5 == 4)
            assert_int_equal(dp_release(w->dp, extra[--nextra]), DP_OK);
        if (frame % 3 == 0)
            assert_int_equal(dp_collect_cycles(w->dp), DP_OK);
        assert_int_equal(dp_update(w->dp), DP_OK);
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    /* The workers did race upgrades against the collector (the cycles' fate is checked
     * below: every member is stale once the owner's holds are gone). */
    assert_true(atomic_load(&w->upgrades_ok) + atomic_load(&w->upgrades_stale) > 0);

    /* Quiet again: the owner's own holds go, a few updates, and the books balance. */
    for (int i = 0; i < 5; i++)
        dp_update(w->dp);
    assert_int_equal(dp_check(w->dp), DP_OK);
    while (nextra)
        assert_int_equal(dp_release(w->dp, extra[--nextra]), DP_OK);
    for (int k = atomic_load(&w->nevicted); k < NEVICT; k++)
        assert_int_equal(dp_release(w->dp, w->evict[k]), DP_OK);
    for (int i = 0; i < NSTABLE; i++)
        assert_int_equal(dp_release(w->dp, w->stable[i]), DP_OK);
    for (int i = 0; i < 5; i++) {
        dp_update(w->dp);
        assert_int_equal(dp_collect_cycles(w->dp), DP_OK);
    }
    assert_int_equal(dp_check(w->dp), DP_OK);
    dp_stats st;
    dp_get_stats(w->dp, &st);
    assert_int_equal(st.live_assets, 0);
    for (int i = 0; i < NCYCLE; i++)
        assert_int_equal(dp_upgrade(w->dp, w->cycle[i]), DP_ERR_STALE);
    end_world(w);
}

/* ---- owner-only calls from another thread -------------------------------------------------- */

typedef struct intruder {
    world *w;
    dp_handle a, b;
    dp_group g;
} intruder;

static void noop_listener(void *user, const dp_event *ev, size_t n)
{
    (void)user;
    (void)ev;
    (void)n;
}

static void *intrude(void *arg)
{
    intruder *x = arg;
    dp_depot *dp = x->w->dp;
    dp_group g;
    const dp_event *ev = (const dp_event *)1;
    assert_int_equal(dp_update(dp), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_depend(dp, x->a, x->b), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_undepend(dp, x->b, x->a), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_evict(dp, x->a), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_group_create(dp, "x", &g), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_group_add(dp, x->g, x->b), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_group_release(dp, x->g), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_group_destroy(dp, x->g), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_collect_cycles(dp), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_release_unused(dp), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_listen(dp, noop_listener, NULL), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_unlisten(dp, noop_listener, NULL), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_events(dp, &ev), 0);
    assert_null(ev);
    assert_int_equal(dp_touch(dp, x->a), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_check(dp), DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_destroy(dp), SIZE_MAX);
    /* Any-thread calls still work. */
    assert_int_equal(dp_retain(dp, x->a), DP_OK);
    assert_int_equal(dp_release(dp, x->a), DP_OK);
    return NULL;
}

static void test_owner_only_calls_from_another_thread_are_refused(void **state)
{
    (void)state;
    world *w = make_world();
    intruder x = {.w = w, .a = add(w, "a"), .b = add(w, NULL)};
    assert_int_equal(dp_depend(w->dp, x.b, x.a), DP_OK);
    assert_int_equal(dp_group_create(w->dp, "g", &x.g), DP_OK);
    assert_int_equal(dp_group_add(w->dp, x.g, x.a), DP_OK);
    dp_update(w->dp);
    const dp_event *ev;
    size_t nev = dp_events(w->dp, &ev);

    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, intrude, &x), 0);
    pthread_join(t, NULL);

    /* Nothing changed. */
    assert_int_equal(dp_count(w->dp, x.a), 3);
    assert_int_equal(dp_count(w->dp, x.b), 1);
    assert_int_equal(dp_group_size(w->dp, x.g), 1);
    assert_int_equal(dp_events(w->dp, &ev), nev);
    assert_non_null(dp_get(w->dp, x.a));
    assert_int_equal(dp_check(w->dp), DP_OK);
    assert_int_equal(dp_group_destroy(w->dp, x.g), DP_OK);
    dp_release(w->dp, x.a);
    dp_release(w->dp, x.b);
    dp_update(w->dp);
    end_world(w);
}

/* ---- racing adds of one key ---------------------------------------------------------------- */

typedef struct racer {
    world *w;
    pthread_barrier_t *bar;
    const char *key;
    dp_status st;
    dp_handle h;
    int id;
} racer;

static void *race_add(void *arg)
{
    racer *r = arg;
    obj *o = mk(r->w);
    r->id = o->id;
    pthread_barrier_wait(r->bar);
    r->st = (dp_add)(r->w->dp, r->w->type, o, 16, r->key, &r->h);
    if (r->st == DP_ERR_EXISTS) {
        o->magic = 0;
        free(o); /* the loser drops its copy */
    }
    return NULL;
}

static void test_racing_adds_of_one_key_end_with_one_asset(void **state)
{
    (void)state;
    world *w = make_world();
    for (int round = 0; round < 100; round++) {
        char key[16];
        snprintf(key, sizeof key, "race%d", round);
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, 2);
        racer r[2] = {{w, &bar, key, 0, {0}, 0}, {w, &bar, key, 0, {0}, 0}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&t[i], NULL, race_add, &r[i]), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&bar);
        int winners = (r[0].st == DP_OK) + (r[1].st == DP_OK);
        int losers = (r[0].st == DP_ERR_EXISTS) + (r[1].st == DP_ERR_EXISTS);
        assert_int_equal(winners, 1);
        assert_int_equal(losers, 1);
        assert_true(dp_handle_eq(r[0].h, r[1].h));
        assert_int_equal(dp_count(w->dp, r[0].h), 2);
        int loser = r[0].st == DP_ERR_EXISTS ? 0 : 1;
        atomic_fetch_add(&w->destroyed[r[loser].id], 1); /* never handed over */
        dp_release(w->dp, r[0].h);
        dp_release(w->dp, r[1].h);
        dp_update(w->dp);
        dp_handle x;
        assert_int_equal(dp_find(w->dp, key, &x), DP_ERR_NOT_FOUND);
    }
    assert_int_equal(dp_check(w->dp), DP_OK);
    end_world(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workers_and_owner_share_assets_safely),
        cmocka_unit_test(test_owner_only_calls_from_another_thread_are_refused),
        cmocka_unit_test(test_racing_adds_of_one_key_end_with_one_asset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
