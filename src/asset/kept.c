/* kept.c — what the unused cache keeps alive besides its own assets: dependencies held only
 * by cached assets (directly or through other such dependencies). Their bytes count against
 * dp_desc.keep_unused_bytes like the cached assets' own. Owner thread, except the flag read
 * noted at dp__kept_flag.
 *
 * Bookkeeping, O(changed) per update: r->cheld counts r's incoming edges from keeping
 * parents (cached, or kept themselves). An asset is kept when it is not cached, has cheld > 0
 * and its whole count is cheld: nobody else holds it. Becoming kept or ceasing to be
 * adjusts the children's cheld, which may change them in turn (an explicit work list, no
 * recursion). What can change the answer: an asset entering or leaving the cache, an edge
 * added or removed under a keeping parent, a kept asset freed or its bytes changed, and any
 * other count change of an asset with cheld > 0; releases to a non-zero count reach the
 * owner as cycle candidates (dp__kept_check), and an acquire of a kept asset on another
 * thread sees the atomic flag and queues REVIVED attention.
 *
 * Dependencies that hold each other (a cycle below a cached asset) are never kept: their
 * counts include edges from inside the cycle, which no cached parent explains. They then
 * count as held by someone else, as the cycle collector would see them too. */
#include "asset/asset_internal.h"

static bool keeps(const dp__asset *r)
{
    /* Relaxed: only the owner writes kept, and this is the owner. */
    return (r->oflags & DP__OF_CACHED) ||
           atomic_load_explicit(&r->kept, memory_order_relaxed);
}

static void push_or_recurse(dp_depot *dp, dp_handle h, int dir);

/* Tries to make the asset kept: its count is exactly the edges from keeping parents. The
 * flag is set before the count is read again (both seq_cst), against an acquirer that moves
 * the count before it reads the flag: at least one of the two sees the other. */
static bool try_keep(dp_depot *dp, dp_handle h, dp__asset *r)
{
    if (keeps(r) || r->cheld == 0 || dp_count(dp, h) != r->cheld)
        return false;
    atomic_store_explicit(&r->kept, 1, memory_order_seq_cst);
    if (dp_count(dp, h) != r->cheld) {
        atomic_store_explicit(&r->kept, 0, memory_order_seq_cst);
        return false;
    }
    /* Relaxed: only the owner writes bytes, and this is the owner. */
    dp->kept_bytes += atomic_load_explicit(&r->bytes, memory_order_relaxed);
    return true;
}

static void unkeep(dp_depot *dp, dp__asset *r)
{
    /* Relaxed: an acquirer that still sees the old 1 only queues a REVIVED the owner re-checks
     * against the count; the owner reads its own writes (bytes too). */
    atomic_store_explicit(&r->kept, 0, memory_order_relaxed);
    dp->kept_bytes -= atomic_load_explicit(&r->bytes, memory_order_relaxed);
}

/* One edge from a parent that starts (+1) or stops (-1) keeping; true if the child changed
 * its own keeping with it, so its children must follow. */
static bool edge_step(dp_depot *dp, dp_handle c, int dir)
{
    dp__asset *cr = dp__rec_live(dp, c);
    if (!cr)
        return false; /* evicted or dying: nothing kept any more */
    if (dir > 0) {
        cr->cheld++;
        return try_keep(dp, c, cr);
    }
    cr->cheld--;
    /* Relaxed: the owner reads what only it writes. */
    if (!atomic_load_explicit(&cr->kept, memory_order_relaxed))
        return false;
    unkeep(dp, cr);
    return true;
}

/* The parent h started (+1) or stopped (-1) keeping: its children follow, transitively. */
static void spread(dp_depot *dp, dp_handle h, int dir)
{
    dp__hvec *w = &dp->kept_work;
    size_t base = w->n;
    push_or_recurse(dp, h, dir);
    while (w->n > base) {
        dp_handle p = w->v[--w->n];
        dp__asset *pr = dp__rec_at(dp, dp_handle_index(p));
        for (uint32_t k = 0; k < pr->nkids; k++)
            if (edge_step(dp, dp__kids(pr)[k], dir))
                push_or_recurse(dp, dp__kids(pr)[k], dir);
    }
}

static void push_or_recurse(dp_depot *dp, dp_handle h, int dir)
{
    if (dp__hvec_push(dp, &dp->kept_work, h) == DP_OK)
        return;
    /* No room for the work list (out of memory): one level of recursion per level. */
    dp__asset *pr = dp__rec_at(dp, dp_handle_index(h));
    for (uint32_t k = 0; k < pr->nkids; k++)
        if (edge_step(dp, dp__kids(pr)[k], dir))
            push_or_recurse(dp, dp__kids(pr)[k], dir);
}

void dp__kept_cached(dp_depot *dp, dp_handle h, bool entering)
{
    if (dp->destroying || !h.bits)
        return;
    spread(dp, h, entering ? 1 : -1);
}

void dp__kept_check(dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (!r || dp->destroying || (r->oflags & DP__OF_CACHED) || r->cheld == 0)
        return;
    /* Relaxed: the owner reads what only it writes. */
    if (atomic_load_explicit(&r->kept, memory_order_relaxed)) {
        if (dp_count(dp, h) != r->cheld) {
            unkeep(dp, r); /* someone else holds it now */
            spread(dp, h, -1);
        }
    } else if (try_keep(dp, h, r)) {
        spread(dp, h, 1);
    }
}

void dp__kept_edge(dp_depot *dp, dp_handle parent, dp_handle child, int dir)
{
    dp__asset *p = dp__rec(dp, parent);
    if (!p || dp->destroying || !keeps(p))
        return;
    if (edge_step(dp, child, dir))
        spread(dp, child, dir);
}

void dp__kept_forget(dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec_at(dp, dp_handle_index(h));
    /* Relaxed: the owner reads what only it writes. */
    if (!atomic_load_explicit(&r->kept, memory_order_relaxed))
        return;
    unkeep(dp, r);
    if (!dp->destroying)
        spread(dp, h, -1);
}

void dp__kept_resized(dp_depot *dp, dp__asset *r, size_t before, size_t after)
{
    /* Relaxed: the owner reads what only it writes. */
    if (atomic_load_explicit(&r->kept, memory_order_relaxed))
        dp->kept_bytes = dp->kept_bytes - before + after;
}
