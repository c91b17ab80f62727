/* requires: png */
/* test_png.c — the PNG codec: every committed test PNG (tests/data, made by make_pngs.py)
 * decodes to the exact RGBA8 pixels its formula gives; broken input fails with
 * DP_ERR_FORMAT; cancellation and failed allocations are clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_check.h"
#include "load/cancel.h"
#include "load/png/png_codec.h"

/* ---- helpers ------------------------------------------------------------------------- */

static void px_rgba(uint32_t x, uint32_t y, unsigned char o[4])
{
    set4(o, x * 60, y * 60, (x + y) * 30, 255 - x * 16 - y * 32);
}

static void px_rgb(uint32_t x, uint32_t y, unsigned char o[4])
{
    set4(o, x * 100, y * 200, 50 + x + y, 255);
}

static void px_palette(uint32_t x, uint32_t y, unsigned char o[4])
{
    static const unsigned char pal[4][4] = {
        {255, 0, 0, 0}, {0, 255, 0, 128}, {0, 0, 255, 255}, {255, 255, 255, 255}};
    memcpy(o, pal[(x + y) % 4], 4);
}

static void px_grey(uint32_t x, uint32_t y, unsigned char o[4])
{
    unsigned v = x * 50 + y * 10;
    set4(o, v, v, v, 255);
}

static void px_grey_alpha(uint32_t x, uint32_t y, unsigned char o[4])
{
    unsigned v = 100 + x * 50;
    set4(o, v, v, v, 60 + y * 100);
}

static void px_grey_1bit(uint32_t x, uint32_t y, unsigned char o[4])
{
    unsigned v = ((x + y) & 1) ? 255 : 0;
    set4(o, v, v, v, 255);
}

static void px_rgba16(uint32_t x, uint32_t y, unsigned char o[4])
{
    set4(o, x * 80 + y * 20, y * 90 + 5, 200 - x * 30, 255 - x * 40 - y * 40);
}

static void px_interlaced(uint32_t x, uint32_t y, unsigned char o[4])
{
    set4(o, x * 28, y * 28, (x * 9 + y) * 3, 255 - x - y);
}

typedef struct sample {
    const char *name;
    uint32_t w, h;
    pixel_fn px;
} sample;

static const sample samples[] = {
    {"rgba_4x4.png", 4, 4, px_rgba},
    {"rgb_3x2.png", 3, 2, px_rgb},
    {"palette_trns_4x2.png", 4, 2, px_palette},
    {"grey_5x3.png", 5, 3, px_grey},
    {"grey_alpha_2x2.png", 2, 2, px_grey_alpha},
    {"grey_1bit_10x2.png", 10, 2, px_grey_1bit},
    {"rgba16_3x3.png", 3, 3, px_rgba16},
    {"interlaced_9x9.png", 9, 9, px_interlaced},
};

static const sample *find_sample(const char *name)
{
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        if (strcmp(samples[i].name, name) == 0)
            return &samples[i];
    fail_msg("no sample %s", name);
    return NULL;
}

/* Decodes a sample with a counting allocator and checks every byte, then frees it and
 * checks that nothing is left. */
static void check_sample(const char *name)
{
    const sample *s = find_sample(name);
    file_bytes fb = read_data(name);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);

    dp_image *img = NULL;
    assert_int_equal(dp__png_decode(&ta.iface, fb.bytes, fb.len, NULL, &img), DP_OK);

    assert_non_null(img);
    assert_int_equal(img->width, s->w);
    assert_int_equal(img->height, s->h);
    for (uint32_t y = 0; y < s->h; y++) {
        for (uint32_t x = 0; x < s->w; x++) {
            unsigned char want[4];
            s->px(x, y, want);
            const unsigned char *got = img->pixels + ((size_t)y * s->w + x) * 4;
            if (memcmp(got, want, 4) != 0)
                fail_msg("%s (%u,%u): got %u %u %u %u, want %u %u %u %u", name, x, y, got[0],
                         got[1], got[2], got[3], want[0], want[1], want[2], want[3]);
        }
    }
    dp__image_free(&ta.iface, img);
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static dp_status decode_file(const char *name, dp_test_alloc *ta)
{
    file_bytes fb = read_data(name);
    dp_image *img = (dp_image *)&fb; /* must be overwritten with NULL on failure */
    dp_status s = dp__png_decode(&ta->iface, fb.bytes, fb.len, NULL, &img);
    if (s != DP_OK)
        assert_null(img);
    dp__image_free(&ta->iface, s == DP_OK ? img : NULL);
    free(fb.bytes);
    return s;
}

