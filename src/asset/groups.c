/* groups.c — sets of assets held together (scenes, bundles): one count per member.
 * Group handles come from a second pool, so a destroyed group's handle goes stale. */
#include <string.h>

#include "asset/asset_internal.h"
#include "common/assert.h"

static dp__group *group_of(const dp_depot *dp, dp_group g)
{
    dp_handle h = {g.bits};
    if (!dp_pool_alive(dp->groups, h))
        return NULL;
    return dp_pool_payload(dp->groups, h);
}

dp__group *dp__group_get(const dp_depot *dp, dp_group g)
{
    return group_of(dp, g);
}

/* The checks every owner-side group call starts with: arguments, thread, a live group. */
static dp_status owned_group(dp_depot *dp, dp_group gh, dp__group **g)
{
    *g = NULL;
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    *g = group_of(dp, gh);
    return *g ? DP_OK : DP_ERR_STALE;
}

/* The group at pool index i if it is live (its handle in *gh), else NULL. */
static dp__group *group_at(const dp_depot *dp, uint32_t i, dp_group *gh)
{
    _Atomic uint64_t *w = dp__pool_word(dp->groups, i);
    if (!w)
        return NULL;
    /* Relaxed: groups are made and freed by the owner only, which is the caller. */
    dp_handle h = dp__word_handle(atomic_load_explicit(w, memory_order_relaxed), i);
    if (!h.bits)
        return NULL;
    gh->bits = h.bits;
    return dp_pool_payload(dp->groups, h);
}

/* A walk over the live groups by pool index (the group pool's counterpart of
 * dp__live_iter). Owner thread. */
typedef struct group_iter {
    uint64_t next, end;
} group_iter;

static group_iter groups_begin(const dp_depot *dp)
{
    dp_pool_stats ps;
    dp_pool_get_stats(dp->groups, &ps);
    return (group_iter){.next = 0, .end = ps.high_water};
}

/* The next live group (its handle in *gh), or NULL at the end. */
static dp__group *groups_next(const dp_depot *dp, group_iter *it, dp_group *gh)
{
    while (it->next < it->end) {
        dp__group *g = group_at(dp, (uint32_t)it->next++, gh);
        if (g)
            return g;
    }
    return NULL;
}

bool dp__group_alive(const dp_depot *dp, dp_group g)
{
    return group_of(dp, g) != NULL;
}

bool dp__group_soft(const dp_depot *dp, dp_group g)
{
    const dp__group *gr = group_of(dp, g);
    return gr && gr->soft;
}

/* A member's count, taken or dropped in the group's kind (soft or strong). */
static dp_status hold(dp_depot *dp, const dp__group *g, dp_handle h)
{
    return g->soft ? dp__soft_acquire(dp, h) : dp__acquire_owned(dp, h, NULL);
}

static void unhold(dp_depot *dp, const dp__group *g, dp_handle h)
{
    if (g->soft)
        dp__soft_release(dp, h);
    else
        dp__release_owned(dp, h);
}

dp_status dp_group_create(dp_depot *dp, const char *name, dp_group *out)
{
    if (out)
        *out = (dp_group){0};
    if (!dp || !out)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    char *copy = NULL;
    if (name && !(copy = dp__strdup(&dp->alloc, name)))
        return DP_ERR_NOMEM;
    dp_handle h;
    dp_status st = dp_pool_alloc(dp->groups, &h);
    if (st != DP_OK) {
        dp__free(&dp->alloc, copy);
        return st;
    }
    dp__group *g = dp_pool_payload(dp->groups, h);
    memset(g, 0, sizeof *g);
    g->name = copy;
    out->bits = h.bits;
    return DP_OK;
}

dp_status dp_group_add(dp_depot *dp, dp_group gh, dp_handle h)
{
    dp__group *g;
    dp_status st = owned_group(dp, gh, &g);
    if (st != DP_OK)
        return st;
    for (size_t i = 0; i < g->n; i++)
        if (g->members[i].bits == h.bits)
            return dp_count(dp, h) ? DP_ERR_EXISTS : DP_ERR_STALE;
    if (g->n == g->cap) {
        st = dp__grow(&dp->alloc, (void **)&g->members, &g->cap, g->n + 1,
                      sizeof *g->members);
        if (st != DP_OK)
            return st;
    }
    st = hold(dp, g, h);
    if (st != DP_OK)
        return st;
    g->members[g->n++] = h;
    dp__progress_group(dp, gh, h, 1);
    return DP_OK;
}

