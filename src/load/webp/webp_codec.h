/* webp_codec.h — WebP to RGBA8 with libwebp (lossy, lossless, with or without alpha), one
 * of the "image" type's decoders. */
#ifndef DEPOT_LOAD_WEBP_CODEC_H
#define DEPOT_LOAD_WEBP_CODEC_H

#include <stdbool.h>

#include "depot/load.h"
#include "load/image.h"

/* True when the bytes start like a WebP file ("RIFF", a size, "WEBP"). */
bool dp__webp_sniff(const void *bytes, size_t len);

/* Decodes a still WebP into an RGBA8 dp_image allocated with `a` (free with
 * dp__image_free); without alpha in the file, alpha is 255. The features (size, alpha,
 * animation) are read first: dimensions over the shared image limits and animated files
 * are refused before the image is allocated. Corrupt or truncated input: DP_ERR_FORMAT.
 * libwebp's working memory comes from malloc. `cancel` (may be NULL) is polled before and
 * after the decode. DP_OK; DP_ERR_FORMAT; DP_ERR_CANCELLED; DP_ERR_NOMEM; DP_ERR_INVALID. */
dp_status dp__webp_decode(const dp_allocator *a, const void *bytes, size_t len,
                          const struct dp_cancel *cancel, dp_image **out);

#endif
