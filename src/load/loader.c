/* loader.c — the load machinery behind load_api.c: the worker threads, the job queue,
 * applying results on the owner thread, and shutting everything down at dp_destroy. */
#include <string.h>

#include "load/loader.h"
#include "load/catalog.h"
#include "load/mount.h"
#include "os/fs.h"
#include "os/path.h"

/* ---- jobs ------------------------------------------------------------------------------------ */

/* Cancelled when the job's asset is gone or being freed. Worker threads. */
static bool job_asset_dead(const struct dp_cancel *c)
{
    return !dp__alive(c->ctx, (dp_handle){c->arg});
}

dp__job *dp__job_new(dp__loader *L, dp_handle h, dp_type_id type, const char *key, int source)
{
    dp__job *j = dp__calloc(L->alloc, 1, sizeof *j);
    if (!j)
        return NULL;
    j->key = dp__strdup(L->alloc, key);
    if (!j->key) {
        dp__free(L->alloc, j);
        return NULL;
    }
    const char *sep = strstr(j->key, "://");
    j->path = sep ? sep + 3 : j->key;
    j->h = h;
    j->type = type;
    j->source = source;
    atomic_init(&j->started, false);
    dp__cancel_init(&j->cancel);
    j->cancel.check = job_asset_dead;
    j->cancel.ctx = L->dp; /* cancel.arg is set to the handle by dp__loader_enqueue */
    return j;
}

void dp__job_free(dp__loader *L, dp__job *job)
{
    for (size_t i = 0; i < job->nnames; i++)
        dp__free(L->alloc, job->names[i]);
    dp__free(L->alloc, job->names);
    dp__free(L->alloc, job->deps);
    dp__free(L->alloc, job->labels);
    dp__free(L->alloc, job->key);
    dp__free(L->alloc, job->why);
    dp__free(L->alloc, job);
}

void dp__loader_enqueue(dp__loader *L, dp__job *job)
{
    job->cancel.arg = job->h.bits;
    atomic_fetch_add_explicit(&L->pending, 1, memory_order_relaxed);
    bool wake = false;
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
    } else {
        /* One wake-up when the queue turns non-empty with a worker idle; the worker that
         * takes a job wakes the next idle one if jobs remain (see worker_main). So a burst
         * of cheap loads costs a wake-up or two, not one a load, and long jobs still run
         * on every worker. */
        wake = !L->queue && L->nidle > 0;
        if (L->queue_tail)
            L->queue_tail->next = job;
        else
            L->queue = job;
        L->queue_tail = job;
    }
    dp__mutex_unlock(&L->lock);
    /* Signalled after unlocking, so the woken worker does not block at once on the lock we
     * still hold (a worker re-checks the queue under the lock before it waits: no lost
     * wake-up). The loader outlives every enqueue: dp_destroy joins the workers first. */
    if (wake)
        dp__cond_signal(&L->wake);
}

/* A count the library took for a job or a link, given back from any thread. */
void dp__give_back(dp_depot *dp, dp_handle h)
{
    dp__release_site(dp, h, dp__site_load);
}

dp_status dp__loader_link(dp__loader *L, dp_handle label, dp_handle parent, dp_type_id forced)
{
    dp__mutex_lock(&L->lock);
    dp_status st = dp__grow(L->alloc, (void **)&L->links, &L->caplinks, L->nlinks + 1,
                            sizeof *L->links);
    if (st == DP_OK) {
        L->links[L->nlinks++] = (dp__link){.label = label, .parent = parent, .forced = forced};
        atomic_fetch_add_explicit(&L->pending, 1, memory_order_relaxed);
    }
    dp__mutex_unlock(&L->lock);
    if (st != DP_OK)
        dp__give_back(L->dp, parent);
    return st;
}

