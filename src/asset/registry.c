/* registry.c — the narrow interface of registry.h: reading an asset through a view, the one
 * walk over live slots, and the depot's allocator, descriptor, counters and loader slot for
 * the layers above. */
#include "asset/asset_internal.h"

/* ---- the depot -------------------------------------------------------------------------------- */

dp__thread_id dp__depot_owner(const dp_depot *dp)
{
    return dp->owner;
}

bool dp__depot_destroying(const dp_depot *dp)
{
    return dp->destroying;
}

uint64_t dp__update_number(const dp_depot *dp)
{
    /* Relaxed: a label for reports; the epoch starts at 1 and dp_update adds 1 first. */
    return atomic_load_explicit(&((dp_depot *)dp)->epoch, memory_order_relaxed) - 1;
}

const dp_allocator *dp__depot_alloc(const dp_depot *dp)
{
    return &dp->alloc;
}

const dp_desc *dp__depot_desc(const dp_depot *dp)
{
    return &dp->desc;
}

const dp_type *dp__type_info(const dp_depot *dp, dp_type_id id)
{
    const dp__type *t = dp__type_get(dp, id);
    return t ? &t->t : NULL;
}

uint32_t dp__type_count(const dp_depot *dp)
{
    /* Acquire: pairs with the release in dp_register_type; ids up to n are complete. */
    return atomic_load_explicit(&((dp_depot *)dp)->ntypes, memory_order_acquire);
}

/* ---- reading an asset --------------------------------------------------------------------------- */

static void fill_view(const dp_depot *dp, dp__asset *r, dp_handle h, uint32_t count,
                      dp__view *v)
{
    v->h = h;
    v->count = count;
    /* Relaxed: a view is a snapshot; a caller that needs these stable holds a count or is
     * the owner, and the slot word's acquire load made the record's setup visible. */
    v->type = atomic_load_explicit(&r->type, memory_order_relaxed);
    v->state = (dp_state)atomic_load_explicit(&r->state, memory_order_relaxed);
    v->bytes = atomic_load_explicit(&r->bytes, memory_order_relaxed);
    v->data = atomic_load_explicit(&r->data, memory_order_relaxed);
    v->key = dp__rec_key(r);
    v->kids = dp__kids(r);
    v->nkids = r->nkids;
    dp__ext *x = dp__ext_peek(dp, dp_handle_index(h));
    v->soft = x ? atomic_load_explicit(&x->soft, memory_order_relaxed) : 0;
    v->rec = r;
}

bool dp__alive(const dp_depot *dp, dp_handle h)
{
    return dp__rec_live(dp, h) != NULL;
}

bool dp__view_of(const dp_depot *dp, dp_handle h, dp__view *v)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (!r)
        return false;
    /* Relaxed: a snapshot of the count; dp__rec_live's acquire load already published the
     * record. */
    uint32_t count = dp__word_user(atomic_load_explicit(dp__word(dp, h), memory_order_relaxed));
    fill_view(dp, r, h, count & DP__COUNT_MAX, v);
    return true;
}

/* ---- the live-slot iterator --------------------------------------------------------------------- */

static dp__live_iter begin(const dp_depot *dp, bool dying)
{
    dp_pool_stats ps;
    dp_pool_get_stats(dp->pool, &ps);
    return (dp__live_iter){.next = 0, .end = ps.high_water, .dying = dying};
}

dp__live_iter dp__live_begin(const dp_depot *dp)
{
    return begin(dp, false);
}

dp__live_iter dp__any_begin(const dp_depot *dp)
{
    return begin(dp, true);
}

bool dp__live_next(const dp_depot *dp, dp__live_iter *it, dp__view *v)
{
    while (it->next < it->end) {
        uint32_t i = (uint32_t)it->next++;
        void *payload;
        _Atomic uint64_t *w = dp__pool_slot(dp->pool, i, &payload);
        if (!w)
            continue;
        /* Acquire: pairs with the creator's release of the slot word; a live slot's record
         * is written before the slot goes live. */
        uint64_t word = atomic_load_explicit(w, memory_order_acquire);
        dp_handle h = dp__word_handle(word, i);
        uint32_t user = dp__word_user(word);
        if (!h.bits || ((user & DP__DYING) && !it->dying))
            continue;
        fill_view(dp, payload, h, user, v);
        return true;
    }
    return false;
}

/* ---- the load subsystem slot --------------------------------------------------------------------- */

void *dp__attached_loader(const dp_depot *dp)
{
    /* Acquire: pairs with the release in dp__loader_slot; publishes the loader's fields. */
    return atomic_load_explicit(&((dp_depot *)dp)->loader, memory_order_acquire);
}

void *dp__loader_slot(dp_depot *dp, const dp__subsystem *vt, void *(*make)(dp_depot *dp))
{
    void *cur = dp__attached_loader(dp);
    if (cur)
        return cur;
    dp__mutex_lock(&dp->attach_lock);
    /* Relaxed: attach_lock orders this against the only store, made under it below. */
    cur = atomic_load_explicit(&dp->loader, memory_order_relaxed);
    if (!cur) {
        cur = make(dp);
        if (cur) {
            dp->loader_vt = *vt;
            /* Release: the vtable and the loader's state are visible before its pointer. */
            atomic_store_explicit(&dp->loader, cur, memory_order_release);
        }
    }
    dp__mutex_unlock(&dp->attach_lock);
    return cur;
}

/* ---- counters --------------------------------------------------------------------------------- */

size_t dp__events_dropped(const dp_depot *dp)
{
    /* Relaxed: a statistic; nothing else is published through it. */
    return atomic_load_explicit(&dp->st_events_dropped, memory_order_relaxed);
}

void dp__count_discarded(dp_depot *dp)
{
    /* Relaxed: a statistic; nothing else is published through it. */
    atomic_fetch_add_explicit(&dp->st_discarded, 1, memory_order_relaxed);
}

void dp__counters(const dp_depot *dp, dp_stats *out)
{
    /* Relaxed loads throughout: each counter is a statistic read on its own; dp_stats
     * promises no consistent snapshot across fields. */
    dp_pool_stats ps;
    dp_pool_get_stats(dp->pool, &ps);
    /* What the unused cache keeps alive: its assets and the dependencies only they hold. */
    out->unused_cached_bytes = atomic_load_explicit(&dp->cached_bytes, memory_order_relaxed) +
                               atomic_load_explicit(&dp->kept_bytes, memory_order_relaxed);
    out->retired_slots = (size_t)ps.retired;
    dp__resid_counters(dp, out);
    void *loader = dp__attached_loader(dp);
    if (loader && dp->loader_vt.pending)
        out->pending_jobs = dp->loader_vt.pending(loader);
    out->events_dropped = dp__events_dropped(dp);
    /* Relaxed: a statistic, as said above. */
    out->edges = atomic_load_explicit(&dp->st_edges, memory_order_relaxed);
    dp_pool_stats gs;
    dp_pool_get_stats(dp->groups, &gs);
    out->groups = (size_t)gs.live;
    /* Relaxed, here and below: statistics, as said above. */
    out->freed_total = atomic_load_explicit(&dp->st_freed, memory_order_relaxed);
    out->cycles_collected = atomic_load_explicit(&dp->st_cycles, memory_order_relaxed);
    out->cycle_steps = atomic_load_explicit(&dp->st_cycle_steps, memory_order_relaxed);
    out->results_discarded = atomic_load_explicit(&dp->st_discarded, memory_order_relaxed);
}
