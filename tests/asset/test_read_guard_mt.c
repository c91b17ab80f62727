/* test_read_guard_mt.c — worker threads that hold a count read an asset's data while the
 * owner evicts, replaces and updates: a dp_get pointer stays readable until the next update,
 * and inside a read guard until the guard ends (run under ASan and TSan). Handshakes are
 * event-driven; the stress is bounded by iteration counts. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

enum { PAYLOAD = 64, MAXOBJ = 1 << 16 };

typedef struct blob {
    uint32_t magic;
    uint32_t id;
    uint8_t bytes[PAYLOAD]; /* every byte == (uint8_t)id */
} blob;

typedef struct world {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id type;
    atomic_int nobj;
    atomic_int destroyed;
    /* handshake between the owner and one worker */
    atomic_int step;
    dp_handle h;
    /* stress */
    atomic_int stop;
    atomic_long reads;
} world;

static void destroy_blob(void *asset, void *user)
{
    world *w = user;
    blob *b = asset;
    assert_int_equal(b->magic, 0xb10b);
    b->magic = 0xdead;
    atomic_fetch_add(&w->destroyed, 1);
    free(b);
}

static blob *mk(world *w)
{
    blob *b = malloc(sizeof *b);
    b->magic = 0xb10b;
    b->id = (uint32_t)atomic_fetch_add(&w->nobj, 1);
    memset(b->bytes, (int)(uint8_t)b->id, sizeof b->bytes);
    return b;
}

static world *make_world(void)
{
    world *w = calloc(1, sizeof *w);
    dp_test_alloc_init(&w->alloc);
    assert_int_equal(dp_create(&(dp_desc){.allocator = &w->alloc.iface}, &w->dp), DP_OK);
    dp_type t = {.name = "blob", .destroy = destroy_blob, .user = w};
    assert_int_equal(dp_register_type(w->dp, &t, &w->type), DP_OK);
    return w;
}

static void end_world(world *w)
{
    assert_int_equal(dp_destroy(w->dp), 0);
    assert_int_equal(atomic_load(&w->alloc.live), 0);
    assert_int_equal(atomic_load(&w->destroyed), atomic_load(&w->nobj));
    free(w);
}

/* Reads every byte of a blob and checks it is intact. */
static void read_blob(const blob *b)
{
    assert_int_equal(b->magic, 0xb10b);
    for (int i = 0; i < PAYLOAD; i++)
        assert_int_equal(b->bytes[i], (uint8_t)b->id);
}

static void wait_step(world *w, int s)
{
    while (atomic_load(&w->step) < s)
        sched_yield();
}

/* ---- defect 1: a worker's pointer outlives the owner's evict until the next update -------- */

static void *evict_reader(void *arg)
{
    world *w = arg;
    assert_int_equal(dp_retain(w->dp, w->h), DP_OK);
    const blob *b = dp_get(w->dp, w->h);
    assert_non_null(b);
    atomic_store(&w->step, 1);
    wait_step(w, 2); /* the owner evicted */
    read_blob(b);    /* heap-use-after-free before the fix */
    assert_int_equal(dp_release(w->dp, w->h), DP_ERR_STALE);
    atomic_store(&w->step, 3);
    return NULL;
}

static void pass_quarantine(world *w) { dp_test_pass_quarantine(w->dp); }

static void test_worker_reads_evicted_data_until_the_next_update(void **state)
{
    (void)state;
    world *w = make_world();
    assert_int_equal((dp_add)(w->dp, w->type, mk(w), sizeof(blob), "k", &w->h), DP_OK);
    dp_update(w->dp);
    pthread_t t;
    pthread_create(&t, NULL, evict_reader, w);
    wait_step(w, 1);
    assert_int_equal(dp_evict(w->dp, w->h), DP_OK);
    atomic_store(&w->step, 2);
    wait_step(w, 3);
    pthread_join(t, NULL);
    dp_update(w->dp);
    dp_update(w->dp);
    pass_quarantine(w);
    assert_int_equal(atomic_load(&w->destroyed), 1);
    end_world(w);
}