void dp__loader_retry(dp__loader *L, dp_handle h)
{
    dp__mutex_lock(&L->lock);
    if (dp__grow(L->alloc, (void **)&L->retries, &L->capretries, L->nretries + 1,
                 sizeof *L->retries) == DP_OK) {
        L->retries[L->nretries++] = h;
        atomic_fetch_add_explicit(&L->pending, 1, memory_order_relaxed);
    }
    dp__mutex_unlock(&L->lock);
}

static bool list_has(const dp__job *j, dp_handle h)
{
    for (; j; j = j->next)
        if (j->h.bits == h.bits)
            return true;
    return false;
}

bool dp__loader_busy(dp__loader *L, dp_handle h)
{
    dp__mutex_lock(&L->lock);
    bool busy = list_has(L->queue, h) || list_has(L->done, h);
    for (int i = 0; i < L->nthreads && !busy; i++)
        busy = L->running[i] && L->running[i]->h.bits == h.bits;
    for (size_t i = 0; i < L->nretries && !busy; i++)
        busy = L->retries[i].bits == h.bits;
    dp__mutex_unlock(&L->lock);
    return busy;
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
    dp__mutex_lock(&L->lock);
    for (;;) {
        while (!L->queue && !L->stop) {
            L->nidle++;
            dp__cond_wait(&L->wake, &L->lock);
            L->nidle--;
        }
        if (L->stop)
            break;
        dp__job *job = L->queue;
        L->queue = job->next;
        if (!L->queue)
            L->queue_tail = NULL;
        L->running[me] = job;
        bool chain = L->queue && L->nidle > 0; /* more work and a sleeping worker for it */
        dp__mutex_unlock(&L->lock);
        if (chain)
            dp__cond_signal(&L->wake);

        atomic_store_explicit(&job->started, true, memory_order_relaxed);
        dp__job_run(L, job);

        dp__mutex_lock(&L->lock);
        L->running[me] = NULL;
        job->next = NULL;
        if (L->done_tail)
            L->done_tail->next = job;
        else
            L->done = job;
        L->done_tail = job;
    }
    dp__mutex_unlock(&L->lock);
    return NULL;
}

/* ---- applying results (owner) ------------------------------------------------------------------ */

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
    supersede_list(L->queue, h);
    supersede_list(L->done, h);
    for (int i = 0; i < L->nthreads; i++)
        if (L->running[i] && L->running[i]->h.bits == h.bits)
            L->running[i]->superseded = true;
    dp__mutex_unlock(&L->lock);
}

static void destroy_data(dp__loader *L, dp_type_id type, void *data)
{
    const dp_type *t = dp__type_info(L->dp, type);
    if (t && data)
        t->destroy(data, t->user);
}

/* Fails a label that is still waiting for data (PENDING or LOADING); once only. */
static void settle_label(dp_depot *dp, dp_handle h, dp_status why)
{
    if (!dp__alive(dp, h))
        return;
    dp_state s = dp_state_of(dp, h);
    if (s == DP_STATE_PENDING || s == DP_STATE_LOADING)
        dp__set_failed(dp, h, why);
}

/* Gives back everything a job acquired or produced, for a result that is not applied. */
static void discard(dp__loader *L, dp__job *job)
{
    dp_depot *dp = L->dp;
    destroy_data(L, job->type, job->data);
    job->data = NULL;
    /* Each count was recorded at the "(load job)" site (holder tracking): the record goes
     * with the count, as it does when the count becomes an edge. */
    for (size_t i = 0; i < job->ndeps; i++) {
        if (dp__depot_desc(dp)->track_holders)
            dp__holder_remove_site(dp, job->deps[i].h, dp__site_load);
        dp__release_owned(dp, job->deps[i].h);
    }
    for (size_t i = 0; i < job->nlabels; i++) {
        destroy_data(L, job->labels[i].type, job->labels[i].data);
        if (!job->labels[i].counted || !job->labels[i].h.bits)
            continue; /* weak, or its count was dropped at dp_destroy */
        if (dp__depot_desc(dp)->track_holders)
            dp__holder_remove_site(dp, job->labels[i].h, dp__site_load);
        dp__release_owned(dp, job->labels[i].h);
    }
    dp__run_frees(dp);
    /* A label the worker made may have been found and held by a dp_load meanwhile: it
     * will not get data from this result, so it settles now (else it stayed PENDING). */
    dp_status why = job->status != DP_OK ? job->status : DP_ERR_CANCELLED;
    for (size_t i = 0; i < job->nlabels; i++)
        settle_label(dp, job->labels[i].h, why);
    job->ndeps = job->nlabels = 0;
}

