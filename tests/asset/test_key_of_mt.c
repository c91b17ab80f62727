/* test_key_of_mt.c — dp_key_of on a thread that holds a reference while the owner evicts the
 * asset: a key pointer got before the evict stays readable until the owner's next dp_update
 * (inside a read guard, until the guard ends), and a handle the evict made stale answers
 * NULL, never the key of the asset that took its slot. dp_evict under NOMEM changes nothing.
 * Handshakes are event-driven; the race is bounded by an incarnation count. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

static int payload; /* every asset's data: the tests look at keys only */

static void keep_payload(void *asset, void *user)
{
    (void)asset;
    (void)user;
}

typedef struct bench {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id type;
    dp_handle h;
    atomic_int step; /* handshake: the worker and the owner take turns */
} bench;

static bench *open_bench(void)
{
    bench *b = calloc(1, sizeof *b);
    dp_test_alloc_init(&b->alloc);
    assert_int_equal(dp_create(&(dp_desc){.allocator = &b->alloc.iface}, &b->dp), DP_OK);
    dp_type t = {.name = "plain", .destroy = keep_payload};
    assert_int_equal(dp_register_type(b->dp, &t, &b->type), DP_OK);
    return b;
}

static void close_bench(bench *b)
{
    assert_int_equal(dp_destroy(b->dp), 0);
    assert_int_equal(atomic_load(&b->alloc.live), 0); /* retired keys are freed too */
    free(b);
}

static void await_step(bench *b, int s)
{
    while (atomic_load(&b->step) < s)
        sched_yield();
}

/* ---- a key got before dp_evict ---------------------------------------------------------- */

static void *holder_reads_key_across_evict(void *arg)
{
    bench *b = arg;
    assert_int_equal(dp_retain(b->dp, b->h), DP_OK);
    const char *key = dp_key_of(b->dp, b->h);
    assert_non_null(key);
    atomic_store(&b->step, 1);
    await_step(b, 2);                              /* the owner evicted */
    assert_string_equal(key, "keys/held");         /* heap-use-after-free before the fix */
    assert_null(dp_key_of(b->dp, b->h));           /* the handle is stale now */
    assert_int_equal(dp_release(b->dp, b->h), DP_ERR_STALE);
    atomic_store(&b->step, 3);
    return NULL;
}

static void test_a_key_got_before_dp_evict_stays_readable_until_the_next_update(void **state)
{
    (void)state;
    bench *b = open_bench();
    assert_int_equal((dp_add)(b->dp, b->type, &payload, 1, "keys/held", &b->h), DP_OK);
    dp_update(b->dp);
    pthread_t t;
    pthread_create(&t, NULL, holder_reads_key_across_evict, b);
    await_step(b, 1);
    assert_int_equal(dp_evict(b->dp, b->h), DP_OK);
    atomic_store(&b->step, 2);
    await_step(b, 3);
    pthread_join(t, NULL);
    dp_update(b->dp);
    assert_null(dp_key_of(b->dp, b->h));
    close_bench(b);
}

static void *guarded_holder_reads_key_across_updates(void *arg)
{
    bench *b = arg;
    dp_read_guard g;
    assert_int_equal(dp_read_begin(b->dp, &g), DP_OK);
    assert_int_equal(dp_retain(b->dp, b->h), DP_OK);
    const char *key = dp_key_of(b->dp, b->h);
    assert_non_null(key);
    atomic_store(&b->step, 1);
    await_step(b, 2);                              /* evicted, then several updates */
    assert_string_equal(key, "keys/guarded");
    dp_read_end(b->dp, &g);
    atomic_store(&b->step, 3);
    return NULL;
}

static void test_a_key_got_inside_a_read_guard_stays_readable_until_the_guard_ends(void **state)
{
    (void)state;
    bench *b = open_bench();
    assert_int_equal((dp_add)(b->dp, b->type, &payload, 1, "keys/guarded", &b->h), DP_OK);
    dp_update(b->dp);
    pthread_t t;
    pthread_create(&t, NULL, guarded_holder_reads_key_across_updates, b);
    await_step(b, 1);
    assert_int_equal(dp_evict(b->dp, b->h), DP_OK);
    for (int i = 0; i < 5; i++)
        dp_update(b->dp);
    long held = atomic_load(&b->alloc.live);
    atomic_store(&b->step, 2);
    await_step(b, 3);
    pthread_join(t, NULL);
    dp_update(b->dp);
    assert_true(atomic_load(&b->alloc.live) < held); /* guard ended: the key went */
    close_bench(b);
}

/* ---- a stale handle's dp_key_of against the slot's next asset ------------------------------ */

/* The owner evicts incarnation n - 1, updates (its slot goes back to the pool) and adds
 * incarnation n with key "inc/<n>" (it takes that slot). Readers hold a count on the newest
 * incarnation they saw and ask for its key inside a read guard: the answer is "inc/<n>" or
 * NULL, never the next incarnation's key nor a freed one (ASan), and the key field is never
 * read racing the owner's store (TSan). */
