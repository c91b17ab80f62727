/* requires: zstd */
/* test_ktx2.c — the KTX 2.0 container (depot's own parser): the committed files
 * (tests/data, made by make_ktx2.py) give every level's bytes as their formula says, for
 * RGBA8 with mips, BC1/BC3/BC7 blocks, a cube map, an array and zstd supercompression;
 * Basis Universal is refused with DP_ERR_UNSUPPORTED; every hostile variant (level past
 * the end, offset overflow, wrong level size, truncation, huge dimensions, too many levels)
 * and every prefix fails with DP_ERR_FORMAT without a large allocation. */
#include "codec_check.h"
#include "depot/depot.h"
#include "load/ktx2/ktx2.h"

static void texel(uint32_t level, uint32_t layer, uint32_t face, uint32_t x, uint32_t y,
                  unsigned char o[4])
{
    set4(o, (x * 16 + level * 50) & 255, (y * 16 + face * 40) & 255, (layer * 60 + 100) & 255,
         255 - level);
}

static void block(uint32_t level, uint32_t layer, uint32_t face, uint32_t bx, uint32_t by,
                  uint32_t n, unsigned char *o)
{
    uint32_t seed = level * 31 + layer * 17 + face * 7 + bx * 3 + by * 5;
    for (uint32_t i = 0; i < n; i++)
        o[i] = (unsigned char)((seed + i * 13) & 255);
}

static dp_texture *decode_ok(const char *name, dp_test_alloc *ta)
{
    file_bytes fb = read_data(name);
    dp_texture *t = NULL;
    dp_status st = dp__ktx2_decode(&ta->iface, fb.bytes, fb.len, NULL, &t);
    if (st != DP_OK)
        fail_msg("%s: %s", name, dp_status_str(st));
    free(fb.bytes);
    return t;
}

/* Every byte of every level, layer and face against the formulas. */
static void check_levels(const char *name, const dp_texture *t)
{
    for (uint32_t lv = 0; lv < t->levels; lv++) {
        const dp_texture_level *l = &t->level[lv];
        uint32_t bx_n = (l->width + t->block_width - 1) / t->block_width;
        uint32_t by_n = (l->height + t->block_height - 1) / t->block_height;
        assert_int_equal(l->image_bytes, (size_t)bx_n * by_n * t->block_bytes * l->depth);
        assert_int_equal(l->bytes, l->image_bytes * t->layers * t->faces);
        const unsigned char *p = l->data;
        for (uint32_t layer = 0; layer < t->layers; layer++)
            for (uint32_t face = 0; face < t->faces; face++)
                for (uint32_t by = 0; by < by_n; by++)
                    for (uint32_t bx = 0; bx < bx_n; bx++) {
                        unsigned char want[16];
                        if (t->compressed)
                            block(lv, layer, face, bx, by, t->block_bytes, want);
                        else
                            texel(lv, layer, face, bx, by, want);
                        if (memcmp(p, want, t->block_bytes) != 0)
                            fail_msg("%s level %u layer %u face %u block (%u,%u) differs", name,
                                     lv, layer, face, bx, by);
                        p += t->block_bytes;
                    }
    }
}

