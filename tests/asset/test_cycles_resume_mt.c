/* test_cycles_resume_mt.c — a collection that spans updates while other threads retain and
 * release its nodes between (and during) its steps frees nothing that is live: a retain from
 * another thread in any phase keeps the ring, and a thread that always holds some member of
 * a ring (hand over hand) keeps all of it through many bounded collections. The test hook
 * dp__cycles_phase says which phase the collector's next step belongs to. */
#include <pthread.h>
#include <stdlib.h>

#include "asset/asset_internal.h"
#include "asset_fixture.h"

enum { PH_MARK = 1, PH_CLAIM = 4 };

static int setup_1(void **state) { return setup_desc(state, (dp_desc){.collect_budget = 1}); }
static int setup_16(void **state) { return setup_desc(state, (dp_desc){.collect_budget = 16}); }

typedef struct job {
    dp_depot *dp;
    dp_handle h;
    dp_status st;
} job;

static void *upgrade_one(void *arg)
{
    job *j = arg;
    j->st = dp_upgrade(j->dp, j->h);
    return NULL;
}

static void *release_one(void *arg)
{
    job *j = arg;
    j->st = dp_release(j->dp, j->h);
    return NULL;
}

/* Runs fn(j) on a new thread and waits for it. */
static void on_thread(void *(*fn)(void *), job *j)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fn, j), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(j->st, DP_OK);
}

static void test_a_retain_from_another_thread_between_steps_keeps_the_ring(void **state)
{
    fixture *f = *state;
    enum { N = 64 };
    for (int phase = PH_MARK; phase <= PH_CLAIM; phase++) {
        int before = f->destroyed;
        dp_handle *v = make_ring(f, N);
        step_to(f, phase);
        job j = {.dp = f->dp, .h = v[N / 3]};
        on_thread(upgrade_one, &j);
        settle(f);
        assert_int_equal(f->destroyed, before);
        assert_int_equal(dp_check(f->dp), DP_OK);
        on_thread(release_one, &j);
        settle(f);
        assert_int_equal(f->destroyed, before + N);
        free(v);
    }
}

typedef struct walker {
    dp_depot *dp;
    dp_handle *ring;
    size_t n;
    dp_handle held; /* given by the owner, a count the walker owns (its last one: the owner
                     * releases it after the join) */
    atomic_long updates; /* the owner's, so far */
    atomic_int done;
    atomic_int failures;
} walker;

/* Holds one ring member at a time, hand over hand: the next one is upgraded before the
 * previous one is released, so the ring is never garbage while this runs, which is for
 * 2,000 of the owner's updates (several whole collections) and 20,000 handovers at least. */
static void *walk(void *arg)
{
    walker *w = arg;
    uint64_t seed = 88172645463325252ull;
    for (int i = 0; i < 20000 || atomic_load(&w->updates) < 2000; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        dp_handle next = w->ring[seed % w->n];
        if (dp_upgrade(w->dp, next) != DP_OK) {
            atomic_fetch_add(&w->failures, 1);
            break;
        }
        const obj *o = dp_get(w->dp, next);
        if (!o || o->id < 0) /* read while held: a freed object is a sanitizer report */
            atomic_fetch_add(&w->failures, 1);
        dp_release(w->dp, w->held);
        w->held = next;
    }
    /* The last count stays: the owner releases it after the join. Released here, an update
     * between it and `done` could collect the ring while the owner still asserts that nothing
     * was freed (seen 3 in 480 TSan runs). */
    atomic_store(&w->done, 1);
    return NULL;
}

static void test_a_ring_held_hand_over_hand_by_another_thread_is_never_freed(void **state)
{
    fixture *f = *state;
    enum { N = 256 };
    dp_handle *v = make_ring(f, N);
    walker w = {.dp = f->dp, .ring = v, .n = N, .held = v[0]};
    assert_int_equal(dp_upgrade(f->dp, v[0]), DP_OK); /* the walker's first count */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, walk, &w), 0);
    size_t steps0 = 0, steps1 = 0;
    dp_stats st;
    dp_get_stats(f->dp, &st);
    steps0 = st.cycle_steps;
    while (!atomic_load(&w.done)) {
        assert_int_equal(dp_update(f->dp), DP_OK);
        assert_int_equal(f->destroyed, 0);
        atomic_fetch_add(&w.updates, 1);
    }
    dp_get_stats(f->dp, &st);
    steps1 = st.cycle_steps;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(f->destroyed, 0); /* the walker's last count still holds the ring */
    assert_int_equal(dp_release(f->dp, w.held), DP_OK);
    assert_int_equal(atomic_load(&w.failures), 0);
    assert_true(steps1 - steps0 > 5 * N); /* the collector walked the ring meanwhile */
    settle(f);
    assert_int_equal(f->destroyed, N); /* released at the end: garbage, collected */
    assert_int_equal(dp_check(f->dp), DP_OK);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_retain_from_another_thread_between_steps_keeps_the_ring, setup_1, teardown),
        cmocka_unit_test_setup_teardown(test_a_ring_held_hand_over_hand_by_another_thread_is_never_freed, setup_16, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
