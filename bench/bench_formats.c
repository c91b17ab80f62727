/* bench_formats.c — decode throughput of depot's codecs against calling each library
 * directly with the same work (header, allocation of the output, decode, free):
 *   jpeg  dp__jpeg_decode vs tjInitDecompress + tjDecompressHeader3 + tjDecompress2,
 *   webp  dp__webp_decode vs WebPGetFeatures + WebPDecodeRGBAInto (lossy and lossless),
 *   sound dp__sound_decode vs sf_open_virtual + sf_readf_short of every frame (WAV, FLAC;
 *         2 s of 44.1 kHz stereo noise and tone).
 * The images are made in memory by the libraries' encoders (a 512x512 gradient with
 * noise); the sounds are written to a temp file by libsndfile and read back once before
 * any timing. For sounds the unit is Mframe/s. Each contender runs the same count of decodes,
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

#if DP_HAVE_SNDFILE
#include <sndfile.h>
#include <unistd.h>
#include "load/sound/sound_codec.h"
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
static int compare_units(const char *name, const unsigned char *bytes, size_t len,
                         decode_fn depot, decode_fn direct, double units, const char *unit)
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
    snprintf(line, sizeof line, "formats_%s_depot", name);
    dp_bench_report(line, units / 1e6 / (t[0][REPS / 2] / 1e9), unit);
    snprintf(line, sizeof line, "formats_%s_direct", name);
    dp_bench_report(line, units / 1e6 / (t[1][REPS / 2] / 1e9), unit);
    snprintf(line, sizeof line, "formats_%s_ratio", name);
    dp_bench_report(line, t[0][REPS / 2] / t[1][REPS / 2], "x");
    return 0;
}

static int compare(const char *name, const unsigned char *bytes, size_t len, decode_fn depot,
                   decode_fn direct)
{
    return compare_units(name, bytes, len, depot, direct, (double)SIDE * SIDE, "Mpixel/s");
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

#if DP_HAVE_SNDFILE
#define SOUND_FRAMES (2 * 44100)

typedef struct mem_file {
    const unsigned char *b;
    sf_count_t len, pos;
} mem_file;

static sf_count_t m_len(void *u)
{
    return ((mem_file *)u)->len;
}

static sf_count_t m_seek(sf_count_t off, int whence, void *u)
{
    mem_file *m = u;
    m->pos = (whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0) + off;
    return m->pos;
}

static sf_count_t m_read(void *p, sf_count_t n, void *u)
{
    mem_file *m = u;
    if (n > m->len - m->pos)
        n = m->len - m->pos;
    memcpy(p, m->b + m->pos, (size_t)n);
    m->pos += n;
    return n;
}

static sf_count_t m_write(const void *p, sf_count_t n, void *u)
{
    return 0;
}

static sf_count_t m_tell(void *u)
{
    return ((mem_file *)u)->pos;
}

static int sound_depot(const unsigned char *bytes, size_t len)
{
    dp_sound *s = NULL;
    if (dp__sound_decode(heap(), bytes, len, NULL, &s) != DP_OK)
        return 1;
    dp__sound_free(heap(), s);
    return 0;
}

static int sound_direct(const unsigned char *bytes, size_t len)
{
    mem_file m = {bytes, (sf_count_t)len, 0};
    SF_VIRTUAL_IO vio = {m_len, m_seek, m_read, m_write, m_tell};
    SF_INFO info = {0};
    SNDFILE *sf = sf_open_virtual(&vio, SFM_READ, &info, &m);
    if (!sf)
        return 1;
    short *pcm = malloc((size_t)info.frames * (size_t)info.channels * sizeof(short));
    int rc = sf_readf_short(sf, pcm, info.frames) != info.frames;
    free(pcm);
    sf_close(sf);
    return rc;
}

/* Writes 2 s of stereo (a tone plus noise) in `format` to a temp file; returns its bytes. */
static unsigned char *make_sound(int format, size_t *len)
{
    char path[] = "/tmp/depot-bench-sound-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    close(fd);
    SF_INFO info = {.samplerate = 44100, .channels = 2, .format = format};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    short *pcm = malloc(SOUND_FRAMES * 2 * sizeof(short));
    uint64_t seed = 7;
    for (size_t i = 0; pcm && i < SOUND_FRAMES * 2; i++)
        pcm[i] = (short)((int)(i % 200) * 100 - 10000 + (int)(dp_bench_rand(&seed) & 1023u));
    unsigned char *bytes = NULL;
    if (sf && pcm && sf_writef_short(sf, pcm, SOUND_FRAMES) == SOUND_FRAMES) {
        sf_close(sf);
        sf = NULL;
        FILE *f = fopen(path, "rb");
        fseek(f, 0, SEEK_END);
        *len = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        bytes = malloc(*len);
        if (bytes && fread(bytes, 1, *len, f) != *len) {
            free(bytes);
            bytes = NULL;
        }
        fclose(f);
    }
    if (sf)
        sf_close(sf);
    free(pcm);
    remove(path);
    return bytes;
}

static int bench_sound(void)
{
    static const struct {
        const char *name;
        int format;
    } kinds[] = {{"sound_wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
                 {"sound_flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16}};
    int rc = 0;
    for (size_t k = 0; k < 2 && rc == 0; k++) {
        size_t len = 0;
        unsigned char *bytes = make_sound(kinds[k].format, &len);
        rc = bytes ? compare_units(kinds[k].name, bytes, len, sound_depot, sound_direct,
                                   SOUND_FRAMES, "Mframe/s")
                   : 1;
        free(bytes);
    }
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
#if DP_HAVE_SNDFILE
    rc |= bench_sound();
#endif
    free(rgba);
    return rc;
}
