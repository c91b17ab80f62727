/* residency.c — soft references and the byte budgets of assets only they hold: the list of
 * soft-held assets, the per-update pass that demotes the least recently used ones until the
 * budgets hold (a type's demote callback first, then eviction), bringing demoted assets
 * back through the loader, and dp_memory_pressure. Owner thread unless noted; the protocol
 * against concurrent strong acquires is described in residency.h. */
#include <stdlib.h>
#include <string.h>

#include "asset/asset_internal.h"
#include "asset/quarantine.h"

/* A soft-only asset the pass may demote. */
typedef struct cand {
    dp_handle h;
    uint32_t used;
    dp_type_id type;
} cand;

struct dp__resid {
    dp__hvec list;                    /* assets with soft counts or lost data (lazy: entries
                                         that no longer qualify are dropped by the pass) */
    size_t budget[DP__MAX_TYPES + 1]; /* [0]: all types together; 0 = no budget */
    size_t sum[DP__MAX_TYPES + 1];    /* soft-only bytes per type (scratch of a pass) */
    size_t total;                     /* soft-only bytes (scratch of a pass) */
    bool dirty;                       /* soft-only bytes may have grown: walk at the next
                                         update (residency.h) */
    cand *c;                          /* candidates (scratch of a pass) */
    size_t nc, capc;
    _Atomic size_t demoted, evicted, restored; /* read by dp_get_stats on any thread */
};

static struct dp__resid *resid_of(const dp_depot *dp)
{
    /* Acquire: pairs with the owner's release in resid_get; the struct is initialised. */
    return atomic_load_explicit(&((dp_depot *)dp)->resid, memory_order_acquire);
}

static dp_status resid_get(dp_depot *dp, struct dp__resid **out)
{
    struct dp__resid *R = resid_of(dp);
    if (!R) {
        R = dp__calloc(&dp->alloc, 1, sizeof *R);
        if (!R)
            return DP_ERR_NOMEM;
        R->budget[0] = dp->desc.soft_budget_bytes;
        R->dirty = true;
        /* Release: the struct is complete before dp_get_stats can read its counters. */
        atomic_store_explicit(&dp->resid, R, memory_order_release);
    }
    *out = R;
    return DP_OK;
}

static uint32_t clock_now(const dp_depot *dp)
{
    /* Relaxed: the clock only orders uses for the LRU; nothing is published through it. */
    return (uint32_t)atomic_load_explicit(&((dp_depot *)dp)->epoch, memory_order_relaxed);
}

static uint8_t rs_of(const dp__asset *r)
{
    /* Relaxed: the owner is the only writer of resid, and these readers are the owner. */
    return atomic_load_explicit(&((dp__asset *)r)->resid, memory_order_relaxed);
}

static void rs_set(dp__asset *r, uint8_t v)
{
    /* seq_cst: DEMOTING must come before the owner's re-read of the count in the single
     * order (residency.h); the other stores would do with relaxed, being hints to dp_get,
     * and share the one function. */
    atomic_store_explicit(&r->resid, v, memory_order_seq_cst);
}

/* Soft-only bytes may have grown: the next update walks the list. */
static void mark_dirty(dp_depot *dp)
{
    struct dp__resid *R = resid_of(dp);
    if (R)
        R->dirty = true;
}

/* h's soft count: 0 without an extension record (nothing ever listed it). */
static uint32_t soft_of(const dp_depot *dp, dp_handle h)
{
    dp__ext *x = dp__ext_peek(dp, dp_handle_index(h));
    /* Relaxed: the owner is the only writer; other threads read snapshots. */
    return x ? atomic_load_explicit(&x->soft, memory_order_relaxed) : 0;
}

/* Moves h's soft count; h is listed (list_add made its extension record). */
static void soft_add(dp_depot *dp, dp_handle h, int delta)
{
    dp__ext *x = dp__ext_peek(dp, dp_handle_index(h));
    DP__ASSERT(x != NULL);
    /* Relaxed: the owner is the only writer; other threads read snapshots (stats, and the
     * release floor in count.c, whose comment says why a stale one is harmless). */
    atomic_fetch_add_explicit(&x->soft, (uint32_t)delta, memory_order_relaxed);
}

