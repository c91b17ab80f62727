/* loader.c — the loader's lifecycle: made on the first load (dp__loader_get), its hooks in
 * the registry's subsystem slot (update, pending, shutdown, destroy), and freeing it at
 * dp_destroy. The worker side is worker.c, the owner side apply.c and hot_reload.c. */
#include "load/loader.h"
#include "load/catalog.h"
#include "load/mount.h"
#include "os/fs.h"
#include "os/path.h"

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
    dp__workers_stop(L);
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
        dp__job_discard(L, job);
        dp__job_free(L, job);
    }
}

static void loader_free(dp__loader *L)
{
    free_job_list(L, dp__queue_drain(&L->queue));
    free_job_list(L, L->done);
    L->done = NULL;
    dp__queue_fini(&L->queue);
    dp__free(L->alloc, L->boosts);
    dp__free(L->alloc, L->prio);
    dp__sources_free(L);
    dp__mounts_free(L);
    dp__catalog_free(L);
    dp__watch_destroy(L->watch);
    dp__free(L->alloc, L->wanted);
    dp__free(L->alloc, L->links);
    dp__free(L->alloc, L->retries);
    dp__free(L->alloc, L->root);
    dp__path_dirs_forget(&L->dirs, L->alloc);
    dp__path_root_close(L->root_fd);
    dp__free(L->alloc, L->running);
    dp__free(L->alloc, L->threads);
    dp__free(L->alloc, L->args);
    dp__mutex_destroy(&L->lock);
    dp__cond_destroy(&L->wake);
    dp__cond_destroy(&L->idle);
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
    .reloadable = dp__loader_reloadable,
    .reload = dp__loader_reload_lost,
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
    dp__cond_init_monotonic(&L->idle);
    dp__mutex_init(&L->sources_lock);
    dp__mutex_init(&L->mem_lock);
    dp__mutex_init(&L->label_lock);
    atomic_init(&L->pending, 0);
    atomic_init(&L->nsources, 0);
    dp__path_dirs_init(&L->dirs);
    L->root_fd = -1;
    if (dp__queue_init(&L->queue, a) != DP_OK)
        goto fail;
    L->root_status = dp__path_root(a, desc->root, &L->root);
    if (L->root_status == DP_ERR_NOMEM)
        goto fail;
    L->root_fd = L->root ? dp__path_root_open(L->root) : -1; /* -1: reads resolve first */
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
    dp__classes_init(L, n);
    if (dp__workers_start(L, n) != DP_OK)
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