/* ---- defect 11: a guard keeps data alive across updates -------------------------------------- */

static void *guarded_reader(void *arg)
{
    world *w = arg;
    dp_read_guard g;
    assert_int_equal(dp_retain(w->dp, w->h), DP_OK);
    assert_int_equal(dp_read_begin(w->dp, &g), DP_OK);
    const blob *b = dp_get(w->dp, w->h);
    assert_non_null(b);
    atomic_store(&w->step, 1);
    wait_step(w, 2); /* the owner replaced the data and ran several updates */
    read_blob(b);    /* freed one update after the replace before guards existed */
    dp_read_end(w->dp, &g);
    assert_int_equal(dp_release(w->dp, w->h), DP_OK);
    atomic_store(&w->step, 3);
    return NULL;
}

static void test_guard_keeps_replaced_data_across_updates(void **state)
{
    (void)state;
    world *w = make_world();
    assert_int_equal((dp_add)(w->dp, w->type, mk(w), sizeof(blob), "k", &w->h), DP_OK);
    dp_update(w->dp);
    pthread_t t;
    pthread_create(&t, NULL, guarded_reader, w);
    wait_step(w, 1);
    assert_int_equal(dp_replace(w->dp, w->h, mk(w), sizeof(blob)), DP_OK);
    for (int i = 0; i < 5; i++)
        dp_update(w->dp);
    assert_int_equal(atomic_load(&w->destroyed), 0); /* the guard still sees the old data */
    atomic_store(&w->step, 2);
    wait_step(w, 3);
    pthread_join(t, NULL);
    dp_update(w->dp);
    pass_quarantine(w);
    assert_int_equal(atomic_load(&w->destroyed), 1); /* guard ended: the old data went */
    assert_int_equal(dp_release(w->dp, w->h), DP_OK);
    end_world(w);
}

static void *evicted_guard_reader(void *arg)
{
    world *w = arg;
    dp_read_guard g;
    assert_int_equal(dp_read_begin(w->dp, &g), DP_OK);
    assert_int_equal(dp_retain(w->dp, w->h), DP_OK);
    const blob *b = dp_get(w->dp, w->h);
    atomic_store(&w->step, 1);
    wait_step(w, 2);
    read_blob(b);
    dp_read_end(w->dp, &g);
    atomic_store(&w->step, 3);
    return NULL;
}

static void test_guard_keeps_evicted_data_across_updates(void **state)
{
    (void)state;
    world *w = make_world();
    assert_int_equal((dp_add)(w->dp, w->type, mk(w), sizeof(blob), "k", &w->h), DP_OK);
    dp_update(w->dp);
    pthread_t t;
    pthread_create(&t, NULL, evicted_guard_reader, w);
    wait_step(w, 1);
    assert_int_equal(dp_evict(w->dp, w->h), DP_OK);
    for (int i = 0; i < 5; i++)
        dp_update(w->dp);
    assert_int_equal(atomic_load(&w->destroyed), 0);
    atomic_store(&w->step, 2);
    wait_step(w, 3);
    pthread_join(t, NULL);
    dp_update(w->dp);
    pass_quarantine(w);
    assert_int_equal(atomic_load(&w->destroyed), 1);
    end_world(w);
}

/* ---- a stale handle's dp_get against the slot's next asset ----------------------------------- */

/* An evicted asset's slot goes to a new asset at the next dp_add after an update. A dp_get on
 * the evicted handle that read the slot word before the evict and the data pointer after the
 * re-add returned the new asset's data (under TSan: a read of a blob with no happens-before
 * with its malloc). Readers only compare pointers: incarnation n's data is slab[n] (never
 * freed during the test, so no address comes back), and a dp_get on its handle may return
 * slab[n] or NULL, nothing else. The same holds for the record's other fields that other
 * threads read: incarnation n has size SIZE_OF(n), and dp_bytes_of on its handle answers that
 * or 0 (a stale handle), never the next incarnation's size. */