enum { INCARNATIONS = 1000, KEY_READERS = 3, KEYS_PER_LOOK = 16 };

typedef struct slot_race {
    bench *b;
    dp_handle *h;       /* incarnation n's handle, written before `current` names it */
    atomic_int current; /* the newest published incarnation */
    atomic_int done;
    atomic_long wrong;  /* dp_key_of answered neither NULL nor the incarnation's key */
    atomic_long looks;
} slot_race;

static void *stale_key_reader(void *arg)
{
    slot_race *s = arg;
    char expect[32];
    while (!atomic_load(&s->done)) {
        /* Acquire: the incarnation's handle is written before `current` names it. */
        int n = atomic_load_explicit(&s->current, memory_order_acquire);
        dp_handle h = s->h[n];
        snprintf(expect, sizeof expect, "inc/%d", n);
        dp_read_guard g;
        assert_int_equal(dp_read_begin(s->b->dp, &g), DP_OK);
        if (dp_retain(s->b->dp, h) == DP_OK) {
            for (int r = 0; r < KEYS_PER_LOOK; r++) {
                const char *key = dp_key_of(s->b->dp, h);
                if (key && strcmp(key, expect) != 0)
                    atomic_fetch_add(&s->wrong, 1);
            }
            dp_status st = dp_release(s->b->dp, h);
            assert_true(st == DP_OK || st == DP_ERR_STALE);
        }
        dp_read_end(s->b->dp, &g);
        atomic_fetch_add(&s->looks, 1);
    }
    return NULL;
}

static void add_keyed_incarnation(slot_race *s, int n)
{
    char key[32];
    snprintf(key, sizeof key, "inc/%d", n);
    assert_int_equal((dp_add)(s->b->dp, s->b->type, &payload, 1, key, &s->h[n]), DP_OK);
    /* Release: the handle is written before a reader sees its number. */
    atomic_store_explicit(&s->current, n, memory_order_release);
}

static void test_key_of_on_an_evicted_handle_never_returns_the_next_assets_key(void **state)
{
    (void)state;
    slot_race s = {.b = open_bench()};
    s.h = calloc(INCARNATIONS, sizeof *s.h);
    add_keyed_incarnation(&s, 0);
    dp_update(s.b->dp);
    pthread_t readers[KEY_READERS];
    for (int i = 0; i < KEY_READERS; i++)
        pthread_create(&readers[i], NULL, stale_key_reader, &s);
    for (int n = 1; n < INCARNATIONS; n++) {
        assert_int_equal(dp_evict(s.b->dp, s.h[n - 1]), DP_OK);
        dp_update(s.b->dp);
        add_keyed_incarnation(&s, n);
        sched_yield(); /* let a reader run on this core, and be preempted anywhere */
    }
    /* On a loaded machine the readers may not have run yet: wait for a few looks each. */
    while (atomic_load(&s.looks) < KEY_READERS * 4)
        sched_yield();
    atomic_store(&s.done, 1);
    for (int i = 0; i < KEY_READERS; i++)
        pthread_join(readers[i], NULL);
    /* The last add took the slot of the asset evicted just before it. */
    assert_int_equal(dp_handle_index(s.h[INCARNATIONS - 1]),
                     dp_handle_index(s.h[INCARNATIONS - 2]));
    assert_int_equal(atomic_load(&s.wrong), 0);
    assert_int_equal(dp_evict(s.b->dp, s.h[INCARNATIONS - 1]), DP_OK);
    dp_update(s.b->dp);
    close_bench(s.b);
    free(s.h);
}

/* ---- dp_evict without memory to retire ---------------------------------------------------- */

static void test_evict_without_room_to_retire_changes_nothing(void **state)
{
    (void)state;
    bench *b = open_bench();
    assert_int_equal((dp_add)(b->dp, b->type, &payload, 1, "keys/nomem", &b->h), DP_OK);
    dp_update(b->dp);
    dp_test_alloc_fail_at(&b->alloc, 1); /* the retired queue's first allocation */
    assert_int_equal(dp_evict(b->dp, b->h), DP_ERR_NOMEM);
    dp_test_alloc_fail_at(&b->alloc, 0);
    assert_int_equal(dp_count(b->dp, b->h), 1);
    assert_string_equal(dp_key_of(b->dp, b->h), "keys/nomem");
    assert_int_equal(dp_evict(b->dp, b->h), DP_OK);
    assert_null(dp_key_of(b->dp, b->h));
    dp_update(b->dp);
    close_bench(b);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_key_got_before_dp_evict_stays_readable_until_the_next_update),
        cmocka_unit_test(test_a_key_got_inside_a_read_guard_stays_readable_until_the_guard_ends),
        cmocka_unit_test(test_key_of_on_an_evicted_handle_never_returns_the_next_assets_key),
        cmocka_unit_test(test_evict_without_room_to_retire_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
