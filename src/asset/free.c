/* free.c — how assets die: the attention queue (what other threads released, created or
 * revived), UNUSED handling, the unused cache (LRU under a byte budget), freeing with
 * iterative cascades, dp_evict and dp_release_unused. Owner thread throughout. */
#include "asset/asset_internal.h"
#include "asset/quarantine.h"
#include "asset/trace.h"
#include "common/assert.h"

/* ---- unused cache ------------------------------------------------------------------------- */

/* The extension record of cached slot i (made before it entered the cache), where its
 * forward link is. */
static dp__ext *lru_ext(const dp_depot *dp, uint32_t i)
{
    dp__ext *x = dp__ext_peek(dp, i);
    DP__ASSERT(x != NULL);
    return x;
}

void dp__lru_unlink(dp_depot *dp, uint32_t i)
{
    dp__asset *r = dp__rec_at(dp, i);
    if (!(r->oflags & DP__OF_CACHED))
        return;
    dp__ext *x = lru_ext(dp, i);
    if (r->lru_prev)
        lru_ext(dp, r->lru_prev - 1)->lru_next = x->lru_next;
    else
        dp->lru_head = x->lru_next;
    if (x->lru_next)
        dp__rec_at(dp, x->lru_next - 1)->lru_prev = r->lru_prev;
    else
        dp->lru_tail = r->lru_prev;
    r->lru_prev = x->lru_next = 0;
    r->oflags &= (uint8_t)~DP__OF_CACHED;
    /* Relaxed: bytes is written by the owner only, and this is the owner. */
    dp->cached_bytes -= atomic_load_explicit(&r->bytes, memory_order_relaxed);
    dp__kept_cached(dp, dp__handle_at(dp, i), false);
}

/* Slot i enters the cache as its most recently used asset; its extension record exists. */
static void lru_push_tail(dp_depot *dp, uint32_t i)
{
    dp__asset *r = dp__rec_at(dp, i);
    r->lru_prev = dp->lru_tail;
    lru_ext(dp, i)->lru_next = 0;
    if (dp->lru_tail)
        lru_ext(dp, dp->lru_tail - 1)->lru_next = i + 1;
    else
        dp->lru_head = i + 1;
    dp->lru_tail = i + 1;
    r->oflags |= DP__OF_CACHED;
    /* Relaxed: bytes is written by the owner only, and this is the owner. */
    dp->cached_bytes += atomic_load_explicit(&r->bytes, memory_order_relaxed);
    dp__kept_cached(dp, dp__handle_at(dp, i), true);
}

/* Tries to move (gen, 0) to (gen, DYING). False if the asset was revived meanwhile. */
static bool claim_zero(dp_depot *dp, dp_handle h)
{
    _Atomic uint64_t *wp = dp__word(dp, h);
    uint64_t expect = dp__word_make(dp_handle_gen(h), 0);
    /* Acquire: every release that brought the count to 0 happened before the free. */
    return atomic_compare_exchange_strong_explicit(wp, &expect,
                                                   dp__word_make(dp_handle_gen(h), DP__DYING),
                                                   memory_order_acquire, memory_order_relaxed);
}

void dp__trim_cache(dp_depot *dp, size_t budget)
{
    /* A budget of 0 empties the cache, zero-byte assets included. The budget covers the
     * cached assets and the dependencies only they keep alive. */
    uint8_t why = dp->free_why;
    dp->free_why = DP__WHY_CACHE;
    while (dp->lru_head && (dp->cached_bytes + dp->kept_bytes > budget || budget == 0)) {
        uint32_t i = dp->lru_head - 1;
        dp_handle h = dp__handle_at(dp, i);
        dp__lru_unlink(dp, i);
        if (h.bits && claim_zero(dp, h)) {
            dp__free_dying(dp, h);
            dp__run_frees(dp);
        }
        /* else it was revived: it simply left the cache */
    }
    dp->free_why = why;
}

