/* cycles.c — cycle collection by trial deletion (Bacon and Rajan's synchronous algorithm,
 * as CPython's gc does), in bounded steps that resume at the next update. Owner thread.
 *
 * Candidates are assets whose count was decremented to a non-zero value since the last
 * collection: only they can be the last external reference into a garbage cycle. A
 * collection takes every candidate recorded before it starts (later ones wait for the next
 * one) and goes through its phases in steps, one step per node or edge examined, as many as
 * the update's budget allows; the next update resumes where it stopped. Its marks live
 * until it ends, so no node is walked twice by one collection, whatever the number of
 * candidates: the work is linear in the nodes and edges it reaches.
 *   mark   — from each candidate, every held node it reaches turns gray with a trial count
 *            = its count, and each edge between gray nodes takes one off its child's. A node
 *            whose count exceeds its incoming edges (nin) is held from outside: neither it
 *            nor anything below it is garbage, so the walk does not enter it (a candidate
 *            held so, like a scene's root that a group holds, costs one step);
 *   scan   — a gray node with trial count > 0 is held from outside the gray subgraph: it
 *            and every gray node it reaches turn black;
 *   whiten — what stays gray turns white: garbage, as far as the marks know;
 *   claim  — the white nodes are checked (below), claimed and freed, all in one update:
 *            work proportional to the garbage, like a cascade, and not bounded by the budget;
 *   reset  — every node the collection coloured turns black again.
 *
 * Validation rule: the marks are hints, never trusted for a free. Between two steps other
 * threads retain and release, and the owner adds and removes edges, frees, loads and caches,
 * so the marks may be stale. The claim recounts, from the edge lists as they are now, how
 * many edges from white nodes point at each white node, and frees a white node only if its
 * count equals that number at the instant its slot word moves (gen, count) -> (gen, DYING):
 * only other white nodes hold it. A white node whose count differs (a holder outside, a new
 * edge from a live node, it was cached) is live, and so is every white node it reaches:
 * they are dropped before any claim. If every claim succeeds, each member of the white set
 * is held only by members and none can be acquired any more (DYING), so none is reachable
 * and freeing them is safe: an acquire that raced either came first (and made that member's
 * claim fail) or fails with DP_ERR_STALE. If a claim fails, every claimed member is restored
 * and the members become candidates again.
 *
 * Completeness rule: a stale mark can make garbage look live (scan blackens it), never the
 * reverse past the claim, so whatever a change between steps can hide must leave a candidate
 * for the next collection. A count that goes down does (a root is listed again while the
 * mark runs, and loses its candidate mark at its turn). An edge added during the mark from a node the mark has
 * coloured does too (dp__cycles_walked, edges.c): the walk may have passed that node's
 * edges, so the child's trial count keeps the new edge's count, and the child, garbage
 * perhaps, looks held from outside; no count goes down afterwards to say so. And a white
 * node the claim finds held from outside the set (its count is more than the members' edges
 * into it) is a candidate again: the holder may be an edge added between steps from a node
 * the mark never coloured, itself held only by edges (revived from count 0 by one, say), so
 * no count goes down to say so either.
 *
 * The trial count lives in the record's lru_prev, which is free while an asset is held and
 * not cached; a node that enters the unused cache mid-collection is never written again
 * (every access checks), and only its colour is reset at the end. */
#include "asset/asset_internal.h"
#include "asset/quarantine.h"

#define TRIAL(r) ((r)->lru_prev)

enum { PH_IDLE, PH_MARK, PH_SCAN, PH_WHITEN, PH_CLAIM, PH_RESET };
typedef enum { STEP_DONE, STEP_PAUSED, STEP_NOMEM } step;

/* The collection in progress. */
struct dp__cycles {
    int phase;
    dp__hvec roots;    /* its candidates, taken from dp->cands when it started */
    size_t next_root;  /* mark: the next root to take */
    dp__hvec seen;     /* every node it coloured gray */
    size_t pos;        /* scan, whiten, reset: the next entry of seen */
    dp__hvec stack;    /* the walk's stack */
    dp__hvec white;    /* the garbage found */
    dp_handle cur;     /* the node whose edges are being walked (null: none) */
    uint32_t edge;     /* its next edge */
    size_t work;       /* steps taken by this dp__collect call */
    size_t budget;     /* steps it may take; 0 = no limit */
    dp__cycles_hook hook; /* tests: called before each claim's CAS */
    void *hook_user;
};

