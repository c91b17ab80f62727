/* apply.c — the owner side of the loader, inside dp_update: finished jobs become data,
 * edges and labelled sub-assets (or are discarded), links and retries queued by other
 * threads are applied, and labels nobody emitted are settled. Owner thread only. */
#include "load/loader.h"

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
void dp__job_discard(dp__loader *L, dp__job *job)
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
    if (!dp__alive(dp, h) || dp_state_of(dp, h) != DP_STATE_FAILED || (dp_get)(dp, h))
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
        dp__job_discard(L, job);
        dp__count_discarded(dp);
        return;
    }
    if (job->superseded) {
        /* A newer load of this asset is in flight or applied: this older read must not
         * replace its data. */
        dp__job_discard(L, job);
        return;
    }
    if (job->status != DP_OK) {
        dp__loader_record_failure(L, job);
        dp__job_discard(L, job);
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

void dp__loader_apply(dp__loader *L)
{
    /* A folder dp_load found inside the root is looked at again in the next frame: a
     * symlink swapped in since is refused by dp_load again, not only by the worker. */
    dp__path_dirs_forget(&L->dirs, L->alloc);
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
        /* Relaxed: `started` only decides whether to show LOADING; the job itself changes hands
         * under L->lock, held here. */
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
    /* Relaxed, here and below: `pending` is a number for dp_stats; nothing is published through
     * it. */
    atomic_fetch_sub_explicit(&L->pending, nlinks, memory_order_relaxed);
    for (size_t i = 0; i < nretries; i++)
        apply_retry(L, retries[i]);
    dp__free(L->alloc, retries);
    /* Relaxed: a counter, as above. */
    atomic_fetch_sub_explicit(&L->pending, nretries, memory_order_relaxed);
    while (list) {
        dp__job *job = list;
        list = job->next;
        apply_one(L, job);
        dp__priority_after_apply(L, job);
        dp__job_free(L, job);
        /* Relaxed: a counter, as above. */
        atomic_fetch_sub_explicit(&L->pending, 1, memory_order_relaxed);
    }
    dp__priority_apply(L); /* after the results: their dependencies are edges by now */
    dp__loader_poll_changes(L);
}
