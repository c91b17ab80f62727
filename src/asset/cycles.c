/* cycles.c — cycle collection by trial deletion (Bacon and Rajan's synchronous algorithm,
 * as CPython's gc does). Owner thread.
 *
 * Candidates are assets whose count was decremented to a non-zero value since the last
 * collection: only they can be the last external reference into a garbage cycle.
 * For a batch of candidates:
 *   mark gray   — from each root, subtract the counts that edges inside the reachable
 *                 subgraph explain (trial count = count - internal edges);
 *   scan        — a node with trial count > 0 is held from outside: it and all it reaches
 *                 are restored (black); the others are white: garbage;
 *   collect     — each white node is moved from (gen, snapshot count) to (gen, DYING) with
 *                 a CAS. If any CAS fails, another thread acquired (or released) a member
 *                 meanwhile: every white node is restored and its roots stay candidates.
 *                 Once all are DYING, no thread can acquire them any more, so freeing them
 *                 is safe: a concurrent upgrade either happened before (and made the CAS
 *                 fail) or fails with DP_ERR_STALE.
 * The trial count and the snapshot live in the record's LRU fields, which are free while an
 * asset is held (count > 0); assets in the unused cache are skipped. */
#include "asset/asset_internal.h"
#include "asset/quarantine.h"

#define TRIAL(r) ((r)->lru_prev)
#define SNAP(r) ((r)->lru_next)

void dp__candidate(dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec(dp, h);
    if (r)
        dp__resid_note(dp, h); /* a count went down: soft-only now? */
    if (!r || (r->oflags & DP__OF_CANDIDATE))
        return;
    if (dp__hvec_push(dp, &dp->cands, h) != DP_OK) {
        dp->cands_lost = true; /* the next full collection looks at every asset */
        return;
    }
    r->oflags |= DP__OF_CANDIDATE;
}

/* Held (count > 0), live, not dying, not cached: the collector may look at it. */
static dp__asset *visitable(dp_depot *dp, dp_handle h, uint32_t *count)
{
    if (!dp_pool_alive(dp->pool, h))
        return NULL;
    /* Acquire: pairs with the creator's release of the slot word; the record is set up. */
    uint64_t w = atomic_load_explicit(dp__word(dp, h), memory_order_acquire);
    uint32_t user = dp__word_user(w);
    if (dp__word_gen(w) != dp_handle_gen(h) || (user & DP__DYING) || user == 0)
        return NULL;
    dp__asset *r = dp__rec_at(dp, dp_handle_index(h));
    if (r->oflags & DP__OF_CACHED)
        return NULL;
    *count = user;
    return r;
}

/* Colours a node gray and takes its count snapshot; records it in `seen`. */
static bool make_gray(dp_depot *dp, dp_handle h, dp__hvec *seen, dp__hvec *stack)
{
    uint32_t count;
    dp__asset *r = visitable(dp, h, &count);
    if (!r)
        return false;
    r->color = DP__GRAY;
    TRIAL(r) = count;
    SNAP(r) = count;
    if (dp__hvec_push(dp, seen, h) != DP_OK || dp__hvec_push(dp, stack, h) != DP_OK) {
        r->color = DP__BLACK;
        if (seen->n && seen->v[seen->n - 1].bits == h.bits)
            seen->n--;
        return false;
    }
    return true;
}

/* Restores a subtree to black, giving back the trial decrements of its edges. */
static dp_status scan_black(dp_depot *dp, dp_handle h, dp__hvec *stack)
{
    dp__asset *r = dp__rec_at(dp, dp_handle_index(h));
    r->color = DP__BLACK;
    stack->n = 0;
    if (dp__hvec_push(dp, stack, h) != DP_OK)
        return DP_ERR_NOMEM;
    while (stack->n) {
        dp__asset *n = dp__rec_at(dp, dp_handle_index(stack->v[--stack->n]));
        for (uint32_t e = 0; e < n->nkids; e++) {
            uint32_t c;
            dp__asset *k = visitable(dp, dp__kids(n)[e], &c);
            if (!k || (k->color != DP__GRAY && k->color != DP__WHITE) )
                continue;
            TRIAL(k)++;
            if (k->color != DP__BLACK) {
                k->color = DP__BLACK;
                if (dp__hvec_push(dp, stack, dp__kids(n)[e]) != DP_OK)
                    return DP_ERR_NOMEM;
            }
        }
    }
    return DP_OK;
}

