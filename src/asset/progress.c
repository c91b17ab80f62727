/* progress.c — dp_progress and dp_group_progress, counted incrementally. Owner thread.
 *
 * The first query of an asset or a group makes a tracker: the set of assets in its
 * dependency closure (a hash set of handles, each entry remembering what it added to the
 * counters) and the counters themselves (total, settled, loaded, failed, bytes). From then
 * on the registry tells the trackers what changes, and a query only copies the counters:
 *  - an asset's own state changed (dp__deep_note_change with no child): its entry is
 *    counted again, in every tracker that holds it;
 *  - an edge was added from a member, or an asset joined a tracked group: the child's
 *    closure joins (each asset once per tracker: the walk stops at members);
 *  - an edge from a member was removed, a member was freed, or a tracked group lost a
 *    member: the closure may have shrunk, so the tracker is marked dirty and walked again
 *    at its next query (rare: during a load, closures only grow).
 * An asset in some tracker carries DP__OF_TRACKED, so an untracked asset costs one flag
 * test per change. A tracker ends when its asset is freed or its group destroyed.
 * dp_pending lists a group tracker's unsettled members with the time since each was first
 * seen unsettled (kept across walks). */
#include <string.h>

#include "asset/asset_internal.h"
#include "asset/progress.h"

/* One member: its handle and what it adds to the counters now. */
typedef struct pentry {
    uint64_t bits;     /* 0 = empty slot */
    uint64_t since_ns; /* when it was last seen unsettled (dp_pending) */
    size_t bytes;      /* its bytes in bytes_loaded */
    uint8_t counted;   /* 0 (unsettled), DP_STATE_LOADED or DP_STATE_FAILED */
} pentry;

typedef struct tracker {
    uint64_t root;  /* asset or group handle bits */
    bool group;
    bool dirty;     /* a member may have left, or a join ran out of memory: walk again */
    pentry *set;    /* open addressing, linear probing; cap a power of two or 0 */
    size_t cap, n;
    dp_progress_info p;
} tracker;

struct dp__progress {
    tracker *t;
    size_t n, cap;
    dp__hvec walk; /* scratch of join */
};