enum { INCARNATIONS = 1000, GET_READERS = 4, GETS_PER_LOOK = 16 };
#define SIZE_OF(n) ((size_t)(n) + 1000)

typedef struct stale_world {
    world *w;
    dp_type_id slab_type;
    blob *slab;          /* incarnation n's data */
    dp_handle *h;        /* incarnation n's handle, written before `current` names it */
    atomic_int current;  /* the newest published incarnation */
    atomic_int done;
    atomic_long wrong;   /* dp_get returned neither NULL nor the incarnation's own data */
    atomic_long wrong_size; /* dp_bytes_of answered neither 0 nor the incarnation's size */
    atomic_long looks;
} stale_world;

static void destroy_slab(void *asset, void *user)
{
    (void)asset;
    atomic_fetch_add(&((world *)user)->destroyed, 1); /* the slab is freed by the test */
}

static void *stale_getter(void *arg)
{
    stale_world *s = arg;
    while (!atomic_load(&s->done)) {
        /* Acquire: the incarnation's handle is written before `current` names it. */
        int n = atomic_load_explicit(&s->current, memory_order_acquire);
        dp_handle h = s->h[n];
        for (int r = 0; r < GETS_PER_LOOK; r++) {
            const void *got = dp_get(s->w->dp, h);
            if (got && got != &s->slab[n])
                atomic_fetch_add(&s->wrong, 1);
            size_t size = dp_bytes_of(s->w->dp, h);
            if (size && size != SIZE_OF(n))
                atomic_fetch_add(&s->wrong_size, 1);
        }
        atomic_fetch_add(&s->looks, 1);
    }
    return NULL;
}

/* Incarnation n: slab[n] added without a key (the pool gives it the slot freed last). */
static void add_incarnation(stale_world *s, int n)
{
    atomic_fetch_add(&s->w->nobj, 1);
    assert_int_equal((dp_add)(s->w->dp, s->slab_type, &s->slab[n], SIZE_OF(n), NULL, &s->h[n]),
                     DP_OK);
    /* Release: the handle is written before a reader sees its number. */
    atomic_store_explicit(&s->current, n, memory_order_release);
}

static void test_get_on_an_evicted_handle_never_returns_the_next_assets_data(void **state)
{
    (void)state;
    stale_world s = {.w = make_world()};
    dp_type slab = {.name = "slab", .destroy = destroy_slab, .user = s.w};
    assert_int_equal(dp_register_type(s.w->dp, &slab, &s.slab_type), DP_OK);
    s.slab = calloc(INCARNATIONS, sizeof *s.slab);
    s.h = calloc(INCARNATIONS, sizeof *s.h);
    add_incarnation(&s, 0);
    dp_update(s.w->dp);
    pthread_t readers[GET_READERS];
    for (int i = 0; i < GET_READERS; i++)
        pthread_create(&readers[i], NULL, stale_getter, &s);
    /* Every incarnation, and on until the readers looked a few times (on a loaded machine they
     * may not have run yet). Evict the newest; the update gives its slot back to the pool and
     * the next dp_add takes it. */
    for (int n = 1; n < INCARNATIONS; n++) {
        assert_int_equal(dp_evict(s.w->dp, s.h[n - 1]), DP_OK);
        dp_update(s.w->dp);
        add_incarnation(&s, n);
        sched_yield(); /* let a reader run on this core, and be preempted anywhere */
    }
    while (atomic_load(&s.looks) < GET_READERS * 4)
        sched_yield();
    atomic_store(&s.done, 1);
    for (int i = 0; i < GET_READERS; i++)
        pthread_join(readers[i], NULL);
    /* The last add took the slot of the asset evicted just before it. */
    assert_int_equal(dp_handle_index(s.h[INCARNATIONS - 1]), dp_handle_index(s.h[INCARNATIONS - 2]));
    assert_int_equal(atomic_load(&s.wrong), 0);
    assert_int_equal(atomic_load(&s.wrong_size), 0);
    assert_int_equal(dp_evict(s.w->dp, s.h[INCARNATIONS - 1]), DP_OK);
    dp_update(s.w->dp);
    dp_update(s.w->dp);
    end_world(s.w);
    free(s.slab);
    free(s.h);
}

