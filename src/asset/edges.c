/* edges.c — dependency edges: a parent holds one strong count on each child. Owner thread. */
#include <string.h>

#include "asset/asset_internal.h"
#include "asset/trace.h"

/* Counts an edge to c in (+1) or out (-1) of dp_stats.edges and c's incoming edges, unless
 * c was freed already: an edge counts until its first end is freed (see free.c). */
static void count_edge(dp_depot *dp, dp_handle c, int dir)
{
    if (!dp__not_freed(dp, c))
        return;
    dp__asset *cr = dp__rec_at(dp, dp_handle_index(c));
    if (dir > 0) {
        cr->nin++;
        /* Relaxed: a statistic; nothing is published through it. */
        atomic_fetch_add_explicit(&dp->st_edges, 1, memory_order_relaxed);
    } else {
        cr->nin--;
        /* Relaxed: a statistic; nothing is published through it. */
        atomic_fetch_sub_explicit(&dp->st_edges, 1, memory_order_relaxed);
    }
}

/* Appends c to r's edges: the first in the record itself, the second moves both to an array
 * (capacity implied by nkids, see dp__kids_cap). */
static dp_status push_kid(dp_depot *dp, dp__asset *r, dp_handle c)
{
    uint32_t cap = dp__kids_cap(r->nkids);
    if (r->nkids == UINT32_MAX)
        return DP_ERR_OVERFLOW;
    if (r->nkids == 0) {
        r->kids.one = c;
    } else {
        if (r->nkids == 1 || r->nkids == cap) {
            uint32_t ncap = cap ? cap * 2 : 2;
            dp_handle *n = dp__alloc(&dp->alloc, (size_t)ncap * sizeof *n);
            if (!n)
                return DP_ERR_NOMEM;
            memcpy(n, dp__kids(r), r->nkids * sizeof *n);
            if (r->nkids > 1)
                dp__free(&dp->alloc, r->kids.many);
            r->kids.many = n;
        }
        r->kids.many[r->nkids] = c;
    }
    r->nkids++;
    count_edge(dp, c, 1);
    return DP_OK;
}

/* Removes r's edge at position i (the last one takes its place); from two edges to one, the
 * one left moves back into the record and the array goes. Does not count the edge out. */
static void remove_kid(dp_depot *dp, dp__asset *r, uint32_t i)
{
    if (r->nkids == 1) {
        r->kids.many = NULL;
        r->nkids = 0;
        return;
    }
    dp_handle *v = r->kids.many;
    v[i] = v[--r->nkids];
    if (r->nkids == 1) {
        dp_handle last = v[0];
        dp__free(&dp->alloc, v);
        r->kids.one = last;
    }
}

static int find_kid(const dp__asset *r, dp_handle c)
{
    const dp_handle *kids = dp__kids(r);
    for (uint32_t i = 0; i < r->nkids; i++)
        if (kids[i].bits == c.bits)
            return (int)i;
    return -1;
}

/* An edge whose count did not come from a count a caller will later drop (a revived unused
 * child, or a load job's count moved to the edge) may close a garbage cycle that no release
 * will ever point the collector at: make the child a candidate. A child without edges of
 * its own cannot be on a cycle. */
static void may_close_cycle(dp_depot *dp, dp_handle child)
{
    const dp__asset *c = dp__rec_live(dp, child);
    if (c && c->nkids > 0)
        dp__candidate(dp, child);
}

/* An edge added while the collection in progress is marking, from a parent the mark has
 * coloured, may be one the mark never takes off the child's trial count (it has walked the
 * parent's edges already): the child, garbage perhaps, would look held, and no release will
 * say otherwise, so it is a candidate of the next collection (cycles.c's completeness rule).
 * Edges or not: one it gets later would pass the wrong colour on. */
static void missed_by_mark(dp_depot *dp, const dp__asset *parent, dp_handle child)
{
    if (dp__cycles_walked(dp, parent))
        dp__candidate(dp, child);
}

dp_status dp_depend(dp_depot *dp, dp_handle parent, dp_handle child)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__asset *p = dp__rec_live(dp, parent);
    if (!p || !dp__rec_live(dp, child))
        return DP_ERR_STALE;
    if (find_kid(p, child) >= 0)
        return DP_ERR_EXISTS;
    /* Add the edge first, so that a failure changes nothing; take the count after. (Making
     * room and pushing later cannot work: the capacity is implied by nkids, 0 for 0.) */
    dp_status st = push_kid(dp, p, child);
    if (st != DP_OK)
        return st;
    uint32_t before;
    st = dp__acquire_owned(dp, child, &before);
    if (st != DP_OK) {
        remove_kid(dp, p, p->nkids - 1);
        count_edge(dp, child, -1);
        return st;
    }
    DP__TRACE_WIDE(dp, DP__T_EDGE_ADD, parent, child.bits);
    if (before == 0)
        may_close_cycle(dp, child);
    missed_by_mark(dp, p, child);
    dp__kept_edge(dp, parent, child, 1);
    dp__deep_note_change(dp, parent, child);
    dp__progress_edge(dp, parent, child, 1);
    return DP_OK;
}

const char dp__site_load[] = "(load job)";

dp_status dp__edge_add_owned(dp_depot *dp, dp_handle parent, dp_handle child)
{
    if (dp->desc.track_holders)
        dp__holder_remove_site(dp, child, dp__site_load); /* the count becomes an edge */
    dp__asset *p = dp__rec_live(dp, parent);
    dp_status st = DP_ERR_STALE;
    if (p) {
        if (find_kid(p, child) >= 0)
            st = DP_ERR_EXISTS; /* the count is not needed twice */
        else
            st = push_kid(dp, p, child);
    }
    if (st != DP_OK) {
        dp__release_owned(dp, child);
        dp__run_frees(dp);
        return st == DP_ERR_EXISTS ? DP_OK : st;
    }
    DP__TRACE_WIDE(dp, DP__T_EDGE_ADD, parent, child.bits);
    may_close_cycle(dp, child); /* the job's count moved to the edge: no release says so */
    missed_by_mark(dp, p, child);
    dp__kept_edge(dp, parent, child, 1);
    dp__deep_note_change(dp, parent, child);
    dp__progress_edge(dp, parent, child, 1);
    return DP_OK;
}

dp_status dp_undepend(dp_depot *dp, dp_handle parent, dp_handle child)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__asset *p = dp__rec_live(dp, parent);
    if (!p)
        return DP_ERR_STALE;
    int i = find_kid(p, child);
    if (i < 0)
        return DP_ERR_NOT_FOUND;
    dp__kept_edge(dp, parent, child, -1);
    dp__progress_edge(dp, parent, child, -1);
    remove_kid(dp, p, (uint32_t)i);
    count_edge(dp, child, -1);
    DP__TRACE_WIDE(dp, DP__T_EDGE_REMOVE, parent, child.bits);
    dp__release_owned(dp, child);
    dp__run_frees(dp);
    dp__deep_note_removed(dp, parent, child);
    return DP_OK;
}

dp_status dp_children(const dp_depot *dp, dp_handle parent,
                      void (*fn)(void *user, dp_handle child), void *user)
{
    if (!dp || !fn)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__asset *p = dp__rec_live(dp, parent);
    if (!p)
        return DP_ERR_STALE;
    for (uint32_t i = 0; i < p->nkids; i++)
        if (dp__rec_live(dp, dp__kids(p)[i]))
            fn(user, dp__kids(p)[i]);
    return DP_OK;
}
