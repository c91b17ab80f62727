/* done.c — completion callbacks (dp_load_opts.on_done): called once per request on the
 * owner thread, during dp_update, once the asset's deep state settles, or with
 * DP_ERR_CANCELLED when the asset is freed first or the depot is destroyed.
 *
 * A request may come from any thread: it waits in an inbox (under done_lock) until the next
 * dp_update adopts it. An adopted request hangs on its asset (dp__ext.done_head, a chain
 * through the request table, flagged by DP__XF_DONE in the record), so nothing is scanned
 * per update: the deep-state pass
 * moves the chain of an asset whose deep state it settles to the ready list, and so does
 * the free of an asset; dp_update then calls the ready ones. A request holds no count, like
 * a job: it names its asset by a weak handle. */
#include <string.h>

#include "asset/asset_internal.h"

/* A request: in the inbox (next unused) or in the table, chained per asset. */
typedef struct dp__done_req {
    dp_handle h;
    dp__done_fn fn;
    void *user;
    uint32_t next; /* next request of the same asset (index + 1), or the free list's */
} dp__done_req;

/* A chain ready to be called: its asset settled or was freed. */
typedef struct dp__done_ready {
    dp_handle h;
    uint32_t head;
} dp__done_ready;

struct dp__done {
    dp__done_req *inbox; /* under dp->done_lock */
    size_t nin, capin;
    bool closed;         /* dp_destroy has begun: no more requests (under done_lock) */
    dp__done_req *reqs;  /* owner only; a free list through next */
    size_t nreqs, capreqs;
    uint32_t free_head;
    size_t nopen;        /* requests in the table */
    dp__done_ready *ready; /* capacity >= nopen, so that making a chain ready never fails */
    size_t nready, capready;
    dp__hvec checks;     /* assets of requests adopted in this update */
};

/* The requests' state, or NULL before the first request. Any thread. */
static struct dp__done *done_of(dp_depot *dp)
{
    /* Acquire: pairs with the release in dp__done_add; the struct is zeroed before. */
    return atomic_load_explicit(&dp->done, memory_order_acquire);
}

dp_status dp__done_add(dp_depot *dp, dp_handle h, dp__done_fn fn, void *user)
{
    if (!dp || !fn)
        return DP_ERR_INVALID;
    dp_status st = DP_OK;
    dp__mutex_lock(&dp->done_lock);
    /* Relaxed: written only here, under done_lock, which this thread holds. */
    struct dp__done *d = atomic_load_explicit(&dp->done, memory_order_relaxed);
    if (!d) {
        d = dp__calloc(&dp->alloc, 1, sizeof *d);
        /* Release: the owner's unlocked check in dp__done_adopt sees a zeroed struct. */
        atomic_store_explicit(&dp->done, d, memory_order_release);
    }
    if (!d)
        st = DP_ERR_NOMEM;
    else if (d->closed)
        st = DP_ERR_CANCELLED;
    else
        st = dp__grow(&dp->alloc, (void **)&d->inbox, &d->capin, d->nin + 1, sizeof *d->inbox);
    if (st == DP_OK)
        d->inbox[d->nin++] = (dp__done_req){.h = h, .fn = fn, .user = user};
    dp__mutex_unlock(&dp->done_lock);
    return st;
}

/* Queues a chain to be called at the end of this (or the next) dp_update. Never fails:
 * adopt reserved a ready entry for every open request. */
static void make_ready(dp_depot *dp, dp_handle h, uint32_t head)
{
    struct dp__done *d = done_of(dp);
    DP__ASSERT(d->nready < d->capready); /* adopt keeps capready >= open requests */
    d->ready[d->nready++] = (dp__done_ready){h, head};
}

/* Takes h's chain off it (its record r flags one): the head. */
static uint32_t unhook(dp_depot *dp, dp_handle h, dp__asset *r)
{
    dp__ext *x = dp__ext_peek(dp, dp_handle_index(h));
    DP__ASSERT(x != NULL); /* adopt made it before it set the flag */
    uint32_t head = x->done_head;
    x->done_head = 0;
    r->xflags &= (uint8_t)~DP__XF_DONE;
    return head;
}

void dp__done_settled(dp_depot *dp, dp_handle h, dp__asset *r)
{
    make_ready(dp, h, unhook(dp, h, r));
}

/* Moves a request from the inbox into the table, on its asset's chain; its asset is looked
 * at again after this update's deep-state pass (dp__done_run). */
