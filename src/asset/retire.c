/* retire.c — data that left its asset while someone may still read it (replaced by a reload
 * or dp_replace, or its asset evicted) is retired, not destroyed, and read guards that let a
 * worker read data across updates. An evicted asset's key string is retired with its data:
 * a holder may have it from dp_key_of.
 *
 * Epochs. The owner advances dp->epoch by one at the start of every dp_update. A retired
 * datum is tagged with the epoch of its retirement and with the first epoch at which the
 * frame rule lets it go (the next update, or the one after for data swapped between
 * updates). A read guard is a reader slot that holds (epoch << 1) | 1 while it is open: the
 * epoch the reader saw when it started. The owner destroys a datum once its epoch has come
 * and every open guard started in a later epoch than its retirement: such a guard began
 * after the owner had swapped the datum out, so it cannot have seen it.
 *
 * Ordering. The reader stores its slot and then re-reads the epoch (both seq_cst); the owner
 * increments the epoch and then reads the slots (both seq_cst). If the owner's scan misses
 * a reader's slot, the reader's re-read comes after the increment in the single total order,
 * reads from it, and so sees everything the owner did before it (the swap or the evict).
 * Slots live in chunks that are never freed before dp_destroy, so any thread may scan them. */
#include "asset/asset_internal.h"
#include "asset/quarantine.h"

#define SLOTS_PER_CHUNK 64

typedef struct dp__rslot {
    _Atomic uint64_t v; /* 0 = free, else (epoch << 1) | 1 */
    char pad[56];       /* one slot per cache line: readers do not share lines */
} dp__rslot;

struct dp__rchunk {
    struct dp__rchunk *next; /* written before the chunk is published, then fixed */
    dp__rslot slot[SLOTS_PER_CHUNK];
};

/* ---- the retired queue (owner) ------------------------------------------------------------ */

static void destroy_one(dp_depot *dp, const dp__retired *it)
{
    dp__data_dispose(dp, it->type, it->data, it->label); /* the quarantine may take it */
    dp__free(&dp->alloc, it->key);
}

dp_status dp__retire_reserve(dp_depot *dp)
{
    if (dp->nretired < dp->capretired)
        return DP_OK;
    return dp__grow(&dp->alloc, (void **)&dp->retired, &dp->capretired, dp->nretired + 1,
                    sizeof *dp->retired);
}

void dp__retire_at(dp_depot *dp, dp_type_id type, void *data, char *key, uint64_t delay,
                   struct dp__qlabel *label)
{
    if (!data && !key) {
        dp__quarantine_unlabel(dp, label);
        return;
    }
    if (dp__retire_reserve(dp) != DP_OK) {
        destroy_one(dp, &(dp__retired){.type = type, .data = data, .key = key, .label = label});
        return; /* no room to defer: the old rule of "now" (only under NOMEM) */
    }
    /* Relaxed: only the owner advances the epoch, and this is the owner. */
    uint64_t e = atomic_load_explicit(&dp->epoch, memory_order_relaxed);
    /* The queue stays sorted by both tags: retirements come in epoch order, and within one
     * epoch those made inside the update (delay 1) come before those made after it. */
    dp->retired[dp->nretired++] = (dp__retired){.type = type, .data = data, .key = key,
                                                .epoch = e, .due = e + delay, .label = label};
}

void dp__retire_data(dp_depot *dp, dp_handle h, dp_type_id type, void *data, uint8_t why)
{
    const dp__asset *r = dp__rec(dp, h);
    struct dp__qlabel *label = dp__quarantine_label(dp, h, r ? dp__rec_key(r) : NULL, why);
    /* Data swapped inside dp_update (a reload applied) dies at the following update; data
     * swapped between updates (dp_replace) is still this frame's, and dies one update after
     * the next. */
    dp__retire_at(dp, type, data, NULL, dp->cascade_now ? 1 : 2, label);
}

/* The oldest epoch an open guard started in; UINT64_MAX when none is open. */
static uint64_t oldest_reader(const dp_depot *dp)
{
    uint64_t min = UINT64_MAX;
    /* Acquire: a chunk's slots are initialised before it is published. */
    for (struct dp__rchunk *c = atomic_load_explicit(&((dp_depot *)dp)->readers,
                                                     memory_order_acquire);
         c; c = c->next) {
        for (int i = 0; i < SLOTS_PER_CHUNK; i++) {
            uint64_t v = atomic_load_explicit(&c->slot[i].v, memory_order_seq_cst);
            if ((v & 1u) && (v >> 1) < min)
                min = v >> 1;
        }
    }
    return min;
}

