/* make_images.c — writes the JPEG and WebP files depot's tests decode (run once; the
 * output is committed). Every pixel comes from a formula that tests/load/test_jpeg.c and
 * test_webp.c repeat; lossy files are compared within a tolerance, lossless ones exactly.
 * The hostile variants are valid files with their size fields patched.
 *
 *   cc -O1 -o /tmp/make_images tests/data/make_images.c \
 *      $(pkg-config --cflags --libs libturbojpeg libwebp) && /tmp/make_images tests/data
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <webp/encode.h>

static const char *dir;

static void put(const char *name, const unsigned char *bytes, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* The formulas (the tests hold the same ones). */
static void px_rgb(int x, int y, unsigned char o[4])
{
    o[0] = (unsigned char)(x * 16);
    o[1] = (unsigned char)(y * 16);
    o[2] = 128;
    o[3] = 255;
}

static void px_alpha(int x, int y, unsigned char o[4])
{
    o[0] = (unsigned char)(255 - x * 16);
    o[1] = (unsigned char)(x * 8 + y * 8);
    o[2] = (unsigned char)(y * 16);
    o[3] = (unsigned char)(15 + x * 15); /* never 0: libwebp may clear the colour of invisible pixels */
}

/* CMYK as libjpeg-turbo stores it (255 = no ink). */
static void px_cmyk(int x, int y, unsigned char o[4])
{
    o[0] = (unsigned char)(x * 32);
    o[1] = (unsigned char)(y * 32);
    o[2] = 160;
    o[3] = x < 4 ? 255 : 200;
}

static unsigned char *fill(int w, int h, int ch, void (*px)(int, int, unsigned char *))
{
    unsigned char *buf = malloc((size_t)w * h * ch);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char p[4];
            px(x, y, p);
            memcpy(buf + ((size_t)y * w + x) * ch, p, (size_t)ch);
        }
    return buf;
}

static void px_grey(int x, int y, unsigned char o[4])
{
    o[0] = (unsigned char)(x * 16 + y);
}

static void jpeg(const char *name, int w, int h, int pf, int ch, int samp, int flags,
                 void (*px)(int, int, unsigned char *), unsigned char **keep, unsigned long *keep_len)
{
    unsigned char *src = fill(w, h, ch, px);
    tjhandle tj = tjInitCompress();
    unsigned char *out = NULL;
    unsigned long len = 0;
    if (tjCompress2(tj, src, w, w * ch, h, pf, &out, &len, samp, 95, flags) != 0) {
        fprintf(stderr, "%s: %s\n", name, tjGetErrorStr2(tj));
        exit(1);
    }
    put(name, out, len);
    if (keep) {
        *keep = malloc(len);
        memcpy(*keep, out, len);
        *keep_len = len;
    }
    tjFree(out);
    tjDestroy(tj);
    free(src);
}

/* Writes a copy of a JPEG whose SOF0 (baseline frame header) claims w x h. */
static void jpeg_patched_size(const char *name, const unsigned char *j, unsigned long len, int w, int h)
{
    unsigned char *c = malloc(len);
    memcpy(c, j, len);
    for (unsigned long i = 2; i + 9 < len; i++) {
        if (c[i] == 0xFF && c[i + 1] == 0xC0) {
            c[i + 5] = (unsigned char)(h >> 8);
            c[i + 6] = (unsigned char)h;
            c[i + 7] = (unsigned char)(w >> 8);
            c[i + 8] = (unsigned char)w;
            put(name, c, len);
            free(c);
            return;
        }
    }
    fprintf(stderr, "no SOF0 in %s\n", name);
    exit(1);
}

static void make_jpegs(void)
{
    unsigned char *base = NULL;
    unsigned long base_len = 0;
    jpeg("jpeg_baseline_16x16.jpg", 16, 16, TJPF_RGBX, 4, TJSAMP_444, 0, px_rgb, &base, &base_len);
    jpeg("jpeg_progressive_16x16.jpg", 16, 16, TJPF_RGBX, 4, TJSAMP_444, TJFLAG_PROGRESSIVE,
         px_rgb, NULL, NULL);
    jpeg("jpeg_grey_16x8.jpg", 16, 8, TJPF_GRAY, 1, TJSAMP_GRAY, 0, px_grey, NULL, NULL);
    jpeg("jpeg_cmyk_8x8.jpg", 8, 8, TJPF_CMYK, 4, TJSAMP_444, 0, px_cmyk, NULL, NULL);
    put("jpeg_truncated.jpg", base, base_len / 2);
    jpeg_patched_size("jpeg_oversized_60000x60000.jpg", base, base_len, 60000, 60000);
    jpeg_patched_size("jpeg_oversized_9000x9000.jpg", base, base_len, 9000, 9000);
    free(base);
}

static void make_webps(void)
{
    unsigned char *out = NULL;
    unsigned char *rgb = fill(16, 16, 3, px_rgb);
    size_t len = WebPEncodeRGB(rgb, 16, 16, 16 * 3, 95.0f, &out);
    put("webp_lossy_16x16.webp", out, len);
    put("webp_truncated.webp", out, len / 2);
    /* A simple lossy file: "RIFF" size "WEBP" "VP8 " size, a 3-byte frame tag, the start
     * code 9d 01 2a, then 14-bit width and height (little endian, 2 scale bits on top). */
    if (len < 30 || memcmp(out + 12, "VP8 ", 4) != 0 || out[23] != 0x9d) {
        fprintf(stderr, "unexpected lossy WebP layout\n");
        exit(1);
    }
    out[26] = 0xFF;
    out[27] = 0x3F;
    out[28] = 0xFF;
    out[29] = 0x3F;
    put("webp_oversized_16383x16383.webp", out, len);
    WebPFree(out);
    free(rgb);

    unsigned char *rgba = fill(16, 16, 4, px_alpha);
    len = WebPEncodeLosslessRGBA(rgba, 16, 16, 16 * 4, &out);
    put("webp_lossless_alpha_16x16.webp", out, len);
    WebPFree(out);
    len = WebPEncodeRGBA(rgba, 16, 16, 16 * 4, 95.0f, &out);
    put("webp_lossy_alpha_16x16.webp", out, len);
    WebPFree(out);
    free(rgba);
}

int main(int argc, char **argv)
{
    dir = argc > 1 ? argv[1] : ".";
    make_jpegs();
    make_webps();
    return 0;
}