static void adopt(dp_depot *dp, const dp__done_req *q)
{
    struct dp__done *d = done_of(dp);
    uint32_t i = d->free_head;
    dp__asset *r = dp__rec_live(dp, q->h);
    dp__ext *x = r ? dp__ext_make(dp, dp_handle_index(q->h)) : NULL; /* the chain's head */
    if ((r && !x) ||
        dp__grow(&dp->alloc, (void **)&d->ready, &d->capready, d->nopen + 1,
                 sizeof *d->ready) != DP_OK ||
        dp__hvec_push(dp, &d->checks, q->h) != DP_OK ||
        (!i && dp__grow(&dp->alloc, (void **)&d->reqs, &d->capreqs, d->nreqs + 1,
                        sizeof *d->reqs) != DP_OK)) {
        q->fn(q->user, q->h, DP_ERR_NOMEM); /* it cannot be waited for: say so, once */
        return;
    }
    if (i) {
        i--;
        d->free_head = d->reqs[i].next;
    } else {
        i = (uint32_t)d->nreqs++;
    }
    d->nopen++;
    d->reqs[i] = *q;
    d->reqs[i].next = 0;
    if (!r) { /* freed before the owner saw the request */
        make_ready(dp, q->h, i + 1);
        return;
    }
    d->reqs[i].next = x->done_head;
    x->done_head = i + 1;
    r->xflags |= DP__XF_DONE;
}

void dp__done_adopt(dp_depot *dp)
{
    struct dp__done *d = done_of(dp);
    if (!d)
        return;
    dp__mutex_lock(&dp->done_lock);
    dp__done_req *in = d->inbox;
    size_t n = d->nin;
    d->inbox = NULL;
    d->nin = d->capin = 0;
    dp__mutex_unlock(&dp->done_lock);
    for (size_t k = 0; k < n; k++)
        adopt(dp, &in[k]);
    dp__free(&dp->alloc, in);
}

static dp_status status_of(const dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (!r || r->oflags & DP__OF_ZOMBIE)
        return DP_ERR_CANCELLED;
    /* Relaxed: the owner writes the deep state and statuses, and this is the owner. */
    if (atomic_load_explicit(&r->deep, memory_order_relaxed) == DP_STATE_LOADED)
        return DP_OK;
    dp_status st = dp_failure_of(dp, h);
    return st != DP_OK ? st : DP_ERR_CANCELLED;
}

static void call_chain(dp_depot *dp, dp_handle h, uint32_t head)
{
    struct dp__done *d = done_of(dp);
    dp_status st = status_of(dp, h);
    while (head) {
        uint32_t i = head - 1;
        dp__done_req q = d->reqs[i];
        head = q.next;
        d->reqs[i] = (dp__done_req){.next = d->free_head};
        d->free_head = i + 1;
        d->nopen--;
        q.fn(q.user, h, st); /* may add requests (to the inbox): q is a copy */
    }
}

void dp__done_run(dp_depot *dp)
{
    struct dp__done *d = done_of(dp);
    if (!d)
        return;
    /* Requests adopted this update whose asset's deep state had settled before. */
    for (size_t k = 0; k < d->checks.n; k++) {
        dp__asset *r = dp__rec_live(dp, d->checks.v[k]);
        /* Relaxed: the owner writes the deep state, and this is the owner. */
        if (r && (r->xflags & DP__XF_DONE) &&
            atomic_load_explicit(&r->deep, memory_order_relaxed) != DP_STATE_PENDING)
            dp__done_settled(dp, d->checks.v[k], r);
    }
    d->checks.n = 0;
    /* By index: a callback may release an asset whose free makes another chain ready. */
    for (size_t k = 0; k < d->nready; k++) {
        dp__done_ready x = d->ready[k];
        call_chain(dp, x.h, x.head);
    }
    d->nready = 0;
}

void dp__done_close(dp_depot *dp)
{
    struct dp__done *d = done_of(dp);
    if (!d)
        return;
    dp__mutex_lock(&dp->done_lock);
    d->closed = true;
    dp__mutex_unlock(&dp->done_lock);
    dp__done_adopt(dp);
    dp__done_run(dp);
    /* What is still waiting is cancelled: unhook it from its asset first. */
    for (size_t i = 0; i < d->nreqs; i++) {
        dp__asset *r = d->reqs[i].fn ? dp__rec_live(dp, d->reqs[i].h) : NULL;
        if (r && (r->xflags & DP__XF_DONE))
            unhook(dp, d->reqs[i].h, r);
    }
    for (size_t i = 0; i < d->nreqs; i++) {
        dp__done_req q = d->reqs[i];
        if (!q.fn)
            continue;
        d->reqs[i].fn = NULL;
        q.fn(q.user, q.h, DP_ERR_CANCELLED);
    }
}

void dp__done_free(dp_depot *dp)
{
    struct dp__done *d = done_of(dp);
    if (!d)
        return;
    dp__free(&dp->alloc, d->inbox);
    dp__free(&dp->alloc, d->reqs);
    dp__free(&dp->alloc, d->ready);
    dp__hvec_free(dp, &d->checks);
    dp__free(&dp->alloc, d);
    atomic_store_explicit(&dp->done, NULL, memory_order_relaxed); /* dp_destroy: no one else */
}
