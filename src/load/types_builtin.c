/* types_builtin.c — the "blob" type, and registration of every built-in type the build has
 * (image needs libpng, libturbojpeg or libwebp; sound needs libsndfile; texture (KTX2) is always built; sprite, bundle and gltf need cJSON). */
#include <string.h>

#include "depot/config.h"
#include "load/loader.h"

static dp_status blob_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    const dp_allocator *a = dp_ctx_allocator(ctx);
    dp_blob *b = dp__alloc(a, sizeof *b + len + 1);
    if (!b)
        return DP_ERR_NOMEM;
    b->size = len;
    b->bytes = (unsigned char *)(b + 1);
    if (len)
        memcpy(b->bytes, bytes, len);
    b->bytes[len] = 0; /* handy for text */
    *asset = b;
    *asset_bytes = sizeof *b + len;
    return DP_OK;
}

static void free_with_allocator(void *asset, void *user)
{
    dp__free(user, asset);
}

dp_status dp__builtin_types_register(dp__loader *L)
{
    static const char *const blob_ext[] = {"bin", "blob", "txt", "dat", NULL};
    dp_type blob = {.name = "blob", .extensions = blob_ext, .load = blob_load,
                    .destroy = free_with_allocator, .user = (void *)L->alloc};
    dp_status st = dp_register_type(L->dp, &blob, &L->builtins.blob);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
#if DP_HAVE_PNG || DP_HAVE_JPEG || DP_HAVE_WEBP
    st = dp__image_type_register(L, &L->builtins.image, &L->builtins.image_mips);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
#endif
    st = dp__texture_type_register(L, &L->builtins.texture);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
#if DP_HAVE_SNDFILE
    st = dp__sound_type_register(L, &L->builtins.sound);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
#endif
#if DP_HAVE_CJSON
    st = dp__json_types_register(L, &L->builtins.sprite, &L->builtins.bundle);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
    st = dp__gltf_types_register(L, &L->builtins);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
#endif
    return DP_OK;
}