/* h's use clock: 0 without an extension record. */
static uint32_t used_of(const dp_depot *dp, dp_handle h)
{
    dp__ext *x = dp__ext_peek(dp, dp_handle_index(h));
    /* Relaxed: the clock orders uses for the LRU only; nothing is published through it. */
    return x ? atomic_load_explicit(&x->used, memory_order_relaxed) : 0;
}

/* Marks a use of h now, for the LRU order. Without room for its extension record the use is
 * not marked (a hint lost, as NOMEM allows). */
static void touch(dp_depot *dp, dp_handle h)
{
    dp__ext *x = dp__ext_make(dp, dp_handle_index(h));
    /* Relaxed: the clock orders uses for the LRU only; nothing is published through it. */
    if (x)
        atomic_store_explicit(&x->used, clock_now(dp), memory_order_relaxed);
}

static uint32_t count_of(const dp_depot *dp, dp_handle h)
{
    /* seq_cst: the last read before data goes (residency.h); elsewhere a snapshot. */
    return dp__word_user(atomic_load_explicit(dp__word(dp, h), memory_order_seq_cst)) &
           DP__COUNT_MAX;
}

/* Whether the loader cannot bring h back (so it must never lose its data). */
static bool pinned(dp_depot *dp, dp_handle h, const dp__asset *r)
{
    void *loader = dp__attached_loader(dp);
    if ((rs_of(r) & DP__RS_ADDED) || !loader || !dp->loader_vt.reloadable)
        return true;
    return !dp->loader_vt.reloadable(loader, dp, h);
}

static dp_status list_add(dp_depot *dp, struct dp__resid *R, dp_handle h, dp__asset *r)
{
    uint8_t rs = rs_of(r);
    if (rs & DP__RS_LISTED)
        return DP_OK;
    if (!dp__ext_make(dp, dp_handle_index(h))) /* where its soft count and use clock go */
        return DP_ERR_NOMEM;
    dp_status st = dp__hvec_push(dp, &R->list, h);
    if (st != DP_OK)
        return st;
    rs = (uint8_t)((rs & ~DP__RS_PINNED) | DP__RS_LISTED);
    if (pinned(dp, h, r))
        rs |= DP__RS_PINNED;
    rs_set(r, rs);
    return DP_OK;
}

/* ---- soft counts ------------------------------------------------------------------------- */

/* +1 count, +1 soft; the holder record (dp_retain_soft) is marked soft. */
static dp_status soft_take(dp_depot *dp, dp_handle h, const char *file, int line, bool record)
{
    struct dp__resid *R;
    dp_status st = resid_get(dp, &R);
    if (st != DP_OK)
        return st;
    dp__asset *r = dp__rec_live(dp, h);
    if (!r)
        return DP_ERR_STALE;
    st = list_add(dp, R, h, r);
    if (st == DP_OK)
        st = dp__acquire_owned(dp, h, NULL);
    if (st != DP_OK)
        return st;
    soft_add(dp, h, 1);
    touch(dp, h);
    R->dirty = true;
    if (record && dp->desc.track_holders)
        dp__holder_add_soft(dp, h, file, line);
    return DP_OK;
}

static dp_status soft_drop(dp_depot *dp, dp_handle h, bool record)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (!r)
        return DP_ERR_STALE;
    if (soft_of(dp, h) == 0)
        return DP_ERR_UNDERFLOW;
    if (record && dp->desc.track_holders)
        dp__holder_remove_soft(dp, h);
    soft_add(dp, h, -1);
    dp_status st = dp__release_owned(dp, h);
    dp__run_frees(dp);
    return st;
}

dp_status dp__soft_acquire(dp_depot *dp, dp_handle h)
{
    return soft_take(dp, h, NULL, 0, false);
}

dp_status dp__soft_release(dp_depot *dp, dp_handle h)
{
    return soft_drop(dp, h, false);
}

