/* worker.c — the worker side of the loader: jobs, the queue workers take them from, the
 * lists other threads fill for the owner (links, retries), superseding an older load, and the
 * worker threads themselves. Any thread, under L->lock; nothing here touches the graph. */
#include <stdint.h>
#include <string.h>

#include "load/loader.h"

/* ---- jobs ------------------------------------------------------------------------------------ */

/* Cancelled when the job's asset is gone or being freed. Worker threads. */
static bool job_asset_dead(const struct dp_cancel *c)
{
    return !dp__alive(c->ctx, (dp_handle){c->arg});
}

dp__job *dp__job_new(dp__loader *L, dp_handle h, dp_type_id type, const char *key, int source)
{
    /* One block: the job, then its key (one allocation a load, not two). */
    size_t kl = strlen(key) + 1;
    if (kl > SIZE_MAX - sizeof(dp__job))
        return NULL;
    dp__job *j = dp__alloc(L->alloc, sizeof *j + kl);
    if (!j)
        return NULL;
    memset(j, 0, sizeof *j);
    j->key = (char *)(j + 1);
    memcpy(j->key, key, kl);
    /* A canonical key: the file source's is its path, another's "scheme://path"
     * (dp__key_parse found the scheme, so its name is there). */
    j->path = source ? j->key + strlen(L->sources[source].scheme) + 3 : j->key;
    j->h = h;
    j->type = type;
    j->source = source;
    atomic_init(&j->started, false);
    atomic_init(&j->level, DP_PRIORITY_NORMAL - DP_PRIORITY_LOW);
    dp__cancel_init(&j->cancel);
    j->cancel.check = job_asset_dead;
    j->cancel.ctx = L->dp; /* cancel.arg is set to the handle by dp__loader_enqueue */
    return j;
}

void dp__job_free(dp__loader *L, dp__job *job)
{
    /* Most jobs have no names, dependencies, labels or message: only the block is freed
     * then (each dp__free is a call through the allocator). */
    if (job->names) {
        for (size_t i = 0; i < job->nnames; i++)
            dp__free(L->alloc, job->names[i]);
        dp__free(L->alloc, job->names);
    }
    if (job->deps)
        dp__free(L->alloc, job->deps);
    if (job->labels)
        dp__free(L->alloc, job->labels);
    if (job->why)
        dp__free(L->alloc, job->why);
    dp__free(L->alloc, job); /* the key lives in the job's block */
}

void dp__loader_enqueue(dp__loader *L, dp__job *job)
{
    job->cancel.arg = job->h.bits;
    /* Relaxed: `pending` is a number for dp_stats; the job itself is handed over under L->lock. */
    atomic_fetch_add_explicit(&L->pending, 1, memory_order_relaxed);
    bool wake = false, wake_owner = false;
    dp__mutex_lock(&L->lock);
    job->next = NULL;
    if (L->stop) {
        /* Shutting down: the job is finished at once, as cancelled. */
        dp__cancel_set(&job->cancel);
        job->status = DP_ERR_CANCELLED;
        if (L->done_tail)
            L->done_tail->next = job;
        else
            L->done = job;
        L->done_tail = job;
        wake_owner = dp__loader_posted(L, DP_NULL_HANDLE);
    } else {
        /* One wake-up when the queue turns from nothing to take to something with a worker
         * idle; the worker that takes a job wakes the next idle one if jobs it may take
         * remain (see worker_main). So a burst of cheap loads costs a wake-up or two, not
         * one a load, and long jobs still run on every worker. */
        bool before = dp__queue_takeable(&L->queue);
        job->klass = dp__source_class(L, job->source);
        dp__queue_push(&L->queue, job);
        /* A job of a class at its cap wakes nobody: no worker could take it. */
        wake = !before && dp__queue_takeable(&L->queue) && L->nidle > 0;
    }
    dp__mutex_unlock(&L->lock);
    /* Signalled after unlocking, so the woken worker does not block at once on the lock we
     * still hold (a worker re-checks the queue under the lock before it waits: no lost
     * wake-up). The loader outlives every enqueue: dp_destroy joins the workers first. */
    if (wake)
        dp__cond_signal(&L->wake);
    if (wake_owner)
        dp__cond_signal(&L->idle);
}

