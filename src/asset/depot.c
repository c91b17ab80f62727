/* depot.c — creating and destroying a depot, and the per-frame update. */
#include "asset/asset_internal.h"
#include "asset/failure.h"
#include "asset/log.h"
#include "asset/quarantine.h"
#include "asset/trace.h"
#include "os/path.h"

bool dp__is_owner(const dp_depot *dp)
{
    return dp__thread_is_self(dp->owner);
}

dp_status dp_create(const dp_desc *desc, dp_depot **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    dp_desc d = desc ? *desc : (dp_desc){0};
    /* A mistyped root used to give a depot on which every load failed with NOT_FOUND. */
    if (dp__path_root_exists(d.root) != DP_OK) {
        dp__log_to(&d.log, DP_LOG_ERROR, "dp_create: root \"%s\" is not an existing folder "
                   "(relative roots start at the current directory)", d.root);
        return DP_ERR_NOT_FOUND;
    }
    dp_allocator a;
    dp__alloc_init(&a, d.allocator);

    dp_depot *dp = dp__calloc(&a, 1, sizeof *dp);
    if (!dp)
        return DP_ERR_NOMEM;
    dp->alloc = a;
    dp->desc = d;
    dp->desc.allocator = &dp->alloc;
    if (dp->desc.collect_budget == 0)
        dp->desc.collect_budget = 4096;
    dp->desc.debug_lifetimes = dp__lifetimes_setting(&d);
    dp->owner = dp__thread_self();
    atomic_init(&dp->epoch, 1);
    dp__mutex_init(&dp->types_lock);
    dp__mutex_init(&dp->keys_lock);
    dp__mutex_init(&dp->holders_lock);
    dp__mutex_init(&dp->attach_lock);
    dp__mutex_init(&dp->done_lock);

    dp_status st = DP_ERR_NOMEM;
    if (d.root) {
        dp->root = dp__strdup(&a, d.root);
        if (!dp->root)
            goto fail;
        dp->desc.root = dp->root;
    }
    st = dp_pool_create(&(dp_pool_desc){.allocator = &dp->alloc, .payload_size = sizeof(dp__asset)},
                        &dp->pool);
    if (st != DP_OK)
        goto fail;
    st = dp_pool_create(&(dp_pool_desc){.allocator = &dp->alloc, .payload_size = sizeof(dp__group)},
                        &dp->groups);
    if (st != DP_OK)
        goto fail;
    st = DP_ERR_NOMEM;
    if (d.trace_events && !(dp->trace = dp__trace_create(dp, d.trace_events)))
        goto fail;
    if (d.track_holders && (st = dp__gets_create(dp)) != DP_OK)
        goto fail;
    *out = dp;
    return DP_OK;
fail:
    dp__trace_destroy(dp, dp->trace);
    dp_pool_destroy(dp->groups);
    dp_pool_destroy(dp->pool);
    dp__free(&a, dp->root);
    dp__mutex_destroy(&dp->types_lock);
    dp__mutex_destroy(&dp->keys_lock);
    dp__mutex_destroy(&dp->holders_lock);
    dp__mutex_destroy(&dp->attach_lock);
    dp__mutex_destroy(&dp->done_lock);
    dp__free(&a, dp);
    return st;
}

size_t dp_destroy(dp_depot *dp)
{
    if (!dp)
        return 0;
    if (!dp__is_owner(dp))
        return SIZE_MAX;
    dp__done_close(dp); /* completion callbacks, while the depot still works */
    dp->destroying = true;
    void *loader = dp__attached_loader(dp);
    if (loader && dp->loader_vt.shutdown)
        dp->loader_vt.shutdown(loader, dp);

    /* Count what callers and groups still hold: a count above what edges explain (without
     * memory for the walk, every held asset counts). */
    size_t held = 0;
    dp__graph g;
    bool walked = dp__graph_build(dp, &g) == DP_OK;
    dp__view v;
    for (dp__live_iter it = dp__live_begin(dp); dp__live_next(dp, &it, &v);) {
        uint32_t i = dp_handle_index(v.h);
        if (v.count > (walked && i < g.n ? g.incoming[i] : 0))
            held++;
    }
    if (walked)
        dp__graph_free(dp, &g);

    /* Free every asset: mark all dying first, so cascades stop at each other. */
    for (dp__live_iter it = dp__any_begin(dp); dp__live_next(dp, &it, &v);) {
        /* Release: a reader that loads DYING with acquire sees the record as the owner left
         * it. */
        atomic_store_explicit(dp__word(dp, v.h), dp__word_make(dp_handle_gen(v.h), DP__DYING),
                              memory_order_release);
    }
    for (dp__live_iter it = dp__any_begin(dp); dp__live_next(dp, &it, &v);) {
        if (!(v.rec->oflags & DP__OF_ZOMBIE))
            dp__free_dying(dp, v.h);
    }
    dp__retire_free(dp);
    dp__quarantine_free(dp);

    if (loader && dp->loader_vt.destroy)
        dp->loader_vt.destroy(loader, dp);

    dp__progress_free(dp);
    dp__done_free(dp);
    dp__groups_free(dp);
    dp__resid_free(dp);
    dp__keys_free(dp);
    dp__ext_free(dp);
    dp__events_free(dp);
    dp__holders_free(dp);
    dp__hvec_free(dp, &dp->waiting);
    dp__deep_free(dp);
    dp__hvec_free(dp, &dp->deep_seeds);
    dp__hvec_free(dp, &dp->cands);
    dp__cycles_free(dp);
    dp__hvec_free(dp, &dp->work);
    dp__hvec_free(dp, &dp->work2);
    dp__hvec_free(dp, &dp->unused);
    dp__hvec_free(dp, &dp->zombies);
    dp__hvec_free(dp, &dp->kept_work);
    dp__types_free(dp);
    dp_pool_destroy(dp->groups);
    dp_pool_destroy(dp->pool);
    dp__mutex_destroy(&dp->types_lock);
    dp__mutex_destroy(&dp->keys_lock);
    dp__mutex_destroy(&dp->holders_lock);
    dp__mutex_destroy(&dp->attach_lock);
    dp__mutex_destroy(&dp->done_lock);
    dp__failures_free(dp);
    dp__trace_destroy(dp, dp->trace);
    dp__gets_free(dp);
    dp__free(&dp->alloc, dp->root);
    dp_allocator a = dp->alloc;
    dp__free(&a, dp);
    return held;
}

dp_status dp_update(dp_depot *dp)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;

    /* A new epoch: retired data whose frame is over and that no read guard may see dies. */
    dp__retire_advance(dp);
    DP__TRACE(dp, DP__T_UPDATE_BEGIN, DP_NULL_HANDLE, 0, NULL, 0);
    dp__quarantine_advance(dp);

    dp__done_adopt(dp); /* before the loader: a retry queued before its request is applied */
    dp->cascade_now = true;
    void *loader = dp__attached_loader(dp);
    if (loader && dp->loader_vt.update)
        dp->loader_vt.update(loader, dp);

    dp__drain_attention(dp);
    dp__deep_update(dp);
    dp__process_unused(dp);
    dp__trim_cache(dp, dp->desc.keep_unused_bytes);
    dp__collect(dp, dp->desc.collect_budget);
    dp__resid_update(dp); /* soft-only assets down to their budgets */
    dp->cascade_now = false;
    dp__done_run(dp);
    dp_pool_flush(dp->pool);
    dp__lists_trim(dp);
    DP__TRACE(dp, DP__T_UPDATE_END, DP_NULL_HANDLE, 0, NULL, 0);
    dp__events_publish(dp);
    return DP_OK;
}