dp_status dp__soft_convert(dp_depot *dp, dp_handle h, int dir)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (!r)
        return DP_ERR_STALE;
    if (dir > 0) {
        struct dp__resid *R;
        dp_status st = resid_get(dp, &R);
        if (st == DP_OK)
            st = list_add(dp, R, h, r);
        if (st != DP_OK)
            return st;
        soft_add(dp, h, 1);
        R->dirty = true;
        return DP_OK;
    }
    if (soft_of(dp, h) == 0)
        return DP_ERR_UNDERFLOW;
    soft_add(dp, h, -1);
    dp__resid_acquired(dp, h); /* now held strongly: demoted data comes back */
    return DP_OK;
}

dp_status dp__soft_adopt(dp_depot *dp, dp_handle h, const char *file, int line)
{
    dp_status st = dp__soft_convert(dp, h, 1);
    if (st == DP_OK && dp->desc.track_holders) {
        dp__holder_remove(dp, h); /* this thread's latest strong record: the load's own */
        dp__holder_add_soft(dp, h, file, line);
    }
    return st;
}

/* ---- bringing data back -------------------------------------------------------------------- */

void dp__resid_used(dp_depot *dp, dp_handle h, dp__asset *r)
{
    /* Relaxed: a hint; a stale read only delays the LRU refresh or the WANT by one use. */
    uint8_t rs = atomic_load_explicit(&r->resid, memory_order_relaxed);
    uint32_t now = clock_now(dp);
    /* Relaxed: the clock is a hint for the LRU order only. */
    dp__ext *x = (rs & DP__RS_LISTED) ? dp__ext_peek(dp, dp_handle_index(h)) : NULL;
    if (x && atomic_load_explicit(&x->used, memory_order_relaxed) != now)
        atomic_store_explicit(&x->used, now, memory_order_relaxed);
    if (rs & DP__RS_LOST)
        dp__attend(dp, dp_handle_index(h), DP__AF_WANT);
}

bool dp__resid_want(dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (!r)
        return false;
    uint8_t rs = rs_of(r);
    if (rs & (DP__RS_LISTED | DP__RS_LOST)) /* a use, for the LRU order */
        touch(dp, h);
    if (!(rs & DP__RS_LOST))
        return false;
    if (rs & DP__RS_RELOADING)
        return true;
    void *loader = dp__attached_loader(dp);
    if (!loader || !dp->loader_vt.reload || dp->loader_vt.reload(loader, dp, h) != DP_OK) {
        mark_dirty(dp); /* NOMEM: the next pass tries again while a strong holder waits */
        return true;
    }
    rs_set(r, rs | DP__RS_RELOADING);
    struct dp__resid *R = resid_of(dp);
    if (R) /* Relaxed: a statistic. */
        atomic_fetch_add_explicit(&R->restored, 1, memory_order_relaxed);
    return true;
}

void dp__resid_acquired(dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (r && (rs_of(r) & DP__RS_LOST) && count_of(dp, h) > soft_of(dp, h))
        dp__resid_want(dp, h);
}

void dp__resid_note(dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (r && (rs_of(r) & DP__RS_LISTED))
        mark_dirty(dp);
}

bool dp__resid_back(dp_depot *dp, dp_handle h, dp__asset *r)
{
    uint8_t rs = rs_of(r);
    if (rs & DP__RS_LISTED)
        mark_dirty(dp); /* new data, maybe more bytes */
    if (!(rs & (DP__RS_LOST | DP__RS_RELOADING)))
        return false;
    rs_set(r, (uint8_t)(rs & ~(DP__RS_LOST | DP__RS_RELOADING)));
    touch(dp, h);
    return (rs & DP__RS_LOST) != 0;
}

void dp__resid_failed(dp_depot *dp, dp__asset *r)
{
    (void)dp;
    /* An evicted asset that fails to load again is FAILED (it has no data); a demoted one
     * keeps its smaller data and stays demoted. */
    rs_set(r, (uint8_t)(rs_of(r) & ~(DP__RS_RELOADING | DP__RS_EVICTED)));
}

/* ---- demotion ------------------------------------------------------------------------------ */

/* Claims r for demotion: true if, with DEMOTING set, it is still held only softly. */
static bool claim(dp_depot *dp, dp_handle h, dp__asset *r)
{
    uint8_t rs = rs_of(r);
    rs_set(r, rs | DP__RS_DEMOTING);
    if (count_of(dp, h) == soft_of(dp, h))
        return true;
    rs_set(r, rs); /* a strong acquire came first: it keeps the data */
    return false;
}

