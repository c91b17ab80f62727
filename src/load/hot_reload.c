/* hot_reload.c — the owner side of hot reload: watching the file behind an applied load,
 * and reloading the asset of a path the file watcher, a mounted folder or a custom source
 * reports changed. Owner thread only (from dp_update). */
#include <string.h>

#include "load/loader.h"
#include "load/mount.h"

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

void dp__loader_poll_changes(dp__loader *L)
{
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
