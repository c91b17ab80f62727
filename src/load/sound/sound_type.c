/* sound_type.c — the "sound" type: WAV, FLAC and Ogg Vorbis decoded to int16 PCM on a
 * worker thread (libsndfile). */
#include "load/loader.h"
#include "load/sound/sound_codec.h"

static dp_status sound_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    dp_sound *s = NULL;
    dp_status st = dp__sound_decode(dp_ctx_allocator(ctx), bytes, len, NULL, &s);
    if (st != DP_OK)
        return st;
    if (dp_ctx_cancelled(ctx)) {
        dp__sound_free(dp_ctx_allocator(ctx), s);
        return DP_ERR_CANCELLED;
    }
    *asset = s;
    *asset_bytes = dp__sound_bytes(s);
    return DP_OK;
}

static void sound_destroy(void *asset, void *user)
{
    dp__sound_free(user, asset);
}

dp_status dp__sound_type_register(dp__loader *L, dp_type_id *out)
{
    static const char *const ext[] = {"wav", "flac", "ogg", "oga", NULL};
    dp_type t = {.name = "sound", .extensions = ext, .load = sound_load,
                 .destroy = sound_destroy, .user = (void *)L->alloc};
    return dp_register_type(L->dp, &t, out);
}
