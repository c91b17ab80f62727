/* requires: png */
/* test_load_threads_mt.c — dp_load from several threads at once: one asset per key, counts
 * that add up, everything freed after the releases; loads from other threads while the
 * owner updates. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"

#define NKEYS 50
#define NTHREADS 4

typedef struct fx {
    dp_test_alloc alloc;
    char dir[256];
    dp_depot *dp;
    pthread_barrier_t start;
    dp_handle got[NTHREADS][NKEYS];
    dp_status st[NTHREADS][NKEYS];
    atomic_bool stop;
    atomic_int done_threads;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    char src[512];
    snprintf(src, sizeof src, "%s/rgba_4x4.png", DP_TEST_DATA);
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    for (int i = 0; i < NKEYS; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/k%02d.png", f->dir, i);
        assert_int_equal(dp_test_write_file(p, buf, n), 0);
    }
    dp_desc d = {.root = f->dir, .workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

typedef struct targ {
    fx *f;
    int index;
} targ;

static void *load_all(void *arg)
{
    targ *t = arg;
    fx *f = t->f;
    pthread_barrier_wait(&f->start);
    for (int k = 0; k < NKEYS; k++) {
        /* Each thread walks the keys from a different place, so they collide everywhere. */
        int key = (k + t->index * 13) % NKEYS;
        char name[32];
        snprintf(name, sizeof name, "k%02d.png", key);
        f->st[t->index][key] = dp_load(f->dp, name, &f->got[t->index][key]);
    }
    atomic_fetch_add(&f->done_threads, 1);
    return NULL;
}

static void drain(fx *f)
{
    dp_stats st;
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        dp_get_stats(f->dp, &st);
        if (st.pending_jobs == 0 && st.live_assets == 0)
            return;
        usleep(1000);
    }
}

static void test_threads_loading_the_same_keys_at_once_get_one_asset_per_key(void **state)
{
    fx *f = *state;
    pthread_barrier_init(&f->start, NULL, NTHREADS);
    pthread_t th[NTHREADS];
    targ args[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        args[i] = (targ){f, i};
        assert_int_equal(pthread_create(&th[i], NULL, load_all, &args[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&f->start);
    for (int k = 0; k < NKEYS; k++) {
        for (int i = 0; i < NTHREADS; i++) {
            assert_int_equal(f->st[i][k], DP_OK);
            assert_true(dp_handle_eq(f->got[i][k], f->got[0][k]));
        }
        for (int j = 0; j < k; j++)
            assert_false(dp_handle_eq(f->got[0][k], f->got[0][j]));
        assert_int_equal(dp_count(f->dp, f->got[0][k]), NTHREADS);
    }
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, NKEYS);
    for (int k = 0; k < NKEYS; k++)
        assert_int_equal(dp_wait(f->dp, f->got[0][k], DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_check(f->dp), DP_OK);
    for (int i = 0; i < NTHREADS; i++)
        for (int k = 0; k < NKEYS; k++)
            assert_int_equal(dp_release(f->dp, f->got[i][k]), DP_OK);
    drain(f);
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(st.freed_total, NKEYS);
}

static void *load_release_loop(void *arg)
{
    targ *t = arg;
    fx *f = t->f;
    for (int round = 0; round < 20; round++) {
        for (int k = 0; k < NKEYS; k += 5) {
            char name[32];
            snprintf(name, sizeof name, "k%02d.png", (k + t->index + round) % NKEYS);
            dp_handle h;
            if (dp_load(f->dp, name, &h) != DP_OK) {
                f->st[t->index][0] = DP_ERR_INVALID;
                continue;
            }
            (void)dp_state_of(f->dp, h);
            (void)dp_get(f->dp, h);
            if (dp_release(f->dp, h) != DP_OK)
                f->st[t->index][0] = DP_ERR_UNDERFLOW;
        }
    }
    atomic_fetch_add(&f->done_threads, 1);
    return NULL;
}

static void test_loads_from_other_threads_while_the_owner_updates(void **state)
{
    fx *f = *state;
    pthread_t th[NTHREADS];
    targ args[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        args[i] = (targ){f, i};
        assert_int_equal(pthread_create(&th[i], NULL, load_release_loop, &args[i]), 0);
    }
    /* The owner keeps updating while they load and release. */
    for (uint64_t t0 = dp_test_now_ns();
         atomic_load(&f->done_threads) < NTHREADS && dp_test_waiting(t0);) {
        assert_int_equal(dp_update(f->dp), DP_OK);
        usleep(200);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(f->st[i][0], DP_OK);
    drain(f);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(st.pending_jobs, 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_threads_loading_the_same_keys_at_once_get_one_asset_per_key),
        T(test_loads_from_other_threads_while_the_owner_updates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
