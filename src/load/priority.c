/* priority.c — changing the priority of loads that are queued already: dp_set_priority,
 * and the rule that a dependency runs at the highest priority of the parents that want it.
 *
 * A job's own level changes at once, from any thread, under the loader's lock. What an
 * asset depends on is only known to the owner (edges) or to the job that names it, so the
 * raise spreads in three ways: a running job's new level is inherited by the dependencies
 * it names from then on (job.c); a job raised while it ran raises its dependencies when
 * its result is applied (they are edges then); and the owner walks the edges of the asset
 * (at once on the owner thread, else at the next dp_update) and raises each queued job
 * below it. The walk skips every asset whose deep state has settled: nothing of it is
 * queued, so the cost is the part of the graph still loading. */
#include "load/loader.h"

/* Under lock: sets (raise_only: raises) the level of every job of h, queued, running or
 * finished but not applied. A running or finished job is marked raised, so its
 * dependencies follow when it is applied. */
static void raise_jobs(dp__loader *L, dp_handle h, int level, bool raise_only)
{
    dp__priority_note(L, h, level, raise_only);
    dp__queue_reprioritise(&L->queue, h.bits, level, raise_only);
    for (int i = 0; i < L->nthreads; i++) {
        dp__job *j = L->running[i];
        if (!j || j->h.bits != h.bits)
            continue;
        /* Relaxed: under L->lock, which every writer of level holds; level publishes nothing
         * else (loader.h). */
        int now = atomic_load_explicit(&j->level, memory_order_relaxed);
        if (now < level || (!raise_only && now != level)) {
            /* Relaxed: under L->lock; its worker may read the old level once more, which only
             * affects the level a new dependency inherits. */
            atomic_store_explicit(&j->level, level, memory_order_relaxed);
            j->raised = now < level;
        }
    }
    for (dp__job *j = L->done; j; j = j->next) {
        /* Relaxed: under L->lock, as above. */
        int now = atomic_load_explicit(&j->level, memory_order_relaxed);
        if (j->h.bits == h.bits && now < level) {
            /* Relaxed: under L->lock; the owner reads it after taking the job under the same
             * lock. */
            atomic_store_explicit(&j->level, level, memory_order_relaxed);
            j->raised = true;
        }
    }
}

/* ---- the owner's walk over edges -------------------------------------------------------- */

/* The handles seen by one walk: open addressing, grown at half full. */
typedef struct seen_set {
    const dp_allocator *a;
    uint64_t *slot;
    size_t cap, n;
} seen_set;

static size_t seen_hash(uint64_t h, size_t cap)
{
    return (size_t)((h * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/* Adds h; false if it was there already or the set cannot grow (the walk then stops
 * early: a raise is best effort under memory pressure). */
static bool seen_add(seen_set *s, uint64_t h, bool *nomem)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *t = dp__calloc(s->a, cap, sizeof *t);
        if (!t) {
            *nomem = true;
            return false;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i])
                continue;
            size_t k = seen_hash(s->slot[i], cap);
            while (t[k])
                k = (k + 1) & (cap - 1);
            t[k] = s->slot[i];
        }
        dp__free(s->a, s->slot);
        s->slot = t;
        s->cap = cap;
    }
    size_t k = seen_hash(h, s->cap);
    for (; s->slot[k]; k = (k + 1) & (s->cap - 1))
        if (s->slot[k] == h)
            return false;
    s->slot[k] = h;
    s->n++;
    return true;
}

/* Owner: raises the queued jobs of everything `root` depends on (not root's own) to
 * `level`. DP_OK or DP_ERR_NOMEM (the walk stopped early). */
