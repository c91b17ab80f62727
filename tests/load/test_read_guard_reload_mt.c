/* test_read_guard_reload_mt.c — worker threads read a blob under read guards while the owner
 * reloads it (dp_mem_add of new bytes, then dp_reload) and updates: every byte a reader sees
 * through a pointer it got inside its guard stays intact until the guard ends, however many
 * reloads the owner applies meanwhile (run under ASan and TSan). Bounded by counts. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

enum { READERS = 3, RELOADS = 150, SIZE = 256 };

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_handle h;
    atomic_int stop;
    atomic_long reads;
} fx;

/* A blob's bytes are all one value (the reload generation). */
static void check_blob(const dp_blob *b)
{
    assert_int_equal(b->size, SIZE);
    for (size_t i = 1; i < b->size; i++)
        assert_int_equal(b->bytes[i], b->bytes[0]);
}

static void *reader(void *arg)
{
    fx *f = arg;
    assert_int_equal(dp_retain(f->dp, f->h), DP_OK);
    while (!atomic_load(&f->stop)) {
        dp_read_guard g;
        assert_int_equal(dp_read_begin(f->dp, &g), DP_OK);
        const dp_blob *b = dp_get(f->dp, f->h);
        assert_non_null(b);
        for (int r = 0; r < 8; r++) {
            check_blob(b); /* the same pointer, across the owner's reloads and updates */
            sched_yield();
        }
        dp_read_end(f->dp, &g);
        atomic_fetch_add(&f->reads, 1);
    }
    assert_int_equal(dp_release(f->dp, f->h), DP_OK);
    return NULL;
}

static void put(fx *f, int gen)
{
    unsigned char bytes[SIZE];
    memset(bytes, gen & 0xff, sizeof bytes);
    assert_int_equal(dp_mem_add(f->dp, "guard.bin", bytes, sizeof bytes), DP_OK);
}

static void test_guarded_readers_survive_reloads(void **state)
{
    (void)state;
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    assert_int_equal(dp_create(&(dp_desc){.workers = 2, .allocator = &f->alloc.iface}, &f->dp),
                     DP_OK);
    put(f, 1);
    assert_int_equal(dp_load(f->dp, "mem://guard.bin", &f->h), DP_OK);
    assert_int_equal(dp_wait(f->dp, f->h, DP_TEST_WAIT_MS), DP_OK);
    pthread_t t[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&t[i], NULL, reader, f);
    int applied = 0;
    /* At least RELOADS reloads, and on until every reader finished a few guarded reads. */
    for (int gen = 2; gen < 2 + RELOADS || atomic_load(&f->reads) < READERS * 4; gen++) {
        put(f, gen);
        assert_int_equal(dp_reload(f->dp, f->h), DP_OK);
        /* Pump until this reload is applied (a MODIFIED event), up to the hang guard. */
        bool modified = false;
        for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
            dp_update(f->dp);
            const dp_event *ev;
            size_t n = dp_events(f->dp, &ev);
            for (size_t i = 0; i < n; i++)
                modified |= ev[i].kind == DP_EV_MODIFIED && dp_handle_eq(ev[i].handle, f->h);
            if (modified)
                break;
            sched_yield();
        }
        assert_true(modified); /* the reload was applied */
        applied++;
    }
    atomic_store(&f->stop, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(t[i], NULL);
    assert_true(applied >= RELOADS);
    assert_true(atomic_load(&f->reads) >= READERS * 4);
    assert_int_equal(dp_release(f->dp, f->h), DP_OK);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guarded_readers_survive_reloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