/* A count the library took for a job or a link, given back from any thread. */
void dp__give_back(dp_depot *dp, dp_handle h)
{
    dp__release_site(dp, h, dp__site_load);
}

dp_status dp__loader_link(dp__loader *L, dp_handle label, dp_handle parent, dp_type_id forced)
{
    bool wake = false;
    dp__mutex_lock(&L->lock);
    dp_status st = dp__grow(L->alloc, (void **)&L->links, &L->caplinks, L->nlinks + 1,
                            sizeof *L->links);
    if (st == DP_OK) {
        L->links[L->nlinks++] = (dp__link){.label = label, .parent = parent, .forced = forced};
        /* Relaxed: a counter for dp_stats; the link is handed over under L->lock. */
        atomic_fetch_add_explicit(&L->pending, 1, memory_order_relaxed);
        wake = dp__loader_posted(L, DP_NULL_HANDLE);
    }
    dp__mutex_unlock(&L->lock);
    if (wake)
        dp__cond_signal(&L->idle);
    if (st != DP_OK)
        dp__give_back(L->dp, parent);
    return st;
}

void dp__loader_retry(dp__loader *L, dp_handle h)
{
    bool wake = false;
    dp__mutex_lock(&L->lock);
    if (dp__grow(L->alloc, (void **)&L->retries, &L->capretries, L->nretries + 1,
                 sizeof *L->retries) == DP_OK) {
        L->retries[L->nretries++] = h;
        /* Relaxed: a counter for dp_stats; the retry is handed over under L->lock. */
        atomic_fetch_add_explicit(&L->pending, 1, memory_order_relaxed);
        wake = dp__loader_posted(L, DP_NULL_HANDLE);
    }
    dp__mutex_unlock(&L->lock);
    if (wake)
        dp__cond_signal(&L->idle);
}

static bool list_has(const dp__job *j, dp_handle h)
{
    for (; j; j = j->next)
        if (j->h.bits == h.bits)
            return true;
    return false;
}

bool dp__loader_will_post(const dp__loader *L, dp_handle h)
{
    if (dp__queue_find(&L->queue, h.bits))
        return true;
    for (int i = 0; i < L->nthreads; i++)
        if (L->running[i] && L->running[i]->h.bits == h.bits)
            return true;
    return false;
}

bool dp__loader_busy(dp__loader *L, dp_handle h)
{
    dp__mutex_lock(&L->lock);
    bool busy = dp__loader_will_post(L, h) || list_has(L->done, h);
    for (size_t i = 0; i < L->nretries && !busy; i++)
        busy = L->retries[i].bits == h.bits;
    dp__mutex_unlock(&L->lock);
    return busy;
}

static void supersede_list(dp__job *j, dp_handle h)
{
    for (; j; j = j->next)
        if (j->h.bits == h.bits)
            j->superseded = true;
}

void dp__loader_supersede(dp__loader *L, dp_handle h)
{
    /* Only the owner reads or writes `superseded`, and only the owner frees jobs; the lock
     * keeps the lists still while we walk them. */
    dp__mutex_lock(&L->lock);
    for (dp__job *j = dp__queue_find(&L->queue, h.bits); j;
         j = dp__queue_find_next(j->hnext, h.bits))
        j->superseded = true;
    supersede_list(L->done, h);
    for (int i = 0; i < L->nthreads; i++)
        if (L->running[i] && L->running[i]->h.bits == h.bits)
            L->running[i]->superseded = true;
    dp__mutex_unlock(&L->lock);
}

bool dp__loader_idle(const dp__loader *L)
{
    if (L->queue.count)
        return false;
    for (int i = 0; i < L->nthreads; i++)
        if (L->running[i])
            return false;
    return true;
}

bool dp__loader_in_flight(const dp__loader *L)
{
    return L->done || L->nlinks || L->nretries || !dp__loader_idle(L);
}