/* ---- freeing ------------------------------------------------------------------------------ */

dp_status dp__acquire_owned(dp_depot *dp, dp_handle h, uint32_t *old)
{
    uint32_t before;
    dp_status st = dp__acquire_raw(dp, h, &before);
    if (st == DP_OK)
        DP__TRACE(dp, DP__T_HOLD, h, before + 1, NULL, 0);
    if (st == DP_OK && before == 0)
        dp__lru_unlink(dp, dp_handle_index(h));
    else if (st == DP_OK)
        dp__kept_check(dp, h);
    if (st == DP_OK)
        dp__resid_acquired(dp, h); /* a strong holder of demoted data wants it back */
    if (old)
        *old = st == DP_OK ? before : 0;
    return st;
}

dp_status dp__release_owned(dp_depot *dp, dp_handle h)
{
    uint32_t old;
    dp_status st = dp__release_raw(dp, h, &old);
    if (st != DP_OK)
        return st; /* a stale child (evicted, or dying with us): nothing to give back */
    DP__TRACE(dp, DP__T_UNHOLD, h, old - 1, NULL, 0);
    if (!dp->cascade_now) {
        /* Outside an update (evict, undepend, group_remove) a release is like a caller's:
         * UNUSED and freed at the next update, unless acquired again first. */
        dp__attend(dp, dp_handle_index(h), old == 1 ? DP__AF_ZERO : DP__AF_CAND);
        return DP_OK;
    }
    if (old == 1) {
        dp__on_zero(dp, h);
    } else {
        dp__candidate(dp, h);
        dp__kept_check(dp, h);
    }
    return DP_OK;
}

/* True if the asset h names has not been freed yet (it may be dying in this cascade or
 * batch). A freed slot has a new generation, or is a zombie that keeps it. */
bool dp__not_freed(const dp_depot *dp, dp_handle h)
{
    _Atomic uint64_t *wp = dp__word(dp, h);
    /* Relaxed: only the generation is compared. If it moved from h's, the owner (this thread)
     * freed the slot, and a reuse by another thread only moves it further. */
    if (!wp || dp__word_gen(atomic_load_explicit(wp, memory_order_relaxed)) != dp_handle_gen(h))
        return false;
    return !(dp__rec_at(dp, dp_handle_index(h))->oflags & DP__OF_ZOMBIE);
}

/* Drops the edge counts of a freed asset: every edge with an end not freed before counts
 * once, when its first end is freed. The children keep their own counts until released. */
static void forget_edges(dp_depot *dp, dp__asset *r)
{
    size_t gone = r->nin;
    r->nin = 0;
    for (uint32_t k = 0; k < r->nkids; k++) {
        dp_handle c = dp__kids(r)[k];
        if (!dp__not_freed(dp, c))
            continue; /* evicted or freed earlier: its edges were counted away then */
        dp__asset *cr = dp__rec_at(dp, dp_handle_index(c));
        if (cr != r) {
            cr->nin--;
            gone++;
        } /* a self-edge is one of r's own nin */
    }
    /* Relaxed: a statistic; nothing is published through it. */
    atomic_fetch_sub_explicit(&dp->st_edges, gone, memory_order_relaxed);
}

