/* codec_check.h — helpers for the image codec tests (test_jpeg.c, test_webp.c,
 * test_image_mips.c), header-only: reading a file from tests/data, an allocator that
 * remembers its largest request (to prove a refusal came before the big allocation), and
 * a per-pixel comparison against a formula within a tolerance. */
#ifndef DP_TEST_CODEC_CHECK_H
#define DP_TEST_CODEC_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "depot/load.h"
#include "load/cancel.h"
#include "load/image.h"

typedef struct file_bytes {
    unsigned char *bytes;
    size_t len;
} file_bytes;

static inline file_bytes read_data(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", DP_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n >= 0);
    file_bytes fb = {malloc((size_t)n + 1), (size_t)n};
    assert_non_null(fb.bytes);
    assert_int_equal(fread(fb.bytes, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return fb;
}

/* An allocator that remembers its largest request, over a counting one. */
typedef struct biggest_alloc {
    dp_allocator iface;
    dp_test_alloc *inner;
    size_t biggest;
} biggest_alloc;

static inline void *biggest_fn(size_t size, void *user)
{
    biggest_alloc *b = user;
    if (size > b->biggest)
        b->biggest = size;
    return b->inner->iface.alloc(size, b->inner->iface.user);
}

static inline void biggest_free(void *p, void *user)
{
    biggest_alloc *b = user;
    b->inner->iface.free(p, b->inner->iface.user);
}

static inline void biggest_init(biggest_alloc *b, dp_test_alloc *inner)
{
    b->iface.alloc = biggest_fn;
    b->iface.free = biggest_free;
    b->iface.user = b;
    b->inner = inner;
    b->biggest = 0;
}

/* Expected RGBA of pixel (x, y) of one test file. */
typedef void (*pixel_fn)(uint32_t x, uint32_t y, unsigned char out[4]);

static inline void set4(unsigned char o[4], unsigned r, unsigned g, unsigned b, unsigned a)
{
    o[0] = (unsigned char)r;
    o[1] = (unsigned char)g;
    o[2] = (unsigned char)b;
    o[3] = (unsigned char)a;
}

/* Every pixel of img within `tol` of the formula, per channel. */
static inline void check_pixels(const char *name, const dp_image *img, uint32_t w, uint32_t h,
                                pixel_fn px, int tol)
{
    assert_non_null(img);
    assert_int_equal(img->width, w);
    assert_int_equal(img->height, h);
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            unsigned char want[4];
            px(x, y, want);
            const unsigned char *got = img->pixels + ((size_t)y * w + x) * 4;
            for (int c = 0; c < 4; c++) {
                int d = (int)got[c] - (int)want[c];
                if (d > tol || d < -tol)
                    fail_msg("%s (%u,%u) channel %d: got %u, want %u (tolerance %d)", name, x,
                             y, c, got[c], want[c], tol);
            }
        }
    }
}

/* A codec's decode function (dp__png_decode, dp__jpeg_decode, dp__webp_decode). */
typedef dp_status (*decode_fn)(const dp_allocator *a, const void *bytes, size_t len,
                               const struct dp_cancel *cancel, dp_image **out);

/* The file fails with DP_ERR_FORMAT, *out is NULL, no request reached 1 MiB (a refused
 * size was refused before the image was allocated) and nothing is left allocated. */
static inline void check_refused(decode_fn decode, const char *name)
{
    file_bytes fb = read_data(name);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    biggest_alloc ba;
    biggest_init(&ba, &ta);
    dp_image *img = (dp_image *)&fb; /* must be overwritten with NULL */

    assert_int_equal(decode(&ba.iface, fb.bytes, fb.len, NULL, &img), DP_ERR_FORMAT);

    assert_null(img);
    assert_true(ba.biggest < (1u << 20));
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

/* Every proper prefix of the file fails with DP_ERR_FORMAT and frees what it took. */
static inline void check_every_prefix(decode_fn decode, const char *name)
{
    file_bytes fb = read_data(name);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    for (size_t n = 0; n < fb.len; n++) {
        dp_image *img = NULL;
        dp_status s = decode(&ta.iface, fb.bytes, n, NULL, &img);
        if (s != DP_ERR_FORMAT)
            fail_msg("%s cut at %zu of %zu: %s", name, n, fb.len, dp_status_str(s));
        assert_null(img);
        assert_int_equal(atomic_load(&ta.live), 0);
    }
    free(fb.bytes);
}

/* A cancelled token gives DP_ERR_CANCELLED before anything is allocated. */
static inline void check_cancelled(decode_fn decode, const char *name)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    struct dp_cancel c;
    dp__cancel_init(&c);
    dp__cancel_set(&c);
    file_bytes fb = read_data(name);
    dp_image *img = NULL;

    assert_int_equal(decode(&ta.iface, fb.bytes, fb.len, &c, &img), DP_ERR_CANCELLED);

    assert_null(img);
    assert_int_equal(atomic_load(&ta.total), 0);
    free(fb.bytes);
}

/* The image allocation failing gives DP_ERR_NOMEM and leaves nothing allocated. */
static inline void check_nomem(decode_fn decode, const char *name)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_test_alloc_fail_at(&ta, 1);
    file_bytes fb = read_data(name);
    dp_image *img = NULL;

    assert_int_equal(decode(&ta.iface, fb.bytes, fb.len, NULL, &img), DP_ERR_NOMEM);

    assert_null(img);
    assert_true(atomic_load(&ta.failed) >= 1);
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

/* The formulas of tests/data/make_images.c. */
static inline void px_rgb16(uint32_t x, uint32_t y, unsigned char o[4])
{
    set4(o, x * 16, y * 16, 128, 255);
}

static inline void px_alpha16(uint32_t x, uint32_t y, unsigned char o[4])
{
    set4(o, 255 - x * 16, x * 8 + y * 8, y * 16, 15 + x * 15);
}

#endif