/* The lists of one batch: every node coloured (seen), the walk's stack, the garbage. */
typedef struct batch {
    dp__hvec seen, stack, white;
} batch;

/* Mark gray: from each root, every visitable node it reaches turns gray, and each edge
 * inside takes one off its child's trial count. DP_OK or DP_ERR_NOMEM (marking goes on, so
 * that every gray node is in `seen` for the restore). */
static dp_status mark_gray(dp_depot *dp, const dp_handle *roots, size_t nroots, batch *b)
{
    dp_status st = DP_OK;
    for (size_t i = 0; i < nroots; i++) {
        dp__asset *r = dp__rec(dp, roots[i]);
        if (!r || r->color != DP__BLACK)
            continue;
        if (!make_gray(dp, roots[i], &b->seen, &b->stack)) {
            if (dp__rec(dp, roots[i]) && visitable(dp, roots[i], &(uint32_t){0}))
                st = DP_ERR_NOMEM;
            continue;
        }
        while (b->stack.n) {
            dp__asset *n = dp__rec_at(dp, dp_handle_index(b->stack.v[--b->stack.n]));
            for (uint32_t e = 0; e < n->nkids; e++) {
                dp_handle c = dp__kids(n)[e];
                uint32_t cnt;
                dp__asset *k = visitable(dp, c, &cnt);
                if (!k)
                    continue;
                if (k->color != DP__GRAY && !make_gray(dp, c, &b->seen, &b->stack)) {
                    st = DP_ERR_NOMEM;
                    continue;
                }
                if (TRIAL(k) > 0)
                    TRIAL(k)--;
            }
        }
    }
    return st;
}

/* Scan: gray with trial > 0 is externally held; everything it reaches survives. What
 * stays gray turns white and goes on the white list. DP_OK or DP_ERR_NOMEM. */
static dp_status scan(dp_depot *dp, batch *b)
{
    for (size_t i = 0; i < b->seen.n; i++) {
        dp__asset *r = dp__rec_at(dp, dp_handle_index(b->seen.v[i]));
        if (r->color == DP__GRAY && TRIAL(r) > 0 &&
            scan_black(dp, b->seen.v[i], &b->stack) != DP_OK)
            return DP_ERR_NOMEM;
    }
    for (size_t i = 0; i < b->seen.n; i++) {
        dp__asset *r = dp__rec_at(dp, dp_handle_index(b->seen.v[i]));
        if (r->color == DP__GRAY) {
            r->color = DP__WHITE;
            if (dp__hvec_push(dp, &b->white, b->seen.v[i]) != DP_OK)
                return DP_ERR_NOMEM;
        }
    }
    return DP_OK;
}

/* Collect: claims every white node with its snapshot, or gives up on all of them (false).
 * The claims and a rollback happen under keys_lock: a key lookup (dp_find, dp_add, the
 * loader) takes a DYING asset for dead and lets its key name a new asset, so it must never
 * see the DYING of a claim that is then rolled back. */
static bool claim_white(dp_depot *dp, const batch *b)
{
    dp__mutex_lock(&dp->keys_lock);
    size_t claimed = 0;
    for (; claimed < b->white.n; claimed++) {
        dp_handle h = b->white.v[claimed];
        dp__asset *r = dp__rec_at(dp, dp_handle_index(h));
        uint64_t expect = dp__word_make(dp_handle_gen(h), SNAP(r));
        /* Acquire: releases of these counts by other threads happen before the free. */
        if (!atomic_compare_exchange_strong_explicit(dp__word(dp, h), &expect,
                                                     dp__word_make(dp_handle_gen(h), DP__DYING),
                                                     memory_order_acquire, memory_order_relaxed))
            break;
    }
    if (claimed < b->white.n) {
        /* Someone acquired or released a member while we looked: everything stays. Only
         * the owner can change a DYING word, so restoring cannot race. */
        for (size_t i = 0; i < claimed; i++) {
            dp_handle h = b->white.v[i];
            dp__asset *r = dp__rec_at(dp, dp_handle_index(h));
            /* Release, like every owner store of a slot word: an acquirer whose CAS reads
             * the restored count sees the record as the owner left it. */
            atomic_store_explicit(dp__word(dp, h), dp__word_make(dp_handle_gen(h), SNAP(r)),
                                  memory_order_release);
        }
        dp__mutex_unlock(&dp->keys_lock);
        return false;
    }
    dp__mutex_unlock(&dp->keys_lock);
    return true;
}

