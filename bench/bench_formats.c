/* bench_formats.c — decode throughput of depot's codecs against calling each library
 * directly with the same work (header, allocation of the output, decode, free):
 *   jpeg  dp__jpeg_decode vs tjInitDecompress + tjDecompressHeader3 + tjDecompress2,
 *   webp  dp__webp_decode vs WebPGetFeatures + WebPDecodeRGBAInto (lossy and lossless).
 * The inputs are made in memory by the libraries' encoders (a 512x512 gradient with
 * noise), so nothing is read from disk. Each contender runs the same count of decodes,
 * alternating, and the median of REPS runs is reported; "ratio" is depot / direct
 * (target <= 1.05). Every line is "BENCH <name> <value> <unit>". */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "common/alloc.h"
#include "depot/config.h"

#if DP_HAVE_JPEG
#include <turbojpeg.h>
#include "load/jpeg/jpeg_codec.h"
#endif
#if DP_HAVE_WEBP
#include <webp/decode.h>
#include <webp/encode.h>
#include "load/webp/webp_codec.h"
#endif

#define SIDE 512
#define DECODES 40
#define REPS 5

typedef int (*decode_fn)(const unsigned char *bytes, size_t len);

static const dp_allocator *heap(void)
{
    static dp_allocator a;
    dp__alloc_init(&a, NULL);
    return &a;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median ns per decode of each contender, alternating runs so load on the machine hits
 * both alike; prints the two lines and the ratio. */
static int compare(const char *name, const unsigned char *bytes, size_t len, decode_fn depot,
                   decode_fn direct)
{
    double t[2][REPS];
    decode_fn fn[2] = {depot, direct};
    for (int r = 0; r < REPS; r++) {
        for (int k = 0; k < 2; k++) {
            uint64_t t0 = dp_bench_now_ns();
            for (int i = 0; i < DECODES; i++)
                if (fn[k](bytes, len) != 0)
                    return 1;
            t[k][r] = (double)(dp_bench_now_ns() - t0) / DECODES;
        }
    }
    qsort(t[0], REPS, sizeof(double), cmp_double);
    qsort(t[1], REPS, sizeof(double), cmp_double);
    char line[96];
    double mpix = (double)SIDE * SIDE / 1e6;
    snprintf(line, sizeof line, "formats_%s_depot", name);
    dp_bench_report(line, mpix / (t[0][REPS / 2] / 1e9), "Mpixel/s");
    snprintf(line, sizeof line, "formats_%s_direct", name);
    dp_bench_report(line, mpix / (t[1][REPS / 2] / 1e9), "Mpixel/s");
    snprintf(line, sizeof line, "formats_%s_ratio", name);
    dp_bench_report(line, t[0][REPS / 2] / t[1][REPS / 2], "x");
    return 0;
}

/* A gradient with some noise, so the encoders have real work. */
static unsigned char *make_rgba(void)
{
    unsigned char *p = malloc((size_t)SIDE * SIDE * 4);
    uint64_t seed = 42;
    for (size_t i = 0; p && i < (size_t)SIDE * SIDE; i++) {
        unsigned noise = (unsigned)(dp_bench_rand(&seed) & 15u);
        p[i * 4 + 0] = (unsigned char)((i % SIDE) / 2 + noise);
        p[i * 4 + 1] = (unsigned char)((i / SIDE) / 2 + noise);
        p[i * 4 + 2] = (unsigned char)(128 + noise);
        p[i * 4 + 3] = (unsigned char)(255 - noise);
    }
    return p;
}

#if DP_HAVE_JPEG
static int jpeg_depot(const unsigned char *bytes, size_t len)
{
    dp_image *img = NULL;
    if (dp__jpeg_decode(heap(), bytes, len, NULL, &img) != DP_OK)
        return 1;
    dp__image_free(heap(), img);
    return 0;
}

static int jpeg_direct(const unsigned char *bytes, size_t len)
{
    tjhandle tj = tjInitDecompress();
    int w, h, ss, cs, rc = 1;
    if (tjDecompressHeader3(tj, bytes, (unsigned long)len, &w, &h, &ss, &cs) == 0) {
        unsigned char *px = malloc((size_t)w * h * 4);
        rc = tjDecompress2(tj, bytes, (unsigned long)len, px, w, w * 4, h, TJPF_RGBA,
                           TJFLAG_ACCURATEDCT) != 0;
        free(px);
    }
    tjDestroy(tj);
    return rc;
}

static int bench_jpeg(const unsigned char *rgba)
{
    tjhandle tj = tjInitCompress();
    unsigned char *out = NULL;
    unsigned long len = 0;
    int rc = tjCompress2(tj, rgba, SIDE, SIDE * 4, SIDE, TJPF_RGBA, &out, &len, TJSAMP_420, 85, 0);
    if (rc == 0)
        rc = compare("jpeg", out, len, jpeg_depot, jpeg_direct);
    tjFree(out);
    tjDestroy(tj);
    return rc;
}
#endif

#if DP_HAVE_WEBP
static int webp_depot(const unsigned char *bytes, size_t len)
{
    dp_image *img = NULL;
    if (dp__webp_decode(heap(), bytes, len, NULL, &img) != DP_OK)
        return 1;
    dp__image_free(heap(), img);
    return 0;
}

static int webp_direct(const unsigned char *bytes, size_t len)
{
    WebPBitstreamFeatures f;
    if (WebPGetFeatures(bytes, len, &f) != VP8_STATUS_OK)
        return 1;
    size_t stride = (size_t)f.width * 4;
    unsigned char *px = malloc(stride * (size_t)f.height);
    int rc = WebPDecodeRGBAInto(bytes, len, px, stride * (size_t)f.height, (int)stride) == NULL;
    free(px);
    return rc;
}

static int bench_webp(const unsigned char *rgba)
{
    unsigned char *out = NULL;
    size_t len = WebPEncodeRGBA(rgba, SIDE, SIDE, SIDE * 4, 85.0f, &out);
    int rc = len ? compare("webp_lossy", out, len, webp_depot, webp_direct) : 1;
    WebPFree(out);
    len = WebPEncodeLosslessRGBA(rgba, SIDE, SIDE, SIDE * 4, &out);
    if (rc == 0)
        rc = len ? compare("webp_lossless", out, len, webp_depot, webp_direct) : 1;
    WebPFree(out);
    return rc;
}
#endif

int dp_bench_formats(void)
{
    unsigned char *rgba = make_rgba();
    if (!rgba)
        return 1;
    int rc = 0;
#if DP_HAVE_JPEG
    rc |= bench_jpeg(rgba);
#endif
#if DP_HAVE_WEBP
    rc |= bench_webp(rgba);
#endif
    free(rgba);
    return rc;
}