static void free_dying_as(dp_depot *dp, dp_handle h, bool retire)
{
    uint32_t i = dp_handle_index(h);
    dp__asset *r = dp__rec_at(dp, i);
    /* Relaxed: the owner is the only writer of a live asset's type, and this is the owner. */
    dp_type_id type = atomic_load_explicit(&r->type, memory_order_relaxed);
    char *key = dp__rec_key(r);
    dp__lru_unlink(dp, i);
    dp__kept_forget(dp, h);
    if (key)
        dp__key_remove(dp, key, h);
    uint8_t why = retire ? DP__WHY_EVICTED
                         : (r->oflags & DP__OF_CASCADE) ? DP__WHY_CASCADE : dp->free_why;
    struct dp__qlabel *label = dp__quarantine_label(dp, h, key, why);
    if (dp->trace && !dp->destroying) {
        dp__trace_name_dead(dp->trace, h, key);
        dp__trace_record(dp->trace, DP__T_FREE, h, why, NULL, 0);
    }
    if (dp->desc.track_holders)
        dp__holder_drop_all(dp, h);
    /* acq_rel: the exchange takes the data away from readers that load the pointer (dp_get pairs
     * its acquire with it), and the INVALID state below is released after it. */
    void *data = atomic_exchange_explicit(&r->data, NULL, memory_order_acq_rel);
    atomic_store_explicit(&r->state, DP_STATE_INVALID, memory_order_release);
    /* An evicted asset may be held: its key is retired with its data (dp_key_of's rule, room
     * reserved by dp_evict), not freed. */
    if (retire)
        dp__retire_at(dp, type, data, key, 1, label);
    else
        dp__data_dispose(dp, type, data, label); /* destroyed, or quarantined */
    if (!dp->destroying)
        dp__deep_forget(dp, h, r); /* before its edges go: parents' deep states may change */
    forget_edges(dp, r);
    /* Children: release each edge's count (iteratively: zeros go to dp->work). */
    uint32_t n = r->nkids;
    dp_handle one = n == 1 ? r->kids.one : DP_NULL_HANDLE; /* a single edge is in r */
    dp_handle *kids = n > 1 ? r->kids.many : &one;
    r->kids.many = NULL;
    r->nkids = 0;
    /* FREED before the children are released: a cascade announces top-down, so a child
     * freed because of this free says UNUSED and FREED after this FREED. */
    dp__emit(dp, DP_EV_FREED, h, type, DP_OK);
    if (!dp->destroying) {
        dp->in_cascade = true; /* children that reach 0 now are freed as a cascade */
        for (uint32_t k = 0; k < n; k++) {
            DP__TRACE_WIDE(dp, DP__T_EDGE_REMOVE, h, kids[k].bits);
            dp__release_owned(dp, kids[k]);
        }
        dp->in_cascade = false;
    }
    if (n > 1)
        dp__free(&dp->alloc, kids);
    if (!retire)
        dp__free(&dp->alloc, key);
    else if (key)
        dp__finders_wait(dp); /* the key is retired, but a finder reading it holds no guard */
    /* Release: a dp_key_of that loads the NULL then sees the word DYING (count.c, still_live).
     * After the wait: a finder that counted the asset before the evict still compares its key. */
    atomic_store_explicit(&r->key, NULL, memory_order_release);
    if (!dp->destroying)
        dp__progress_freed(dp, h, r->oflags);
    if (r->xflags & DP__XF_DONE)
        dp__done_settled(dp, h, r); /* called with DP_ERR_CANCELLED */
    r->oflags = 0;
    /* Relaxed: a statistic; nothing is published through it. */
    atomic_fetch_add_explicit(&dp->st_freed, 1, memory_order_relaxed);
    if (dp->destroying)
        return; /* the pool goes as a whole */
    /* Acquire: pairs with the pusher's fetch_or; a set QUEUED means the slot is linked. */
    if (atomic_load_explicit(&r->aflags, memory_order_acquire) & DP__AF_QUEUED) {
        r->oflags = DP__OF_ZOMBIE;
        if (dp__hvec_push(dp, &dp->zombies, h) != DP_OK)
            return; /* the slot stays dying forever: lost, never unsafe */
        return;
    }
    /* aflags is 0 here; not storing it keeps a push that lands just now (a releaser's
     * late attention) linked and flagged, instead of linked and unflagged. */
    dp_status st = dp__pool_free_expect(dp->pool, h, DP__DYING);
    DP__ASSERT(st == DP_OK); /* cannot fail: only the owner moves a DYING word */
}

void dp__free_dying(dp_depot *dp, dp_handle h)
{
    free_dying_as(dp, h, false);
}