/* Scratch lists above this many entries of room are freed when a collection ends (as
 * hvec.c's trim gives back the room of the depot's lists). */
#define KEEP_SCRATCH 1024u

/* The collection in progress is marking: some of its roots may not be taken yet. */
static bool marking(const dp_depot *dp)
{
    return dp->cycles && dp->cycles->phase == PH_MARK;
}

void dp__candidate(dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec(dp, h);
    if (r)
        dp__resid_note(dp, h); /* a count went down: soft-only now? */
    /* A marked asset is listed already, unless it is a root of the collection that is
     * marking and its turn has not come (the mark clears a root's mark at its turn): it is
     * listed again, for the next collection (at worst a duplicate, which costs a step). */
    if (!r || ((r->oflags & DP__OF_CANDIDATE) && !marking(dp)))
        return;
    if (dp__hvec_push(dp, &dp->cands, h) != DP_OK) {
        dp->cands_lost = true; /* the next collection looks at every asset */
        return;
    }
    r->oflags |= DP__OF_CANDIDATE;
}

bool dp__cycles_walked(const dp_depot *dp, const dp__asset *parent)
{
    return marking(dp) && parent->color == DP__GRAY;
}

/* The record h names and its user bits (count, DYING), or NULL if h is stale. */
static dp__asset *named(dp_depot *dp, dp_handle h, uint32_t *user)
{
    if (!dp_pool_alive(dp->pool, h))
        return NULL;
    /* Acquire: pairs with the creator's release of the slot word; the record is set up. */
    uint64_t w = atomic_load_explicit(dp__word(dp, h), memory_order_acquire);
    if (dp__word_gen(w) != dp_handle_gen(h))
        return NULL;
    *user = dp__word_user(w);
    return dp__rec_at(dp, dp_handle_index(h));
}

/* Held (count > 0), not dying, not cached: the collector may look at it. */
static bool held(const dp__asset *r, uint32_t user)
{
    return r && user && !(user & DP__DYING) && !(r->oflags & DP__OF_CACHED);
}

/* A record the collector may look at, with its count, else NULL. */
static dp__asset *visitable(dp_depot *dp, dp_handle h, uint32_t *count)
{
    dp__asset *r = named(dp, h, count);
    return held(r, *count) ? r : NULL;
}

/* True once this call's steps are spent; else counts one more step. */
static bool spend(struct dp__cycles *c)
{
    if (c->budget && c->work >= c->budget)
        return true;
    c->work++;
    return false;
}

/* Colours h gray with trial count `count`, on seen and the stack. False on NOMEM. */
static bool gray(dp_depot *dp, struct dp__cycles *c, dp_handle h, dp__asset *r, uint32_t count)
{
    if (dp__hvec_push(dp, &c->seen, h) != DP_OK)
        return false;
    if (dp__hvec_push(dp, &c->stack, h) != DP_OK) {
        c->seen.n--;
        return false;
    }
    r->color = DP__GRAY;
    TRIAL(r) = count;
    return true;
}

/* What a walking phase does with each edge it follows, and how it takes its next seed
 * (1: took one, 0: none left, -1: out of memory). */
typedef step (*edge_fn)(dp_depot *dp, struct dp__cycles *c, dp_handle kid);
typedef int (*seed_fn)(dp_depot *dp, struct dp__cycles *c);

/* The edges of c->cur from c->edge on, one step each. */
static step walk_edges(dp_depot *dp, struct dp__cycles *c, edge_fn edge)
{
    uint32_t cnt;
    dp__asset *r = visitable(dp, c->cur, &cnt);
    while (r && c->edge < r->nkids) {
        if (spend(c))
            return STEP_PAUSED;
        step s = edge(dp, c, dp__kids(r)[c->edge++]);
        if (s != STEP_DONE)
            return s;
    }
    c->cur = DP_NULL_HANDLE;
    return STEP_DONE;
}

/* A walking phase: the edges of the node in hand, then the nodes on the stack, then the
 * next seed, until no seed is left. Every node taken in hand costs a step. */
