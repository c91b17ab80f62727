/* requires: jpeg */
/* test_jpeg.c — the JPEG codec (libturbojpeg): the committed samples (tests/data, made by
 * make_images.c) decode to their formula's pixels within JPEG's loss; truncated, corrupt
 * and oversized input fails with DP_ERR_FORMAT, oversized before the image is allocated;
 * cancellation and failed allocations are clean. */
#include "codec_check.h"
#include "load/jpeg/jpeg_codec.h"

/* q95, 4:4:4: every channel within a few steps of the source. */
#define LOSS 10

static void px_grey(uint32_t x, uint32_t y, unsigned char o[4])
{
    unsigned v = x * 16 + y;
    set4(o, v, v, v, 255);
}

/* make_images.c's CMYK formula (255 = no ink), through R = C*K/255. */
static void px_cmyk(uint32_t x, uint32_t y, unsigned char o[4])
{
    unsigned c = x * 32, m = y * 32, ye = 160, k = x < 4 ? 255 : 200;
    set4(o, (c * k + 127) / 255, (m * k + 127) / 255, (ye * k + 127) / 255, 255);
}

static void check_file(const char *name, uint32_t w, uint32_t h, pixel_fn px)
{
    file_bytes fb = read_data(name);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *img = NULL;

    assert_int_equal(dp__jpeg_decode(&ta.iface, fb.bytes, fb.len, NULL, &img), DP_OK);

    check_pixels(name, img, w, h, px, LOSS);
    dp__image_free(&ta.iface, img);
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_baseline_decodes_to_its_pixels(void **state)
{
    check_file("jpeg_baseline_16x16.jpg", 16, 16, px_rgb16);
}

static void test_progressive_decodes_to_its_pixels(void **state)
{
    check_file("jpeg_progressive_16x16.jpg", 16, 16, px_rgb16);
}

static void test_greyscale_is_copied_to_rgb_with_opaque_alpha(void **state)
{
    check_file("jpeg_grey_16x8.jpg", 16, 8, px_grey);
}

static void test_cmyk_is_converted_to_rgb(void **state)
{
    check_file("jpeg_cmyk_8x8.jpg", 8, 8, px_cmyk);
}

static void test_truncated_file_fails_with_format(void **state)
{
    check_refused(dp__jpeg_decode, "jpeg_truncated.jpg");
}

static void test_side_over_limit_fails_with_format_without_allocating(void **state)
{
    check_refused(dp__jpeg_decode, "jpeg_oversized_60000x60000.jpg");
}

static void test_pixels_over_limit_fails_with_format_without_allocating(void **state)
{
    check_refused(dp__jpeg_decode, "jpeg_oversized_9000x9000.jpg");
}

static void test_every_prefix_fails_with_format_and_frees(void **state)
{
    check_every_prefix(dp__jpeg_decode, "jpeg_baseline_16x16.jpg");
    check_every_prefix(dp__jpeg_decode, "jpeg_progressive_16x16.jpg");
}

static void test_damaged_entropy_data_fails_with_format(void **state)
{
    file_bytes fb = read_data("jpeg_baseline_16x16.jpg");
    /* Markers inside the entropy-coded data (after SOS) end it early: a warning. */
    size_t sos = 0;
    for (size_t i = 2; i + 1 < fb.len; i++)
        if (fb.bytes[i] == 0xFF && fb.bytes[i + 1] == 0xDA)
            sos = i;
    assert_true(sos > 0 && sos + 40 < fb.len);
    for (size_t i = sos + 20; i < sos + 40; i += 2) {
        fb.bytes[i] = 0xFF;
        fb.bytes[i + 1] = 0xD0;
    }
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *img = NULL;

    assert_int_equal(dp__jpeg_decode(&ta.iface, fb.bytes, fb.len, NULL, &img), DP_ERR_FORMAT);

    assert_null(img);
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_non_jpeg_fails_with_format_without_allocating(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    const char text[] = "not a JPEG at all, only some text";
    dp_image *img = NULL;
    assert_int_equal(dp__jpeg_decode(&ta.iface, text, sizeof text, NULL, &img), DP_ERR_FORMAT);
    assert_int_equal(dp__jpeg_decode(&ta.iface, "", 0, NULL, &img), DP_ERR_FORMAT);
    assert_int_equal(dp__jpeg_decode(&ta.iface, "\xFF\xD8\xFF", 3, NULL, &img), DP_ERR_FORMAT);
    assert_null(img);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_cancelled_token_fails_with_cancelled(void **state)
{
    check_cancelled(dp__jpeg_decode, "jpeg_baseline_16x16.jpg");
}

static void test_failed_allocation_gives_nomem_and_frees(void **state)
{
    check_nomem(dp__jpeg_decode, "jpeg_baseline_16x16.jpg");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline_decodes_to_its_pixels),
        cmocka_unit_test(test_progressive_decodes_to_its_pixels),
        cmocka_unit_test(test_greyscale_is_copied_to_rgb_with_opaque_alpha),
        cmocka_unit_test(test_cmyk_is_converted_to_rgb),
        cmocka_unit_test(test_truncated_file_fails_with_format),
        cmocka_unit_test(test_side_over_limit_fails_with_format_without_allocating),
        cmocka_unit_test(test_pixels_over_limit_fails_with_format_without_allocating),
        cmocka_unit_test(test_every_prefix_fails_with_format_and_frees),
        cmocka_unit_test(test_damaged_entropy_data_fails_with_format),
        cmocka_unit_test(test_non_jpeg_fails_with_format_without_allocating),
        cmocka_unit_test(test_cancelled_token_fails_with_cancelled),
        cmocka_unit_test(test_failed_allocation_gives_nomem_and_frees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