/* Gives back the slots of zombies that have left the attention queue. No new push can
 * reach a dying asset (every count change fails on DYING), so once its QUEUED flag is
 * clear it never comes back. */
static void bury_zombies(dp_depot *dp)
{
    size_t keep = 0;
    for (size_t k = 0; k < dp->zombies.n; k++) {
        dp_handle h = dp->zombies.v[k];
        dp__asset *r = dp__rec_at(dp, dp_handle_index(h));
        /* Acquire, as in free_dying_as: no push reaches a dying asset, so QUEUED is cleared only
         * by the owner's own drain; the load pairs with a late pusher's fetch_or all the same. */
        if (atomic_load_explicit(&r->aflags, memory_order_acquire) & DP__AF_QUEUED) {
            dp->zombies.v[keep++] = h;
            continue;
        }
        r->oflags = 0;
        dp_status st = dp__pool_free_expect(dp->pool, h, DP__DYING);
        (void)st;
    }
    dp->zombies.n = keep;
}

void dp__run_frees(dp_depot *dp)
{
    while (dp->work.n) {
        dp_handle h = dp->work.v[--dp->work.n];
        dp__free_dying(dp, h);
    }
}

void dp__on_zero(dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec(dp, h);
    if (!r || (r->oflags & DP__OF_CACHED))
        return;
    /* Relaxed (type, bytes, state): written by the owner, or before the slot's release; this is
     * the owner. */
    dp_type_id type = atomic_load_explicit(&r->type, memory_order_relaxed);
    dp__emit(dp, DP_EV_UNUSED, h, type, DP_OK);
    size_t bytes = atomic_load_explicit(&r->bytes, memory_order_relaxed);
    /* Without room for its extension record (the cache's forward link) it is freed. */
    bool cacheable = dp->desc.keep_unused_bytes > 0 && dp__rec_key(r) &&
                     atomic_load_explicit(&r->state, memory_order_relaxed) == DP_STATE_LOADED &&
                     bytes <= dp->desc.keep_unused_bytes &&
                     dp__ext_make(dp, dp_handle_index(h)) != NULL;
    if (cacheable) {
        lru_push_tail(dp, dp_handle_index(h));
        return;
    }
    if (!claim_zero(dp, h))
        return; /* revived meanwhile */
    if (dp->in_cascade)
        r->oflags |= DP__OF_CASCADE;
    if (dp__hvec_push(dp, &dp->work, h) != DP_OK) {
        dp__free_dying(dp, h); /* no room to defer: free now (recursion depth 1 per level) */
        return;
    }
}