void dp__retire_advance(dp_depot *dp)
{
    uint64_t now = atomic_fetch_add_explicit(&dp->epoch, 1, memory_order_seq_cst) + 1;
    if (!dp->nretired)
        return;
    uint64_t oldest = oldest_reader(dp);
    size_t k = 0;
    while (k < dp->nretired && dp->retired[k].due <= now && dp->retired[k].epoch < oldest)
        destroy_one(dp, &dp->retired[k++]);
    if (k == 0)
        return;
    for (size_t i = k; i < dp->nretired; i++)
        dp->retired[i - k] = dp->retired[i];
    dp->nretired -= k;
}

void dp__retire_free(dp_depot *dp)
{
    for (size_t i = 0; i < dp->nretired; i++)
        destroy_one(dp, &dp->retired[i]);
    dp->nretired = 0;
    dp__free(&dp->alloc, dp->retired);
    dp->retired = NULL;
    dp->capretired = 0;
    /* Relaxed: dp_destroy, when no other thread uses the depot. */
    struct dp__rchunk *c = atomic_load_explicit(&dp->readers, memory_order_relaxed);
    while (c) {
        struct dp__rchunk *next = c->next;
        dp__free(&dp->alloc, c);
        c = next;
    }
    atomic_store_explicit(&dp->readers, NULL, memory_order_relaxed); /* relaxed: as above */
}

/* ---- read guards (any thread) -------------------------------------------------------------- */

/* Claims a free slot for a reader that saw epoch e, adding a chunk if all are taken. */
static _Atomic uint64_t *claim_slot(dp_depot *dp, uint64_t e)
{
    uint64_t mine = (e << 1) | 1u;
    /* Acquire: pairs with the CAS that published a chunk (seq_cst, so a release): its link and
     * first slot are visible. */
    struct dp__rchunk *head = atomic_load_explicit(&dp->readers, memory_order_acquire);
    for (struct dp__rchunk *c = head; c; c = c->next) {
        for (int i = 0; i < SLOTS_PER_CHUNK; i++) {
            uint64_t zero = 0;
            /* Relaxed: only a cheap look before the CAS, which checks again (seq_cst); a failed
             * CAS orders nothing, so its failure order is relaxed. */
            if (atomic_load_explicit(&c->slot[i].v, memory_order_relaxed) == 0 &&
                atomic_compare_exchange_strong_explicit(&c->slot[i].v, &zero, mine,
                                                        memory_order_seq_cst,
                                                        memory_order_relaxed))
                return &c->slot[i].v;
        }
    }
    struct dp__rchunk *n = dp__calloc(&dp->alloc, 1, sizeof *n);
    if (!n)
        return NULL;
    /* Relaxed: the chunk is not published yet; the CAS that publishes it orders this store. */
    atomic_store_explicit(&n->slot[0].v, mine, memory_order_relaxed);
    n->next = head;
    /* Release: the chunk's link and its first slot are visible with its pointer. */
    while (!atomic_compare_exchange_weak_explicit(&dp->readers, &head, n, memory_order_seq_cst,
                                                  memory_order_acquire))
        n->next = head;
    return &n->slot[0].v;
}

dp_status dp_read_begin(dp_depot *dp, dp_read_guard *g)
{
    if (g)
        g->slot = NULL;
    if (!dp || !g)
        return DP_ERR_INVALID;
    uint64_t e = atomic_load_explicit(&dp->epoch, memory_order_seq_cst);
    _Atomic uint64_t *s = claim_slot(dp, e);
    if (!s)
        return DP_ERR_NOMEM;
    /* Publish the epoch, then check that it is still current: a guard must never claim an
     * epoch older than what it may read (see the ordering note at the top). */
    for (;;) {
        uint64_t now = atomic_load_explicit(&dp->epoch, memory_order_seq_cst);
        if (now == e)
            break;
        e = now;
        atomic_store_explicit(s, (e << 1) | 1u, memory_order_seq_cst);
    }
    g->slot = s;
    return DP_OK;
}

void dp_read_end(dp_depot *dp, dp_read_guard *g)
{
    (void)dp;
    if (!g || !g->slot)
        return;
    /* Release: every read made under the guard happens before the owner sees the slot free
     * and destroys what the guard protected. */
    atomic_store_explicit((_Atomic uint64_t *)g->slot, 0, memory_order_release);
    g->slot = NULL;
}