/* ---- stress: readers against replaces, evicts and re-adds --------------------------------- */

enum { KEYS = 8, READERS = 4, FRAMES = 1500 };

static void *stress_reader(void *arg)
{
    world *w = arg;
    char key[8];
    uint32_t seed = (uint32_t)(uintptr_t)&seed | 1u;
    while (!atomic_load(&w->stop)) {
        seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
        snprintf(key, sizeof key, "k%u", seed % KEYS);
        dp_handle h;
        if (dp_find(w->dp, key, &h) != DP_OK)
            continue; /* evicted and not added again yet */
        dp_read_guard g;
        assert_int_equal(dp_read_begin(w->dp, &g), DP_OK);
        /* Several reads of one asset under one guard, with updates in between. */
        for (int r = 0; r < 4; r++) {
            const blob *b = dp_get(w->dp, h);
            if (b)
                read_blob(b);
            sched_yield();
            if (b)
                read_blob(b); /* the same pointer again, possibly after replace or evict */
        }
        dp_read_end(w->dp, &g);
        dp_status st = dp_release(w->dp, h);
        assert_true(st == DP_OK || st == DP_ERR_STALE);
        atomic_fetch_add(&w->reads, 1);
    }
    return NULL;
}

static void test_guarded_readers_race_replaces_evicts_and_updates(void **state)
{
    (void)state;
    world *w = make_world();
    dp_handle keys[KEYS];
    char key[8];
    for (int k = 0; k < KEYS; k++) {
        snprintf(key, sizeof key, "k%d", k);
        assert_int_equal((dp_add)(w->dp, w->type, mk(w), sizeof(blob), key, &keys[k]), DP_OK);
    }
    dp_update(w->dp);
    pthread_t t[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&t[i], NULL, stress_reader, w);
    uint32_t seed = 12345;
    /* At least FRAMES frames, and on until the readers finished some guarded reads. Once the
     * object budget is spent the owner only updates and yields: on a loaded machine the
     * readers may not have run at all yet, and they need frames, not new objects. */
    for (int frame = 0; frame < FRAMES || atomic_load(&w->reads) < READERS * 4; frame++) {
        if (atomic_load(&w->nobj) >= MAXOBJ - KEYS * 4) {
            dp_update(w->dp);
            sched_yield();
            continue;
        }
        for (int n = 0; n < 3; n++) {
            seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
            int k = (int)(seed % KEYS);
            if (seed & 0x100) {
                assert_int_equal(dp_replace(w->dp, keys[k], mk(w), sizeof(blob)), DP_OK);
            } else {
                /* Evict, and add the key again (it is free at once). */
                assert_int_equal(dp_evict(w->dp, keys[k]), DP_OK);
                snprintf(key, sizeof key, "k%d", k);
                assert_int_equal((dp_add)(w->dp, w->type, mk(w), sizeof(blob), key, &keys[k]),
                                 DP_OK);
            }
        }
        dp_update(w->dp);
    }
    atomic_store(&w->stop, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(t[i], NULL);
    for (int k = 0; k < KEYS; k++)
        assert_int_equal(dp_release(w->dp, keys[k]), DP_OK);
    dp_update(w->dp);
    dp_update(w->dp);
    assert_true(atomic_load(&w->reads) >= READERS * 4);
    end_world(w);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worker_reads_evicted_data_until_the_next_update),
        cmocka_unit_test(test_guard_keeps_replaced_data_across_updates),
        cmocka_unit_test(test_guard_keeps_evicted_data_across_updates),
        cmocka_unit_test(test_get_on_an_evicted_handle_never_returns_the_next_assets_data),
        cmocka_unit_test(test_guarded_readers_race_replaces_evicts_and_updates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
