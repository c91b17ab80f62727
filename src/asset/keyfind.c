/* keyfind.c — dp_find's hit without keys_lock.
 *
 * The reader probes the key table (asset_internal.h, dp__ktable) with relaxed loads and
 * takes a tag match only as a hint: it moves the count of whatever asset is alive at the
 * entry's slot (the CAS of every acquire, count.c), and only then compares that asset's key,
 * in its record. Holding a count, the key cannot be freed under it by an ordinary free (that
 * needs the count at 0) nor by the collector (its claim CAS expects the count it measured);
 * dp_evict makes a held asset DYING, and waits for finders before it frees the key
 * (dp__finders_wait). A table replaced by a bigger one stays until dp_destroy. Anything the
 * reader cannot decide (a miss, which may be an entry moving; a DYING word; a key that
 * differs) goes to the locked lookup in keys.c.
 *
 * Finder slots. Each thread has a slot per depot, picked by dp__thread_number, that only it
 * writes: odd while it probes and compares, even otherwise. The odd store is relaxed and
 * comes before the count CAS (seq_cst); dp_evict's CAS to DYING (acquire) comes after that
 * CAS in the word's order and reads from it or from later read-modify-writes, so the odd store
 * happens before dp_evict's scan of the slots, which then waits for an odd slot to change.
 * The even store is a release: the key compare happens before the free that follows the wait.
 * A finder whose CAS comes after the DYING fails it and never reads the key. */
#include <sched.h>
#include <string.h>

#include "asset/asset_internal.h"

typedef struct dp__fslot {
    _Atomic uint32_t seq; /* odd while its thread is inside a lock-free find */
    char pad[60];         /* one slot per cache line: finders do not share lines */
} dp__fslot;

struct dp__fchunk {
    dp__fslot slot[DP__FINDER_CHUNK];
};

/* Test hook (dp__find_set_test_hook): set before the threads that find start. */
static void (*test_hook)(dp_handle counted);

void dp__find_set_test_hook(void (*fn)(dp_handle counted))
{
    test_hook = fn;
}

/* The calling thread's finder slot in dp, made on first use; NULL if the thread has no
 * number or the chunk could not be allocated (the caller then takes the lock). */
static _Atomic uint32_t *my_slot(dp_depot *dp)
{
    uint32_t n = dp__thread_number();
    if (n >= DP__THREAD_NUMBERS)
        return NULL;
    _Atomic(struct dp__fchunk *) *cp = &dp->finders[n / DP__FINDER_CHUNK];
    /* Acquire: pairs with the CAS that published the chunk; its slots are zeroed. */
    struct dp__fchunk *c = atomic_load_explicit(cp, memory_order_acquire);
    if (!c) {
        struct dp__fchunk *mine = dp__calloc(&dp->alloc, 1, sizeof *mine);
        if (!mine)
            return NULL;
        /* acq_rel: publishes the zeroed chunk; a failed CAS (acquire) takes the winner's. */
        if (atomic_compare_exchange_strong_explicit(cp, &c, mine, memory_order_acq_rel,
                                                    memory_order_acquire))
            c = mine;
        else
            dp__free(&dp->alloc, mine);
    }
    return &c->slot[n % DP__FINDER_CHUNK].seq;
}

/* The first entry of t tagged `tag` on key's probe path: its slot index + 1, or 0 if the
 * probe meets an empty entry first (or passes every entry, which a reader racing writers
 * may). */
static uint32_t probe(const dp__ktable *t, uint32_t tag)
{
    size_t mask = t->cap - 1;
    for (size_t i = tag & mask, n = 0; n <= mask; i = (i + 1) & mask, n++) {
        /* Relaxed: a hint; the slot word and the record's key decide. */
        uint64_t e = atomic_load_explicit(&((dp__ktable *)t)->e[i], memory_order_relaxed);
        if (e == 0)
            return 0;
        if ((uint32_t)e == tag)
            return (uint32_t)(e >> 32) + 1;
    }
    return 0;
}

/* The hit without keys_lock: DP_OK with a count on the live asset of `key`, recording
 * file:line as its holder; DP_ERR_NOT_FOUND when it cannot tell (a miss, an entry moving,
 * an asset being freed or claimed, a key that differs). */
static dp_status find_fast(dp_depot *dp, const char *key, uint32_t tag, dp_handle *out,
                           const char *file, int line)
{
    _Atomic uint32_t *slot = my_slot(dp);
    if (!slot)
        return DP_ERR_NOT_FOUND;
    /* Relaxed: only this thread writes its slot. The odd store is ordered before dp_evict's
     * scan by the count CAS that follows it (see the top of this file). */
    uint32_t seq = atomic_load_explicit(slot, memory_order_relaxed);
    atomic_store_explicit(slot, seq + 1, memory_order_relaxed);
    /* Acquire: pairs with reserve_key's release; the table's entries are there. */
    const dp__ktable *t = atomic_load_explicit(&dp->ktab, memory_order_acquire);
    uint32_t at = t ? probe(t, tag) : 0;
    dp_handle h = DP_NULL_HANDLE;
    uint32_t old = 0;
    dp__asset *r = NULL;
    bool counted = at && dp__count_up_at(dp, at - 1, &h, &old, &r) == DP_OK;
    if (counted && test_hook)
        test_hook(h);
    /* The key is read only under the count just taken. */
    const char *k = counted ? dp__rec_key(r) : NULL;
    bool same = k && !strcmp(k, key);
    /* Release: the compare above happens before a dp_evict that waits for this store. */
    atomic_store_explicit(slot, seq + 2, memory_order_release);
    if (!counted)
        return DP_ERR_NOT_FOUND;
    dp__acquired(dp, h, r, old, file, line);
    if (same) {
        *out = h;
        return DP_OK;
    }
    /* A hash tag shared with another key, or an entry of an older table that named this
     * slot: the count goes back as any retain + release would. */
    dp__release(dp, h);
    return DP_ERR_NOT_FOUND;
}

dp_status dp__find(dp_depot *dp, const char *key, dp_handle *out, const char *file, int line)
{
    uint32_t tag = dp__key_tag(dp__hash(key));
    if (find_fast(dp, key, tag, out, file, line) == DP_OK)
        return DP_OK;
    return dp__find_locked(dp, key, tag, out, file, line);
}

void dp__finders_wait(dp_depot *dp)
{
    for (uint32_t k = 0; k < DP__FINDER_CHUNKS; k++) {
        /* Acquire: as in my_slot. */
        struct dp__fchunk *c = atomic_load_explicit(&dp->finders[k], memory_order_acquire);
        if (!c)
            continue;
        for (uint32_t i = 0; i < DP__FINDER_CHUNK; i++) {
            _Atomic uint32_t *s = &c->slot[i].seq;
            /* Acquire: pairs with the finder's release of its even value. */
            uint32_t v = atomic_load_explicit(s, memory_order_acquire);
            while ((v & 1u) && atomic_load_explicit(s, memory_order_acquire) == v)
                sched_yield();
        }
    }
}

void dp__finders_free(dp_depot *dp)
{
    for (uint32_t k = 0; k < DP__FINDER_CHUNKS; k++) {
        /* Relaxed: dp_destroy, when no other thread uses the depot. */
        dp__free(&dp->alloc, atomic_load_explicit(&dp->finders[k], memory_order_relaxed));
        atomic_store_explicit(&dp->finders[k], NULL, memory_order_relaxed);
    }
}