/* Swaps r's data for `data` of `bytes` (NULL: evicted), retiring the old data, and announces
 * it. The caller reserved a retire slot. Returns the bytes given back. */
static size_t swap_out(dp_depot *dp, dp_handle h, dp__asset *r, void *data, size_t bytes,
                       uint8_t flag)
{
    /* Relaxed: type, data and bytes are written by the owner only, and this is the owner. */
    dp_type_id type = atomic_load_explicit(&r->type, memory_order_relaxed);
    size_t before = atomic_load_explicit(&r->bytes, memory_order_relaxed);
    if (!data) /* Release: as every state store (dp_get reads the state first). */
        atomic_store_explicit(&r->state, DP_STATE_EVICTED, memory_order_release);
    /* Release: the smaller data is complete before a reader loads the pointer. */
    void *old = atomic_exchange_explicit(&r->data, data, memory_order_acq_rel);
    /* Release: as every size store (dp_bytes_of re-checks the slot word after it). */
    atomic_store_explicit(&r->bytes, bytes, memory_order_release);
    dp__retire_data(dp, h, type, old, DP__WHY_RESIDENCY);
    rs_set(r, (uint8_t)((rs_of(r) & ~(DP__RS_DEMOTING | DP__RS_DEMOTED)) | flag));
    struct dp__resid *R = resid_of(dp);
    atomic_fetch_add_explicit(flag == DP__RS_EVICTED ? &R->evicted : &R->demoted, 1,
                              memory_order_relaxed);
    dp__emit(dp, DP_EV_DEMOTED, h, type, DP_OK);
    return before > bytes ? before - bytes : 0;
}

/* Through the type's demote callback; 0 if it has none, refuses, or memory runs out. */
static size_t shrink_one(dp_depot *dp, dp_handle h, dp__asset *r)
{
    /* Relaxed: owner-written fields, read by the owner. */
    const dp__type *t = dp__type_get(dp, atomic_load_explicit(&r->type, memory_order_relaxed));
    if (!t || !t->t.demote || (rs_of(r) & DP__RS_DEMOTED) || dp__retire_reserve(dp) != DP_OK)
        return 0;
    void *old = atomic_load_explicit(&r->data, memory_order_relaxed);
    size_t bytes = atomic_load_explicit(&r->bytes, memory_order_relaxed);
    if (!claim(dp, h, r))
        return 0;
    void *small = NULL;
    size_t sb = 0;
    if (t->t.demote(old, t->t.user, &small, &sb) != DP_OK || !small || small == old ||
        sb >= bytes) {
        if (small && small != old)
            t->t.destroy(small, t->t.user);
        rs_set(r, (uint8_t)(rs_of(r) & ~DP__RS_DEMOTING));
        return 0;
    }
    return swap_out(dp, h, r, small, sb, DP__RS_DEMOTED);
}

static size_t evict_one(dp_depot *dp, dp_handle h, dp__asset *r)
{
    if (dp__retire_reserve(dp) != DP_OK || !claim(dp, h, r))
        return 0;
    return swap_out(dp, h, r, NULL, 0, DP__RS_EVICTED);
}

/* ---- the pass ------------------------------------------------------------------------------ */

/* Makes room for one more candidate; without it (NOMEM) the pass demotes what it
 * collected and the next update walks again. */
static bool room_for_one(dp_depot *dp, struct dp__resid *R)
{
    if (dp__grow(&dp->alloc, (void **)&R->c, &R->capc, R->nc + 1, sizeof *R->c) == DP_OK)
        return true;
    R->dirty = true;
    return false;
}

/* Keeps the list to what qualifies, asks back lost data a strong holder waits for, sums the
 * soft-only bytes per type and collects the assets that may be demoted. */
