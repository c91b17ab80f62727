/* image_type.c — the "image" and "image_mips" types: PNG, JPEG or WebP decoded to RGBA8
 * on a worker thread by whichever codec the first bytes name (the extension only picks
 * the type). Registered when at least one codec (png/, jpeg/, webp/) is built. */
#include <string.h>

#include "depot/config.h"
#include "load/image.h"
#include "load/loader.h"
#if DP_HAVE_PNG
#include "load/png/png_codec.h"
#endif
#if DP_HAVE_JPEG
#include "load/jpeg/jpeg_codec.h"
#endif
#if DP_HAVE_WEBP
#include "load/webp/webp_codec.h"
#endif

#if DP_HAVE_PNG || DP_HAVE_JPEG || DP_HAVE_WEBP

static dp_status decode_any(const dp_allocator *a, const void *bytes, size_t len,
                            const struct dp_cancel *cancel, dp_image **img)
{
    *img = NULL;
#if DP_HAVE_PNG
    if (len >= 8 && memcmp(bytes, "\x89PNG\r\n\x1a\n", 8) == 0)
        return dp__png_decode(a, bytes, len, cancel, img);
#endif
#if DP_HAVE_JPEG
    if (dp__jpeg_sniff(bytes, len))
        return dp__jpeg_decode(a, bytes, len, cancel, img);
#endif
#if DP_HAVE_WEBP
    if (dp__webp_sniff(bytes, len))
        return dp__webp_decode(a, bytes, len, cancel, img);
#endif
    (void)a;
    dp__cancel_why(cancel, "no image codec of this build reads it (it has:%s%s%s)",
                   DP_HAVE_PNG ? " PNG" : "", DP_HAVE_JPEG ? " JPEG" : "", DP_HAVE_WEBP ? " WebP" : "");
    return DP_ERR_FORMAT;
}

/* Decodes, then (for image_mips) replaces the image by a copy with its mip chain. */
static dp_status image_load_levels(dp_load_ctx *ctx, const void *bytes, size_t len, bool mips,
                                   void **asset, size_t *asset_bytes)
{
    const dp_allocator *a = dp_ctx_allocator(ctx);
    dp_image *img = NULL;
    /* The job's token: the codecs poll it and leave their error message on it. */
    dp_status st = decode_any(a, bytes, len, &dp__ctx_job(ctx)->cancel, &img);
    if (st != DP_OK)
        return st;
    size_t size = dp__image_bytes(img);
    if (mips) {
        dp_image_mips *chain = NULL;
        st = dp__image_with_mips(a, img, &chain);
        dp__image_free(a, img);
        if (st != DP_OK)
            return st;
        img = &chain->image;
        size = dp__image_mips_bytes(chain);
    }
    if (dp_ctx_cancelled(ctx)) {
        dp__image_free(a, img);
        return DP_ERR_CANCELLED;
    }
    *asset = img;
    *asset_bytes = size;
    return DP_OK;
}

static dp_status image_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    return image_load_levels(ctx, bytes, len, false, asset, asset_bytes);
}

static dp_status image_mips_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                                 size_t *asset_bytes)
{
    return image_load_levels(ctx, bytes, len, true, asset, asset_bytes);
}

static void image_destroy(void *asset, void *user)
{
    dp__image_free(user, asset);
}

dp_status dp__image_type_register(dp__loader *L, dp_type_id *image, dp_type_id *image_mips)
{
    static const char *const ext[] = {
#if DP_HAVE_PNG
        "png",
#endif
#if DP_HAVE_JPEG
        "jpg", "jpeg",
#endif
#if DP_HAVE_WEBP
        "webp",
#endif
        NULL};
    dp_type t = {.name = "image", .extensions = ext, .load = image_load,
                 .destroy = image_destroy, .user = (void *)L->alloc};
    dp_status st = dp_register_type(L->dp, &t, image);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
    dp_type m = {.name = "image_mips", .extensions = NULL, .load = image_mips_load,
                 .destroy = image_destroy, .user = (void *)L->alloc};
    return dp_register_type(L->dp, &m, image_mips);
}

#endif