/* Where a dependency's edge starts: the label it was named for, if the result emitted that
 * label and it lives (its parent's edge holds it by now), else the asset being loaded. */
static dp_handle dep_owner(const dp__job *job, const dp__dep *d)
{
    for (size_t i = 0; d->label && i < job->nlabels; i++)
        if (job->labels[i].name == d->label && job->labels[i].counted)
            return job->labels[i].h;
    return job->h;
}

/* Whether the applied result names the edge owner -> c: a dependency of that owner, a label
 * of the file, or the edge a label holds to its file (from dp_load of the label). */
static bool result_names(const dp__job *job, dp_handle owner, dp_handle c)
{
    for (size_t i = 0; i < job->ndeps; i++)
        if (job->deps[i].h.bits == c.bits && dep_owner(job, &job->deps[i]).bits == owner.bits)
            return true;
    if (owner.bits != job->h.bits)
        return c.bits == job->h.bits;
    for (size_t i = 0; i < job->nlabels; i++)
        if (job->labels[i].h.bits == c.bits)
            return true;
    return false;
}

static void drop_stale_from(dp__loader *L, const dp__job *job, dp_handle owner)
{
    /* The view is read again after each dp_undepend, which changes the edge array. */
    dp__view v;
    for (uint32_t k = 0; dp__view_of(L->dp, owner, &v) && k < v.nkids;) {
        dp_handle c = v.kids[k];
        if (result_names(job, owner, c) || dp_undepend(L->dp, owner, c) != DP_OK)
            k++;
    }
}

/* After a successful reload, edges the new result no longer names are removed: the file's,
 * and those of the labels it emitted. */
static void drop_stale_edges(dp__loader *L, const dp__job *job)
{
    drop_stale_from(L, job, job->h);
    for (size_t i = 0; i < job->nlabels; i++)
        if (job->labels[i].counted)
            drop_stale_from(L, job, job->labels[i].h);
}

/* Fails labelled assets that were asked for but that their parent's result did not emit. */
static void settle_wanted(dp__loader *L, dp_handle parent, bool parent_ok)
{
    size_t keep = 0;
    for (size_t i = 0; i < L->nwanted; i++) {
        dp__wanted w = L->wanted[i];
        if (!dp__alive(L->dp, w.label))
            continue;
        if (w.parent.bits != parent.bits) {
            L->wanted[keep++] = w;
            continue;
        }
        settle_label(L->dp, w.label, parent_ok ? DP_ERR_NOT_FOUND
                                               : dp_failure_of(L->dp, parent));
    }
    L->nwanted = keep;
}

/* The type a pending label must be emitted with (dp_load_as), or 0 for any. */
static dp_type_id forced_type(const dp__loader *L, dp_handle label)
{
    for (size_t i = 0; i < L->nwanted; i++)
        if (L->wanted[i].label.bits == label.bits && L->wanted[i].forced)
            return L->wanted[i].forced;
    return 0;
}

/* A retry from dp_load: still FAILED (no data) and alive, h loads again from PENDING. */
static void apply_retry(dp__loader *L, dp_handle h)
{
    dp_depot *dp = L->dp;
    if (!dp__alive(dp, h) || dp_state_of(dp, h) != DP_STATE_FAILED || dp_get(dp, h))
        return; /* freed, or already retried or reloaded */
    if (dp__loader_restart(L, h, false) != DP_OK)
        return; /* stays FAILED */
    dp__set_state(dp, h, DP_STATE_PENDING);
    dp__deep_note_change(dp, h, DP_NULL_HANDLE);
}

