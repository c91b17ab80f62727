/* requires: jpeg webp */
/* test_image_types.c — the "image" and "image_mips" types end to end: JPEG and WebP load
 * through dp_load by extension, the decoder is picked by the first bytes, oversized input
 * fails the asset with DP_ERR_FORMAT, and the mip chain is the 2x2 box filter down to
 * 1x1. */
#include "codec_check.h"
#include "depot/depot.h"
#include "load/image.h"


static int setup(void **state)
{
    dp_depot *dp = NULL;
    dp_desc d = {.root = DP_TEST_DATA, .workers = 2};
    assert_int_equal(dp_create(&d, &dp), DP_OK);
    *state = dp;
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(dp_destroy(*state), 0);
    return 0;
}

static const dp_image *load_image(dp_depot *dp, const char *key, dp_type_id forced, dp_handle *h)
{
    if (forced)
        assert_int_equal(dp_load_as(dp, key, forced, h), DP_OK);
    else
        assert_int_equal(dp_load(dp, key, h), DP_OK);
    assert_int_equal(dp_wait(dp, *h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_type_of(dp, *h), forced ? forced : dp_builtins(dp).image);
    const dp_image *img = dp_get(dp, *h);
    assert_non_null(img);
    return img;
}

static void test_jpg_and_webp_load_as_images(void **state)
{
    dp_depot *dp = *state;
    dp_handle j, w;
    const dp_image *ji = load_image(dp, "jpeg_baseline_16x16.jpg", 0, &j);
    const dp_image *wi = load_image(dp, "webp_lossless_alpha_16x16.webp", 0, &w);

    check_pixels("jpg", ji, 16, 16, px_rgb16, 10);
    check_pixels("webp", wi, 16, 16, px_alpha16, 0);
    dp_release(dp, j);
    dp_release(dp, w);
}

static void test_decoder_is_chosen_by_content_not_extension(void **state)
{
    dp_depot *dp = *state;
    file_bytes fb = read_data("webp_lossless_alpha_16x16.webp");
    assert_int_equal(dp_mem_add(dp, "looks_like.jpg", fb.bytes, fb.len), DP_OK);
    dp_handle h;

    const dp_image *img = load_image(dp, "mem://looks_like.jpg", 0, &h);

    check_pixels("webp named .jpg", img, 16, 16, px_alpha16, 0);
    dp_release(dp, h);
    free(fb.bytes);
}

static void test_oversized_jpeg_fails_the_asset_with_format(void **state)
{
    dp_depot *dp = *state;
    dp_handle h;
    assert_int_equal(dp_load(dp, "jpeg_oversized_60000x60000.jpg", &h), DP_OK);

    assert_int_equal(dp_wait(dp, h, DP_TEST_WAIT_MS), DP_ERR_FORMAT);

    assert_int_equal(dp_state_of(dp, h), DP_STATE_FAILED);
    dp_release(dp, h);
}

static void test_unknown_content_fails_with_format(void **state)
{
    dp_depot *dp = *state;
    assert_int_equal(dp_mem_add(dp, "text.webp", "hello, not an image", 19), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load(dp, "mem://text.webp", &h), DP_OK);

    assert_int_equal(dp_wait(dp, h, DP_TEST_WAIT_MS), DP_ERR_FORMAT);

    dp_release(dp, h);
}

static void test_image_mips_type_has_the_full_chain(void **state)
{
    dp_depot *dp = *state;
    dp_type_id mips = dp_builtins(dp).image_mips;
    assert_true(mips != 0);
    dp_handle h;

    const dp_image_mips *img =
        (const dp_image_mips *)load_image(dp, "webp_lossless_alpha_16x16.webp", mips, &h);

    assert_int_equal(img->levels, 5); /* 16, 8, 4, 2, 1 */
    check_pixels("level 0", &img->image, 16, 16, px_alpha16, 0);
    assert_ptr_equal(img->image.pixels, img->level[0]);
    /* Level 1 pixel (3, 2): the mean of level 0's (6..7, 4..5). */
    unsigned char want[4], p[4][4];
    px_alpha16(6, 4, p[0]);
    px_alpha16(7, 4, p[1]);
    px_alpha16(6, 5, p[2]);
    px_alpha16(7, 5, p[3]);
    for (int c = 0; c < 4; c++)
        want[c] = (unsigned char)((p[0][c] + p[1][c] + p[2][c] + p[3][c] + 2) / 4);
    assert_memory_equal(img->level[1] + ((size_t)2 * 8 + 3) * 4, want, 4);
    dp_release(dp, h);
}

/* ---- dp__image_with_mips directly ---------------------------------------------------------- */

static void fill_pattern(dp_image *img)
{
    for (size_t i = 0; i < (size_t)img->width * img->height * 4; i++)
        img->pixels[i] = (unsigned char)(i * 7 + 3);
}

static void test_mips_of_odd_sizes_end_at_one_by_one(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *src = NULL;
    dp_image_mips *m = NULL;
    assert_int_equal(dp__image_new(&ta.iface, 5, 3, &src), DP_OK);
    fill_pattern(src);

    assert_int_equal(dp__image_with_mips(&ta.iface, src, &m), DP_OK);

    assert_int_equal(m->levels, 3); /* 5x3, 2x1, 1x1 */
    assert_memory_equal(m->level[0], src->pixels, 5 * 3 * 4);
    /* Level 1 (2x1) pixel 1 is the mean of level 0's (2..3, 0..1). */
    for (int c = 0; c < 4; c++) {
        const unsigned char *s = src->pixels;
        unsigned sum = s[(0 * 5 + 2) * 4 + c] + s[(0 * 5 + 3) * 4 + c] + s[(1 * 5 + 2) * 4 + c] +
                       s[(1 * 5 + 3) * 4 + c];
        assert_int_equal(m->level[1][4 + c], (sum + 2) / 4);
    }
    /* Level 2 (1x1) from level 1 (2x1): its one row is used twice. */
    for (int c = 0; c < 4; c++)
        assert_int_equal(m->level[2][c], (2u * m->level[1][c] + 2u * m->level[1][4 + c] + 2) / 4);
    assert_true(dp__image_mips_bytes(m) > dp__image_bytes(src) + (2 + 1) * 4);
    dp__image_free(&ta.iface, &m->image);
    dp__image_free(&ta.iface, src);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_mips_of_one_pixel_is_one_level(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *src = NULL;
    dp_image_mips *m = NULL;
    assert_int_equal(dp__image_new(&ta.iface, 1, 1, &src), DP_OK);

    assert_int_equal(dp__image_with_mips(&ta.iface, src, &m), DP_OK);

    assert_int_equal(m->levels, 1);
    dp__image_free(&ta.iface, &m->image);
    dp__image_free(&ta.iface, src);
}

static void test_mips_out_of_memory_gives_nomem_and_keeps_the_source(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_image *src = NULL;
    dp_image_mips *m = (dp_image_mips *)&ta;
    assert_int_equal(dp__image_new(&ta.iface, 4, 4, &src), DP_OK);
    dp_test_alloc_fail_at(&ta, 1);

    assert_int_equal(dp__image_with_mips(&ta.iface, src, &m), DP_ERR_NOMEM);

    assert_null(m);
    assert_int_equal(atomic_load(&ta.live), 1);
    dp__image_free(&ta.iface, src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_jpg_and_webp_load_as_images, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decoder_is_chosen_by_content_not_extension, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_jpeg_fails_the_asset_with_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_content_fails_with_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_mips_type_has_the_full_chain, setup, teardown),
        cmocka_unit_test(test_mips_of_odd_sizes_end_at_one_by_one),
        cmocka_unit_test(test_mips_of_one_pixel_is_one_level),
        cmocka_unit_test(test_mips_out_of_memory_gives_nomem_and_keeps_the_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
