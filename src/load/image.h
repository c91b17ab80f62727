/* image.h — the RGBA8 image every image codec (png/, jpeg/, webp/) decodes into: one
 * allocation holding the struct and its pixels (and, when asked, the mip chain), and the
 * size limits all codecs share, checked before anything the size of an image is
 * allocated. Always built, so a codec folder never needs another codec's folder. */
#ifndef DEPOT_LOAD_IMAGE_H
#define DEPOT_LOAD_IMAGE_H

#include <stdbool.h>

#include "depot/load.h"

#define DP__IMAGE_MAX_SIDE 16384u
#define DP__IMAGE_MAX_PIXELS (1u << 26)

/* True when a w x h image is over the limits (or empty). */
bool dp__image_too_big(uint32_t w, uint32_t h);

/* A new zeroed w x h RGBA8 image with one level. DP_OK; DP_ERR_INVALID (0 or over the
 * limits, NULL argument); DP_ERR_NOMEM. Free with dp__image_free. */
dp_status dp__image_new(const dp_allocator *a, uint32_t w, uint32_t h, dp_image **out);

/* Frees an image made by dp__image_new, a codec or dp__image_with_mips (pass
 * &mips->image). NULL is ignored. */
void dp__image_free(const dp_allocator *a, dp_image *img);

/* The bytes an image (struct and pixels) occupies, for the asset byte size. */
size_t dp__image_bytes(const dp_image *img);
size_t dp__image_mips_bytes(const dp_image_mips *m);

/* A copy of `src`'s level 0 with the full mip chain down to 1x1: each pixel of a level is
 * the rounded mean of the 2x2 block at (2x, 2y) of the level above (on an odd side the
 * last row or column does not contribute; a side of 1 repeats its pixel). `src` is not
 * changed. DP_OK; DP_ERR_INVALID; DP_ERR_NOMEM. */
dp_status dp__image_with_mips(const dp_allocator *a, const dp_image *src, dp_image_mips **out);

#endif