/* Frees the claimed (DYING) white nodes. */
static void free_white(dp_depot *dp, const batch *b)
{
    for (size_t i = 0; i < b->white.n; i++) {
        dp__rec_at(dp, dp_handle_index(b->white.v[i]))->color = DP__BLACK;
        dp__rec_at(dp, dp_handle_index(b->white.v[i]))->lru_prev = 0;
        dp__rec_at(dp, dp_handle_index(b->white.v[i]))->lru_next = 0;
    }
    dp->free_why = DP__WHY_CYCLE;
    for (size_t i = 0; i < b->white.n; i++) {
        dp__free_dying(dp, b->white.v[i]);
        dp__run_frees(dp);
    }
    dp->free_why = DP__WHY_RELEASED;
    /* Relaxed: a statistic; nothing is published through it. */
    atomic_fetch_add_explicit(&dp->st_cycles, b->white.n, memory_order_relaxed);
}

/* Every node still alive that the batch coloured turns black again, its LRU fields zero. */
static void restore_black(dp_depot *dp, const batch *b)
{
    for (size_t i = 0; i < b->seen.n; i++) {
        dp__asset *r = dp__rec(dp, b->seen.v[i]);
        if (r && !(r->oflags & DP__OF_CACHED)) {
            r->color = DP__BLACK;
            r->lru_prev = r->lru_next = 0;
        }
    }
}

/* One batch: roots[0..nroots). Returns the number of nodes visited. */
static size_t collect_batch(dp_depot *dp, dp_handle *roots, size_t nroots, dp_status *st)
{
    batch b = {0};
    *st = mark_gray(dp, roots, nroots, &b);
    if (*st == DP_OK)
        *st = scan(dp, &b);
    if (*st == DP_OK) {
        if (claim_white(dp, &b)) {
            free_white(dp, &b);
        } else {
            for (size_t i = 0; i < nroots; i++)
                dp__candidate(dp, roots[i]);
        }
    }
    restore_black(dp, &b);
    size_t visited = b.seen.n;
    dp__hvec_free(dp, &b.seen);
    dp__hvec_free(dp, &b.stack);
    dp__hvec_free(dp, &b.white);
    return visited;
}

dp_status dp__collect(dp_depot *dp, size_t budget)
{
    if (dp->cands_lost) {
        /* Some candidates could not be recorded: take every held asset as a candidate. */
        dp->cands_lost = false;
        dp__view v;
        for (dp__live_iter it = dp__live_begin(dp); dp__live_next(dp, &it, &v);)
            if (v.count)
                dp__candidate(dp, v.h);
    }
    size_t visited = 0;
    dp_status result = DP_OK;
    while (dp->cands.n && (budget == 0 || visited < budget)) {
        /* Take a batch from the end of the list (up to 256 roots). */
        size_t take = dp->cands.n < 256 ? dp->cands.n : 256;
        dp_handle roots[256];
        for (size_t i = 0; i < take; i++) {
            roots[i] = dp->cands.v[dp->cands.n - take + i];
            dp__asset *r = dp__rec(dp, roots[i]);
            if (r)
                r->oflags &= (uint8_t)~DP__OF_CANDIDATE;
        }
        dp->cands.n -= take;
        dp_status st;
        visited += collect_batch(dp, roots, take, &st);
        if (st != DP_OK) {
            for (size_t i = 0; i < take; i++)
                dp__candidate(dp, roots[i]);
            result = st;
            break;
        }
    }
    return result;
}

dp_status dp_collect_cycles(dp_depot *dp)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__drain_attention(dp);
    dp__process_unused(dp);
    return dp__collect(dp, 0);
}
