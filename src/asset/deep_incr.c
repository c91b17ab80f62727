/* deep_incr.c — the incremental deep-state pass: O(what changed), however much is waiting.
 *
 * Only the seeds (waiting assets whose own state, edges or tracking changed) and the waiting
 * assets above them can change. With the index's levels in order (deep.h), the pass queues
 * the seeds by level and, as each one's change reaches its waiting parents, those parents:
 * lowest level first, so children before parents, and an asset above that no change
 * reaches is never looked at. With stale levels it walks up from the seeds along the links
 * to every waiting ancestor, which orders them children first. Either way it works each one
 * out in that order: a seed (or an asset whose child stopped failing) by looking at all its
 * children, any other asset from its counts of pending children, which its children's
 * changes adjusted just before. An asset none of whose children changed is skipped, and so
 * changes nothing above it. What settles leaves the waiting list and the index, and
 * announces LOADED_DEEP in that order: dependencies first.
 *
 * A cycle among what the walk reaches leaves the work to the full pass (deep.c), which
 * handles cycles (a cycle of loaded assets is LOADED, its members announced one after
 * another before what depends on them) and rebuilds the index; this pass changes nothing
 * before it knows it has no cycle, so it never announces a parent of an unsettled cycle.
 * Owner thread. */
#include "asset/deep.h"

/* A seed's deep and direct states and its counts, from all its children (the rules of the
 * full pass: its own failure first, then the first failed child in edge order). */
static void count_all(const dp_depot *dp, const dp__asset *r, dp__dent *e, uint8_t *deep,
                      int8_t *why, uint8_t *direct)
{
    uint8_t own = dp__dx_class(r);
    bool dfail = own == DP__DX_FAILED, kfail = false;
    int8_t kwhy = DP_OK;
    uint32_t npk = 0, nok = 0;
    for (uint32_t k = 0; k < r->nkids; k++) {
        const dp__asset *cr = dp__rec_live(dp, dp__kids(r)[k]);
        if (!cr)
            continue; /* gone: counts as loaded */
        /* Relaxed: the owner reads the deep state and status only it writes. */
        uint8_t cd = atomic_load_explicit(&cr->deep, memory_order_relaxed);
        uint8_t cc = dp__dx_class(cr);
        npk += cd == DP_STATE_PENDING;
        nok += cc == DP__DX_PENDING;
        dfail = dfail || cc == DP__DX_FAILED;
        if (cd == DP_STATE_FAILED && !kfail) {
            kfail = true;
            /* Relaxed: owner-written, read by the owner. */
            int8_t st = atomic_load_explicit(&cr->status, memory_order_relaxed);
            kwhy = st ? st : atomic_load_explicit(&cr->deep_status, memory_order_relaxed);
        }
    }
    e->npk = npk;
    e->nok = nok;
    if (own == DP__DX_FAILED) {
        *deep = DP_STATE_FAILED;
        /* Relaxed: owner-written, read by the owner. */
        *why = atomic_load_explicit(&r->status, memory_order_relaxed);
    } else if (kfail) {
        *deep = DP_STATE_FAILED;
        *why = kwhy;
    } else {
        *deep = own == DP__DX_PENDING || npk ? DP_STATE_PENDING : DP_STATE_LOADED;
    }
    *direct = dfail ? DP_STATE_FAILED
                    : own == DP__DX_PENDING || nok ? DP_STATE_PENDING : DP_STATE_LOADED;
}

/* Flags seed k's index entry as a seed; *e is it, or NULL when the seed was freed or settled
 * since. False if it still waits but has no entry (the index is not whole). */
static bool seed_entry(dp_depot *dp, size_t k, dp__dent **e)
{
    dp_handle h = dp->deep_seeds.v[k];
    dp__asset *r = dp__rec_live(dp, h);
    *e = NULL;
    if (!r || !(r->oflags & DP__OF_WAITING))
        return true; /* freed, or settled since */
    if (!(*e = dp__dx_get(dp, dp_handle_index(h))))
        return false;
    (*e)->flags |= DP__DX_SEED;
    return true;
}

/* Flags the live waiting seeds. False if one has no entry (the index is not whole). */
static bool mark_seeds(dp_depot *dp)
{
    dp__dent *e;
    for (size_t k = 0; k < dp->deep_seeds.n; k++)
        if (!seed_entry(dp, k, &e))
            return false;
    return true;
}

/* Walks up from one seed (depth first over the parent links), appending each asset to
 * x->order once all its waiting ancestors are in it. False on a cycle or a missing entry. */