static step walk(dp_depot *dp, struct dp__cycles *c, edge_fn edge, seed_fn seed)
{
    for (;;) {
        if (c->cur.bits) {
            step s = walk_edges(dp, c, edge);
            if (s != STEP_DONE)
                return s;
        }
        if (spend(c))
            return STEP_PAUSED;
        if (c->stack.n) {
            c->cur = c->stack.v[--c->stack.n];
            c->edge = 0;
            continue;
        }
        int took = seed(dp, c);
        if (took <= 0)
            return took ? STEP_NOMEM : STEP_DONE;
    }
}

/* Mark: a child not held from outside turns gray (once) and loses the edge's count. */
static step mark_edge(dp_depot *dp, struct dp__cycles *c, dp_handle kh)
{
    uint32_t cnt;
    dp__asset *k = visitable(dp, kh, &cnt);
    if (!k || (k->color != DP__GRAY && cnt > k->nin))
        return STEP_DONE; /* gone, cached, or held from outside: not garbage */
    if (k->color != DP__GRAY && !gray(dp, c, kh, k, cnt))
        return STEP_NOMEM;
    if (TRIAL(k) > 0)
        TRIAL(k)--;
    return STEP_DONE;
}

/* Mark: the next root, gray unless it is gone, coloured already or held from outside. */
static int mark_seed(dp_depot *dp, struct dp__cycles *c)
{
    if (c->next_root == c->roots.n)
        return 0;
    dp_handle h = c->roots.v[c->next_root++];
    uint32_t cnt;
    dp__asset *r = visitable(dp, h, &cnt), *any = r ? r : dp__rec(dp, h);
    if (any)
        any->oflags &= (uint8_t)~DP__OF_CANDIDATE; /* a count that goes down now lists it again */
    if (r && r->color == DP__BLACK && cnt <= r->nin && !gray(dp, c, h, r, cnt))
        return -1;
    return 1;
}

/* Scan: a gray child of a black node turns black too. */
static step black_edge(dp_depot *dp, struct dp__cycles *c, dp_handle kh)
{
    uint32_t cnt;
    dp__asset *k = visitable(dp, kh, &cnt);
    if (!k || k->color != DP__GRAY)
        return STEP_DONE;
    if (dp__hvec_push(dp, &c->stack, kh) != DP_OK)
        return STEP_NOMEM;
    k->color = DP__BLACK;
    return STEP_DONE;
}

/* Scan: the next gray node held from outside the gray subgraph turns black, in hand. */
static int scan_seed(dp_depot *dp, struct dp__cycles *c)
{
    if (c->pos == c->seen.n)
        return 0;
    dp_handle h = c->seen.v[c->pos++];
    uint32_t cnt;
    dp__asset *r = visitable(dp, h, &cnt);
    if (r && r->color == DP__GRAY && TRIAL(r) > 0) {
        r->color = DP__BLACK;
        c->cur = h;
        c->edge = 0;
    }
    return 1;
}

/* Whiten phase: what is still gray is garbage as far as the marks know. */
static step whiten(dp_depot *dp, struct dp__cycles *c)
{
    while (c->pos < c->seen.n) {
        if (spend(c))
            return STEP_PAUSED;
        dp_handle h = c->seen.v[c->pos++];
        uint32_t cnt;
        dp__asset *r = visitable(dp, h, &cnt);
        if (!r || r->color != DP__GRAY)
            continue;
        if (dp__hvec_push(dp, &c->white, h) != DP_OK)
            return STEP_NOMEM;
        r->color = DP__WHITE;
    }
    return STEP_DONE;
}

/* ---- the claim: the validation rule --------------------------------------------------------- */

/* A white member that is still visitable, else NULL. */
static dp__asset *member(dp_depot *dp, dp_handle h, uint32_t *count)
{
    dp__asset *r = visitable(dp, h, count);
    return r && r->color == DP__WHITE ? r : NULL;
}

/* h is live (or cached, which keeps what it reaches): it turns black and goes on the stack,
 * from which drop_reached blackens every white node it reaches. False on NOMEM. */
static bool drop(dp_depot *dp, struct dp__cycles *c, dp_handle h, dp__asset *r)
{
    if (dp__hvec_push(dp, &c->stack, h) != DP_OK)
        return false;
    r->color = DP__BLACK;
    return true;
}

