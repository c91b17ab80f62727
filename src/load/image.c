/* image.c — RGBA8 images: allocation in one block, the shared size limits, and the box
 * filtered mip chain. */
#include "load/image.h"

#include <string.h>

#include "common/alloc.h"

bool dp__image_too_big(uint32_t w, uint32_t h)
{
    return w == 0 || h == 0 || w > DP__IMAGE_MAX_SIDE || h > DP__IMAGE_MAX_SIDE ||
           (uint64_t)w * h > DP__IMAGE_MAX_PIXELS;
}

static uint32_t side_at(uint32_t side, uint32_t level)
{
    uint32_t s = side >> level;
    return s ? s : 1u;
}

static uint32_t full_chain(uint32_t w, uint32_t h)
{
    uint32_t levels = 1;
    while (w > 1 || h > 1) {
        w = side_at(w, 1);
        h = side_at(h, 1);
        levels++;
    }
    return levels;
}

/* The struct (a dp_image_mips when there is a chain) rounded up to 16 bytes: the pixels
 * start there. */
static size_t head_bytes(bool chain)
{
    size_t head = chain ? sizeof(dp_image_mips) : sizeof(dp_image);
    return (head + 15u) & ~(size_t)15u;
}

static size_t block_bytes(uint32_t w, uint32_t h, uint32_t levels, bool chain)
{
    size_t total = head_bytes(chain);
    for (uint32_t i = 0; i < levels; i++)
        total += (size_t)side_at(w, i) * side_at(h, i) * 4u;
    return total;
}

size_t dp__image_bytes(const dp_image *img)
{
    return block_bytes(img->width, img->height, 1, false);
}

size_t dp__image_mips_bytes(const dp_image_mips *m)
{
    return block_bytes(m->image.width, m->image.height, m->levels, true);
}

dp_status dp__image_new(const dp_allocator *a, uint32_t w, uint32_t h, dp_image **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    if (!a || dp__image_too_big(w, h))
        return DP_ERR_INVALID;
    size_t bytes = block_bytes(w, h, 1, false);
    unsigned char *block = dp__alloc(a, bytes);
    if (!block)
        return DP_ERR_NOMEM;
    memset(block, 0, bytes);
    dp_image *img = (dp_image *)(void *)block;
    img->width = w;
    img->height = h;
    img->pixels = block + head_bytes(false);
    *out = img;
    return DP_OK;
}

void dp__image_free(const dp_allocator *a, dp_image *img)
{
    if (img)
        dp__free(a, img);
}

/* Level `dst` (dw x dh) from the level above it (sw x sh): each pixel the rounded mean of
 * the 2x2 block at (2x, 2y); a source side of 1 repeats its pixel. */
static void box_down(const unsigned char *src, uint32_t sw, uint32_t sh, unsigned char *dst,
                     uint32_t dw, uint32_t dh)
{
    for (uint32_t y = 0; y < dh; y++) {
        uint32_t y0 = y * 2u < sh ? y * 2u : sh - 1u;
        uint32_t y1 = y0 + 1u < sh ? y0 + 1u : y0;
        for (uint32_t x = 0; x < dw; x++) {
            uint32_t x0 = x * 2u < sw ? x * 2u : sw - 1u;
            uint32_t x1 = x0 + 1u < sw ? x0 + 1u : x0;
            const unsigned char *p00 = src + ((size_t)y0 * sw + x0) * 4u;
            const unsigned char *p01 = src + ((size_t)y0 * sw + x1) * 4u;
            const unsigned char *p10 = src + ((size_t)y1 * sw + x0) * 4u;
            const unsigned char *p11 = src + ((size_t)y1 * sw + x1) * 4u;
            unsigned char *o = dst + ((size_t)y * dw + x) * 4u;
            for (int c = 0; c < 4; c++)
                o[c] = (unsigned char)((p00[c] + p01[c] + p10[c] + p11[c] + 2u) / 4u);
        }
    }
}

/* One block: the dp_image_mips, then every level's pixels in order (level 0 at a 16-byte
 * aligned offset). Sizes are within the limits, so no sum overflows. */
static dp_image_mips *chain_alloc(const dp_allocator *a, uint32_t w, uint32_t h, uint32_t levels)
{
    unsigned char *block = dp__alloc(a, block_bytes(w, h, levels, true));
    if (!block)
        return NULL;
    memset(block, 0, head_bytes(true));
    dp_image_mips *m = (dp_image_mips *)(void *)block;
    m->image.width = w;
    m->image.height = h;
    m->levels = levels;
    unsigned char *p = block + head_bytes(true);
    for (uint32_t i = 0; i < levels; i++) {
        m->level[i] = p;
        p += (size_t)side_at(w, i) * side_at(h, i) * 4u;
    }
    m->image.pixels = m->level[0];
    return m;
}

dp_status dp__image_with_mips(const dp_allocator *a, const dp_image *src, dp_image_mips **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    if (!a || !src || !src->pixels || dp__image_too_big(src->width, src->height))
        return DP_ERR_INVALID;
    uint32_t w = src->width, h = src->height;
    uint32_t levels = full_chain(w, h);
    dp_image_mips *m = chain_alloc(a, w, h, levels);
    if (!m)
        return DP_ERR_NOMEM;
    memcpy(m->level[0], src->pixels, (size_t)w * h * 4u);
    for (uint32_t i = 1; i < levels; i++)
        box_down(m->level[i - 1], side_at(w, i - 1), side_at(h, i - 1), m->level[i],
                 side_at(w, i), side_at(h, i));
    *out = m;
    return DP_OK;
}