/* A link from dp_load("file#label"): the label's edge to its file, which it keeps alive. */
static void apply_link(dp__loader *L, const dp__link *k)
{
    dp_depot *dp = L->dp;
    if (!dp__alive(dp, k->label)) {
        dp__give_back(dp, k->parent); /* released before this update: nobody wants the file */
        return;
    }
    dp__edge_add_owned(dp, k->label, k->parent);
    if (dp_state_of(dp, k->label) == DP_STATE_LOADED)
        return; /* emitted already */
    dp_state ps = dp_state_of(dp, k->parent);
    if (ps == DP_STATE_LOADED || ps == DP_STATE_FAILED) {
        settle_label(dp, k->label, ps == DP_STATE_LOADED ? DP_ERR_NOT_FOUND
                                                          : dp_failure_of(dp, k->parent));
    } else if (dp__grow(L->alloc, (void **)&L->wanted, &L->capwanted, L->nwanted + 1,
                        sizeof *L->wanted) == DP_OK) {
        L->wanted[L->nwanted++] =
            (dp__wanted){.label = k->label, .parent = k->parent, .forced = k->forced};
    } else {
        dp__set_failed(dp, k->label, DP_ERR_NOMEM);
    }
}

/* Installs the labelled sub-assets of an applied result. */
static void apply_labels(dp__loader *L, dp__job *job)
{
    dp_depot *dp = L->dp;
    for (size_t i = 0; i < job->nlabels; i++) {
        dp__label *lb = &job->labels[i];
        if (!lb->counted && dp__acquire_owned(dp, lb->h, NULL) != DP_OK) {
            destroy_data(L, lb->type, lb->data); /* its dp_load was released: it died */
            lb->data = NULL;
            continue;
        }
        lb->counted = true;
        dp__view lv;
        bool live = dp__view_of(dp, lb->h, &lv);
        dp_type_id forced = live ? forced_type(L, lb->h) : 0;
        if (live && ((forced && forced != lb->type) || (lb->type != lv.type && lv.data))) {
            /* The label was asked for with another type (dp_load_as), or has data of
             * another type (its old data must go to the destroy of the type that made it,
             * and readers pair dp_type_of with dp_get): the new data is refused and the
             * label reports FAILED with DP_ERR_EXISTS (a pending one; one with data keeps
             * it). */
            destroy_data(L, lb->type, lb->data);
            lb->data = NULL;
            dp__set_failed(dp, lb->h, DP_ERR_EXISTS);
        } else if (live) {
            /* A placeholder (no data yet) takes the type its parent emitted it with. */
            dp__set_type(dp, lb->h, lb->type);
            dp__set_loaded(dp, lb->h, lb->data, lb->bytes);
            lb->data = NULL;
        } else {
            destroy_data(L, lb->type, lb->data);
        }
        dp__edge_add_owned(dp, job->h, lb->h);
    }
}

