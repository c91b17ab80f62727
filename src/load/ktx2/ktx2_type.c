/* ktx2_type.c — the "texture" type: KTX 2.0 files parsed and their levels copied (or
 * inflated) on a worker thread. */
#include "load/ktx2/ktx2.h"
#include "load/loader.h"

static dp_status texture_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                              size_t *asset_bytes)
{
    dp_texture *t = NULL;
    /* The job's token: polled between levels; the parse's reason is left on it. */
    dp_status st = dp__ktx2_decode(dp_ctx_allocator(ctx), bytes, len, &dp__ctx_job(ctx)->cancel, &t);
    if (st != DP_OK)
        return st;
    if (dp_ctx_cancelled(ctx)) {
        dp__texture_free(dp_ctx_allocator(ctx), t);
        return DP_ERR_CANCELLED;
    }
    *asset = t;
    *asset_bytes = dp__texture_bytes(t);
    return DP_OK;
}

static void texture_destroy(void *asset, void *user)
{
    dp__texture_free(user, asset);
}

dp_status dp__texture_type_register(dp__loader *L, dp_type_id *out)
{
    static const char *const ext[] = {"ktx2", NULL};
    dp_type t = {.name = "texture", .extensions = ext, .load = texture_load,
                 .destroy = texture_destroy, .user = (void *)L->alloc};
    return dp_register_type(L->dp, &t, out);
}
