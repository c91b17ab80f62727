/* wait.c — the owner's waits: dp_wait (until one asset settles) and dp_wait_idle (until no
 * job is queued or running). Owner thread only.
 *
 * The wake rule of dp_wait. Between two dp_update calls the state it waits for changes only
 * when something is handed to the owner: a worker's finished job (a result, a failure, a
 * cancellation), or a link or retry that a dp_load queued; worker.c counts each in
 * L->posted under L->lock. dp_wait reads `posted` before each dp_update, then looks at the
 * asset. When it has not settled, dp_wait sleeps on L->idle until a post it waits for sets
 * owner_woken under the lock (the poster signals after unlocking):
 *  - while a load of the asset itself is queued or running, only that load's post (nothing
 *    else can settle it; the other loads' results are applied by the same update), and the
 *    sleep starts only if that job has not posted yet, checked under the lock. If other jobs
 *    are queued behind it, the owner first pauses until a millisecond after its last update
 *    began, so that waiting for many short loads in turn takes their results in batches, as
 *    the old 1 ms poll did;
 *  - otherwise (say, it waits for its dependencies) any post, if `posted` has not moved since
 *    it was read (checked under the lock: a post made during the update or the look is seen,
 *    never lost).
 * The sleep ends at the timeout, or after a millisecond (the old poll) where the next update
 * has work of its own that no post would announce: a deep-state pass the update could not
 * finish (out of memory), a residency restore that dp_touch could not start, or nothing in
 * flight at all (no loader, no job queued, running or unapplied: then only the program's
 * other threads can change anything, say a dp_release that frees the asset). */
#include "load/loader.h"

#define POLL_NS 1000000ull /* the look-again interval where no post would wake the wait */

/* One look at h after a dp_update: true with *st set when the wait is over (deep-loaded,
 * failed, gone). Else *own tells whether a load of h itself is in flight. An asset a
 * residency budget evicted is asked back here (dp_touch); *soon is set when that could not
 * start its load, so the wait looks again soon. */
static bool settled(dp_depot *dp, dp__loader *L, dp_handle h, dp_status *st, bool *soon,
                    bool *own)
{
    /* An asset that failed itself is deep-FAILED whatever its dependencies do; say so even
     * when the deep-state pass could not run (it allocates). */
    dp_state s = dp_state_of(dp, h) == DP_STATE_FAILED ? DP_STATE_FAILED : dp_state_deep(dp, h);
    if (s == DP_STATE_INVALID) {
        *st = DP_ERR_STALE;
        return true;
    }
    /* A load of h still in flight (a reload, a retry) decides the answer: the state seen now
     * is the one before it. An asset a residency budget evicted is asked back (dp_touch) and
     * waited for. */
    bool busy = L && dp__loader_busy(L, h);
    if (s == DP_STATE_LOADED && !busy && dp_state_of(dp, h) == DP_STATE_EVICTED) {
        dp_touch(dp, h);
        if (!L || !dp__loader_busy(L, h))
            *soon = true; /* out of memory: the next update tries again */
        busy = true;
    }
    if (s == DP_STATE_LOADED && !busy) {
        *st = DP_OK;
        return true;
    }
    if (s == DP_STATE_FAILED && !busy) {
        dp_status why = dp_failure_of(dp, h);
        *st = why != DP_OK ? why : DP_ERR_FORMAT;
        return true;
    }
    *own = busy;
    return false;
}

static uint64_t posted_now(dp__loader *L)
{
    dp__mutex_lock(&L->lock);
    uint64_t n = L->posted;
    dp__mutex_unlock(&L->lock);
    return n;
}

/* While other jobs wait in the queue (a batch is loading), the owner takes results at most
 * about once every POLL_NS, as the poll did, not once a handle: a loop that waits for many
 * short loads in turn would otherwise wake the owner, and make a worker signal it, for each
 * one. Sleeps, ignoring posts, until `pause_until` or until the queue is empty when it
 * looks. Under L->lock. */
static void batch_pause(dp__loader *L, uint64_t pause_until)
{
    while (L->queue.count > 0 && dp__now_ns() < pause_until)
        (void)dp__cond_wait_until(&L->idle, &L->lock, pause_until);
}

/* Sleeps until something is posted after `seen`, or, with `own` non-null, until a job of
 * `own` that is queued or running now posts (after a batch pause that ends at
 * `pause_until`); or until `until` (UINT64_MAX: no limit); with `soon`, or with nothing in
 * flight, no longer than POLL_NS. */
static void sleep_until_posted(dp__loader *L, uint64_t seen, uint64_t until, bool soon,
                               dp_handle own, uint64_t pause_until)
{
    dp__mutex_lock(&L->lock);
    if (own.bits)
        batch_pause(L, pause_until < until ? pause_until : until);
    if (own.bits ? dp__loader_will_post(L, own) : L->posted == seen) {
        if (soon || !dp__loader_in_flight(L)) {
            uint64_t poll = dp__now_ns() + POLL_NS;
            until = poll < until ? poll : until;
        }
        L->owner_waits_for = own.bits;
        L->owner_woken = false;
        L->owner_waits_post = true;
        while (!L->owner_woken) {
            if (until == UINT64_MAX)
                dp__cond_wait(&L->idle, &L->lock);
            else if (!dp__cond_wait_until(&L->idle, &L->lock, until) &&
                     dp__now_ns() >= until)
                break;
        }
        L->owner_waits_post = false;
    }
    dp__mutex_unlock(&L->lock);
}

dp_status dp_wait(dp_depot *dp, dp_handle h, int timeout_ms)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__loader *L = dp__loader_get(dp);
    uint64_t until = timeout_ms >= 0 ? dp__now_ns() + (uint64_t)timeout_ms * 1000000ull
                                     : UINT64_MAX;
    for (;;) {
        /* Read before the update: whatever is posted from here on wakes the sleep below. */
        uint64_t seen = L ? posted_now(L) : 0, began = dp__now_ns();
        dp_update(dp);
        dp_status st;
        bool soon = dp__deep_due(dp), own = false;
        if (settled(dp, L, h, &st, &soon, &own))
            return st;
        if (dp__now_ns() >= until)
            return DP_ERR_TIMEOUT;
        /* While h's own load runs nothing else can settle it: only its post wakes the
         * owner (other results wait for that update), so a wait among many loads sleeps
         * through theirs. With work of the next update's own, the look-again decides. */
        if (L)
            sleep_until_posted(L, seen, until, soon, own && !soon ? h : DP_NULL_HANDLE,
                               began + POLL_NS);
        else
            dp__sleep_ms(1); /* no loader (out of memory): nothing would post */
    }
}

dp_status dp_wait_idle(dp_depot *dp, int timeout_ms)
{
    if (!dp)
        return DP_ERR_INVALID;
    dp__loader *L;
    dp_status st = dp__loader_owner(dp, &L);
    if (st != DP_OK)
        return st;
    uint64_t until = timeout_ms >= 0 ? dp__now_ns() + (uint64_t)timeout_ms * 1000000ull
                                     : UINT64_MAX;
    dp__mutex_lock(&L->lock);
    L->owner_waits = true;
    bool idle;
    while (!(idle = dp__loader_idle(L))) {
        if (until == UINT64_MAX)
            dp__cond_wait(&L->idle, &L->lock);
        else if (!dp__cond_wait_until(&L->idle, &L->lock, until) && dp__now_ns() >= until) {
            idle = dp__loader_idle(L);
            break;
        }
    }
    L->owner_waits = false;
    dp__mutex_unlock(&L->lock);
    return idle ? DP_OK : DP_ERR_TIMEOUT;
}