/* Blackens every white node the stack's nodes reach (alive, cached or not). */
static bool drop_reached(dp_depot *dp, struct dp__cycles *c)
{
    while (c->stack.n) {
        dp__asset *r = dp__rec(dp, c->stack.v[--c->stack.n]);
        c->work++;
        for (uint32_t e = 0; r && e < r->nkids; e++) {
            dp__asset *k = dp__rec(dp, dp__kids(r)[e]);
            c->work++;
            if (k && k->color == DP__WHITE && !drop(dp, c, dp__kids(r)[e], k))
                return false;
        }
    }
    return true;
}

/* Recounts the white set: afterwards c->white holds only nodes whose whole count comes
 * from edges of other members (in TRIAL), and the set is closed. False on NOMEM. */
static bool recount(dp_depot *dp, struct dp__cycles *c)
{
    dp__hvec *w = &c->white;
    size_t m = 0;
    uint32_t cnt;
    for (size_t i = 0; i < w->n; i++) {
        dp__asset *r = member(dp, w->v[i], &cnt), *any = r ? r : dp__rec(dp, w->v[i]);
        if (r) {
            TRIAL(r) = 0;
            w->v[m++] = w->v[i];
        } else if (any && any->color == DP__WHITE && !drop(dp, c, w->v[i], any))
            return false; /* cached (or emptied) since: it keeps what it reaches */
    }
    w->n = m;
    for (size_t i = 0; i < w->n; i++) {
        dp__asset *r = dp__rec_at(dp, dp_handle_index(w->v[i]));
        c->work += 1 + r->nkids;
        for (uint32_t e = 0; e < r->nkids; e++) {
            dp__asset *k = member(dp, dp__kids(r)[e], &cnt);
            if (k)
                TRIAL(k)++;
        }
    }
    for (size_t i = 0; i < w->n; i++) {
        dp__asset *r = member(dp, w->v[i], &cnt);
        if (r && cnt != TRIAL(r)) {
            if (!drop(dp, c, w->v[i], r))
                return false; /* held by something outside the set */
            /* That holder may be garbage too, held by an edge added between steps from a
             * node the mark never coloured: the next collection looks again (the
             * completeness rule). */
            dp__candidate(dp, w->v[i]);
        }
    }
    if (!drop_reached(dp, c))
        return false;
    m = 0;
    for (size_t i = 0; i < w->n; i++)
        if (dp__rec_at(dp, dp_handle_index(w->v[i]))->color == DP__WHITE)
            w->v[m++] = w->v[i];
    w->n = m;
    return true;
}

/* Claims every white node at its recounted count, or none (false). The claims and a
 * rollback happen under keys_lock: a key lookup (dp_find, dp_add, the loader) takes a DYING
 * asset for dead and lets its key name a new asset, so it must never see the DYING of a
 * claim that is then rolled back. */
static bool claim_white(dp_depot *dp, const dp__hvec *w)
{
    dp__mutex_lock(&dp->keys_lock);
    /* seq_cst: before the first DYING, so an acquirer that meets one waits (count.c). */
    atomic_store_explicit(&dp->claiming, 1, memory_order_seq_cst);
    size_t claimed = 0;
    for (; claimed < w->n; claimed++) {
        dp_handle h = w->v[claimed];
        if (dp->cycles->hook)
            dp->cycles->hook(dp, h, dp->cycles->hook_user);
        uint64_t expect = dp__word_make(dp_handle_gen(h), TRIAL(dp__rec_at(dp, dp_handle_index(h))));
        /* Acquire: releases of these counts by other threads happen before the free. */
        if (!atomic_compare_exchange_strong_explicit(dp__word(dp, h), &expect,
                                                     dp__word_make(dp_handle_gen(h), DP__DYING),
                                                     memory_order_acquire, memory_order_relaxed))
            break;
    }
    if (claimed < w->n) {
        /* Someone acquired or released a member meanwhile: everything stays. Only the owner
         * can change a DYING word, so restoring cannot race. */
        for (size_t i = 0; i < claimed; i++) {
            dp_handle h = w->v[i];
            uint32_t was = TRIAL(dp__rec_at(dp, dp_handle_index(h)));
            /* Release, like every owner store of a slot word: an acquirer whose CAS reads
             * the restored count sees the record as the owner left it. */
            atomic_store_explicit(dp__word(dp, h), dp__word_make(dp_handle_gen(h), was),
                                  memory_order_release);
        }
        /* seq_cst: after the restores, which a waiting acquirer then reads. */
        atomic_store_explicit(&dp->claiming, 0, memory_order_seq_cst);
        dp__mutex_unlock(&dp->keys_lock);
        return false;
    }
    atomic_store_explicit(&dp->claiming, 0, memory_order_seq_cst); /* all claimed: DYING stays */
    dp__mutex_unlock(&dp->keys_lock);
    return true;
}

