/* jpeg_codec.c — JPEG to RGBA8 with libturbojpeg.
 *
 * One decompressor per decode (tjInitDecompress allocates a few KiB with malloc), so
 * workers never share state. Warnings are fatal (TJFLAG_STOPONWARNING): libjpeg answers a
 * truncated file with a warning and grey padding, which would load a broken image as if it
 * were fine. TJFLAG_LIMITSCANS refuses progressive files with absurd scan counts, which
 * otherwise cost minutes of CPU for a few KiB of input. */
#include "load/jpeg/jpeg_codec.h"

#include <limits.h>
#include <string.h>
#include <turbojpeg.h>

#include "load/cancel.h"

#define DECODE_FLAGS (TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS | TJFLAG_ACCURATEDCT)

bool dp__jpeg_sniff(const void *bytes, size_t len)
{
    const unsigned char *b = bytes;
    return b && len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

/* CMYK (inverted, Adobe convention) to RGBA in place: 4 bytes in, 4 bytes out. */
static void cmyk_to_rgba(unsigned char *px, size_t count)
{
    for (size_t i = 0; i < count; i++, px += 4) {
        unsigned k = px[3];
        px[0] = (unsigned char)((px[0] * k + 127u) / 255u);
        px[1] = (unsigned char)((px[1] * k + 127u) / 255u);
        px[2] = (unsigned char)((px[2] * k + 127u) / 255u);
        px[3] = 255;
    }
}

/* Decodes into a new image; the header was checked already. */
static dp_status decode_pixels(tjhandle tj, const dp_allocator *a, const unsigned char *bytes,
                               size_t len, int w, int h, int colorspace, dp_image **out)
{
    dp_image *img = NULL;
    dp_status st = dp__image_new(a, (uint32_t)w, (uint32_t)h, &img);
    if (st != DP_OK)
        return st == DP_ERR_NOMEM ? DP_ERR_NOMEM : DP_ERR_FORMAT;
    bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    int format = cmyk ? TJPF_CMYK : TJPF_RGBA;
    if (tjDecompress2(tj, bytes, (unsigned long)len, img->pixels, w, w * 4, h, format,
                      DECODE_FLAGS) != 0) {
        dp__image_free(a, img);
        return DP_ERR_FORMAT;
    }
    if (cmyk)
        cmyk_to_rgba(img->pixels, (size_t)w * (size_t)h);
    *out = img;
    return DP_OK;
}

dp_status dp__jpeg_decode(const dp_allocator *a, const void *bytes, size_t len,
                          const struct dp_cancel *cancel, dp_image **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    if (!a || (!bytes && len > 0))
        return DP_ERR_INVALID;
    if (!dp__jpeg_sniff(bytes, len) || len > ULONG_MAX)
        return DP_ERR_FORMAT;
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;

    tjhandle tj = tjInitDecompress();
    if (!tj)
        return DP_ERR_NOMEM;
    int w = 0, h = 0, subsamp = 0, colorspace = 0;
    dp_status st = DP_ERR_FORMAT;
    /* The header alone: the size is checked before anything that large is allocated. */
    if (tjDecompressHeader3(tj, bytes, (unsigned long)len, &w, &h, &subsamp, &colorspace) != 0) {
        dp__cancel_why(cancel, "libjpeg-turbo: %s", tjGetErrorStr2(tj));
        goto done;
    }
    if (w <= 0 || h <= 0 || dp__image_too_big((uint32_t)w, (uint32_t)h)) {
        dp__cancel_why(cancel, "a %dx%d image is over the limits (%u a side, %u pixels)", w, h,
                       DP__IMAGE_MAX_SIDE, DP__IMAGE_MAX_PIXELS);
        goto done;
    }
    if (dp_cancelled(cancel)) {
        st = DP_ERR_CANCELLED;
        goto done;
    }
    dp_image *img = NULL;
    st = decode_pixels(tj, a, bytes, len, w, h, colorspace, &img);
    if (st == DP_ERR_FORMAT)
        dp__cancel_why(cancel, "libjpeg-turbo: %s", tjGetErrorStr2(tj));
    if (st == DP_OK && dp_cancelled(cancel)) {
        dp__image_free(a, img);
        st = DP_ERR_CANCELLED;
    } else if (st == DP_OK) {
        *out = img;
    }
done:
    tjDestroy(tj);
    return st;
}
