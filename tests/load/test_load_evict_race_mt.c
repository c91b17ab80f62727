/* test_load_evict_race_mt.c — dp_load of one key from several threads while the owner evicts
 * that key's asset over and over: every load returns DP_OK with a handle of the right type
 * (the old asset, possibly stale a moment later, or a fresh one), never a spurious
 * DP_ERR_EXISTS. Bounded by iteration counts; run under TSan and ASan. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "depot/depot.h"
#include "testutil.h"

enum { LOADERS = 4, LOADS = 10000 };

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id blob;
    atomic_int done;
    atomic_int bad;       /* loads that did not return DP_OK */
    atomic_int bad_status;
    atomic_long evicts;
} fx;

static void *loader(void *arg)
{
    fx *f = arg;
    /* LOADS loads, and on until the owner has evicted a few times while we load. */
    for (int i = 0; i < LOADS || atomic_load(&f->evicts) < 10; i++) {
        dp_handle h;
        dp_status st = dp_load(f->dp, "mem://race.bin", &h);
        if (st != DP_OK) {
            atomic_fetch_add(&f->bad, 1);
            atomic_store(&f->bad_status, st);
            continue;
        }
        dp_type_id t = dp_type_of(f->dp, h);
        assert_true(t == f->blob || t == 0); /* 0: evicted since */
        st = dp_release(f->dp, h);
        assert_true(st == DP_OK || st == DP_ERR_STALE);
        if (i % 4 == 0)
            sched_yield(); /* let the owner evict between loads */
    }
    atomic_fetch_add(&f->done, 1);
    return NULL;
}

static void test_load_racing_evict_of_its_key_returns_ok(void **state)
{
    (void)state;
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    assert_int_equal(dp_create(&(dp_desc){.workers = 1, .allocator = &f->alloc.iface}, &f->dp),
                     DP_OK);
    static const char bytes[] = "racing";
    assert_int_equal(dp_mem_add(f->dp, "race.bin", bytes, sizeof bytes), DP_OK);
    f->blob = dp_builtins(f->dp).blob;
    assert_true(f->blob != 0);
    pthread_t t[LOADERS];
    for (int i = 0; i < LOADERS; i++)
        pthread_create(&t[i], NULL, loader, f);
    while (atomic_load(&f->done) < LOADERS) {
        dp_handle h;
        if (dp_find(f->dp, "mem://race.bin", &h) == DP_OK) {
            if (dp_evict(f->dp, h) == DP_OK)
                atomic_fetch_add(&f->evicts, 1);
        }
        dp_update(f->dp);
        sched_yield();
    }
    for (int i = 0; i < LOADERS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 3; i++)
        dp_update(f->dp);
    long evicts = atomic_load(&f->evicts);
    printf("evicts %ld, failed loads %d (last status %s)\n", evicts, atomic_load(&f->bad),
           dp_status_str(atomic_load(&f->bad_status)));
    assert_true(evicts >= 10);
    assert_int_equal(atomic_load(&f->bad), 0);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_racing_evict_of_its_key_returns_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
