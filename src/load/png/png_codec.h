/* png_codec.h — PNG to RGBA8 with libpng (the "image" type's decoder), and RGBA8 to PNG
 * (for tools and tests). */
#ifndef DEPOT_LOAD_PNG_CODEC_H
#define DEPOT_LOAD_PNG_CODEC_H

#include "depot/load.h"
#include "load/image.h"

/* PNG has the limits every image codec shares (load/image.h). */
#define DP__PNG_MAX_SIDE DP__IMAGE_MAX_SIDE
#define DP__PNG_MAX_PIXELS DP__IMAGE_MAX_PIXELS

/* Decodes any PNG (palette, grey, 16-bit, interlaced, with or without alpha) into a
 * dp_image of RGBA8 allocated with `a` (free with dp__image_free, load/image.h).
 * Corrupt, truncated, non-PNG or oversized input gives DP_ERR_FORMAT; never aborts (libpng
 * errors are caught; libpng's message goes to the token's failure message, dp__cancel_why).
 * Polls `cancel` (may be NULL) between rows: DP_ERR_CANCELLED.
 * DP_OK; DP_ERR_FORMAT; DP_ERR_CANCELLED; DP_ERR_NOMEM. */
dp_status dp__png_decode(const dp_allocator *a, const void *bytes, size_t len,
                         const struct dp_cancel *cancel, dp_image **out);

/* Encodes RGBA8 pixels as a PNG file at `path`. DP_OK; DP_ERR_IO; DP_ERR_INVALID. */
dp_status dp__png_write_file(const char *path, uint32_t w, uint32_t h, const unsigned char *rgba);

#endif