void dp__drain_attention(dp_depot *dp)
{
    /* Acquire: pairs with the pushers' release CAS; their links and flags are visible. */
    uint32_t it = atomic_exchange_explicit(&dp->attn_head, 0, memory_order_acquire);
    /* The stack holds the newest first; turn it around so that events come out in the order
     * things happened. Every node still has QUEUED set, so nobody else touches the links. */
    uint32_t rev = 0;
    while (it) {
        dp__asset *r = dp__rec_at(dp, it - 1);
        /* Relaxed: the owner took the whole stack with an acquire exchange; the links are its own
         * now. */
        uint32_t next = atomic_load_explicit(&r->qnext, memory_order_relaxed);
        atomic_store_explicit(&r->qnext, rev, memory_order_relaxed);
        rev = it;
        it = next;
    }
    it = rev;
    while (it) {
        uint32_t i = it - 1;
        dp__asset *r = dp__rec_at(dp, i);
        /* Read the link before clearing the flags: once cleared, another thread may push
         * this asset again and overwrite it. */
        it = atomic_load_explicit(&r->qnext, memory_order_relaxed);
        /* seq_cst: pairs with dp__attend's fast path (see there). */
        uint8_t why = atomic_exchange_explicit(&r->aflags, 0, memory_order_seq_cst);
        dp_handle h = dp__handle_at(dp, i);
        if (!h.bits)
            continue;
        uint64_t w = atomic_load_explicit(dp__word(dp, h), memory_order_seq_cst);
        uint32_t user = dp__word_user(w);
        if (user & DP__DYING)
            continue;
        /* Relaxed: the seq_cst load of the slot word above ordered the record's setup before it. */
        dp_type_id type = atomic_load_explicit(&r->type, memory_order_relaxed);
        if (why & DP__AF_CREATED) {
            /* Only assets made LOADED by dp_add announce it here; a loaded one announced
             * LOADED when its result was applied (possibly earlier in this update). */
            if (why & DP__AF_ADDED)
                dp__emit(dp, DP_EV_LOADED, h, type, DP_OK);
            dp__deep_track(dp, h);
        }
        if ((why & DP__AF_REVIVED) && user > 0) {
            dp__lru_unlink(dp, i);
            dp__kept_check(dp, h); /* a kept dependency acquired from outside */
        } else if ((why & DP__AF_REVIVED) && (r->oflags & DP__OF_CACHED)) {
            /* Used and dropped again since the last update: now the most recently used. */
            dp__lru_unlink(dp, i);
            lru_push_tail(dp, i);
        }
        if (why & DP__AF_WANT)
            dp__resid_want(dp, h);
        if ((why & DP__AF_CAND) && user > 0) {
            dp__candidate(dp, h);
            dp__kept_check(dp, h); /* released to what keeping parents explain? */
        }
        if ((why & DP__AF_ZERO) && user == 0 && !(r->oflags & DP__OF_CACHED)) {
            if (dp__hvec_push(dp, &dp->unused, h) != DP_OK)
                dp__on_zero(dp, h), dp__run_frees(dp);
        }
    }
    bury_zombies(dp);
}

void dp__process_unused(dp_depot *dp)
{
    for (size_t k = 0; k < dp->unused.n; k++) {
        dp_handle h = dp->unused.v[k];
        if (dp_count(dp, h) != 0)
            continue; /* revived between the drain and now */
        dp__on_zero(dp, h);
        dp__run_frees(dp);
    }
    dp->unused.n = 0;
}

/* ---- public ---------------------------------------------------------------------------------- */

dp_status dp_evict(dp_depot *dp, dp_handle h)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    if (!(dp_handle_gen(h) & 1u))
        return DP_ERR_STALE;
    _Atomic uint64_t *wp = dp__word(dp, h);
    if (!wp)
        return DP_ERR_STALE;
    /* Relaxed: only the first guess of the CAS below, which compares it again. */
    uint64_t w = atomic_load_explicit(wp, memory_order_relaxed);
    /* Room to retire the data and the key first, so that NOMEM changes nothing. */
    if (dp__word_gen(w) == dp_handle_gen(h) && dp__retire_reserve(dp) != DP_OK)
        return DP_ERR_NOMEM;
    for (;;) {
        if (dp__word_gen(w) != dp_handle_gen(h) || (dp__word_user(w) & DP__DYING))
            return DP_ERR_STALE;
        /* Acquire: all use by other holders before this point happens before the free. */
        if (atomic_compare_exchange_weak_explicit(wp, &w,
                                                  dp__word_make(dp_handle_gen(h), DP__DYING),
                                                  memory_order_acquire, memory_order_relaxed))
            break;
    }
    /* Holders may still read the data through a dp_get pointer of this frame: it is
     * retired to the next update (and past any read guard), not destroyed now. */
    free_dying_as(dp, h, true);
    dp__run_frees(dp);
    return DP_OK;
}

dp_status dp_release_unused(dp_depot *dp)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__drain_attention(dp);
    size_t keep = dp->desc.keep_unused_bytes;
    dp->desc.keep_unused_bytes = 0; /* nothing is cached while this runs */
    dp->cascade_now = true;
    dp__process_unused(dp);
    dp__trim_cache(dp, 0);
    dp->cascade_now = false;
    dp->desc.keep_unused_bytes = keep;
    return DP_OK;
}