static void gather(dp_depot *dp, struct dp__resid *R)
{
    memset(R->sum, 0, sizeof R->sum);
    R->total = 0;
    R->nc = 0;
    size_t keep = 0;
    for (size_t k = 0; k < R->list.n; k++) {
        dp_handle h = R->list.v[k];
        dp__asset *r = dp__rec_live(dp, h);
        if (!r)
            continue; /* freed: its slot's next record starts unlisted */
        uint8_t rs = rs_of(r);
        uint32_t soft = soft_of(dp, h), count = count_of(dp, h);
        if (!soft && !(rs & DP__RS_LOST)) {
            rs_set(r, (uint8_t)(rs & ~DP__RS_LISTED));
            continue;
        }
        R->list.v[keep++] = h;
        if ((rs & DP__RS_LOST) && count > soft)
            dp__resid_want(dp, h); /* a restore that could not start yet */
        if (!soft || count != soft)
            continue;
        /* Relaxed: owner-written fields, read by the owner. */
        dp_type_id type = atomic_load_explicit(&r->type, memory_order_relaxed);
        size_t bytes = atomic_load_explicit(&r->bytes, memory_order_relaxed);
        R->sum[type] += bytes;
        R->total += bytes;
        bool loaded = atomic_load_explicit(&r->state, memory_order_relaxed) == DP_STATE_LOADED;
        if (!loaded || (rs & (DP__RS_PINNED | DP__RS_RELOADING)) ||
            !room_for_one(dp, R))
            continue;
        R->c[R->nc++] = (cand){.h = h, .type = type,
                               .used = used_of(dp, h)};
    }
    R->list.n = keep;
}

static bool over(const struct dp__resid *R, dp_type_id type, bool all)
{
    if (all)
        return true;
    if (R->budget[type] && R->sum[type] > R->budget[type])
        return true;
    return R->budget[0] && R->total > R->budget[0];
}

static bool any_over(const struct dp__resid *R, bool all)
{
    if (all || (R->budget[0] && R->total > R->budget[0]))
        return R->nc > 0;
    for (size_t i = 0; i < R->nc; i++)
        if (over(R, R->c[i].type, false))
            return true;
    return false;
}

static int by_use(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->used != y->used)
        return x->used < y->used ? -1 : 1;
    return x->h.bits < y->h.bits ? -1 : x->h.bits > y->h.bits;
}

/* One sweep over the candidates, least recently used first, while their budget is over. */
static void sweep(dp_depot *dp, struct dp__resid *R, bool all, bool evict)
{
    for (size_t i = 0; i < R->nc; i++) {
        cand *c = &R->c[i];
        dp__asset *r = dp__rec_live(dp, c->h);
        if (!r || !over(R, c->type, all) || (rs_of(r) & DP__RS_EVICTED))
            continue;
        size_t freed = evict ? evict_one(dp, c->h, r) : shrink_one(dp, c->h, r);
        R->sum[c->type] -= freed;
        R->total -= freed;
    }
}

/* Demotes soft-only assets until every budget holds (all: every one, evicted). */
static void shrink(dp_depot *dp, struct dp__resid *R, bool all)
{
    gather(dp, R);
    if (!any_over(R, all))
        return;
    qsort(R->c, R->nc, sizeof *R->c, by_use);
    if (!all)
        sweep(dp, R, false, false); /* smaller copies first, where a type makes them */
    sweep(dp, R, all, true);
}

void dp__resid_update(dp_depot *dp)
{
    struct dp__resid *R = resid_of(dp);
    if (!R || !R->dirty)
        return;
    R->dirty = false;
    shrink(dp, R, false);
}

/* ---- public ---------------------------------------------------------------------------------- */

static dp_status owner_call(const dp_depot *dp)
{
    if (!dp)
        return DP_ERR_INVALID;
    return dp__is_owner(dp) ? DP_OK : DP_ERR_WRONG_THREAD;
}

dp_status dp_retain_soft_at(dp_depot *dp, dp_handle h, const char *file, int line)
{
    dp_status st = owner_call(dp);
    return st != DP_OK ? st : soft_take(dp, h, file, line, true);
}

dp_status (dp_retain_soft)(dp_depot *dp, dp_handle h)
{
    return dp_retain_soft_at(dp, h, "(unknown)", 0);
}

dp_status dp_release_soft(dp_depot *dp, dp_handle h)
{
    dp_status st = owner_call(dp);
    return st != DP_OK ? st : soft_drop(dp, h, true);
}

uint32_t dp_soft_count(const dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec_live(dp, h);
    return r ? soft_of(dp, h) : 0;
}