static bool walk_up(dp_depot *dp, dp__dx *x, uint32_t seed, size_t *no)
{
    size_t sp = 0;
    dp__dent *e = dp__dx_get(dp, seed);
    if (e->mark)
        return true;
    e->mark = 1;
    x->stack[sp] = seed;
    x->cursor[sp++] = e->parents;
    while (sp) {
        uint32_t l = x->cursor[sp - 1];
        if (!l) {
            dp__dx_get(dp, x->stack[sp - 1])->mark = 2;
            x->order[(*no)++] = x->stack[--sp];
            continue;
        }
        x->cursor[sp - 1] = x->links[l - 1].next;
        uint32_t p = x->links[l - 1].parent;
        dp__dent *pe = dp__dx_get(dp, p);
        if (!pe || pe->mark == 1)
            return false; /* not whole, or a cycle */
        if (pe->mark == 0) {
            pe->mark = 1;
            x->stack[sp] = p;
            x->cursor[sp++] = pe->parents;
        }
    }
    return true;
}

/* The level-ordered queue (a binary min-heap in x->heap): level << 32 | slot index. */
static void queue_push(dp__dx *x, uint32_t lvl, uint32_t i)
{
    size_t k = x->nheap++;
    uint64_t v = (uint64_t)lvl << 32 | i;
    while (k && x->heap[(k - 1) / 2] > v) {
        x->heap[k] = x->heap[(k - 1) / 2];
        k = (k - 1) / 2;
    }
    x->heap[k] = v;
}

static uint32_t queue_pop(dp__dx *x)
{
    uint64_t top = x->heap[0], last = x->heap[--x->nheap];
    size_t k = 0, n = x->nheap;
    for (size_t c = 1; c < n; k = c, c = 2 * c + 1) {
        if (c + 1 < n && x->heap[c + 1] < x->heap[c])
            c++;
        if (x->heap[c] >= last)
            break;
        x->heap[k] = x->heap[c];
    }
    if (n)
        x->heap[k] = last;
    return (uint32_t)top;
}

/* Queues a waiting asset for the level-ordered pass, once. */
static void enqueue(dp_depot *dp, dp__dx *x, dp__dent *e)
{
    if (e->mark)
        return;
    if (x->nheap == x->capheap) {
        size_t cap = x->capheap;
        if (dp__grow(&dp->alloc, (void **)&x->heap, &cap, x->nheap + 1, sizeof *x->heap) !=
            DP_OK) {
            dp->deep_rebuild_all = true; /* out of memory: the full pass follows at once */
            return;
        }
        x->capheap = cap;
    }
    e->mark = 1;
    queue_push(x, e->lvl, e->key - 1);
}

/* What a child's change tells its parents. */
typedef struct change {
    int dpend, down;   /* -1, 0, +1: pending children by deep state, by own state */
    bool fail, dfail;  /* it became deep-FAILED; its own state became FAILED */
    bool unfail;       /* it stopped failing (deep or own) */
    int8_t why;        /* with fail: its failure as its parents record it */
} change;

/* Passes a change of asset e on to its waiting parents' counts and flags. */
static void tell_parents(dp_depot *dp, dp__dx *x, const dp__dent *e, const change *c)
{
    if (!c->dpend && !c->down && !c->fail && !c->dfail && !c->unfail)
        return;
    for (uint32_t l = e->parents; l; l = x->links[l - 1].next) {
        dp__dent *pe = dp__dx_get(dp, x->links[l - 1].parent);
        pe->npk += (uint32_t)c->dpend;
        pe->nok += (uint32_t)c->down;
        pe->flags |= DP__DX_TOUCHED;
        if (c->fail && !(pe->flags & DP__DX_KFAIL)) {
            pe->flags |= DP__DX_KFAIL;
            pe->why = c->why;
        }
        if (c->dfail)
            pe->flags |= DP__DX_KDFAIL;
        if (c->unfail)
            pe->flags |= DP__DX_RESCAN;
        if (x->by_level)
            enqueue(dp, x, pe);
    }
}

/* How many waiting parents e is linked to. */
static uint32_t linked_parents(const dp__dx *x, const dp__dent *e)
{
    uint32_t n = 0;
    for (uint32_t l = e->parents; l; l = x->links[l - 1].next)
        n++;
    return n;
}

/* Works out the waiting asset at slot index i (flags: why it is looked at), publishes its
 * states, tells its parents what changed, and lets it go if it settled. */
