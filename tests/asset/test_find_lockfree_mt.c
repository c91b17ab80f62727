/* test_find_lockfree_mt.c — dp_find's hit runs without the key lock (src/asset/keyfind.c):
 * it probes the table while other threads add keys (the table grows and is replaced), the
 * owner frees keyed assets (entries move back) and slots are reused, and it reads an asset's
 * key while the owner may evict that asset. A live key must always be found, as the right
 * asset, and no key or table may be freed under a finder (ASan/TSan). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "asset/asset_internal.h"
#include "depot/depot.h"
#include "testutil.h"

enum { LIVE = 200, FINDERS = 3, CHURN = 20000 };

static dp_depot *dp;
static dp_type_id type;
static int dummy;
static dp_handle live[LIVE];
static char live_key[LIVE][32];
static atomic_int stop, misses, wrong, finds, started;

static void nop_destroy(void *asset, void *user)
{
    (void)asset;
    (void)user;
}

static void setup_depot(void)
{
    assert_int_equal(dp_create(NULL, &dp), DP_OK);
    dp_type t = {.name = "obj", .destroy = nop_destroy};
    assert_int_equal(dp_register_type(dp, &t, &type), DP_OK);
}

static void *finder(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    /* At least one whole pass over the live keys, however late this thread was scheduled
     * (a finder that first ran after the owner's churn found nothing: CI, stop 11). */
    for (unsigned i = 0; i < LIVE || !atomic_load(&stop) || i % LIVE; i++) {
        dp_handle h;
        dp_status st = dp_find(dp, live_key[i % LIVE], &h);
        if (st != DP_OK) {
            atomic_fetch_add(&misses, 1);
            continue;
        }
        if (h.bits != live[i % LIVE].bits)
            atomic_fetch_add(&wrong, 1);
        dp_release(dp, h);
        atomic_fetch_add(&finds, 1);
    }
    return NULL;
}

static void test_live_keys_are_found_while_the_table_grows_and_entries_move(void **state)
{
    (void)state;
    setup_depot();
    for (int i = 0; i < LIVE; i++) {
        snprintf(live_key[i], sizeof live_key[i], "live/%d", i);
        assert_int_equal(dp_add(dp, type, &dummy, 1, live_key[i], &live[i]), DP_OK);
    }
    pthread_t th[FINDERS];
    for (int i = 0; i < FINDERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, finder, NULL), 0);
    while (atomic_load(&started) < FINDERS)
        dp__sleep_ms(1); /* the churn is meant to race the finders: start it once they run */
    /* The owner adds keys (the table doubles several times), frees them a batch at a time
     * (backward-shift deletion moves the live keys' entries) and reuses their slots. */
    for (int i = 0; i < CHURN; i++) {
        char key[32];
        snprintf(key, sizeof key, "churn/%d", i);
        dp_handle h;
        assert_int_equal(dp_add(dp, type, &dummy, 1, key, &h), DP_OK);
        assert_int_equal(dp_release(dp, h), DP_OK);
        if (i % 64 == 0)
            dp_update(dp);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < FINDERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&misses), 0);
    assert_int_equal(atomic_load(&wrong), 0);
    assert_true(atomic_load(&finds) > 0);
    for (int i = 0; i < LIVE; i++)
        assert_int_equal(dp_release(dp, live[i]), DP_OK);
    dp_update(dp);
    dp_destroy(dp);
}

/* The second test: a finder has counted the asset of "victim" and is about to compare its key
 * when the owner evicts the asset (which others hold). */
static atomic_int inside, evicting;
static dp_handle victim;

static void window_hook(dp_handle counted)
{
    if (counted.bits != victim.bits || atomic_load(&inside))
        return;
    atomic_store(&inside, 1);
    while (!atomic_load(&evicting))
        dp__cpu_relax();
    /* Give a dp_evict that did not wait for this finder the time to free the key: without the
     * wait, the compare below reads freed memory (ASan). Nothing is asserted on time. */
    dp__sleep_ms(50);
}

static dp_status found_st;
static dp_handle found_h;

static void *victim_finder(void *arg)
{
    (void)arg;
    found_st = dp_find(dp, "victim", &found_h);
    return NULL;
}

static void test_evict_waits_for_a_finder_that_reads_the_key(void **state)
{
    (void)state;
    setup_depot();
    assert_int_equal(dp_add(dp, type, &dummy, 1, "victim", &victim), DP_OK);
    dp__find_set_test_hook(window_hook);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, victim_finder, NULL), 0);
    while (!atomic_load(&inside))
        dp__cpu_relax();
    atomic_store(&evicting, 1);
    assert_int_equal(dp_evict(dp, victim), DP_OK); /* held by this thread and the finder */
    pthread_join(th, NULL);
    dp__find_set_test_hook(NULL);
    /* The finder counted the asset before the evict: it found it, and its count is now on an
     * evicted (stale) handle. */
    assert_int_equal(found_st, DP_OK);
    assert_int_equal(found_h.bits, victim.bits);
    assert_int_equal(dp_release(dp, found_h), DP_ERR_STALE);
    assert_int_equal(dp_find(dp, "victim", &found_h), DP_ERR_NOT_FOUND);
    dp_update(dp);
    dp_update(dp);
    dp_destroy(dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_keys_are_found_while_the_table_grows_and_entries_move),
        cmocka_unit_test(test_evict_waits_for_a_finder_that_reads_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
