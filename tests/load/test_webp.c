/* requires: webp */
/* test_webp.c — the WebP codec (libwebp): lossy, lossless and alpha samples (tests/data,
 * made by make_images.c) decode to their formula's pixels (lossless exactly); truncated,
 * animated-looking and oversized input fails with DP_ERR_FORMAT, oversized before the
 * image is allocated; cancellation and failed allocations are clean. */
#include "codec_check.h"
#include "load/webp/webp_codec.h"

static void px_rgb_opaque(uint32_t x, uint32_t y, unsigned char o[4])
{
    px_rgb16(x, y, o);
}

static void check_file(const char *name, pixel_fn px, int tol)
{
    file_bytes fb = read_data(name);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *img = NULL;

    assert_int_equal(dp__webp_decode(&ta.iface, fb.bytes, fb.len, NULL, &img), DP_OK);

    check_pixels(name, img, 16, 16, px, tol);
    dp__image_free(&ta.iface, img);
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_lossy_decodes_to_its_pixels_with_opaque_alpha(void **state)
{
    /* Lossy WebP is 4:2:0: colour varies slowly in the formula, so 16 steps cover it. */
    check_file("webp_lossy_16x16.webp", px_rgb_opaque, 16);
}

static void test_lossless_with_alpha_decodes_exactly(void **state)
{
    check_file("webp_lossless_alpha_16x16.webp", px_alpha16, 0);
}

static void test_lossy_with_alpha_keeps_its_alpha(void **state)
{
    file_bytes fb = read_data("webp_lossy_alpha_16x16.webp");
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *img = NULL;

    assert_int_equal(dp__webp_decode(&ta.iface, fb.bytes, fb.len, NULL, &img), DP_OK);

    /* The alpha plane is stored losslessly even in a lossy file. */
    for (uint32_t y = 0; y < 16; y++)
        for (uint32_t x = 0; x < 16; x++)
            assert_int_equal(img->pixels[((size_t)y * 16 + x) * 4 + 3], 15 + x * 15);
    dp__image_free(&ta.iface, img);
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_truncated_file_fails_with_format(void **state)
{
    check_refused(dp__webp_decode, "webp_truncated.webp");
}

static void test_oversized_frame_fails_with_format_without_allocating(void **state)
{
    check_refused(dp__webp_decode, "webp_oversized_16383x16383.webp");
}

static void test_every_prefix_fails_with_format_and_frees(void **state)
{
    check_every_prefix(dp__webp_decode, "webp_lossy_16x16.webp");
    check_every_prefix(dp__webp_decode, "webp_lossless_alpha_16x16.webp");
    check_every_prefix(dp__webp_decode, "webp_lossy_alpha_16x16.webp");
}

static void test_non_webp_fails_with_format_without_allocating(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *img = NULL;
    const char riff_wave[] = "RIFF\x10\0\0\0WAVEfmt ";
    assert_int_equal(dp__webp_decode(&ta.iface, riff_wave, sizeof riff_wave, NULL, &img),
                     DP_ERR_FORMAT);
    assert_int_equal(dp__webp_decode(&ta.iface, "RIFF\0\0\0\0WEBP", 12, NULL, &img),
                     DP_ERR_FORMAT);
    assert_int_equal(dp__webp_decode(&ta.iface, "", 0, NULL, &img), DP_ERR_FORMAT);
    assert_null(img);
    assert_int_equal(atomic_load(&ta.total), 0);
}

static void test_cancelled_token_fails_with_cancelled(void **state)
{
    check_cancelled(dp__webp_decode, "webp_lossy_16x16.webp");
}

static void test_failed_allocation_gives_nomem_and_frees(void **state)
{
    check_nomem(dp__webp_decode, "webp_lossless_alpha_16x16.webp");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lossy_decodes_to_its_pixels_with_opaque_alpha),
        cmocka_unit_test(test_lossless_with_alpha_decodes_exactly),
        cmocka_unit_test(test_lossy_with_alpha_keeps_its_alpha),
        cmocka_unit_test(test_truncated_file_fails_with_format),
        cmocka_unit_test(test_oversized_frame_fails_with_format_without_allocating),
        cmocka_unit_test(test_every_prefix_fails_with_format_and_frees),
        cmocka_unit_test(test_non_webp_fails_with_format_without_allocating),
        cmocka_unit_test(test_cancelled_token_fails_with_cancelled),
        cmocka_unit_test(test_failed_allocation_gives_nomem_and_frees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
