/* upload.c — dp_render_prepare: the waiting lists, most urgent priority first and oldest
 * first within one, through the backend's create within the frame's upload budget
 * (IMMEDIATE uploads ignore the budget and do not spend it); transient answers wait for a
 * later frame; drop_cpu. */
#include "render/render_internal.h"

static const char *key_or_anon(const dp_depot *dp, dp_handle h)
{
    const char *key = dp_key_of(dp, h);
    return key ? key : "(no key)";
}

/* Calls drop_cpu for entry idx, whose resource was just made from `data`. A MODIFIED that
 * reaches the listener while it runs (the callback pumped the depot) is its stub swap. */
static void drop_cpu(dp_render *r, uint32_t idx, const void *data)
{
    dp_handle h = r->e[idx].h;
    r->e[idx].flags |= F_DROPPING;
    r->busy++;
    r->desc.drop_cpu(r->desc.drop_cpu_user, r->dp, h, r->e[idx].type, data);
    r->busy--;
    entry *e = &r->e[idx]; /* a pumped dp_update may have grown the entry array */
    e->flags &= (uint8_t)~F_DROPPING;
    const void *now = (dp_get)(r->dp, h);
    if (now && now != data)
        e->stub = now;
}

/* Asks the backend for the resource of waiting entry idx from `data` (room for one retired
 * record is reserved). Transient failures (DP_ERR_TIMEOUT, DP_ERR_NOMEM) keep the entry
 * waiting for the next frame and its old resource visible; anything else ends the wait:
 * the old resource is retired, and the entry gets the new one or is FAILED. The callbacks
 * may pump the depot, so the entry is found again by index after each. Returns the upload
 * bytes spent. */
static size_t create_one(dp_render *r, uint32_t idx, const void *data, size_t bytes)
{
    const dp_render_backend *be = &r->desc.backend;
    dp_type_id type = r->e[idx].type;
    /* This create reads the newest data: the LOADED/MODIFIED flags so far are satisfied;
     * those raised while the callbacks run (a pumped dp_update) stay for the next sync. */
    r->e[idx].pend &= (uint8_t)~(PEND_LOAD | PEND_MOD);
    void *gpu = NULL;
    size_t gpu_bytes = 0;
    r->busy++;
    dp_status st = be->create(be->user, type, data, &gpu, &gpu_bytes);
    r->busy--;
    entry *e = &r->e[idx];
    if (st == DP_OK && !gpu) {
        /* NULL cannot be told from "no resource", so it could never be retired: destroy
         * it now (no frame has seen it) and fail the asset. */
        r->created++;
        dp__render_destroy_gpu(r, type, NULL, DP_NULL_HANDLE); /* never shown: not recorded */
        st = DP_ERR_INVALID;
    }
    if (st == DP_ERR_TIMEOUT || st == DP_ERR_NOMEM) {
        e->retry_at = r->current + 1;
        e->flags |= F_RETRYING;
        e->why = st;
        if (++e->retries == RETRY_WARN)
            dp__log(r->dp, DP_LOG_WARN, "render: asset \"%s\" (type %s) still has no GPU "
                    "resource after %d tries: the backend keeps answering %s",
                    key_or_anon(r->dp, e->h), dp_type_name(r->dp, type), RETRY_WARN,
                    dp_status_str(st));
        return 0;
    }
    e->retries = 0;
    e->flags &= (uint8_t)~F_RETRYING;
    dp__render_wait_unlink(r, e);
    if (e->gpu) /* the old resource no longer matches the data */
        dp__render_retire(r, e);
    if (st != DP_OK) {
        e->flags |= F_FAILED;
        e->why = st;
        return bytes;
    }
    e->gpu = gpu;
    e->gpu_bytes = gpu_bytes;
    e->stub = NULL;
    dp__render_count_live(r, type, gpu_bytes, true);
    r->created++;
    dp__trace_note(r->dp, DP__T_RENDER_CREATE, e->h, r->current);
    /* Only data the resource was made from may be dropped (a pumped update may have
     * replaced it already; its MODIFIED is pending). */
    if (r->desc.drop_cpu && (dp_get)(r->dp, e->h) == data)
        drop_cpu(r, idx, data);
    return bytes;
}

/* Creates what waits at `level`, oldest first, within the budget (IMMEDIATE: without it,
 * and its bytes are not spent). *full is set when the budget stops the walk: the lower
 * levels wait for the next frame too. */
static dp_status prepare_level(dp_render *r, int level, bool *full)
{
    size_t budget = r->desc.upload_bytes_per_frame;
    bool immediate = level == DP_PRIORITY_IMMEDIATE - DP_PRIORITY_LOW;
    uint32_t next;
    /* Callbacks cannot change the waiting lists (sync and prepare are refused inside them),
     * so `next` stays right across a create. */
    for (uint32_t idx = r->wait_head[level]; idx != NO_ENTRY; idx = next) {
        const entry *e = &r->e[idx];
        next = e->wnext;
        if (r->current < e->retry_at)
            continue; /* the backend asked to be asked again next frame */
        size_t bytes = dp_bytes_of(r->dp, e->h);
        if (!immediate && budget && r->spent > 0 &&
            (bytes > budget - r->spent || r->spent >= budget)) {
            *full = true; /* oldest first: the rest wait for the next frame */
            return DP_OK;
        }
        const void *data = (dp_get)(r->dp, e->h);
        if (!data)
            continue; /* not loaded now; its event will tell */
        if (dp__render_reserve_retired(r, 1) != DP_OK)
            return DP_ERR_NOMEM;
        size_t spent = create_one(r, idx, data, bytes);
        if (!immediate)
            r->spent += spent;
    }
    return DP_OK;
}

dp_status dp_render_prepare(dp_render *r)
{
    dp_status st = dp__render_usable(r);
    bool full = false;
    for (int level = LEVELS - 1; st == DP_OK && level >= 0 && !full; level--)
        st = prepare_level(r, level, &full);
    return st;
}
