/* deep.c — the deep state: an asset is deep-LOADED when it and everything it reaches are
 * loaded, deep-FAILED when something it reaches failed, else deep-PENDING. Owner thread.
 * The same pass works out the direct state (the asset with its direct children only) of
 * each asset it looks at; an asset stays on the waiting list while either is PENDING.
 *
 * Settled assets (deep LOADED or FAILED) are left alone; the "waiting" list holds the
 * others, and an index of them (deep.h) links each to its waiting parents. An update
 * normally runs the incremental pass (deep_incr.c): from the waiting assets whose own state,
 * edges or tracking changed (the seeds) up to what depends on them, O(what changed). A seed
 * that settles stays on the waiting list as a stale entry (its DP__OF_WAITING cleared) until
 * a compaction, which runs once the stale entries are half the list (amortised O(1) per
 * settled asset).
 *
 * The full pass, here, recomputes the whole waiting set at once: failures and pending loads
 * spread backwards along edges inside the set; what neither reaches is deep-LOADED (which
 * makes a cycle of loaded assets LOADED, as it should). It runs when the incremental pass
 * cannot: a cycle above a seed, a seed or index entry lost to NOMEM, or a change that can
 * unsettle a settled asset's ancestors (an edge from a settled parent to an unsettled
 * child, a reload that fails), which rebuilds over every live asset; all rare. It rebuilds
 * the index afterwards. It announces LOADED_DEEP one strongly connected component at a time
 * (Tarjan's walk): a cycle's members one after another, after every component below them
 * and before any above. */
#include <stdlib.h>

#include "asset/deep.h"

void dp__deep_seed(dp_depot *dp, dp_handle h)
{
    if (dp__hvec_push(dp, &dp->deep_seeds, h) != DP_OK)
        dp->deep_seeds_lost = true; /* the next pass looks at the whole waiting list */
}

bool dp__deep_start_waiting(dp_depot *dp, dp_handle h, dp__asset *r)
{
    dp->deep_dirty = true;
    if (dp__hvec_push(dp, &dp->waiting, h) != DP_OK) {
        dp->deep_rebuild_all = true; /* cannot track it alone: look at everything next time */
        return false;
    }
    r->oflags |= DP__OF_WAITING;
    dp__deep_seed(dp, h);
    return true;
}

void dp__deep_track(dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec(dp, h);
    if (r && !(r->oflags & DP__OF_WAITING) && dp__deep_start_waiting(dp, h, r))
        dp__dx_enter(dp, h);
}

/* A waiting parent gained an edge to child: a new child (deep-PENDING, not tracked yet)
 * starts waiting too, and a waiting child gets its link to the parent. */
static void link_child(dp_depot *dp, dp_handle parent, dp_handle child)
{
    dp__asset *c = dp__rec_live(dp, child);
    if (!c)
        return;
    /* Relaxed: the owner reads the deep state only it writes. */
    if (!(c->oflags & DP__OF_WAITING) &&
        atomic_load_explicit(&c->deep, memory_order_relaxed) == DP_STATE_PENDING)
        dp__deep_track(dp, child);
    if (c->oflags & DP__OF_WAITING)
        dp__dx_link(dp, dp_handle_index(parent), dp_handle_index(child));
}

/* parent's own state changed (child null), or its edge to child was added or removed. */
static void note(dp_depot *dp, dp_handle parent, dp_handle child, bool added)
{
    dp__asset *p = dp__rec(dp, parent);
    if (!p)
        return;
    dp->deep_dirty = true;
    if (p->oflags & DP__OF_WAITING) {
        dp__deep_seed(dp, parent);
        if (added)
            link_child(dp, parent, child);
        return;
    }
    /* Relaxed: only the owner writes deep and state (a creator's stores were published by the
     * slot word, which dp__rec loads with acquire), and this is the owner. */
    uint8_t pd = atomic_load_explicit(&p->deep, memory_order_relaxed);
    if (pd == DP_STATE_PENDING) {
        /* Not settled yet (a new asset whose creation the owner has not seen): nothing that
         * is settled can depend on it, so tracking it is enough. */
        dp__deep_track(dp, parent);
        return;
    }
    /* Relaxed: the owner reads what only it writes. */
    uint8_t own = atomic_load_explicit(&p->state, memory_order_relaxed);
    if (child.bits) {
        dp__asset *c = dp__rec(dp, child);
        /* Relaxed: the owner reads what only it writes. */
        uint8_t cd = c ? atomic_load_explicit(&c->deep, memory_order_relaxed) : DP_STATE_LOADED;
        if (pd == DP_STATE_LOADED && cd == DP_STATE_LOADED)
            return; /* an edge between two settled, loaded assets changes nothing */
    } else if (pd == DP_STATE_LOADED && own == DP_STATE_LOADED) {
        return;
    }
    dp->deep_rebuild_all = true;
}