/* Frees the claimed (DYING) white nodes. */
static void free_white(dp_depot *dp, const dp__hvec *w)
{
    for (size_t i = 0; i < w->n; i++) {
        dp__asset *r = dp__rec_at(dp, dp_handle_index(w->v[i]));
        r->color = DP__BLACK;
        r->lru_prev = 0; /* its trial count (not cached: the forward link is unused) */
    }
    dp->free_why = DP__WHY_CYCLE;
    for (size_t i = 0; i < w->n; i++) {
        dp__free_dying(dp, w->v[i]);
        dp__run_frees(dp);
    }
    dp->free_why = DP__WHY_RELEASED;
    /* Relaxed: a statistic; nothing is published through it. */
    atomic_fetch_add_explicit(&dp->st_cycles, w->n, memory_order_relaxed);
}

/* Claim phase, in one go. STEP_DONE or STEP_NOMEM (nothing freed then). */
static step claim(dp_depot *dp, struct dp__cycles *c)
{
    if (spend(c))
        return STEP_PAUSED; /* the claim starts with a step of its own */
    if (!c->white.n)
        return STEP_DONE;
    if (!recount(dp, c))
        return STEP_NOMEM;
    c->work += c->white.n;
    if (claim_white(dp, &c->white)) {
        free_white(dp, &c->white);
    } else {
        for (size_t i = 0; i < c->white.n; i++)
            dp__candidate(dp, c->white.v[i]);
    }
    return STEP_DONE;
}

/* ---- the collection's course ---------------------------------------------------------------- */

/* Reset phase: every node the collection coloured turns black; then it is over. */
static step reset(dp_depot *dp, struct dp__cycles *c)
{
    while (c->pos < c->seen.n) {
        if (spend(c))
            return STEP_PAUSED;
        dp__asset *r = dp__rec(dp, c->seen.v[c->pos++]);
        if (r)
            r->color = DP__BLACK; /* colour only: a cached node's lru fields are links */
    }
    dp__hvec *scratch[] = {&c->seen, &c->stack, &c->white, &c->roots};
    for (size_t i = 0; i < sizeof scratch / sizeof scratch[0]; i++) {
        scratch[i]->n = 0;
        if (scratch[i]->cap > KEEP_SCRATCH)
            dp__hvec_free(dp, scratch[i]); /* a large graph's lists do not outlive it */
    }
    c->next_root = c->pos = 0;
    c->cur = DP_NULL_HANDLE;
    c->phase = PH_IDLE;
    return STEP_DONE;
}

/* Out of memory: the collection stops (nothing freed); the roots not taken yet are dropped
 * and the next collection looks at every held asset. */
static void abandon(dp_depot *dp, struct dp__cycles *c)
{
    for (; c->next_root < c->roots.n; c->next_root++) {
        dp__asset *r = dp__rec(dp, c->roots.v[c->next_root]);
        if (r)
            r->oflags &= (uint8_t)~DP__OF_CANDIDATE; /* so that the look at every asset lists it */
    }
    dp->cands_lost = true;
    c->stack.n = 0;
    c->cur = DP_NULL_HANDLE;
    c->pos = 0;
    c->phase = PH_RESET;
}

/* Starts a collection over the candidates recorded so far; false if there are none (left)
 * or the steps are spent. */
static bool start(dp_depot *dp, struct dp__cycles *c)
{
    if (dp->cands_lost) {
        /* Some candidates could not be recorded: take every held asset as a candidate. */
        dp->cands_lost = false;
        dp__view v;
        for (dp__live_iter it = dp__live_begin(dp); dp__live_next(dp, &it, &v);)
            if (v.count)
                dp__candidate(dp, v.h);
    }
    /* The last candidates, while they need no walk (gone, or held from outside), are
     * dropped here at a step each: a frame that released a held scene root starts nothing. */
    while (dp->cands.n) {
        dp_handle h = dp->cands.v[dp->cands.n - 1];
        uint32_t cnt = 0;
        dp__asset *r = named(dp, h, &cnt);
        if (held(r, cnt) && cnt <= r->nin)
            break; /* this one is walked: a collection starts */
        if (spend(c))
            return false;
        if (r)
            r->oflags &= (uint8_t)~DP__OF_CANDIDATE;
        dp->cands.n--;
    }
    if (!dp->cands.n)
        return false;
    /* The roots keep their candidate mark until their turn (mark_seed clears it, a step it
     * takes anyway), so taking them costs nothing per root. A count that goes down meanwhile
     * still lists the asset for the next collection (dp__candidate): the mark may have
     * passed it already, or skipped it as held from outside. */
    dp__hvec spare = c->roots; /* empty; its buffer becomes the next candidates' */
    c->roots = dp->cands;
    dp->cands = spare;
    c->phase = PH_MARK;
    return true;
}