static void work_out(dp_depot *dp, dp__dx *x, uint32_t i, uint8_t flags)
{
    dp__asset *r = dp__rec_at(dp, i);
    dp__dent *e = dp__dx_get(dp, i);
    uint8_t own = dp__dx_class(r), old_own = e->own, deep, direct;
    /* Relaxed: the owner reads its own last store. */
    uint8_t old = atomic_load_explicit(&r->deep, memory_order_relaxed);
    int8_t why = DP_OK;
    bool keep_status = false;
    if ((flags & (DP__DX_SEED | DP__DX_RESCAN)) || own == DP__DX_FAILED) {
        count_all(dp, r, e, &deep, &why, &direct);
    } else {
        /* Its own state and other children are as before; a failure stays (first wins). */
        keep_status = old == DP_STATE_FAILED;
        if (keep_status)
            deep = DP_STATE_FAILED;
        else if (flags & DP__DX_KFAIL)
            deep = DP_STATE_FAILED, why = e->why;
        else
            deep = own == DP__DX_PENDING || e->npk ? DP_STATE_PENDING : DP_STATE_LOADED;
        direct = (flags & DP__DX_KDFAIL) ? DP_STATE_FAILED
                 : own == DP__DX_PENDING || e->nok ? DP_STATE_PENDING : DP_STATE_LOADED;
    }
    if (!keep_status) /* Relaxed: the release store of deep below publishes it. */
        atomic_store_explicit(&r->deep_status, deep == DP_STATE_FAILED ? why : DP_OK,
                              memory_order_relaxed);
    /* Release: pairs with dp_state_deep's and dp_state_direct's acquire loads. */
    atomic_store_explicit(&r->deep, deep, memory_order_release);
    atomic_store_explicit(&r->direct, direct, memory_order_release);
    /* The slot word only for what settles: a parent still pending costs no extra line. */
    dp_handle h = deep == DP_STATE_PENDING ? DP_NULL_HANDLE : dp__handle_at(dp, i);
    if (deep != DP_STATE_PENDING && (r->xflags & DP__XF_DONE))
        dp__done_settled(dp, h, r);
    /* Relaxed: owner-written, read by the owner. */
    int8_t st = atomic_load_explicit(&r->status, memory_order_relaxed);
    change c = {
        .dpend = (deep == DP_STATE_PENDING) - (old == DP_STATE_PENDING),
        .down = (own == DP__DX_PENDING) - (old_own == DP__DX_PENDING),
        .fail = deep == DP_STATE_FAILED && old != DP_STATE_FAILED,
        .dfail = own == DP__DX_FAILED && old_own != DP__DX_FAILED,
        .unfail = (old == DP_STATE_FAILED && deep != DP_STATE_FAILED) ||
                  (old_own == DP__DX_FAILED && own != DP__DX_FAILED),
        /* Relaxed: as above. */
        .why = st ? st : atomic_load_explicit(&r->deep_status, memory_order_relaxed),
    };
    e->own = own;
    tell_parents(dp, x, e, &c);
    if (old == DP_STATE_FAILED && deep != DP_STATE_FAILED && r->nin > linked_parents(x, e))
        dp->deep_rebuild_all = true; /* a settled (FAILED) parent may stop failing too */
    if (deep == DP_STATE_PENDING || direct == DP_STATE_PENDING)
        return;
    r->oflags &= (uint8_t)~DP__OF_WAITING; /* its entry on the list is stale now */
    dp->waiting_stale++;
    dp__dx_leave(dp, i, r);
    if (deep == DP_STATE_LOADED)
        /* Relaxed: the owner reads the type only it changes. */
        dp__emit(dp, DP_EV_LOADED_DEEP, h, atomic_load_explicit(&r->type, memory_order_relaxed),
                 DP_OK);
}

/* Takes an asset off the pass's order or queue and works it out if something changed. */
static void visit(dp_depot *dp, dp__dx *x, uint32_t i)
{
    dp__dent *e = dp__dx_get(dp, i);
    if (!e)
        return; /* (each leaves only once worked out, so this does not happen) */
    uint8_t flags = e->flags;
    e->flags = 0;
    e->mark = 0;
    if (flags & (DP__DX_SEED | DP__DX_TOUCHED | DP__DX_RESCAN))
        work_out(dp, x, i, flags);
}

/* With ordered levels: the seeds and then each parent a change reaches, lowest level
 * first, so an asset is worked out after every child that changed and nothing that did
 * not change is looked at. */
static bool by_level(dp_depot *dp, dp__dx *x)
{
    x->nheap = 0;
    dp__dent *e;
    for (size_t k = 0; k < dp->deep_seeds.n; k++) {
        if (!seed_entry(dp, k, &e))
            return false; /* the index is not whole (nothing changed yet) */
        if (e)
            enqueue(dp, x, e);
    }
    x->by_level = true;
    while (x->nheap)
        visit(dp, x, queue_pop(x));
    x->by_level = false;
    return true;
}

bool dp__deep_incremental(dp_depot *dp)
{
    dp__dx *x = dp->dx;
    if (dp->deep_rebuild_all || dp->deep_seeds_lost || !x || x->broken)
        return false;
    size_t no = 0;
    bool ok;
    if (!x->lvl_stale) {
        ok = by_level(dp, x);
    } else {
        ok = dp__dx_reserve_work(dp, x->n) && mark_seeds(dp);
        for (size_t k = 0; ok && k < dp->deep_seeds.n; k++) {
            dp_handle h = dp->deep_seeds.v[k];
            dp__asset *r = dp__rec_live(dp, h);
            if (r && (r->oflags & DP__OF_WAITING))
                ok = walk_up(dp, x, dp_handle_index(h), &no);
        }
    }
    if (!ok) {
        x->broken = true; /* marks are left behind: the full pass rebuilds the index */
        return false;
    }
    while (no) /* (the walk's order; the pass by level is done) */
        visit(dp, x, x->order[--no]);
    dp__deep_maybe_prune(dp);
    return true;
}