bool dp__loader_posted(dp__loader *L, dp_handle h)
{
    L->posted++;
    /* Decided under the lock dp_wait sleeps under (it sets owner_waits_post and checks
     * owner_woken holding it): no lost wake-up, even when the signal comes after the unlock.
     * Once a sleep: later posts cost an increment. */
    if (!L->owner_waits_post || L->owner_woken ||
        (L->owner_waits_for && h.bits != L->owner_waits_for))
        return false;
    L->owner_woken = true;
    return true;
}

/* ---- workers --------------------------------------------------------------------------------- */

typedef struct worker_arg {
    dp__loader *L;
    int index;
} worker_arg;

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    dp__loader *L = wa->L;
    int me = wa->index;
    bool wake_owner = false; /* the owner waits for the job this worker posted last */
    dp__mutex_lock(&L->lock);
    for (;;) {
        /* Waits while nothing queued may be taken: the queue is empty, or every queued job's
         * concurrency class is at its cap (a worker finishing one of them takes the next). */
        while (!dp__queue_takeable(&L->queue) && !L->stop) {
            if (wake_owner) { /* before this worker sleeps; then it looks again */
                wake_owner = false;
                dp__mutex_unlock(&L->lock);
                dp__cond_signal(&L->idle);
                dp__mutex_lock(&L->lock);
                continue;
            }
            L->nidle++;
            dp__cond_wait(&L->wake, &L->lock);
            L->nidle--;
        }
        if (L->stop)
            break;
        dp__job *job = dp__queue_take(&L->queue);
        L->running[me] = job;
        /* more work this worker's peers may take, and a sleeping one to take it */
        bool chain = dp__queue_takeable(&L->queue) && L->nidle > 0;
        dp__mutex_unlock(&L->lock);
        if (chain)
            dp__cond_signal(&L->wake);
        /* The owner is woken once this worker holds its next job and the lock is free: it
         * does not wake into a lock the worker still needs (both waits check their condition
         * under the lock: no lost wake-up). */
        if (wake_owner)
            dp__cond_signal(&L->idle);
        wake_owner = false;

        /* Relaxed: only shows the job as LOADING at the owner's next apply; nothing is read
         * through it. */
        atomic_store_explicit(&job->started, true, memory_order_relaxed);
        dp__job_run(L, job);

        dp__mutex_lock(&L->lock);
        L->running[me] = NULL;
        dp__queue_finished(&L->queue, job);
        job->next = NULL;
        if (L->done_tail)
            L->done_tail->next = job;
        else
            L->done = job;
        L->done_tail = job;
        /* A result (also a failure or a cancellation) for dp_wait; dp_wait_idle only once
         * nothing is queued or running. A worker pays nothing for either while the owner
         * does not wait. */
        wake_owner = dp__loader_posted(L, job->h) || (L->owner_waits && dp__loader_idle(L));
    }
    dp__mutex_unlock(&L->lock);
    if (wake_owner)
        dp__cond_signal(&L->idle);
    return NULL;
}

dp_status dp__workers_start(dp__loader *L, int n)
{
    /* The arguments live in the loader: one per worker. */
    worker_arg *args = dp__calloc(L->alloc, (size_t)n, sizeof *args);
    if (!args)
        return DP_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        args[i] = (worker_arg){.L = L, .index = i};
        if (dp__thread_start(&L->threads[i], worker_main, &args[i]) != 0)
            break;
        L->nthreads++;
    }
    L->args = args; /* read by the workers for as long as they run */
    return L->nthreads > 0 ? DP_OK : DP_ERR_NOMEM;
}

static void cancel_job(dp__job *job, void *arg)
{
    (void)arg;
    dp__cancel_set(&job->cancel);
}

void dp__workers_stop(dp__loader *L)
{
    dp__mutex_lock(&L->lock);
    L->stop = true;
    dp__queue_each(&L->queue, cancel_job, NULL);
    for (int i = 0; i < L->nthreads; i++)
        if (L->running[i])
            dp__cancel_set(&L->running[i]->cancel);
    dp__cond_broadcast(&L->wake);
    dp__mutex_unlock(&L->lock);
    for (int i = 0; i < L->nthreads; i++)
        dp__thread_join(L->threads[i]);
    L->nthreads = 0;
}