/* Runs the collection's phases until it is over or the steps are spent. */
static step advance(dp_depot *dp, struct dp__cycles *c)
{
    step s = STEP_DONE;
    while (s == STEP_DONE && c->phase != PH_IDLE) {
        int was = c->phase;
        s = was == PH_MARK     ? walk(dp, c, mark_edge, mark_seed)
            : was == PH_SCAN   ? walk(dp, c, black_edge, scan_seed)
            : was == PH_WHITEN ? whiten(dp, c)
            : was == PH_CLAIM  ? claim(dp, c)
                               : reset(dp, c);
        if (s == STEP_DONE && was != PH_RESET) {
            /* Nothing coloured (every root held from outside): nothing to scan or reset. */
            c->phase = was == PH_MARK && !c->seen.n ? PH_RESET : was + 1;
            c->pos = 0;
        }
    }
    return s;
}

/* The collector's state, made on first use; NULL on NOMEM. */
static struct dp__cycles *cycles(dp_depot *dp)
{
    if (!dp->cycles) {
        dp->cycles = dp__alloc(&dp->alloc, sizeof *dp->cycles);
        if (dp->cycles)
            *dp->cycles = (struct dp__cycles){.phase = PH_IDLE};
    }
    return dp->cycles;
}

dp_status dp__collect(dp_depot *dp, size_t budget)
{
    if ((!dp->cycles || dp->cycles->phase == PH_IDLE) && !dp->cands.n && !dp->cands_lost)
        return DP_OK; /* nothing in progress, nothing to start */
    struct dp__cycles *c = cycles(dp);
    if (!c)
        return DP_ERR_NOMEM;
    c->work = 0;
    c->budget = budget;
    dp_status st = DP_OK;
    /* Without a budget: the collection in progress, then one new one. Candidates that a
     * failed claim put back wait for the next call instead of spinning here. */
    bool may_start = true;
    for (;;) {
        if (c->phase == PH_IDLE) {
            if (!may_start || (budget && c->work >= budget) || !start(dp, c))
                break;
            may_start = budget != 0;
        }
        step s = advance(dp, c);
        if (s == STEP_PAUSED)
            break;
        if (s == STEP_NOMEM) {
            st = DP_ERR_NOMEM;
            may_start = false;
            abandon(dp, c); /* the next advance resets the colours */
        }
    }
    if (c->work) /* Relaxed: a statistic; nothing is published through it. */
        atomic_fetch_add_explicit(&dp->st_cycle_steps, c->work, memory_order_relaxed);
    return st;
}

int dp__cycles_phase(const dp_depot *dp)
{
    return dp->cycles ? dp->cycles->phase : PH_IDLE;
}

dp_status dp__cycles_set_hook(dp_depot *dp, dp__cycles_hook hook, void *user)
{
    struct dp__cycles *c = cycles(dp);
    if (!c)
        return DP_ERR_NOMEM;
    c->hook = hook;
    c->hook_user = user;
    return DP_OK;
}

size_t dp__cycles_bytes(const dp_depot *dp)
{
    const struct dp__cycles *c = dp->cycles;
    if (!c)
        return 0;
    size_t room = c->roots.cap + c->seen.cap + c->stack.cap + c->white.cap;
    return sizeof *c + room * sizeof(dp_handle);
}

void dp__cycles_free(dp_depot *dp)
{
    struct dp__cycles *c = dp->cycles;
    if (!c)
        return;
    dp__hvec_free(dp, &c->roots);
    dp__hvec_free(dp, &c->seen);
    dp__hvec_free(dp, &c->stack);
    dp__hvec_free(dp, &c->white);
    dp__free(&dp->alloc, c);
    dp->cycles = NULL;
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
