/* test_pool_stress_mt.c — reservers on other threads race the owner's allocs, frees and
 * publishes. Bounded by iteration counts (not time), so it stays quick under TSan. */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pool/pool_internal.h"

enum {
    RESERVERS = 3,
    PER_RESERVER = 100000,  /* reserves per reserver thread */
    OWNER_ITERS = 300000,  /* owner alloc/free steps */
    OWNER_CAP = 2048,      /* handles the owner keeps at most */
    HAND_EVERY = 3,        /* a reserver hands every 3rd handle to the owner to free */
};

/* The hand-over queue: reservers push, the owner drains. A plain mutex is fine here. */
typedef struct queue {
    pthread_mutex_t mu;
    dp_handle items[RESERVERS * PER_RESERVER];
    size_t n;
} queue;

typedef struct shared {
    dp_pool *pool;
    queue q;
    atomic_long errors;    /* failures seen on other threads (cmocka asserts are not MT) */
    atomic_int reservers_done;
    atomic_int go;         /* start line, so that the threads really overlap */
} shared;

typedef struct reserver {
    pthread_t thread;
    shared *sh;
    uint64_t seed;
    dp_handle kept[PER_RESERVER];
    size_t nkept;
} reserver;

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void *reserver_main(void *arg)
{
    reserver *r = arg;
    shared *sh = r->sh;
    while (!atomic_load(&sh->go))
        ;
    for (int i = 0; i < PER_RESERVER; i++) {
        dp_handle h;
        if (dp_pool_reserve(sh->pool, &h) != DP_OK || !dp_pool_alive(sh->pool, h)) {
            atomic_fetch_add(&sh->errors, 1);
            continue;
        }
        if (i % HAND_EVERY == 0) {
            pthread_mutex_lock(&sh->q.mu);
            sh->q.items[sh->q.n++] = h;
            pthread_mutex_unlock(&sh->q.mu);
        } else {
            r->kept[r->nkept++] = h;
        }
        /* Something we keep must stay alive: only the owner frees, and only what we hand it. */
        if (r->nkept && !dp_pool_alive(sh->pool, r->kept[rnd(&r->seed) % r->nkept]))
            atomic_fetch_add(&sh->errors, 1);
    }
    atomic_fetch_add(&sh->reservers_done, 1);
    return NULL;
}

/* Frees everything the reservers handed over so far. Owner thread. */
static long drain_queue(shared *sh)
{
    static dp_handle batch[RESERVERS * PER_RESERVER];
    pthread_mutex_lock(&sh->q.mu);
    size_t n = sh->q.n;
    memcpy(batch, sh->q.items, n * sizeof batch[0]);
    sh->q.n = 0;
    pthread_mutex_unlock(&sh->q.mu);
    long bad = 0;
    for (size_t i = 0; i < n; i++)
        if (dp_pool_free(sh->pool, batch[i]) != DP_OK)
            bad++;
    return bad;
}

