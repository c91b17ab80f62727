/* jpeg_codec.h — JPEG to RGBA8 with libturbojpeg (baseline, progressive, greyscale, CMYK
 * and YCCK), one of the "image" type's decoders. */
#ifndef DEPOT_LOAD_JPEG_CODEC_H
#define DEPOT_LOAD_JPEG_CODEC_H

#include <stdbool.h>

#include "depot/load.h"
#include "load/image.h"

/* True when the bytes start like a JPEG (SOI followed by a marker). */
bool dp__jpeg_sniff(const void *bytes, size_t len);

/* Decodes a JPEG into an RGBA8 dp_image allocated with `a` (free with dp__image_free);
 * alpha is 255. Greyscale is copied to R, G and B; CMYK and YCCK (Adobe convention, as
 * libjpeg-turbo and Photoshop write them: 255 = no ink) become R = C*K/255 and so on.
 * The header is read first and dimensions over the shared image limits are refused before
 * the image is allocated. Any libjpeg warning (a truncated or corrupt stream) is an error:
 * DP_ERR_FORMAT. libturbojpeg's own working memory comes from malloc. `cancel` (may be
 * NULL) is polled before and after the decode.
 * DP_OK; DP_ERR_FORMAT; DP_ERR_CANCELLED; DP_ERR_NOMEM; DP_ERR_INVALID (NULL out). */
dp_status dp__jpeg_decode(const dp_allocator *a, const void *bytes, size_t len,
                          const struct dp_cancel *cancel, dp_image **out);

#endif