static void check_file(const char *name, uint32_t vk, uint32_t w, uint32_t h, uint32_t levels,
                       uint32_t layers, uint32_t faces)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_texture *t = decode_ok(name, &ta);

    assert_int_equal(t->vk_format, vk);
    assert_int_equal(t->width, w);
    assert_int_equal(t->height, h);
    assert_int_equal(t->depth, 1);
    assert_int_equal(t->levels, levels);
    assert_int_equal(t->layers, layers);
    assert_int_equal(t->faces, faces);
    check_levels(name, t);
    dp__texture_free(&ta.iface, t);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void check_status(const char *name, dp_status want)
{
    file_bytes fb = read_data(name);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    biggest_alloc ba;
    biggest_init(&ba, &ta);
    dp_texture *t = (dp_texture *)&fb; /* must be overwritten with NULL */

    dp_status st = dp__ktx2_decode(&ba.iface, fb.bytes, fb.len, NULL, &t);

    if (st != want)
        fail_msg("%s: got %s, want %s", name, dp_status_str(st), dp_status_str(want));
    assert_null(t);
    assert_true(ba.biggest < (1u << 20));
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_rgba8_with_mips_gives_every_level(void **state)
{
    check_file("ktx2_rgba8_mips_8x8.ktx2", 37, 8, 8, 4, 1, 1);
}

static void test_bc1_levels_pass_through_as_blocks(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_texture *t = decode_ok("ktx2_bc1_mips_8x8.ktx2", &ta);

    assert_true(t->compressed);
    assert_int_equal(t->block_width, 4);
    assert_int_equal(t->block_bytes, 8);
    /* 8x8 is 2x2 blocks; 4x4, 2x2 and 1x1 are one block each. */
    assert_int_equal(t->level[0].bytes, 32);
    assert_int_equal(t->level[3].bytes, 8);
    assert_int_equal(t->level[3].width, 1);
    check_levels("bc1", t);
    dp__texture_free(&ta.iface, t);
}

static void test_bc1_with_odd_sizes_rounds_up_to_whole_blocks(void **state)
{
    check_file("ktx2_bc1_odd_6x5.ktx2", 131, 6, 5, 3, 1, 1);
}

static void test_bc3_and_bc7_pass_through_as_16_byte_blocks(void **state)
{
    check_file("ktx2_bc3_8x8.ktx2", 137, 8, 8, 1, 1, 1);
    check_file("ktx2_bc7_4x4.ktx2", 145, 4, 4, 1, 1, 1);
}

static void test_cube_map_has_six_faces(void **state)
{
    check_file("ktx2_cube_rgba8_4x4.ktx2", 37, 4, 4, 1, 1, 6);
}

static void test_array_has_its_layers_and_says_so(void **state)
{
    check_file("ktx2_array_rgba8_4x4x3.ktx2", 37, 4, 4, 2, 3, 1);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_texture *t = decode_ok("ktx2_array_rgba8_4x4x3.ktx2", &ta);
    assert_true(t->array);
    dp__texture_free(&ta.iface, t);
}

static void test_zstd_levels_are_inflated(void **state)
{
    check_file("ktx2_zstd_rgba8_mips_8x8.ktx2", 37, 8, 8, 4, 1, 1);
}

static void test_basis_universal_is_refused_as_unsupported(void **state)
{
    check_status("ktx2_basislz.ktx2", DP_ERR_UNSUPPORTED);
    check_status("ktx2_uastc.ktx2", DP_ERR_UNSUPPORTED);
}

static void test_level_past_the_end_fails_with_format(void **state)
{
    check_status("ktx2_level_past_end.ktx2", DP_ERR_FORMAT);
}

static void test_level_offset_that_overflows_fails_with_format(void **state)
{
    check_status("ktx2_level_offset_huge.ktx2", DP_ERR_FORMAT);
}

static void test_level_of_the_wrong_size_fails_with_format(void **state)
{
    check_status("ktx2_level_wrong_size.ktx2", DP_ERR_FORMAT);
}

static void test_truncated_file_fails_with_format(void **state)
{
    check_status("ktx2_truncated.ktx2", DP_ERR_FORMAT);
}

static void test_huge_dimensions_fail_with_format_without_allocating(void **state)
{
    check_status("ktx2_huge_dimensions.ktx2", DP_ERR_FORMAT);
}

static void test_more_levels_than_the_size_allows_fails_with_format(void **state)
{
    check_status("ktx2_too_many_levels.ktx2", DP_ERR_FORMAT);
}

static void test_every_prefix_fails_with_format(void **state)
{
    const char *names[] = {"ktx2_rgba8_mips_8x8.ktx2", "ktx2_zstd_rgba8_mips_8x8.ktx2"};
    for (size_t f = 0; f < 2; f++) {
        file_bytes fb = read_data(names[f]);
        dp_test_alloc ta;
        dp_test_alloc_init(&ta);
        for (size_t n = 0; n < fb.len; n++) {
            dp_texture *t = NULL;
            dp_status st = dp__ktx2_decode(&ta.iface, fb.bytes, n, NULL, &t);
            if (st != DP_ERR_FORMAT)
                fail_msg("%s cut at %zu: %s", names[f], n, dp_status_str(st));
            assert_int_equal(atomic_load(&ta.total), 0);
        }
        free(fb.bytes);
    }
}

static void test_corrupt_zstd_level_fails_with_format_and_frees(void **state)
{
    file_bytes fb = read_data("ktx2_zstd_rgba8_mips_8x8.ktx2");
    /* Level 0's compressed bytes, per its index entry (offset at byte 80). */
    size_t off = 0;
    for (int i = 7; i >= 0; i--)
        off = off << 8 | fb.bytes[80 + i];
    for (size_t i = off + 4; i < off + 12; i++)
        fb.bytes[i] ^= 0x5A;
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_texture *t = NULL;

    assert_int_equal(dp__ktx2_decode(&ta.iface, fb.bytes, fb.len, NULL, &t), DP_ERR_FORMAT);

    assert_null(t);
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_failed_allocation_gives_nomem(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_test_alloc_fail_at(&ta, 1);
    file_bytes fb = read_data("ktx2_rgba8_mips_8x8.ktx2");
    dp_texture *t = NULL;

    assert_int_equal(dp__ktx2_decode(&ta.iface, fb.bytes, fb.len, NULL, &t), DP_ERR_NOMEM);

    assert_null(t);
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_texture_type_loads_by_extension(void **state)
{
    dp_depot *dp = NULL;
    dp_desc d = {.root = DP_TEST_DATA, .workers = 2};
    assert_int_equal(dp_create(&d, &dp), DP_OK);
    dp_handle h, basis;
    assert_int_equal(dp_load(dp, "ktx2_bc1_mips_8x8.ktx2", &h), DP_OK);
    assert_int_equal(dp_load(dp, "ktx2_basislz.ktx2", &basis), DP_OK);

    assert_int_equal(dp_wait(dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_wait(dp, basis, DP_TEST_WAIT_MS), DP_ERR_UNSUPPORTED);

    assert_int_equal(dp_type_of(dp, h), dp_builtins(dp).texture);
    const dp_texture *t = dp_get(dp, h);
    assert_non_null(t);
    assert_int_equal(t->levels, 4);
    dp_release(dp, h);
    dp_release(dp, basis);
    assert_int_equal(dp_destroy(dp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rgba8_with_mips_gives_every_level),
        cmocka_unit_test(test_bc1_levels_pass_through_as_blocks),
        cmocka_unit_test(test_bc1_with_odd_sizes_rounds_up_to_whole_blocks),
        cmocka_unit_test(test_bc3_and_bc7_pass_through_as_16_byte_blocks),
        cmocka_unit_test(test_cube_map_has_six_faces),
        cmocka_unit_test(test_array_has_its_layers_and_says_so),
        cmocka_unit_test(test_zstd_levels_are_inflated),
        cmocka_unit_test(test_basis_universal_is_refused_as_unsupported),
        cmocka_unit_test(test_level_past_the_end_fails_with_format),
        cmocka_unit_test(test_level_offset_that_overflows_fails_with_format),
        cmocka_unit_test(test_level_of_the_wrong_size_fails_with_format),
        cmocka_unit_test(test_truncated_file_fails_with_format),
        cmocka_unit_test(test_huge_dimensions_fail_with_format_without_allocating),
        cmocka_unit_test(test_more_levels_than_the_size_allows_fails_with_format),
        cmocka_unit_test(test_every_prefix_fails_with_format),
        cmocka_unit_test(test_corrupt_zstd_level_fails_with_format_and_frees),
        cmocka_unit_test(test_failed_allocation_gives_nomem),
        cmocka_unit_test(test_texture_type_loads_by_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