static void apply_one(dp__loader *L, dp__job *job)
{
    dp_depot *dp = L->dp;
    if (!dp__alive(dp, job->h)) {
        discard(L, job);
        dp__count_discarded(dp);
        return;
    }
    if (job->superseded) {
        /* A newer load of this asset is in flight or applied: this older read must not
         * replace its data. */
        discard(L, job);
        return;
    }
    if (job->status != DP_OK) {
        dp__loader_record_failure(L, job);
        discard(L, job);
        dp__set_failed(dp, job->h, job->status);
        settle_wanted(L, job->h, false);
        dp__loader_watch(L, job);
        return;
    }
    /* The asset may be kept alive only by an edge this result removes (a reload that no
     * longer names itself, or the other half of a 2-cycle): a count of our own keeps it
     * until its new data is installed, so that data goes to its type's destroy with the
     * asset, never lost. */
    bool held = job->reload && dp_count(dp, job->h) > 0 &&
                dp__acquire_owned(dp, job->h, NULL) == DP_OK;
    apply_labels(L, job);
    for (size_t i = 0; i < job->ndeps; i++)
        dp__edge_add_owned(dp, dep_owner(job, &job->deps[i]), job->deps[i].h);
    dp__set_loaded(dp, job->h, job->data, job->bytes);
    job->data = NULL;
    if (job->reload)
        drop_stale_edges(L, job);
    job->ndeps = job->nlabels = 0;
    settle_wanted(L, job->h, true);
    dp__loader_watch(L, job);
    if (held) {
        dp__release_owned(dp, job->h);
        dp__run_frees(dp);
    }
}

char *dp__key_join(const dp_allocator *a, const char *scheme, const char *path)
{
    size_t sl = strlen(scheme), pl = strlen(path);
    char *key = dp__alloc(a, sl + 3 + pl + 1);
    if (!key)
        return NULL;
    memcpy(key, scheme, sl);
    memcpy(key + sl, "://", 3);
    memcpy(key + sl + 3, path, pl + 1);
    return key;
}

/* Reloads the asset of `key`, if there is one (hot reload). */
static void reload_key(dp__loader *L, const char *key)
{
    dp_handle h;
    if (dp__find(L->dp, key, &h, "(hot reload)", 0) != DP_OK)
        return;
    dp_reload(L->dp, h);
    dp_release(L->dp, h); /* also drops the "(hot reload)" holder record */
}

/* A watched file stays watched while the asset that asked for it lives. */
static bool watch_keep(void *ctx, const char *rel, uint64_t tag)
{
    (void)rel;
    const dp__loader *L = ctx;
    return dp__alive(L->dp, (dp_handle){tag});
}

/* The file watcher reports a changed path: file keys are the bare path. */
static void on_changed(void *ctx, const char *rel)
{
    reload_key(ctx, rel);
}

typedef struct poll_ctx {
    dp__loader *L;
    int source;
} poll_ctx;

/* A custom source reports a changed path: reload the asset of "scheme://path". */
static void on_source_changed(void *ctx, const char *path)
{
    poll_ctx *pc = ctx;
    char *key = dp__key_join(pc->L->alloc, pc->L->sources[pc->source].scheme, path);
    if (!key)
        return;
    reload_key(pc->L, key);
    dp__free(pc->L->alloc, key);
}

void dp__loader_apply(dp__loader *L)
{
    dp__mutex_lock(&L->lock);
    dp__job *list = L->done;
    L->done = L->done_tail = NULL;
    dp__link *links = L->links;
    size_t nlinks = L->nlinks;
    L->links = NULL;
    L->nlinks = L->caplinks = 0;
    dp_handle *retries = L->retries;
    size_t nretries = L->nretries;
    L->retries = NULL;
    L->nretries = L->capretries = 0;
    /* Jobs a worker has started show as LOADING (set here: only the owner frees assets, so
     * the handle cannot be reused while we look). */
    for (int i = 0; i < L->nthreads; i++) {
        dp__job *j = L->running[i];
        if (j && !j->state_marked && atomic_load_explicit(&j->started, memory_order_relaxed) &&
            !j->reload && dp__alive(L->dp, j->h) && dp_state_of(L->dp, j->h) == DP_STATE_PENDING) {
            dp__set_state(L->dp, j->h, DP_STATE_LOADING);
            j->state_marked = true;
        }
    }
    dp__mutex_unlock(&L->lock);
    /* Links first: a result of this update that emits a label must see its forced type. */
    for (size_t i = 0; i < nlinks; i++)
        apply_link(L, &links[i]);
    dp__free(L->alloc, links);
    atomic_fetch_sub_explicit(&L->pending, nlinks, memory_order_relaxed);
    for (size_t i = 0; i < nretries; i++)
        apply_retry(L, retries[i]);
    dp__free(L->alloc, retries);
    atomic_fetch_sub_explicit(&L->pending, nretries, memory_order_relaxed);
    while (list) {
        dp__job *job = list;
        list = job->next;
        apply_one(L, job);
        dp__job_free(L, job);
        atomic_fetch_sub_explicit(&L->pending, 1, memory_order_relaxed);
    }
    if (L->watch) {
        dp__watch_poll(L->watch, on_changed, L);
        dp__watch_sweep(L->watch, 64, watch_keep, L);
    }
    dp__mounts_poll(L, on_changed, L); /* mounted folders: their keys are bare paths too */
    int n = atomic_load_explicit(&L->nsources, memory_order_acquire);
    for (int i = 1; i < n; i++) {
        if (!L->sources[i].vt.poll)
            continue;
        poll_ctx pc = {.L = L, .source = i};
        L->sources[i].vt.poll(L->sources[i].vt.user, on_source_changed, &pc);
    }
}