void dp__deep_note_change(dp_depot *dp, dp_handle parent, dp_handle child)
{
    if (!child.bits)
        dp__progress_state(dp, parent); /* its own state changed: the trackers count it */
    note(dp, parent, child, child.bits != 0);
}

void dp__deep_note_removed(dp_depot *dp, dp_handle parent, dp_handle child)
{
    dp__dx_unlink(dp, dp_handle_index(parent), dp_handle_index(child));
    note(dp, parent, child, false);
}

static void announce_deep(dp_depot *dp, const dp__hvec *set, const uint32_t *ann, size_t na);

/* Marks a node pending because of a child outside the set; failures still override it. */
#define PENDING_SEED 0x7f

static int cmp_index(const void *a, const void *b)
{
    uint32_t x = dp_handle_index(*(const dp_handle *)a), y = dp_handle_index(*(const dp_handle *)b);
    return (x > y) - (x < y);
}

/* Position of index i in the sorted set, or -1. */
static long find_pos(const dp_handle *set, size_t n, uint32_t i)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint32_t m = dp_handle_index(set[mid]);
        if (m == i)
            return (long)mid;
        if (m < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Position of handle c in the sorted set, or -1. */
static long pos_of(const dp__hvec *set, dp_handle c)
{
    long p = find_pos(set->v, set->n, dp_handle_index(c));
    return p >= 0 && set->v[p].bits == c.bits ? p : -1;
}

/* The working state of one dp__deep_update over a sorted set of n assets: the reverse
 * edges inside the set as CSR (the parents of position k are from[start[k] ..
 * start[k + 1])), a result byte and a failure status per position, and a queue. */
typedef struct deep_work {
    dp__hvec *set;
    size_t n;
    size_t *start;
    uint32_t *from;
    uint8_t *res;   /* 0 = loaded so far, DP_STATE_FAILED, DP_STATE_PENDING, PENDING_SEED */
    int8_t *why;
    uint32_t *queue;
    bool again; /* the set was not enough: a pass over every live asset must follow */
} deep_work;

/* The set: the waiting list, or every live asset on a rebuild; sorted by slot index. False
 * on NOMEM. */
static bool gather_set(dp_depot *dp, dp__hvec *set)
{
    set->n = 0;
    if (dp->deep_rebuild_all) {
        dp__view v;
        for (dp__live_iter it = dp__live_begin(dp); dp__live_next(dp, &it, &v);)
            if (dp__hvec_push(dp, set, v.h) != DP_OK)
                return false;
    } else {
        bool ok = true;
        for (size_t k = 0; ok && k < dp->waiting.n; k++) {
            dp__asset *r = dp__rec_live(dp, dp->waiting.v[k]);
            /* Stale entries (settled by the fast pass) and repeats (tracked again after
             * settling) are left out. */
            if (!r || !(r->oflags & DP__OF_WAITING) || (r->oflags & DP__OF_INSET))
                continue;
            ok = dp__hvec_push(dp, set, dp->waiting.v[k]) == DP_OK;
            if (ok)
                r->oflags |= DP__OF_INSET;
        }
        for (size_t k = 0; k < set->n; k++)
            dp__rec_at(dp, dp_handle_index(set->v[k]))->oflags &= (uint8_t)~DP__OF_INSET;
        if (!ok)
            return false;
    }
    if (set->n > 1) /* qsort(NULL, 0, ...) is undefined: the set may be empty */
        qsort(set->v, set->n, sizeof *set->v, cmp_index);
    return true;
}

/* Allocates the work arrays and fills the reverse edges. False on NOMEM (what was
 * allocated is freed by work_free). */
static bool build_reverse_edges(dp_depot *dp, deep_work *w)
{
    size_t n = w->n, nedges = 0;
    for (size_t k = 0; k < n; k++)
        nedges += dp__rec_at(dp, dp_handle_index(w->set->v[k]))->nkids;
    w->start = dp__calloc(&dp->alloc, n + 1, sizeof *w->start);
    w->from = nedges ? dp__alloc(&dp->alloc, nedges * sizeof *w->from) : NULL;
    w->res = n ? dp__calloc(&dp->alloc, n, 1) : NULL;
    w->why = n ? dp__calloc(&dp->alloc, n, 1) : NULL;
    w->queue = n ? dp__alloc(&dp->alloc, n * sizeof *w->queue) : NULL;
    if (!w->start || (nedges && !w->from) || (n && (!w->res || !w->why || !w->queue)))
        return false;
    for (size_t k = 0; k < n; k++) {
        dp__asset *r = dp__rec_at(dp, dp_handle_index(w->set->v[k]));
        for (uint32_t e = 0; e < r->nkids; e++) {
            long p = pos_of(w->set, dp__kids(r)[e]);
            if (p >= 0)
                w->start[p + 1]++;
        }
    }
    for (size_t k = 0; k < n; k++)
        w->start[k + 1] += w->start[k];
    size_t *fill = dp__alloc(&dp->alloc, (n + 1) * sizeof *fill);
    if (!fill)
        return false;
    for (size_t k = 0; k <= n; k++)
        fill[k] = w->start[k];
    for (size_t k = 0; k < n; k++) {
        dp__asset *r = dp__rec_at(dp, dp_handle_index(w->set->v[k]));
        for (uint32_t e = 0; e < r->nkids; e++) {
            long p = pos_of(w->set, dp__kids(r)[e]);
            if (p >= 0)
                w->from[fill[p]++] = (uint32_t)k;
        }
    }
    dp__free(&dp->alloc, fill);
    return true;
}

static void work_free(dp_depot *dp, deep_work *w)
{
    dp__free(&dp->alloc, w->start);
    dp__free(&dp->alloc, w->from);
    dp__free(&dp->alloc, w->res);
    dp__free(&dp->alloc, w->why);
    dp__free(&dp->alloc, w->queue);
}

/* Seeds the failures: an asset that failed itself, or has a deep-FAILED child outside the
 * set. Queues them; returns how many. */
static size_t seed_failed(dp_depot *dp, deep_work *w)
{
    size_t qn = 0;
    for (size_t k = 0; k < w->n; k++) {
        dp__asset *r = dp__rec_at(dp, dp_handle_index(w->set->v[k]));
        /* Relaxed: this pass runs on the owner, the only writer of state, status, deep and
         * deep_status. */
        uint8_t own = atomic_load_explicit(&r->state, memory_order_relaxed);
        if (own == DP_STATE_FAILED) {
            w->res[k] = DP_STATE_FAILED;
            /* Relaxed: owner-written, read by the owner. */
            w->why[k] = atomic_load_explicit(&r->status, memory_order_relaxed);
        }
        for (uint32_t e = 0; e < r->nkids && !w->res[k]; e++) {
            dp_handle c = dp__kids(r)[e];
            if (pos_of(w->set, c) >= 0)
                continue; /* inside the set: handled by the spreading below */
            dp__asset *cr = dp__rec_live(dp, c);
            /* Relaxed: owner-written, read by the owner. */
            if (cr && atomic_load_explicit(&cr->deep, memory_order_relaxed) == DP_STATE_FAILED) {
                w->res[k] = DP_STATE_FAILED;
                /* Relaxed: owner-written, read by the owner. */
                int8_t s = atomic_load_explicit(&cr->status, memory_order_relaxed);
                w->why[k] = s ? s : atomic_load_explicit(&cr->deep_status, memory_order_relaxed);
            }
        }
        if (w->res[k] == DP_STATE_FAILED)
            w->queue[qn++] = (uint32_t)k;
    }
    return qn;
}

/* A child outside the set that is not settled (created after the set was taken) keeps its
 * parents pending. */
static void seed_pending_outside(dp_depot *dp, deep_work *w)
{
    for (size_t k = 0; k < w->n; k++) {
        dp__asset *r = dp__rec_at(dp, dp_handle_index(w->set->v[k]));
        for (uint32_t e = 0; e < r->nkids && !w->res[k]; e++) {
            dp_handle c = dp__kids(r)[e];
            if (pos_of(w->set, c) >= 0)
                continue;
            dp__asset *cr = dp__rec_live(dp, c);
            /* Relaxed: owner-written, read by the owner. */
            if (cr && atomic_load_explicit(&cr->deep, memory_order_relaxed) == DP_STATE_PENDING)
                w->res[k] = PENDING_SEED;
        }
    }
}

/* Spreads the queued failures to every parent inside the set (over pending seeds too). */
static void spread_failed(deep_work *w, size_t qn)
{
    for (size_t q = 0; q < qn; q++) {
        uint32_t k = w->queue[q];
        for (size_t e = w->start[k]; e < w->start[k + 1]; e++) {
            uint32_t p = w->from[e];
            if (!w->res[p] || w->res[p] == PENDING_SEED) {
                w->res[p] = DP_STATE_FAILED;
                w->why[p] = w->why[k];
                w->queue[qn++] = p;
            }
        }
    }
}

/* Seeds the pending (an asset not loaded yet, or a pending seed that no failure reached)
 * and spreads them to every parent that is neither failed nor pending yet. */
static void spread_pending(dp_depot *dp, deep_work *w)
{
    size_t qn = 0;
    for (size_t k = 0; k < w->n; k++) {
        dp__asset *r = dp__rec_at(dp, dp_handle_index(w->set->v[k]));
        /* Relaxed: owner-written, read by the owner. */
        uint8_t own = atomic_load_explicit(&r->state, memory_order_relaxed);
        if ((!w->res[k] && (own == DP_STATE_PENDING || own == DP_STATE_LOADING)) ||
            w->res[k] == PENDING_SEED) {
            w->res[k] = DP_STATE_PENDING;
            w->queue[qn++] = (uint32_t)k;
        }
    }
    for (size_t q = 0; q < qn; q++) {
        uint32_t k = w->queue[q];
        for (size_t e = w->start[k]; e < w->start[k + 1]; e++) {
            uint32_t p = w->from[e];
            if (!w->res[p]) {
                w->res[p] = DP_STATE_PENDING;
                w->queue[qn++] = p;
            }
        }
    }
}

/* The direct state (dp_state_direct): FAILED if the asset or a child it has an edge to
 * failed, else PENDING if one of them is not loaded yet, else LOADED. An EVICTED asset
 * counts as loaded, as in the deep state. */
static uint8_t direct_state(const dp_depot *dp, const dp__asset *r)
{
    /* Relaxed: states that settle (LOADED, FAILED) are written by the owner, which this is;
     * a worker's LOADING for PENDING changes nothing here. */
    uint8_t own = atomic_load_explicit(&r->state, memory_order_relaxed);
    if (own == DP_STATE_FAILED)
        return DP_STATE_FAILED;
    bool pending = own == DP_STATE_PENDING || own == DP_STATE_LOADING;
    for (uint32_t e = 0; e < r->nkids; e++) {
        const dp__asset *c = dp__rec_live(dp, dp__kids(r)[e]);
        /* Relaxed: as for own above. */
        uint8_t cs = c ? atomic_load_explicit(&c->state, memory_order_relaxed) : DP_STATE_LOADED;
        if (cs == DP_STATE_FAILED)
            return DP_STATE_FAILED;
        if (cs == DP_STATE_PENDING || cs == DP_STATE_LOADING)
            pending = true;
    }
    return pending ? DP_STATE_PENDING : DP_STATE_LOADED;
}

/* Publishes each position's deep state (what neither reached is LOADED), tracks what is
 * pending, and queues what became deep-LOADED. Returns how many were queued. */
static size_t publish(dp_depot *dp, deep_work *w)
{
    size_t na = 0; /* queue[0..na): positions to announce */
    for (size_t k = 0; k < w->n; k++) {
        dp_handle h = w->set->v[k];
        dp__asset *r = dp__rec_at(dp, dp_handle_index(h));
        uint8_t now = w->res[k] ? w->res[k] : DP_STATE_LOADED;
        /* Relaxed: the owner reads its own last store; deep_status needs no order of its own,
         * the release store of deep just below publishes it. */
        uint8_t before = atomic_load_explicit(&r->deep, memory_order_relaxed);
        atomic_store_explicit(&r->deep_status, now == DP_STATE_FAILED ? w->why[k] : DP_OK,
                              memory_order_relaxed);
        /* Release: pairs with dp_state_deep's acquire load; a thread that sees the new deep
         * state also sees its deep_status. */
        atomic_store_explicit(&r->deep, now, memory_order_release);
        uint8_t direct = direct_state(dp, r);
        /* Release: pairs with the acquire in dp_state_direct (a state, nothing else). */
        atomic_store_explicit(&r->direct, direct, memory_order_release);
        if (now == DP_STATE_LOADED && (before != DP_STATE_LOADED || (r->oflags & DP__OF_WAITING)))
            w->queue[na++] = (uint32_t)k;
        if (before == DP_STATE_FAILED && now != DP_STATE_FAILED &&
            r->nin > w->start[k + 1] - w->start[k])
            w->again = true; /* a settled (FAILED) parent outside the set may stop failing */
        if (now != DP_STATE_PENDING && (r->xflags & DP__XF_DONE))
            dp__done_settled(dp, h, r);
        if ((now == DP_STATE_PENDING || direct == DP_STATE_PENDING) &&
            !(r->oflags & DP__OF_WAITING)) {
            if (dp__hvec_push(dp, &dp->waiting, h) == DP_OK)
                r->oflags |= DP__OF_WAITING;
        }
    }
    return na;
}

/* Keeps only the assets still deep- or direct-PENDING on the waiting list, each once; drops
 * the stale entries. */
static void prune_waiting(dp_depot *dp)
{
    size_t keep = 0;
    for (size_t k = 0; k < dp->waiting.n; k++) {
        dp_handle h = dp->waiting.v[k];
        dp__asset *r = dp__rec_live(dp, h);
        if (!r || !(r->oflags & DP__OF_WAITING) || (r->oflags & DP__OF_INSET))
            continue; /* freed, stale, or a repeat of an entry kept already */
        /* Relaxed: the owner reads its own stores from publish. */
        if (atomic_load_explicit(&r->deep, memory_order_relaxed) == DP_STATE_PENDING ||
            atomic_load_explicit(&r->direct, memory_order_relaxed) == DP_STATE_PENDING) {
            r->oflags |= DP__OF_INSET;
            dp->waiting.v[keep++] = h;
        } else {
            r->oflags &= (uint8_t)~DP__OF_WAITING;
        }
    }
    dp->waiting.n = keep;
    dp->waiting_stale = 0;
    for (size_t k = 0; k < keep; k++)
        dp__rec_at(dp, dp_handle_index(dp->waiting.v[k]))->oflags &= (uint8_t)~DP__OF_INSET;
}

void dp__deep_maybe_prune(dp_depot *dp)
{
    if (dp->waiting_stale > 64 && dp->waiting_stale * 2 > dp->waiting.n)
        prune_waiting(dp);
}

/* The full pass over the waiting set (or every live asset); true when it ran. */
static bool full_pass(dp_depot *dp)
{
    deep_work w = {.set = &dp->work2};
    if (!gather_set(dp, w.set))
        return false; /* try again next update; state stays as it was */
    w.n = w.set->n;
    bool ran = build_reverse_edges(dp, &w);
    if (ran) {
        size_t nfailed = seed_failed(dp, &w);
        seed_pending_outside(dp, &w);
        spread_failed(&w, nfailed);
        spread_pending(dp, &w);
        size_t na = publish(dp, &w);
        announce_deep(dp, w.set, w.queue, na);
        prune_waiting(dp);
        dp->deep_seeds.n = 0;
        dp->deep_seeds_lost = false;
        dp->deep_rebuild_all = w.again;
        dp->deep_dirty = w.again;
        dp__dx_rebuild(dp); /* (without memory for the index, asks for a rebuild) */
    } /* else out of memory: try again next update */
    work_free(dp, &w);
    return ran;
}

void dp__deep_update(dp_depot *dp)
{
    if (!dp->deep_dirty)
        return;
    if (dp__deep_incremental(dp)) {
        dp->deep_seeds.n = 0;
        dp->deep_dirty = dp->deep_rebuild_all; /* an asset stopped failing under a settled
                                                  parent: the full pass follows at once */
    }
    /* At most two full passes: one over the waiting set may ask for one over everything. */
    for (int k = 0; k < 2 && dp->deep_dirty; k++)
        if (!full_pass(dp))
            break;
    if (dp->dx && !dp->dx->n && !dp->dx->broken)
        dp__deep_free(dp); /* nothing waits: an idle depot keeps no index */
}

bool dp__deep_due(const dp_depot *dp)
{
    return dp->deep_dirty;
}

/* The bookkeeping of announce_deep: Tarjan's strongly connected components over the edges
 * among the positions to announce, iterative. todo[p]: 1 to announce, 2 on the component
 * stack, 0 announced or not to announce; num/low: visit number (0 unvisited) and lowlink;
 * comp: the component stack; frame/cur: the walk's stack of positions and edge cursors. */
typedef struct scc_work {
    dp_depot *dp;
    const dp__hvec *set;
    uint8_t *todo;
    uint32_t *num, *low, *comp, *frame, *cur;
    uint32_t visits, ncomp, nframe;
} scc_work;

static void emit_deep(dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec_at(dp, dp_handle_index(h));
    /* Relaxed: the type is written by the owner (or by the creator before the slot word's
     * release), read here by the owner. */
    dp__emit(dp, DP_EV_LOADED_DEEP, h, atomic_load_explicit(&r->type, memory_order_relaxed),
             DP_OK);
}

static void scc_enter(scc_work *s, uint32_t p)
{
    s->num[p] = s->low[p] = ++s->visits;
    s->todo[p] = 2;
    s->comp[s->ncomp++] = p;
    s->frame[s->nframe] = p;
    s->cur[s->nframe++] = 0;
}

/* The walk from position root: each component is announced as soon as it is complete,
 * which is after every component it reaches. */
static void scc_walk(scc_work *s, uint32_t root)
{
    scc_enter(s, root);
    while (s->nframe) {
        uint32_t v = s->frame[s->nframe - 1];
        const dp__asset *r = dp__rec_at(s->dp, dp_handle_index(s->set->v[v]));
        if (s->cur[s->nframe - 1] < r->nkids) {
            long p = pos_of(s->set, dp__kids(r)[s->cur[s->nframe - 1]++]);
            if (p < 0 || !s->todo[p])
                continue; /* outside the set, not announced now, or announced already */
            if (!s->num[p])
                scc_enter(s, (uint32_t)p);
            else if (s->num[p] < s->low[v]) /* on the component stack */
                s->low[v] = s->num[p];
            continue;
        }
        if (--s->nframe) {
            uint32_t u = s->frame[s->nframe - 1];
            if (s->low[v] < s->low[u])
                s->low[u] = s->low[v];
        }
        if (s->low[v] != s->num[v])
            continue; /* v's component is still open below a member above it */
        uint32_t m;
        do {
            m = s->comp[--s->ncomp];
            s->todo[m] = 0;
            emit_deep(s->dp, s->set->v[m]);
        } while (m != v);
    }
}

/* Emits LOADED_DEEP for the set positions ann[0..na), dependencies before the assets that
 * depend on them: a strongly connected component (a cycle's members) at a time, one after
 * another, after every component it reaches. Without memory for the bookkeeping, in set
 * order. */
static void announce_deep(dp_depot *dp, const dp__hvec *set, const uint32_t *ann, size_t na)
{
    size_t n = set->n;
    if (!na)
        return;
    scc_work s = {.dp = dp, .set = set};
    s.todo = dp__calloc(&dp->alloc, n, 1);
    s.num = dp__calloc(&dp->alloc, n, sizeof *s.num);
    s.low = dp__alloc(&dp->alloc, n * sizeof *s.low);
    s.comp = dp__alloc(&dp->alloc, na * sizeof *s.comp);
    s.frame = dp__alloc(&dp->alloc, na * sizeof *s.frame);
    s.cur = dp__alloc(&dp->alloc, na * sizeof *s.cur);
    bool ok = s.todo && s.num && s.low && s.comp && s.frame && s.cur;
    for (size_t i = 0; ok && i < na; i++)
        s.todo[ann[i]] = 1;
    for (size_t i = 0; ok && i < na; i++)
        if (s.todo[ann[i]] == 1)
            scc_walk(&s, ann[i]);
    for (size_t i = 0; !ok && i < na; i++)
        emit_deep(dp, set->v[ann[i]]);
    dp__free(&dp->alloc, s.todo);
    dp__free(&dp->alloc, s.num);
    dp__free(&dp->alloc, s.low);
    dp__free(&dp->alloc, s.comp);
    dp__free(&dp->alloc, s.frame);
    dp__free(&dp->alloc, s.cur);
}