static size_t slot_of(uint64_t bits, size_t cap)
{
    return (size_t)((bits * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

static pentry *find(const tracker *t, uint64_t bits)
{
    if (!t->cap)
        return NULL;
    for (size_t i = slot_of(bits, t->cap);; i = (i + 1) & (t->cap - 1)) {
        if (t->set[i].bits == bits)
            return &t->set[i];
        if (!t->set[i].bits)
            return NULL;
    }
}

/* Room for one more member (load at most 1/2). */
static dp_status reserve(dp_depot *dp, tracker *t)
{
    if ((t->n + 1) * 2 <= t->cap)
        return DP_OK;
    size_t ncap = t->cap ? t->cap * 2 : 16;
    pentry *ns = dp__calloc(&dp->alloc, ncap, sizeof *ns);
    if (!ns)
        return DP_ERR_NOMEM;
    for (size_t k = 0; k < t->cap; k++) {
        if (!t->set[k].bits)
            continue;
        size_t i = slot_of(t->set[k].bits, ncap);
        while (ns[i].bits)
            i = (i + 1) & (ncap - 1);
        ns[i] = t->set[k];
    }
    dp__free(&dp->alloc, t->set);
    t->set = ns;
    t->cap = ncap;
    return DP_OK;
}

/* Takes e's part out of the counters, works it out again from r, and puts it back. */
static void recount(tracker *t, pentry *e, const dp__asset *r)
{
    dp_progress_info *p = &t->p;
    if (e->counted == DP_STATE_LOADED) {
        p->settled--;
        p->loaded--;
        p->bytes_loaded -= e->bytes;
    } else if (e->counted == DP_STATE_FAILED) {
        p->settled--;
        p->failed--;
    }
    /* Relaxed: the owner writes state and bytes, and this is the owner. */
    uint8_t s = atomic_load_explicit(&r->state, memory_order_relaxed);
    if (s == DP_STATE_EVICTED)
        s = DP_STATE_LOADED; /* loaded once; its data comes back on use (residency.c) */
    uint8_t was = e->counted;
    e->counted = s == DP_STATE_LOADED || s == DP_STATE_FAILED ? s : 0;
    e->bytes = 0;
    if (e->counted == DP_STATE_LOADED) {
        /* Relaxed: the owner writes bytes, and this is the owner. */
        e->bytes = atomic_load_explicit(&r->bytes, memory_order_relaxed);
        p->settled++;
        p->loaded++;
        p->bytes_loaded += e->bytes;
    } else if (e->counted == DP_STATE_FAILED) {
        p->settled++;
        p->failed++;
    } else if (was || !e->since_ns) {
        e->since_ns = dp__now_ns(); /* pending from now (new, or tried again) */
    }
}

/* Adds h and everything it reaches that is not a member yet. */
static dp_status join(dp_depot *dp, tracker *t, dp_handle h)
{
    dp__hvec *w = &dp->progress->walk;
    w->n = 0;
    if (dp__hvec_push(dp, w, h) != DP_OK)
        return DP_ERR_NOMEM;
    while (w->n) {
        dp_handle x = w->v[--w->n];
        dp__asset *r = dp__rec_live(dp, x);
        if (!r || find(t, x.bits))
            continue;
        if (reserve(dp, t) != DP_OK)
            return DP_ERR_NOMEM;
        size_t i = slot_of(x.bits, t->cap);
        while (t->set[i].bits)
            i = (i + 1) & (t->cap - 1);
        t->set[i] = (pentry){.bits = x.bits};
        t->n++;
        t->p.total++;
        recount(t, &t->set[i], r);
        r->oflags |= DP__OF_TRACKED;
        for (uint32_t e = 0; e < r->nkids; e++)
            if (!find(t, dp__kids(r)[e].bits) && dp__hvec_push(dp, w, dp__kids(r)[e]) != DP_OK)
                return DP_ERR_NOMEM;
    }
    return DP_OK;
}

/* Walks the tracker's closure again from its root (after members may have left). Members
 * that stay keep the time since which they are pending. */
static dp_status rebuild(dp_depot *dp, tracker *t)
{
    tracker old = *t;
    t->set = NULL;
    t->cap = t->n = 0;
    memset(&t->p, 0, sizeof t->p);
    dp_status st = DP_OK;
    if (t->group) {
        const dp__group *g = dp__group_get(dp, (dp_group){t->root});
        for (size_t k = 0; g && k < g->n && st == DP_OK; k++)
            st = join(dp, t, g->members[k]);
    } else {
        st = join(dp, t, (dp_handle){t->root});
    }
    if (st != DP_OK) { /* keep the old counters; try again at the next query */
        dp__free(&dp->alloc, t->set);
        *t = old;
        t->dirty = true;
        return st;
    }
    for (size_t k = 0; k < t->cap; k++) {
        const pentry *was = t->set[k].bits ? find(&old, t->set[k].bits) : NULL;
        if (was && was->since_ns && was->since_ns < t->set[k].since_ns)
            t->set[k].since_ns = was->since_ns;
    }
    dp__free(&dp->alloc, old.set);
    t->dirty = false;
    return DP_OK;
}

static tracker *tracker_of(dp_depot *dp, uint64_t root, bool group)
{
    struct dp__progress *pr = dp->progress;
    for (size_t k = 0; pr && k < pr->n; k++)
        if (pr->t[k].root == root && pr->t[k].group == group)
            return &pr->t[k];
    return NULL;
}

static void drop(dp_depot *dp, tracker *t)
{
    struct dp__progress *pr = dp->progress;
    dp__free(&dp->alloc, t->set);
    *t = pr->t[--pr->n];
}

/* The tracker of root, made (and walked) if there is none. */
static dp_status track(dp_depot *dp, uint64_t root, bool group, tracker **out)
{
    *out = tracker_of(dp, root, group);
    if (*out)
        return (*out)->dirty ? rebuild(dp, *out) : DP_OK;
    if (!dp->progress) {
        dp->progress = dp__calloc(&dp->alloc, 1, sizeof *dp->progress);
        if (!dp->progress)
            return DP_ERR_NOMEM;
    }
    struct dp__progress *pr = dp->progress;
    if (dp__grow(&dp->alloc, (void **)&pr->t, &pr->cap, pr->n + 1, sizeof *pr->t) != DP_OK)
        return DP_ERR_NOMEM;
    tracker *t = &pr->t[pr->n++];
    *t = (tracker){.root = root, .group = group};
    if (rebuild(dp, t) != DP_OK) {
        pr->n--;
        return DP_ERR_NOMEM;
    }
    *out = t;
    return DP_OK;
}

static dp_status query(dp_depot *dp, uint64_t root, bool group, dp_progress_info *out)
{
    tracker *t;
    dp_status st = track(dp, root, group, &t);
    if (st != DP_OK)
        return st;
    *out = t->p;
    out->done = t->p.settled == t->p.total;
    return DP_OK;
}

/* The checks both queries start with: out zeroed, arguments, thread. */
static dp_status begin(const dp_depot *dp, dp_progress_info *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!dp || !out)
        return DP_ERR_INVALID;
    return dp__is_owner(dp) ? DP_OK : DP_ERR_WRONG_THREAD;
}

dp_status dp_progress(dp_depot *dp, dp_handle h, dp_progress_info *out)
{
    dp_status st = begin(dp, out);
    if (st != DP_OK)
        return st;
    return dp__rec_live(dp, h) ? query(dp, h.bits, false, out) : DP_ERR_STALE;
}

dp_status dp_group_progress(dp_depot *dp, dp_group g, dp_progress_info *out)
{
    dp_status st = begin(dp, out);
    if (st != DP_OK)
        return st;
    return dp__group_alive(dp, g) ? query(dp, g.bits, true, out) : DP_ERR_STALE;
}

/* Puts e into out[0..*n) (at most cap), which is kept oldest first; a full list keeps the
 * cap oldest. */
static void keep_oldest(const pentry *e, const dp__asset *r, uint64_t now,
                        dp_pending_info *out, size_t cap, size_t *n)
{
    size_t at = *n;
    while (at > 0 && out[at - 1].pending_ms * 1000000u < now - e->since_ns)
        at--;
    if (at >= cap)
        return;
    size_t last = *n < cap ? *n : cap - 1;
    for (size_t k = last; k > at; k--)
        out[k] = out[k - 1];
    if (*n < cap)
        (*n)++;
    /* Relaxed: a worker may set LOADING meanwhile; either state is a fair answer. */
    dp_state s = (dp_state)atomic_load_explicit(&r->state, memory_order_relaxed);
    out[at] = (dp_pending_info){
        .handle = {e->bits},
        .key = dp__rec_key(r),
        .state = s,
        .pending_ms = (now - e->since_ns) / 1000000u,
    };
}

dp_status dp_pending(dp_depot *dp, dp_group g, dp_pending_info *out, size_t cap, size_t *count)
{
    if (count)
        *count = 0;
    if (!dp || !count || (cap && !out))
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    if (!dp__group_alive(dp, g))
        return DP_ERR_STALE;
    tracker *t;
    dp_status st = track(dp, g.bits, true, &t);
    if (st != DP_OK)
        return st;
    uint64_t now = dp__now_ns();
    size_t filled = 0;
    for (size_t k = 0; k < t->cap; k++) {
        const pentry *e = &t->set[k];
        const dp__asset *r = e->bits && !e->counted ? dp__rec_live(dp, (dp_handle){e->bits}) : NULL;
        if (!r)
            continue;
        (*count)++;
        if (cap)
            keep_oldest(e, r, now, out, cap, &filled);
    }
    return DP_OK;
}

/* ---- what the registry tells the trackers ---------------------------------------------- */

void dp__progress_state(dp_depot *dp, dp_handle h)
{
    struct dp__progress *pr = dp->progress;
    dp__asset *r = pr ? dp__rec_live(dp, h) : NULL;
    if (!r || !(r->oflags & DP__OF_TRACKED))
        return;
    for (size_t k = 0; k < pr->n; k++) {
        pentry *e = pr->t[k].dirty ? NULL : find(&pr->t[k], h.bits);
        if (e)
            recount(&pr->t[k], e, r);
    }
}

void dp__progress_edge(dp_depot *dp, dp_handle parent, dp_handle child, int dir)
{
    struct dp__progress *pr = dp->progress;
    dp__asset *r = pr ? dp__rec_live(dp, parent) : NULL;
    if (!r || !(r->oflags & DP__OF_TRACKED))
        return;
    for (size_t k = 0; k < pr->n; k++) {
        tracker *t = &pr->t[k];
        if (t->dirty || !find(t, parent.bits))
            continue;
        if (dir < 0 || join(dp, t, child) != DP_OK)
            t->dirty = true;
    }
}

void dp__progress_group(dp_depot *dp, dp_group g, dp_handle member, int dir)
{
    tracker *t = dp->progress ? tracker_of(dp, g.bits, true) : NULL;
    if (!t || t->dirty)
        return;
    if (dir < 0 || join(dp, t, member) != DP_OK)
        t->dirty = true;
}

void dp__progress_group_gone(dp_depot *dp, dp_group g)
{
    tracker *t = dp->progress ? tracker_of(dp, g.bits, true) : NULL;
    if (t)
        drop(dp, t);
}

void dp__progress_freed(dp_depot *dp, dp_handle h, uint8_t oflags)
{
    struct dp__progress *pr = dp->progress;
    if (!pr || !(oflags & DP__OF_TRACKED))
        return;
    for (size_t k = 0; k < pr->n;) {
        tracker *t = &pr->t[k];
        if (!t->group && t->root == h.bits) {
            drop(dp, t); /* the last one moved to k: look at k again */
            continue;
        }
        if (!t->dirty && find(t, h.bits))
            t->dirty = true;
        k++;
    }
}

void dp__progress_free(dp_depot *dp)
{
    struct dp__progress *pr = dp->progress;
    if (!pr)
        return;
    for (size_t k = 0; k < pr->n; k++)
        dp__free(&dp->alloc, pr->t[k].set);
    dp__free(&dp->alloc, pr->t);
    dp__hvec_free(dp, &pr->walk);
    dp__free(&dp->alloc, pr);
    dp->progress = NULL;
}