void dp__loader_watch(dp__loader *L, const dp__job *job)
{
    if (strchr(job->path, '#'))
        return;
    if (job->source == 0) {
        if (dp__mounts_watch(L, job->path))
            return; /* a mount serves it (its folder, if any, watches it) */
        if (L->watch) /* best effort: an unwatchable file still loads */
            dp__watch_add_tagged(L->watch, job->path, job->h.bits);
        return;
    }
    dp_source *src = &L->sources[job->source].vt;
    if (src->watch)
        src->watch(src->user, job->path);
}


/* ---- subsystem hooks ---------------------------------------------------------------------------- */

static void hook_update(void *self, dp_depot *dp)
{
    (void)dp;
    dp__loader_apply(self);
}

static size_t hook_pending(void *self)
{
    dp__loader *L = self;
    /* Relaxed: a statistic for dp_stats; nothing is published through it. */
    return atomic_load_explicit(&L->pending, memory_order_relaxed);
}

/* dp_destroy: gives back a count the loader took and forgets its handle. */
static void drop_count(dp_depot *dp, dp_handle *h)
{
    if (dp__depot_desc(dp)->track_holders)
        dp__holder_remove_site(dp, *h, dp__site_load);
    uint32_t old;
    dp__release_raw(dp, *h, &old);
    *h = DP_NULL_HANDLE;
}

static void hook_shutdown(void *self, dp_depot *dp)
{
    dp__loader *L = self;
    dp__mutex_lock(&L->lock);
    L->stop = true;
    for (dp__job *j = L->queue; j; j = j->next)
        dp__cancel_set(&j->cancel);
    for (int i = 0; i < L->nthreads; i++)
        if (L->running[i])
            dp__cancel_set(&L->running[i]->cancel);
    dp__cond_broadcast(&L->wake);
    dp__mutex_unlock(&L->lock);
    for (int i = 0; i < L->nthreads; i++)
        dp__thread_join(L->threads[i]);
    L->nthreads = 0;
    /* No caller holds what jobs and links took (dependencies, labels, a label's file): the
     * counts go before dp_destroy counts leaks. The assets die with the depot anyway, so
     * only the counts and holder records change here; the data goes in loader_free. */
    for (dp__job *j = L->done; j; j = j->next) {
        for (size_t i = 0; i < j->ndeps; i++)
            drop_count(dp, &j->deps[i].h);
        j->ndeps = 0;
        for (size_t i = 0; i < j->nlabels; i++)
            if (j->labels[i].counted)
                drop_count(dp, &j->labels[i].h);
    }
    for (size_t i = 0; i < L->nlinks; i++)
        drop_count(dp, &L->links[i].parent);
    L->nlinks = 0;
}