static void test_reservers_and_owner_never_share_a_slot(void **state)
{
    (void)state;
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    static shared sh;
    memset(&sh, 0, sizeof sh);
    pthread_mutex_init(&sh.q.mu, NULL);
    dp_pool_desc d = {.allocator = &ta.iface};
    assert_int_equal(dp_pool_create(&d, &sh.pool), DP_OK);

    static reserver rs[RESERVERS];
    memset(rs, 0, sizeof rs);
    for (int i = 0; i < RESERVERS; i++) {
        rs[i].sh = &sh;
        rs[i].seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        assert_int_equal(pthread_create(&rs[i].thread, NULL, reserver_main, &rs[i]), 0);
    }

    atomic_store(&sh.go, 1);
    /* Owner: alloc and free at random, free what reservers hand over, flush now and then. */
    static dp_handle own[OWNER_CAP];
    size_t nown = 0;
    uint64_t seed = 12345;
    long owner_errors = 0;
    for (int it = 0; it < OWNER_ITERS; it++) {
        uint64_t x = rnd(&seed);
        if (nown < OWNER_CAP && (x & 1)) {
            dp_handle h;
            if (dp_pool_alloc(sh.pool, &h) != DP_OK)
                owner_errors++;
            else
                own[nown++] = h;
        } else if (nown) {
            size_t k = (size_t)((x >> 8) % nown);
            if (!dp_pool_alive(sh.pool, own[k]) || dp_pool_free(sh.pool, own[k]) != DP_OK)
                owner_errors++;
            own[k] = own[--nown];
        }
        if (it % 64 == 0)
            owner_errors += drain_queue(&sh);
        if (it % 1000 == 999)
            dp_pool_flush(sh.pool);
    }
    for (int i = 0; i < RESERVERS; i++)
        pthread_join(rs[i].thread, NULL);
    owner_errors += drain_queue(&sh);
    assert_int_equal(owner_errors, 0);
    assert_int_equal(atomic_load(&sh.errors), 0);
    assert_int_equal(atomic_load(&sh.reservers_done), RESERVERS);

    /* Every live handle is alive and unique by index. */
    dp_pool_stats s;
    dp_pool_get_stats(sh.pool, &s);
    unsigned char *seen = calloc(s.high_water + 1, 1);
    assert_non_null(seen);
    uint64_t nlive = 0;
    for (int i = 0; i < RESERVERS; i++) {
        for (size_t j = 0; j < rs[i].nkept; j++) {
            dp_handle h = rs[i].kept[j];
            assert_true(dp_pool_alive(sh.pool, h));
            assert_true(dp_handle_index(h) < s.high_water);
            assert_int_equal(seen[dp_handle_index(h)], 0);
            seen[dp_handle_index(h)] = 1;
            nlive++;
        }
    }
    for (size_t j = 0; j < nown; j++) {
        assert_true(dp_pool_alive(sh.pool, own[j]));
        assert_int_equal(seen[dp_handle_index(own[j])], 0);
        seen[dp_handle_index(own[j])] = 1;
        nlive++;
    }
    /* The counts add up. */
    assert_int_equal(s.live, nlive);
    assert_int_equal(s.live + s.free_shared + s.free_local + s.retired, s.high_water);
    assert_int_equal(s.retired, 0);

    /* No lost slot: every index below high_water is live or comes back, exactly once. */
    dp_pool_flush(sh.pool);
    uint64_t drained = 0;
    for (;;) {
        dp_handle h;
        assert_int_equal(dp_pool_alloc(sh.pool, &h), DP_OK);
        if (dp_handle_index(h) >= s.high_water)
            break; /* a fresh index: the free list is empty */
        assert_int_equal(seen[dp_handle_index(h)], 0);
        seen[dp_handle_index(h)] = 1;
        drained++;
    }
    assert_int_equal(nlive + drained, s.high_water);
    free(seen);

    dp_pool_destroy(sh.pool);
    pthread_mutex_destroy(&sh.q.mu);
    assert_int_equal(atomic_load(&ta.live), 0);
}

/* Many threads race to install the same missing chunk; exactly one copy survives. */
typedef struct chunk_race {
    dp_pool *pool;
    pthread_barrier_t start; /* so that the reservers do overlap, not run one after another */
    dp_handle got[4][600];
} chunk_race;

static void *chunk_racer(void *arg)
{
    void **a = arg;
    chunk_race *cr = a[0];
    dp_handle *out = a[1];
    pthread_barrier_wait(&cr->start);
    for (int i = 0; i < 600; i++)
        if (dp_pool_reserve(cr->pool, &out[i]) != DP_OK)
            out[i] = DP_NULL_HANDLE;
    return NULL;
}

static void test_concurrent_growth_installs_each_chunk_once(void **state)
{
    (void)state;
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    static chunk_race cr;
    memset(&cr, 0, sizeof cr);
    dp_pool_desc d = {.allocator = &ta.iface, .payload_size = 32};
    assert_int_equal(dp_pool_create(&d, &cr.pool), DP_OK);
    pthread_barrier_init(&cr.start, NULL, 4);
    pthread_t t[4];
    void *args[4][2];
    for (int i = 0; i < 4; i++) {
        args[i][0] = &cr;
        args[i][1] = cr.got[i];
        assert_int_equal(pthread_create(&t[i], NULL, chunk_racer, args[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&cr.start);
    unsigned char seen[2400] = {0};
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 600; j++) {
            dp_handle h = cr.got[i][j];
            assert_true(dp_pool_alive(cr.pool, h));
            assert_true(dp_handle_index(h) < 2400);
            assert_int_equal(seen[dp_handle_index(h)], 0);
            seen[dp_handle_index(h)] = 1;
        }
    }
    dp_pool_stats s;
    dp_pool_get_stats(cr.pool, &s);
    assert_int_equal(s.chunks, 3); /* 512 + 1024 + 2048 >= 2400 */
    assert_int_equal(s.live, 2400);
    assert_int_equal(s.bytes, (uint64_t)atomic_load(&ta.live_bytes));
    dp_pool_destroy(cr.pool);
    assert_int_equal(atomic_load(&ta.live), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reservers_and_owner_never_share_a_slot),
        cmocka_unit_test(test_concurrent_growth_installs_each_chunk_once),
    };
    return cmocka_run_group_tests_name("pool_stress_mt", tests, NULL, NULL);
}
