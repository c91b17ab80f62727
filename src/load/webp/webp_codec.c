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

/* libwebp's name for a status of WebPGetFeatures. */
static const char *status_text(VP8StatusCode s)
{
    switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "user abort";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data (truncated)";
    default: return "unknown error";
    }
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
    VP8StatusCode vs = WebPGetFeatures(bytes, len, &f);
    if (vs != VP8_STATUS_OK) {
        dp__cancel_why(cancel, "libwebp: %s", status_text(vs));
        return DP_ERR_FORMAT;
    }
    if (f.has_animation) {
        dp__cancel_why(cancel, "an animated WebP (depot decodes still images only)");
        return DP_ERR_FORMAT;
    }
    if (f.width <= 0 || f.height <= 0 || dp__image_too_big((uint32_t)f.width, (uint32_t)f.height)) {
        dp__cancel_why(cancel, "a %dx%d image is over the limits (%u a side, %u pixels)",
                       f.width, f.height, DP__IMAGE_MAX_SIDE, DP__IMAGE_MAX_PIXELS);
        return DP_ERR_FORMAT;
    }

    dp_image *img = NULL;
    dp_status st = dp__image_new(a, (uint32_t)f.width, (uint32_t)f.height, &img);
    if (st != DP_OK)
        return st == DP_ERR_NOMEM ? DP_ERR_NOMEM : DP_ERR_FORMAT;
    size_t stride = (size_t)f.width * 4u;
    if (!WebPDecodeRGBAInto(bytes, len, img->pixels, stride * (size_t)f.height, (int)stride)) {
        dp__cancel_why(cancel, "libwebp: the image data does not decode (corrupt or truncated)");
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