static void free_job_list(dp__loader *L, dp__job *list)
{
    while (list) {
        dp__job *job = list;
        list = job->next;
        /* Every asset is dying by now: releases are no-ops, data is destroyed. */
        discard(L, job);
        dp__job_free(L, job);
    }
}

static void loader_free(dp__loader *L)
{
    free_job_list(L, L->queue);
    free_job_list(L, L->done);
    L->queue = L->done = NULL;
    dp__sources_free(L);
    dp__mounts_free(L);
    dp__catalog_free(L);
    dp__watch_destroy(L->watch);
    dp__free(L->alloc, L->wanted);
    dp__free(L->alloc, L->links);
    dp__free(L->alloc, L->retries);
    dp__free(L->alloc, L->root);
    dp__free(L->alloc, L->running);
    dp__free(L->alloc, L->threads);
    dp__free(L->alloc, L->args);
    dp__mutex_destroy(&L->lock);
    dp__cond_destroy(&L->wake);
    dp__mutex_destroy(&L->sources_lock);
    dp__mutex_destroy(&L->mem_lock);
    dp__mutex_destroy(&L->label_lock);
    dp__free(L->alloc, L);
}

static void hook_destroy(void *self, dp_depot *dp)
{
    (void)dp;
    loader_free(self);
}

static const dp__subsystem loader_vt = {
    .update = hook_update,
    .shutdown = hook_shutdown,
    .destroy = hook_destroy,
    .pending = hook_pending,
};

/* ---- creation ------------------------------------------------------------------------------------ */

static dp__loader *loader_new(dp_depot *dp)
{
    const dp_allocator *a = dp__depot_alloc(dp);
    const dp_desc *desc = dp__depot_desc(dp);
    dp__loader *L = dp__calloc(a, 1, sizeof *L);
    if (!L)
        return NULL;
    L->dp = dp;
    L->alloc = a;
    dp__mutex_init(&L->lock);
    dp__cond_init(&L->wake);
    dp__mutex_init(&L->sources_lock);
    dp__mutex_init(&L->mem_lock);
    dp__mutex_init(&L->label_lock);
    atomic_init(&L->pending, 0);
    atomic_init(&L->nsources, 0);
    L->root_status = dp__path_root(a, desc->root, &L->root);
    if (L->root_status == DP_ERR_NOMEM)
        goto fail;
    int n = desc->workers > 0 ? desc->workers : dp__cpu_count();
    if (n > 64)
        n = 64;
    L->threads = dp__calloc(a, (size_t)n, sizeof *L->threads);
    L->running = dp__calloc(a, (size_t)n, sizeof *L->running);
    if (!L->threads || !L->running)
        goto fail;
    if (dp__sources_init(L) != DP_OK || dp__builtin_types_register(L) != DP_OK)
        goto fail;
    if (desc->watch && L->root &&
        dp__watch_create(a, L->root, 0, &L->watch) == DP_ERR_NOMEM)
        goto fail;
    /* The arguments live in the loader: one per worker, after the running array. */
    worker_arg *args = dp__calloc(a, (size_t)n, sizeof *args);
    if (!args)
        goto fail;
    for (int i = 0; i < n; i++) {
        args[i] = (worker_arg){.L = L, .index = i};
        if (dp__thread_start(&L->threads[i], worker_main, &args[i]) != 0)
            break;
        L->nthreads++;
    }
    L->args = args; /* read by the workers for as long as they run */
    if (L->nthreads == 0)
        goto fail;
    return L;
fail:
    hook_shutdown(L, dp);
    loader_free(L);
    return NULL;
}

static void *make_loader(dp_depot *dp)
{
    return loader_new(dp);
}

dp__loader *dp__loader_get(dp_depot *dp)
{
    return dp__loader_slot(dp, &loader_vt, make_loader);
}

dp_status dp__loader_owner(dp_depot *dp, dp__loader **out)
{
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    *out = dp__loader_get(dp);
    return *out ? DP_OK : DP_ERR_NOMEM;
}