static dp_status spread(dp__loader *L, dp_handle root, int level)
{
    dp_depot *dp = L->dp;
    seen_set seen = {.a = L->alloc};
    dp_handle *stack = NULL;
    size_t n = 0, cap = 0;
    bool nomem = false;
    seen_add(&seen, root.bits, &nomem);
    if (!nomem && dp__grow(L->alloc, (void **)&stack, &cap, 1, sizeof *stack) == DP_OK)
        stack[n++] = root;
    else
        nomem = true;
    while (n > 0 && !nomem) {
        dp__view v;
        if (!dp__view_of(dp, stack[--n], &v))
            continue;
        for (uint32_t i = 0; i < v.nkids && !nomem; i++) {
            dp_handle k = v.kids[i];
            dp_state deep = dp_state_deep(dp, k);
            if (deep == DP_STATE_LOADED || deep == DP_STATE_FAILED || deep == DP_STATE_INVALID)
                continue; /* settled: nothing of it is queued */
            if (!seen_add(&seen, k.bits, &nomem))
                continue;
            if (n == cap && dp__grow(L->alloc, (void **)&stack, &cap, n + 1, sizeof *stack)) {
                nomem = true;
                break;
            }
            dp__mutex_lock(&L->lock);
            raise_jobs(L, k, level, true);
            dp__mutex_unlock(&L->lock);
            stack[n++] = k; /* the view's kids stay valid: nothing above changes edges */
        }
    }
    dp__free(L->alloc, stack);
    dp__free(L->alloc, seen.slot);
    return nomem ? DP_ERR_NOMEM : DP_OK;
}

/* ---- entry points ------------------------------------------------------------------------- */

/* Under lock: queues a raise for the owner's next dp_update (best effort on NOMEM). */
static dp_status push_boost(dp__loader *L, dp_handle h, int level)
{
    if (dp__grow(L->alloc, (void **)&L->boosts, &L->capboosts, L->nboosts + 1,
                 sizeof *L->boosts) != DP_OK)
        return DP_ERR_NOMEM;
    L->boosts[L->nboosts++] = (dp__boost){.h = h, .level = level};
    return DP_OK;
}

void dp__priority_raise(dp__loader *L, dp_handle h, int level)
{
    bool owner = dp__is_owner(L->dp);
    dp__mutex_lock(&L->lock);
    /* Nothing queued below `level` anywhere: nothing could be raised (the common case,
     * every load at one priority, costs this check only). */
    bool any = dp__queue_below(&L->queue, level) > 0;
    if (any) {
        raise_jobs(L, h, level, true);
        if (!owner)
            push_boost(L, h, level);
    }
    dp__mutex_unlock(&L->lock);
    if (any && owner)
        spread(L, h, level);
}

dp_status dp_set_priority(dp_depot *dp, dp_handle h, int p)
{
    int level = dp__priority_level(p);
    if (!dp || level < 0)
        return DP_ERR_INVALID;
    if (!dp__alive(dp, h))
        return DP_ERR_STALE;
    dp__loader *L = dp__loader_get(dp);
    if (!L)
        return DP_ERR_NOMEM;
    bool owner = dp__is_owner(dp);
    dp_status st = DP_OK;
    dp__mutex_lock(&L->lock);
    raise_jobs(L, h, level, false);
    if (!owner)
        st = push_boost(L, h, level);
    dp__mutex_unlock(&L->lock);
    return owner ? spread(L, h, level) : st;
}

void dp__priority_after_apply(dp__loader *L, const dp__job *job)
{
    /* Relaxed: the job is finished; its last level was stored under L->lock, which the owner
     * took to take the job off the done list. */
    if (job->raised && dp__alive(L->dp, job->h))
        spread(L, job->h, atomic_load_explicit(&job->level, memory_order_relaxed));
}

void dp__priority_apply(dp__loader *L)
{
    dp__mutex_lock(&L->lock);
    dp__boost *list = L->boosts;
    size_t n = L->nboosts;
    L->boosts = NULL;
    L->nboosts = L->capboosts = 0;
    dp__mutex_unlock(&L->lock);
    for (size_t i = 0; i < n; i++)
        if (dp__alive(L->dp, list[i].h))
            spread(L, list[i].h, list[i].level);
    dp__free(L->alloc, list);
}
