/* ktx2_texture.c — builds a dp_texture from a parsed KTX 2.0 container: one block holding
 * the struct and every level's data, copied from the file or inflated with libzstd. */
#include "depot/config.h"
#include "load/ktx2/ktx2.h"

#include <string.h>
#if DP_HAVE_ZSTD
#include <zstd.h>
#endif

#include "common/alloc.h"
#include "load/cancel.h"

static size_t head_bytes(void)
{
    return (sizeof(dp_texture) + 15u) & ~(size_t)15u;
}

/* The struct's fields and level table, pointing into the block after the struct. */
static void fill(dp_texture *t, const dp__ktx2_info *in, unsigned char *data)
{
    memset(t, 0, sizeof *t);
    t->vk_format = in->vk_format;
    t->width = in->width;
    t->height = in->height;
    t->depth = in->depth;
    t->layers = in->layers;
    t->faces = in->faces;
    t->levels = in->levels;
    t->block_width = in->fmt->bw;
    t->block_height = in->fmt->bh;
    t->block_bytes = in->fmt->bytes;
    t->compressed = in->fmt->bw > 1 || in->fmt->bh > 1;
    t->array = in->array;
    for (uint32_t i = 0; i < in->levels; i++) {
        dp_texture_level *l = &t->level[i];
        l->width = in->width >> i ? in->width >> i : 1u;
        l->height = in->height >> i ? in->height >> i : 1u;
        l->depth = in->depth >> i ? in->depth >> i : 1u;
        l->bytes = in->level[i].size;
        l->image_bytes = l->bytes / ((size_t)in->layers * in->faces);
        l->data = data;
        data += l->bytes;
    }
}

/* One level's bytes into `dst` (exactly ref->size of them). */
static dp_status level_bytes(const dp__ktx2_info *in, const dp__ktx2_level_ref *ref,
                             const unsigned char *file, unsigned char *dst, void *zctx)
{
    const unsigned char *src = file + ref->offset;
    if (in->scheme == DP__KTX2_SC_NONE) {
        memcpy(dst, src, ref->size);
        return DP_OK;
    }
#if DP_HAVE_ZSTD
    size_t got = ZSTD_decompressDCtx(zctx, dst, ref->size, src, ref->length);
    return !ZSTD_isError(got) && got == ref->size ? DP_OK : DP_ERR_FORMAT;
#else
    (void)zctx;
    return DP_ERR_UNSUPPORTED;
#endif
}

static dp_status fill_levels(const dp__ktx2_info *in, const unsigned char *file, dp_texture *t,
                             const struct dp_cancel *cancel)
{
    void *zctx = NULL;
#if DP_HAVE_ZSTD
    if (in->scheme == DP__KTX2_SC_ZSTD && !(zctx = ZSTD_createDCtx()))
        return DP_ERR_NOMEM;
#endif
    dp_status st = DP_OK;
    for (uint32_t i = 0; i < in->levels && st == DP_OK; i++) {
        if (dp_cancelled(cancel))
            st = DP_ERR_CANCELLED;
        else
            st = level_bytes(in, &in->level[i], file, (unsigned char *)t->level[i].data, zctx);
    }
#if DP_HAVE_ZSTD
    ZSTD_freeDCtx(zctx);
#endif
    return st;
}

dp_status dp__ktx2_decode(const dp_allocator *a, const void *bytes, size_t len,
                          const struct dp_cancel *cancel, dp_texture **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    if (!a || (!bytes && len > 0))
        return DP_ERR_INVALID;
    dp__ktx2_info in;
    dp_status st = dp__ktx2_parse(bytes, len, &in);
    if (st != DP_OK) {
        dp__cancel_why(cancel, "KTX2: %s", in.why ? in.why : dp_status_str(st));
        return st;
    }
#if !DP_HAVE_ZSTD
    if (in.scheme == DP__KTX2_SC_ZSTD) {
        dp__cancel_why(cancel, "KTX2: zstd supercompression in a build without libzstd");
        return DP_ERR_UNSUPPORTED;
    }
#endif
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;
    /* in.total is within DP__KTX2_MAX_BYTES, checked by the parser before this. */
    unsigned char *block = dp__alloc(a, head_bytes() + in.total);
    if (!block)
        return DP_ERR_NOMEM;
    dp_texture *t = (dp_texture *)(void *)block;
    fill(t, &in, block + head_bytes());
    st = fill_levels(&in, bytes, t, cancel);
    if (st == DP_ERR_FORMAT)
        dp__cancel_why(cancel, "KTX2: a zstd level does not inflate to its size");
    if (st != DP_OK) {
        dp__free(a, block);
        return st;
    }
    *out = t;
    return DP_OK;
}

void dp__texture_free(const dp_allocator *a, dp_texture *t)
{
    if (t)
        dp__free(a, t);
}

size_t dp__texture_bytes(const dp_texture *t)
{
    size_t total = head_bytes();
    for (uint32_t i = 0; i < t->levels; i++)
        total += t->level[i].bytes;
    return total;
}
