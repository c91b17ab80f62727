/* image_type.c — the "image" type: PNG files decoded to RGBA8 on a worker thread. */
#include "load/loader.h"
#include "load/png/png_codec.h"

static dp_status image_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    dp_image *img;
    dp_status st = dp__png_decode(dp_ctx_allocator(ctx), bytes, len, NULL, &img);
    if (st != DP_OK)
        return st;
    if (dp_ctx_cancelled(ctx)) {
        dp__image_free(dp_ctx_allocator(ctx), img);
        return DP_ERR_CANCELLED;
    }
    *asset = img;
    *asset_bytes = sizeof *img + (size_t)img->width * img->height * 4u;
    return DP_OK;
}

static void image_destroy(void *asset, void *user)
{
    dp__image_free(user, asset);
}

dp_status dp__image_type_register(dp__loader *L, dp_type_id *out)
{
    static const char *const ext[] = {"png", NULL};
    dp_type t = {.name = "image", .extensions = ext, .load = image_load,
                 .destroy = image_destroy, .user = (void *)L->alloc};
    return dp_register_type(L->dp, &t, out);
}