dp_status dp_set_soft_budget(dp_depot *dp, dp_type_id type, size_t bytes)
{
    dp_status st = owner_call(dp);
    if (st != DP_OK)
        return st;
    if (type != 0 && !dp__type_get(dp, type))
        return DP_ERR_INVALID;
    struct dp__resid *R;
    st = resid_get(dp, &R);
    if (st == DP_OK) {
        R->budget[type] = bytes;
        R->dirty = true;
    }
    return st;
}

dp_status dp_memory_pressure(dp_depot *dp, int level)
{
    if (!dp || level < DP_PRESSURE_NONE || level > DP_PRESSURE_CRITICAL)
        return DP_ERR_INVALID;
    dp_status st = owner_call(dp);
    if (st != DP_OK || level == DP_PRESSURE_NONE)
        return st;
    struct dp__resid *R = resid_of(dp);
    if (R)
        shrink(dp, R, level == DP_PRESSURE_CRITICAL);
    return level == DP_PRESSURE_CRITICAL ? dp_release_unused(dp) : DP_OK;
}

/* ---- diagnostics and teardown ---------------------------------------------------------------- */

void dp__resid_counters(const dp_depot *dp, dp_stats *out)
{
    const struct dp__resid *R = resid_of(dp);
    if (!R)
        return;
    /* Relaxed: statistics. */
    out->demoted_total = atomic_load_explicit(&R->demoted, memory_order_relaxed);
    out->evicted_total = atomic_load_explicit(&R->evicted, memory_order_relaxed);
    out->restored_total = atomic_load_explicit(&R->restored, memory_order_relaxed);
}

typedef struct soft_groups {
    const dp_depot *dp;
    uint32_t *per_slot;
    uint64_t n;
} soft_groups;

static void count_soft_member(void *u, dp_group g, const char *name, dp_handle member)
{
    (void)name;
    soft_groups *s = u;
    uint32_t i = dp_handle_index(member);
    if (i < s->n && dp__group_soft(s->dp, g) && dp__alive(s->dp, member))
        s->per_slot[i]++;
}

/* One asset against what explains its soft count (`groups`: its soft memberships). */
static bool soft_fits(const dp_depot *dp, const dp__view *v, uint32_t groups)
{
    const dp__asset *r = v->rec;
    uint32_t soft = soft_of(dp, v->h);
    uint8_t rs = rs_of(r);
    if (soft > v->count || soft < groups || (soft && !(rs & DP__RS_LISTED)))
        return false;
    if (dp->desc.track_holders && !dp->holders_lost &&
        soft != groups + dp__holders_soft(dp, v->h))
        return false;
    bool evicted = v->state == DP_STATE_EVICTED;
    if (rs & DP__RS_DEMOTING)
        return false; /* only ever set inside one owner call */
    if (evicted != ((rs & DP__RS_EVICTED) != 0))
        return false;
    return !evicted || (!v->data && v->bytes == 0);
}

dp_status dp__resid_check(const dp_depot *dp)
{
    dp__live_iter it = dp__live_begin(dp);
    soft_groups s = {.dp = dp, .n = it.end};
    s.per_slot = s.n ? dp__calloc(&dp->alloc, (size_t)s.n, sizeof *s.per_slot) : NULL;
    if (s.n && !s.per_slot)
        return DP_ERR_NOMEM;
    dp__groups_each(dp, count_soft_member, &s);
    dp_status st = DP_OK;
    dp__view v;
    while (st == DP_OK && dp__live_next(dp, &it, &v))
        if (!soft_fits(dp, &v, s.per_slot[dp_handle_index(v.h)]))
            st = DP_ERR_INVALID;
    dp__free(&dp->alloc, s.per_slot);
    return st;
}

void dp__resid_free(dp_depot *dp)
{
    struct dp__resid *R = resid_of(dp);
    if (!R)
        return;
    dp__hvec_free(dp, &R->list);
    dp__free(&dp->alloc, R->c);
    dp__free(&dp->alloc, R);
    /* Relaxed: dp_destroy; no other thread may use the depot any more. */
    atomic_store_explicit(&dp->resid, NULL, memory_order_relaxed);
}