/* ---- decoding each kind of PNG ----------------------------------------------------------- */

static void test_decode_rgba_8bit_gives_exact_pixels(void **state)
{
    check_sample("rgba_4x4.png");
}

static void test_decode_rgb_8bit_adds_opaque_alpha(void **state)
{
    check_sample("rgb_3x2.png");
}

static void test_decode_palette_with_trns_expands_to_rgba(void **state)
{
    check_sample("palette_trns_4x2.png");
}

static void test_decode_grey_8bit_expands_to_rgb(void **state)
{
    check_sample("grey_5x3.png");
}

static void test_decode_grey_alpha_keeps_alpha(void **state)
{
    check_sample("grey_alpha_2x2.png");
}

static void test_decode_grey_1bit_expands_to_0_and_255(void **state)
{
    check_sample("grey_1bit_10x2.png");
}

static void test_decode_16bit_keeps_high_byte(void **state)
{
    check_sample("rgba16_3x3.png");
}

static void test_decode_interlaced_gives_exact_pixels(void **state)
{
    check_sample("interlaced_9x9.png");
}

/* ---- broken input --------------------------------------------------------------------------- */

static void test_decode_idat_with_bad_crc_fails_with_format(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    assert_int_equal(decode_file("corrupt_crc.png", &ta), DP_ERR_FORMAT);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_decode_broken_zlib_stream_fails_with_format(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    assert_int_equal(decode_file("corrupt_zlib.png", &ta), DP_ERR_FORMAT);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_decode_truncated_png_fails_with_format(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    assert_int_equal(decode_file("truncated.png", &ta), DP_ERR_FORMAT);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_decode_every_prefix_of_a_png_fails_with_format(void **state)
{
    const char *names[] = {"rgba_4x4.png", "interlaced_9x9.png", "palette_trns_4x2.png"};
    for (size_t f = 0; f < 3; f++) {
        file_bytes fb = read_data(names[f]);
        dp_test_alloc ta;
        dp_test_alloc_init(&ta);
        for (size_t n = 0; n < fb.len; n++) {
            dp_image *img = NULL;
            dp_status s = dp__png_decode(&ta.iface, fb.bytes, n, NULL, &img);
            if (s != DP_ERR_FORMAT)
                fail_msg("%s cut at %zu of %zu: %s", names[f], n, fb.len, dp_status_str(s));
            assert_null(img);
            assert_int_equal(atomic_load(&ta.live), 0);
        }
        free(fb.bytes);
    }
}

static void check_oversized(const char *name)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    biggest_alloc ba = {{biggest_fn, biggest_free, NULL}, &ta, 0};
    ba.iface.user = &ba;
    file_bytes fb = read_data(name);
    dp_image *img = NULL;

    dp_status s = dp__png_decode(&ba.iface, fb.bytes, fb.len, NULL, &img);

    assert_int_equal(s, DP_ERR_FORMAT);
    assert_null(img);
    assert_true(ba.biggest < (1u << 20));
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_decode_side_over_limit_fails_with_format_without_allocating(void **state)
{
    check_oversized("oversized_20000x20000.png");
}

static void test_decode_pixels_over_limit_fails_with_format_without_allocating(void **state)
{
    check_oversized("oversized_9000x9000.png");
}

static void test_decode_non_png_fails_with_format(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    const char text[] = "this is not a PNG file, just some text that is long enough";
    dp_image *img = NULL;
    assert_int_equal(dp__png_decode(&ta.iface, text, sizeof text, NULL, &img), DP_ERR_FORMAT);
    assert_null(img);
    assert_int_equal(atomic_load(&ta.total), 0);
}

static void test_decode_empty_input_fails_with_format(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *img = NULL;
    assert_int_equal(dp__png_decode(&ta.iface, "", 0, NULL, &img), DP_ERR_FORMAT);
    assert_int_equal(dp__png_decode(&ta.iface, NULL, 0, NULL, &img), DP_ERR_FORMAT);
    assert_null(img);
    assert_int_equal(atomic_load(&ta.total), 0);
}

/* ---- cancellation ----------------------------------------------------------------------------- */

static void test_decode_with_cancelled_token_fails_with_cancelled(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    struct dp_cancel c;
    dp__cancel_init(&c);
    dp__cancel_set(&c);
    file_bytes fb = read_data("rgba_4x4.png");
    dp_image *img = NULL;

    assert_int_equal(dp__png_decode(&ta.iface, fb.bytes, fb.len, &c, &img), DP_ERR_CANCELLED);

    assert_null(img);
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

/* A check that says "cancelled" from its nth call on, to cancel between rows. */
static _Atomic long check_calls;
static bool cancel_after(const struct dp_cancel *c)
{
    return atomic_fetch_add(&check_calls, 1) + 1 >= (long)c->arg;
}

static void test_decode_cancelled_between_rows_fails_with_cancelled_and_frees(void **state)
{
    const char *names[] = {"rgba_4x4.png", "interlaced_9x9.png"};
    for (size_t f = 0; f < 2; f++) {
        file_bytes fb = read_data(names[f]);
        for (uint64_t n = 2; n <= 4; n++) {
            dp_test_alloc ta;
            dp_test_alloc_init(&ta);
            struct dp_cancel c;
            dp__cancel_init(&c);
            c.check = cancel_after;
            c.arg = n;
            atomic_store(&check_calls, 0);
            dp_image *img = NULL;

            assert_int_equal(dp__png_decode(&ta.iface, fb.bytes, fb.len, &c, &img),
                             DP_ERR_CANCELLED);

            assert_null(img);
            assert_int_equal(atomic_load(&ta.live), 0);
        }
        free(fb.bytes);
    }
}

/* ---- failed allocations ----------------------------------------------------------------------- */

static void test_decode_with_each_allocation_failing_gives_ok_or_nomem_and_frees(void **state)
{
    for (size_t f = 0; f < sizeof samples / sizeof samples[0]; f++) {
        file_bytes fb = read_data(samples[f].name);
        for (long n = 1;; n++) {
            dp_test_alloc ta;
            dp_test_alloc_init(&ta);
            dp_test_alloc_fail_at(&ta, n);
            dp_image *img = NULL;

            dp_status s = dp__png_decode(&ta.iface, fb.bytes, fb.len, NULL, &img);

            if (s != DP_OK && s != DP_ERR_NOMEM)
                fail_msg("%s, allocation %ld failing: %s", samples[f].name, n, dp_status_str(s));
            if (s == DP_OK) {
                assert_non_null(img);
                assert_int_equal(img->width, samples[f].w);
            } else {
                assert_null(img);
            }
            dp__image_free(&ta.iface, img);
            assert_int_equal(atomic_load(&ta.live), 0);
            if (atomic_load(&ta.failed) == 0)
                break; /* the decode made fewer than n allocations: every one was tried */
            assert_true(n < 1000);
        }
        free(fb.bytes);
    }
}

/* ---- images and writing ------------------------------------------------------------------------- */

static void test_image_new_gives_zeroed_pixels(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *img = NULL;

    assert_int_equal(dp__image_new(&ta.iface, 7, 5, &img), DP_OK);

    assert_int_equal(img->width, 7);
    assert_int_equal(img->height, 5);
    for (size_t i = 0; i < 7 * 5 * 4; i++)
        assert_int_equal(img->pixels[i], 0);
    dp__image_free(&ta.iface, img);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_image_new_rejects_zero_and_oversized_sizes(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *img = NULL;
    assert_int_equal(dp__image_new(&ta.iface, 0, 5, &img), DP_ERR_INVALID);
    assert_int_equal(dp__image_new(&ta.iface, 5, 0, &img), DP_ERR_INVALID);
    assert_int_equal(dp__image_new(&ta.iface, DP__PNG_MAX_SIDE + 1, 1, &img), DP_ERR_INVALID);
    assert_int_equal(dp__image_new(&ta.iface, 9000, 9000, &img), DP_ERR_INVALID);
    assert_null(img);
    assert_int_equal(atomic_load(&ta.total), 0);
}

static void test_image_new_out_of_memory_gives_nomem(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_test_alloc_fail_at(&ta, 1);
    dp_image *img = NULL;
    assert_int_equal(dp__image_new(&ta.iface, 4, 4, &img), DP_ERR_NOMEM);
    assert_null(img);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_write_then_decode_round_trips(void **state)
{
    char dir[256], path[512];
    dp_test_mkdtemp(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/round.png", dir);
    enum { W = 13, H = 7 };
    unsigned char rgba[W * H * 4];
    for (size_t i = 0; i < sizeof rgba; i++)
        rgba[i] = (unsigned char)(i * 37 + 11);

    assert_int_equal(dp__png_write_file(path, W, H, rgba), DP_OK);

    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *img = NULL;
    assert_int_equal(dp__png_decode(&ta.iface, buf, n, NULL, &img), DP_OK);
    assert_int_equal(img->width, W);
    assert_int_equal(img->height, H);
    assert_memory_equal(img->pixels, rgba, sizeof rgba);
    dp__image_free(&ta.iface, img);
    assert_int_equal(atomic_load(&ta.live), 0);
    dp_test_rmrf(dir);
}

static void test_write_to_missing_folder_fails_with_io(void **state)
{
    unsigned char rgba[4] = {1, 2, 3, 4};
    assert_int_equal(dp__png_write_file("/nonexistent-depot-dir/x.png", 1, 1, rgba), DP_ERR_IO);
}

static void test_write_with_bad_arguments_fails_with_invalid(void **state)
{
    unsigned char rgba[4] = {1, 2, 3, 4};
    assert_int_equal(dp__png_write_file(NULL, 1, 1, rgba), DP_ERR_INVALID);
    assert_int_equal(dp__png_write_file("/tmp/x.png", 0, 1, rgba), DP_ERR_INVALID);
    assert_int_equal(dp__png_write_file("/tmp/x.png", 1, 1, NULL), DP_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_rgba_8bit_gives_exact_pixels),
        cmocka_unit_test(test_decode_rgb_8bit_adds_opaque_alpha),
        cmocka_unit_test(test_decode_palette_with_trns_expands_to_rgba),
        cmocka_unit_test(test_decode_grey_8bit_expands_to_rgb),
        cmocka_unit_test(test_decode_grey_alpha_keeps_alpha),
        cmocka_unit_test(test_decode_grey_1bit_expands_to_0_and_255),
        cmocka_unit_test(test_decode_16bit_keeps_high_byte),
        cmocka_unit_test(test_decode_interlaced_gives_exact_pixels),
        cmocka_unit_test(test_decode_idat_with_bad_crc_fails_with_format),
        cmocka_unit_test(test_decode_broken_zlib_stream_fails_with_format),
        cmocka_unit_test(test_decode_truncated_png_fails_with_format),
        cmocka_unit_test(test_decode_every_prefix_of_a_png_fails_with_format),
        cmocka_unit_test(test_decode_side_over_limit_fails_with_format_without_allocating),
        cmocka_unit_test(test_decode_pixels_over_limit_fails_with_format_without_allocating),
        cmocka_unit_test(test_decode_non_png_fails_with_format),
        cmocka_unit_test(test_decode_empty_input_fails_with_format),
        cmocka_unit_test(test_decode_with_cancelled_token_fails_with_cancelled),
        cmocka_unit_test(test_decode_cancelled_between_rows_fails_with_cancelled_and_frees),
        cmocka_unit_test(test_decode_with_each_allocation_failing_gives_ok_or_nomem_and_frees),
        cmocka_unit_test(test_image_new_gives_zeroed_pixels),
        cmocka_unit_test(test_image_new_rejects_zero_and_oversized_sizes),
        cmocka_unit_test(test_image_new_out_of_memory_gives_nomem),
        cmocka_unit_test(test_write_then_decode_round_trips),
        cmocka_unit_test(test_write_to_missing_folder_fails_with_io),
        cmocka_unit_test(test_write_with_bad_arguments_fails_with_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