dp_status dp_group_remove(dp_depot *dp, dp_group gh, dp_handle h)
{
    dp__group *g;
    dp_status st = owned_group(dp, gh, &g);
    if (st != DP_OK)
        return st;
    for (size_t i = 0; i < g->n; i++) {
        if (g->members[i].bits == h.bits) {
            g->members[i] = g->members[--g->n];
            dp__progress_group(dp, gh, h, -1);
            unhold(dp, g, h);
            dp__run_frees(dp);
            return DP_OK;
        }
    }
    return DP_ERR_NOT_FOUND;
}

dp_status dp_group_release(dp_depot *dp, dp_group gh)
{
    dp__group *g;
    dp_status st = owned_group(dp, gh, &g);
    if (st != DP_OK)
        return st;
    /* Members reaching 0 become UNUSED and are freed (or cached) at the next update, like a
     * caller's release: a scene switch that re-acquires shared assets in between keeps them. */
    for (size_t i = 0; i < g->n; i++)
        unhold(dp, g, g->members[i]);
    g->n = 0;
    dp__progress_group(dp, gh, DP_NULL_HANDLE, -1);
    return DP_OK;
}

dp_status dp_group_set_soft(dp_depot *dp, dp_group gh, bool soft)
{
    dp__group *g;
    dp_status st = owned_group(dp, gh, &g);
    if (st != DP_OK || g->soft == soft)
        return st;
    /* Every live member's count changes kind; a failure (NOMEM) turns back those done. */
    size_t done = 0;
    for (; done < g->n; done++) {
        st = dp__soft_convert(dp, g->members[done], soft ? 1 : -1);
        if (st != DP_OK && st != DP_ERR_STALE)
            break;
    }
    if (done < g->n) {
        while (done-- > 0)
            dp__soft_convert(dp, g->members[done], soft ? -1 : 1);
        return st;
    }
    g->soft = soft;
    return DP_OK;
}

dp_status dp_group_destroy(dp_depot *dp, dp_group gh)
{
    dp_status st = dp_group_release(dp, gh);
    if (st != DP_OK)
        return st;
    dp__group *g = group_of(dp, gh);
    dp__progress_group_gone(dp, gh);
    dp__free(&dp->alloc, g->name);
    dp__free(&dp->alloc, g->members);
    memset(g, 0, sizeof *g);
    st = dp_pool_free(dp->groups, (dp_handle){gh.bits});
    DP__ASSERT(st == DP_OK); /* cannot fail: owned_group checked the handle is live */
    return DP_OK;
}

size_t dp_group_size(const dp_depot *dp, dp_group gh)
{
    if (!dp || !dp__is_owner(dp))
        return 0;
    dp__group *g = group_of(dp, gh);
    return g ? g->n : 0;
}

size_t dp_group_members(const dp_depot *dp, dp_group gh, dp_handle *out, size_t cap)
{
    if (!dp || !dp__is_owner(dp))
        return 0;
    dp__group *g = group_of(dp, gh);
    if (!g)
        return 0;
    for (size_t i = 0; out && i < g->n && i < cap; i++)
        out[i] = g->members[i];
    return g->n;
}

void dp__groups_each(const dp_depot *dp, void (*fn)(void *u, dp_group g, const char *name,
                                                     dp_handle member), void *u)
{
    dp_group gh;
    group_iter it = groups_begin(dp);
    for (dp__group *g; (g = groups_next(dp, &it, &gh));)
        for (size_t k = 0; k < g->n; k++)
            fn(u, gh, g->name, g->members[k]);
}

void dp__groups_free(dp_depot *dp)
{
    dp_group gh;
    group_iter it = groups_begin(dp);
    for (dp__group *g; (g = groups_next(dp, &it, &gh));) {
        dp__free(&dp->alloc, g->name);
        dp__free(&dp->alloc, g->members);
        memset(g, 0, sizeof *g);
    }
}
