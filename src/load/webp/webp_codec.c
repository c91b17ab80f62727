/* webp_codec.c — WebP to RGBA8 with libwebp's simple decoding API, straight into the
 * image's pixels (WebPDecodeRGBAInto), so the only copy is libwebp's own output. */
#include "load/webp/webp_codec.h"

#include <string.h>
#include <webp/decode.h>

#include "load/cancel.h"

bool dp__webp_sniff(const void *bytes, size_t len)
{
    const unsigned char *b = bytes;
    return b && len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0;
}

dp_status dp__webp_decode(const dp_allocator *a, const void *bytes, size_t len,
                          const struct dp_cancel *cancel, dp_image **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    if (!a || (!bytes && len > 0))
        return DP_ERR_INVALID;
    if (!dp__webp_sniff(bytes, len))
        return DP_ERR_FORMAT;
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;

    WebPBitstreamFeatures f;
    if (WebPGetFeatures(bytes, len, &f) != VP8_STATUS_OK || f.has_animation ||
        f.width <= 0 || f.height <= 0 || dp__image_too_big((uint32_t)f.width, (uint32_t)f.height))
        return DP_ERR_FORMAT;

    dp_image *img = NULL;
    dp_status st = dp__image_new(a, (uint32_t)f.width, (uint32_t)f.height, &img);
    if (st != DP_OK)
        return st == DP_ERR_NOMEM ? DP_ERR_NOMEM : DP_ERR_FORMAT;
    size_t stride = (size_t)f.width * 4u;
    if (!WebPDecodeRGBAInto(bytes, len, img->pixels, stride * (size_t)f.height, (int)stride)) {
        dp__image_free(a, img);
        return DP_ERR_FORMAT;
    }
    if (dp_cancelled(cancel)) {
        dp__image_free(a, img);
        return DP_ERR_CANCELLED;
    }
    *out = img;
    return DP_OK;
}
