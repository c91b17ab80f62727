/* test_create_publishes_record_first_mt.c — an asset created on another thread (dp_add, the
 * loader's reservations) must not be visible to the owner before its record is written.
 * The owner's scans over every slot (the deep-state rebuild, the collector's full scan)
 * take any live, non-dying slot word as a complete asset and read its record: its edges,
 * its own state. If the slot went live before the creator wrote the record, the owner
 * reads half-written fields (a data race TSan reports) and may take the state of the
 * slot's previous occupant (INVALID) as "loaded": a PENDING asset announced LOADED_DEEP.
 *
 * A creator thread keeps making PENDING assets while the owner forces a rebuild of the
 * deep state at every update. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "asset/asset_internal.h"
#include "depot/depot.h"
#include "testutil.h"

enum { UPDATES = 800, HELD = 4096 };

static dp_depot *dp;
static dp_type_id pend_type;
static atomic_int stop, updates;

static void destroy_obj(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static void *creator(void *arg)
{
    (void)arg;
    int seen = -1, made = 0;
    while (!atomic_load(&stop)) {
        int u = atomic_load(&updates);
        if (u != seen)
            seen = u, made = 0;
        if (made == 1000) {
            sched_yield(); /* enough for this update: the pool must not grow without bound */
            continue;
        }
        made++;
        dp_handle h;
        if (dp__create(dp, pend_type, DP_STATE_PENDING, NULL, 0, NULL, &h, "test", 0) == DP_OK)
            dp_release(dp, h);
    }
    return NULL;
}

static void test_a_slot_goes_live_only_with_its_record_written(void **state)
{
    (void)state;
    dp_test_alloc a;
    dp_test_alloc_init(&a);
    assert_int_equal(dp_create(&(dp_desc){.allocator = &a.iface}, &dp), DP_OK);
    dp_type t = {.name = "pend", .destroy = destroy_obj};
    assert_int_equal(dp_register_type(dp, &t, &pend_type), DP_OK);
    /* Assets the owner holds, so that each scan takes a while, and some slots that were
     * used before, so the creator also reuses freed ones. */
    static dp_handle held[HELD];
    for (int i = 0; i < HELD; i++)
        assert_int_equal((dp_add)(dp, pend_type, malloc(8), 8, NULL, &held[i]), DP_OK);
    for (int i = 0; i < 64; i++) {
        dp_handle h;
        assert_int_equal((dp_add)(dp, pend_type, malloc(8), 8, NULL, &h), DP_OK);
        dp_release(dp, h);
    }
    dp_update(dp);

    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, creator, NULL), 0);
    int early = 0;
    for (int u = 0; u < UPDATES && !early; u++) {
        dp->deep_rebuild_all = true; /* as after an edge into a settled asset */
        dp->deep_dirty = true;
        assert_int_equal(dp_update(dp), DP_OK);
        atomic_fetch_add(&updates, 1);
        const dp_event *ev;
        size_t n = dp_events(dp, &ev);
        for (size_t i = 0; i < n; i++)
            if (ev[i].kind == DP_EV_LOADED_DEEP && ev[i].type == pend_type)
                early++; /* nothing of this type is ever loaded */
    }
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    assert_int_equal(early, 0);
    for (int i = 0; i < HELD; i++)
        dp_release(dp, held[i]);
    dp_update(dp);
    dp_update(dp);
    assert_int_equal(dp_destroy(dp), 0);
    assert_int_equal(atomic_load(&a.live), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_slot_goes_live_only_with_its_record_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
