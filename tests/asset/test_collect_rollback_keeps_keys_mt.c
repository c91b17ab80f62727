/* test_collect_rollback_keeps_keys_mt.c — the cycle collector claims the white nodes of a
 * collection one CAS at a time and rolls every claim back if a later CAS fails. While a claimed
 * node is (transiently) DYING, a key lookup must not take it for dead: dp_find would report a
 * live asset as NOT_FOUND, and dp_add of its key would register a second live asset with the
 * same key (the table then names the new one, the restored one is unreachable by key).
 *
 * The rollback is forced deterministically: the collector's claim hook (dp__cycles_set_hook)
 * runs on the owner right before the claim of the cycle's last node and takes a raw count on
 * it, so its claim fails after every other node was claimed. A second thread keeps adding
 * the key of the first node meanwhile. */
#include <pthread.h>
#include <stdlib.h>

#include "asset/asset_internal.h"
#include "depot/depot.h"
#include "testutil.h"

enum { N = 1000, ROUNDS = 100 }; /* rolled-back claims to try */

static dp_test_alloc counting;
static dp_depot *dp;
static dp_handle ring[N];
static atomic_int armed, fired;
static atomic_int stop, dups, misses;
static atomic_int destroyed, made;
static dp_type_id type;

static void claim_hook(dp_depot *d, dp_handle h, void *user)
{
    (void)user;
    if (atomic_load(&armed) && h.bits == ring[N - 1].bits) {
        /* The collection found the ring white and is claiming it: another holder appears
         * on its last node, so the last claim fails and the others are rolled back. */
        uint32_t old;
        atomic_store(&armed, 0);
        if (dp__acquire_raw(d, ring[N - 1], &old) == DP_OK)
            atomic_store(&fired, 1);
    }
}

static void destroy_obj(void *asset, void *user)
{
    (void)user;
    atomic_fetch_add(&destroyed, 1);
    free(asset);
}

static void *adder(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        void *o = malloc(8);
        atomic_fetch_add(&made, 1);
        dp_handle h;
        dp_status st = (dp_add)(dp, type, o, 8, "ring0", &h);
        if (st == DP_ERR_EXISTS) {
            free(o);
            atomic_fetch_sub(&made, 1);
            dp_release(dp, h);
        } else if (st == DP_OK) {
            atomic_fetch_add(&dups, 1); /* the key was live: a second asset took it */
            dp_release(dp, h);
        }
        dp_handle f;
        if (dp_find(dp, "ring0", &f) == DP_OK)
            dp_release(dp, f);
        else
            atomic_fetch_add(&misses, 1);
    }
    return NULL;
}

static void test_rolled_back_collection_never_hides_a_live_key(void **state)
{
    (void)state;
    dp_test_alloc_init(&counting);
    assert_int_equal(dp_create(&(dp_desc){.allocator = &counting.iface}, &dp), DP_OK);
    assert_int_equal(dp__cycles_set_hook(dp, claim_hook, NULL), DP_OK);
    dp_type t = {.name = "obj", .destroy = destroy_obj};
    assert_int_equal(dp_register_type(dp, &t, &type), DP_OK);
    for (int i = 0; i < N; i++) {
        atomic_fetch_add(&made, 1);
        assert_int_equal((dp_add)(dp, type, malloc(8), 8, i == 0 ? "ring0" : NULL, &ring[i]),
                         DP_OK);
    }
    for (int i = 0; i + 1 < N; i++)
        assert_int_equal(dp_depend(dp, ring[i], ring[i + 1]), DP_OK);
    /* Only ring[1..] are released now: they become candidates and are found alive (ring[0]
     * is held), so after this collection ring[0] is the only candidate to come. */
    for (int i = 1; i < N; i++)
        dp_release(dp, ring[i]);
    dp_update(dp);
    assert_int_equal(dp_collect_cycles(dp), DP_OK);
    assert_int_equal(dp_depend(dp, ring[N - 1], ring[0]), DP_OK);
    dp_release(dp, ring[0]); /* garbage now: a ring held only by its own edges */

    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, adder, NULL), 0);
    int rolled = 0;
    for (long round = 0; round < 1000L * ROUNDS && rolled < ROUNDS && !atomic_load(&dups) &&
                         !atomic_load(&misses);
         round++) {
        /* A candidate in every round, whatever the adder's releases did. */
        assert_int_equal(dp_retain(dp, ring[N - 1]), DP_OK);
        assert_int_equal(dp_release(dp, ring[N - 1]), DP_OK);
        atomic_store(&fired, 0);
        atomic_store(&armed, 1);
        assert_int_equal(dp_collect_cycles(dp), DP_OK);
        atomic_store(&armed, 0);
        if (atomic_load(&fired)) {
            rolled++;
            /* The ring survived the rolled-back claim. */
            assert_true(dp_count(dp, ring[0]) >= 1);
            assert_int_equal((dp_release)(dp, ring[N - 1]), DP_OK); /* a candidate again */
        }
        /* No dp_update here: its collection is not hooked and could free the ring for real,
         * after which an add of its key would rightly succeed. */
    }
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    assert_true(rolled > 0); /* else no rollback happened and nothing was shown */
    assert_true(dp_count(dp, ring[0]) >= 1); /* the key was live all along */
    assert_int_equal(atomic_load(&dups), 0);
    assert_int_equal(atomic_load(&misses), 0);

    /* Without interference the ring is garbage and goes. */
    assert_int_equal(dp_collect_cycles(dp), DP_OK);
    dp_update(dp);
    assert_int_equal(dp_count(dp, ring[0]), 0);
    assert_int_equal(dp_destroy(dp), 0);
    assert_int_equal(atomic_load(&destroyed), atomic_load(&made));
    assert_int_equal(atomic_load(&counting.live), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rolled_back_collection_never_hides_a_live_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
