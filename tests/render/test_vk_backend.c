/* requires: vk */
/* test_vk_backend.c — depot's Vulkan backend on its own terms (lavapipe, validation layer on,
 * any warning or error fails the test): frame completion follows the GPU, not the CPU; the
 * staging limit spreads uploads over frames; images the device cannot hold get no resource;
 * bad arguments get status codes; every failed CPU allocation leaves nothing behind.
 * Exit 77 only when there is no Vulkan device. */
#include "testutil.h"

#include "vk_fixture.h"

static const unsigned char RED[4] = {200, 10, 10, 255};
static const unsigned char GREEN[4] = {10, 200, 10, 255};
static const unsigned char BLUE[4] = {10, 10, 200, 255};

static void test_frame_held_on_the_gpu_is_not_reported_done(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    dp_handle h = vkf_add(f, "tex/a", RED);
    vkf_begin(f);
    int slot = vkf_submit(f, h, RED, true);
    assert_int_equal(dp_vk_frames_completed(f->vk, VKF_SECOND / 100), 0);
    assert_int_equal(dp_vk_wait_idle(f->vk, VKF_SECOND / 100), DP_ERR_TIMEOUT);
    dp_vk_stats vs;
    dp_vk_get_stats(f->vk, &vs);
    assert_true(vs.pending_submissions >= 1); /* frame 1 (its upload may have finished) */
    vkf_open_gate(f, slot);
    uint64_t done = 0;
    for (int i = 0; i < 600 && done < 1; i++)
        done = dp_vk_frames_completed(f->vk, VKF_SECOND);
    assert_int_equal(done, 1);
    dp_vk_get_stats(f->vk, &vs);
    assert_int_equal(vs.pending_submissions, 0);
    dp_release(f->dp, h);
}

static void test_staging_limit_spreads_uploads_over_frames(void **state)
{
    vkf *f = *state;
    f->staging_bytes = 64; /* one 4 x 4 RGBA8 image */
    vkf_start(f);
    dp_handle h[3] = {vkf_add(f, "tex/1", RED), vkf_add(f, "tex/2", GREEN),
                      vkf_add(f, "tex/3", BLUE)};
    const unsigned char *c[3] = {RED, GREEN, BLUE};
    for (int i = 0; i < 3; i++) {
        vkf_begin(f);
        dp_render_stats s = vkf_stats(f);
        assert_int_equal(s.created, (size_t)i + 1);
        assert_int_equal(s.waiting, (size_t)(2 - i));
        vkf_submit(f, h[i], c[i], false);
        vkf_drain(f); /* the upload finishes: its staging is free for the next */
    }
    assert_int_equal(f->checked, 3);
    for (int i = 0; i < 3; i++)
        dp_release(f->dp, h[i]);
}

static void test_image_larger_than_the_device_allows_gets_no_resource(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(dp_vk_headless_host(f->hl).physical_device, &props);
    uint32_t too_wide = props.limits.maxImageDimension2D + 1;
    dp_image *img = vkf_image(too_wide, 1, RED);
    dp_handle h;
    assert_int_equal(dp_add(f->dp, f->type, img, sizeof *img + (size_t)too_wide * 4, NULL, &h),
                     DP_OK);
    vkf_frame(f, DP_NULL_HANDLE, (const unsigned char[4]){0, 0, 0, 0});
    assert_null(dp_render_get(f->r, h));
    dp_render_stats s = vkf_stats(f);
    assert_int_equal(s.created, 0);
    assert_int_equal(s.waiting, 0);
    dp_release(f->dp, h);
}

static void test_bad_arguments_get_status_codes(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    dp_vk *none = (dp_vk *)1;
    assert_int_equal(dp_vk_create(NULL, &none), DP_ERR_INVALID);
    assert_null(none);
    dp_vk_desc empty = {0};
    assert_int_equal(dp_vk_create(&empty, &none), DP_ERR_INVALID);
    VkFence fence;
    assert_int_equal(dp_vk_frame_fence(f->vk, 0, &fence), DP_ERR_INVALID);
    assert_int_equal(dp_vk_frame_fence(NULL, 1, &fence), DP_ERR_INVALID);
    assert_int_equal(dp_vk_frame_fence(f->vk, 1, NULL), DP_ERR_INVALID);
    vkf_frame(f, DP_NULL_HANDLE, (const unsigned char[4]){0, 0, 0, 0});
    assert_int_equal(dp_vk_frame_fence(f->vk, 1, &fence), DP_ERR_INVALID); /* not after 1 */
    assert_ptr_equal(fence, VK_NULL_HANDLE);
    assert_int_equal(dp_vk_submit_uploads(NULL), DP_ERR_INVALID);
    assert_int_equal(dp_vk_frames_completed(NULL, 0), 0);
    assert_ptr_equal(dp_vk_texture_view(NULL), VK_NULL_HANDLE);
    dp_vk_destroy(NULL);
}

/* The backend's create with the Nth CPU allocation failing, for every N until it succeeds:
 * each failure returns DP_ERR_NOMEM and leaves no Vulkan object (the layer's leak check at
 * device destruction) and no allocation (the counting allocator) behind. */
static void test_create_survives_every_failed_allocation(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    dp_render_backend be = dp_vk_backend(f->vk);
    dp_image *img = vkf_image(4, 4, GREEN);
    void *gpu = NULL;
    size_t bytes = 0;
    dp_status st = DP_ERR_NOMEM;
    long n;
    for (n = 1; n < 100 && st == DP_ERR_NOMEM; n++) {
        dp_test_alloc_fail_at(&f->ta, n);
        st = be.create(be.user, f->type, img, &gpu, &bytes);
        dp_test_alloc_fail_at(&f->ta, 0);
        if (st == DP_ERR_NOMEM)
            assert_null(gpu);
    }
    assert_int_equal(st, DP_OK);
    assert_true(n > 2); /* at least one allocation was made to fail */
    assert_int_equal(dp_vk_submit_uploads(f->vk), DP_OK);
    assert_int_equal(dp_vk_wait_idle(f->vk, 60 * VKF_SECOND), DP_OK);
    be.destroy(be.user, f->type, gpu);
    free(img);
}

static void mips_destroy(void *asset, void *user)
{
    (void)user;
    dp_image_mips *m = asset;
    for (uint32_t l = 0; l < m->levels; l++)
        free(m->level[l]);
    free(m);
}

/* A 4 x 4 image with its full chain, level l filled with colour c[l]. */
static dp_image_mips *mips_image(const unsigned char *const c[3])
{
    dp_image_mips *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->image.width = m->image.height = 4;
    m->levels = 3;
    for (uint32_t l = 0; l < 3; l++) {
        size_t px = (size_t)(4 >> l) * (4 >> l);
        m->level[l] = malloc(px * 4);
        assert_non_null(m->level[l]);
        for (size_t i = 0; i < px; i++)
            memcpy(&m->level[l][i * 4], c[l], 4);
    }
    m->image.pixels = m->level[0];
    return m;
}

static void test_every_mip_level_of_an_image_mips_asset_is_uploaded(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    dp_type_id mips_type;
    dp_type t = {.name = "vk_test_image_mips", .destroy = mips_destroy};
    assert_int_equal(dp_register_type(f->dp, &t, &mips_type), DP_OK);
    dp_vk_set_mips_type(f->vk, mips_type);
    const unsigned char *c[3] = {RED, GREEN, BLUE};
    dp_handle h;
    assert_int_equal(dp_add(f->dp, mips_type, mips_image(c), 4 * 4 * 4 + 2 * 2 * 4 + 4, NULL,
                            &h),
                     DP_OK);
    for (int l = 0; l < 3; l++) {
        f->draw.lod = l; /* this frame samples level l only */
        vkf_frame(f, h, c[l]);
        vkf_drain(f);
    }
    assert_int_equal(f->checked, 3);
    dp_release(f->dp, h);
}

/* A BC1 texture (8 x 8, three levels) whose blocks are one flat colour per level: color0 ==
 * color1 and every index 0, so every texel of level l is exactly that level's colour, opaque
 * (RGB565 0xF800, 0x07E0 and 0x001F expand to 255,0,0 / 0,255,0 / 0,0,255). */
static const unsigned char BC_RED[4] = {255, 0, 0, 255};
static const unsigned char BC_GREEN[4] = {0, 255, 0, 255};
static const unsigned char BC_BLUE[4] = {0, 0, 255, 255};

static void texture_destroy(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static dp_texture *bc1_texture(uint32_t layers)
{
    static const uint16_t colour[3] = {0xF800, 0x07E0, 0x001F};
    static const size_t blocks[3] = {4, 1, 1};
    dp_texture *t = calloc(1, sizeof *t + 6 * 8);
    assert_non_null(t);
    unsigned char *b = (unsigned char *)(t + 1);
    *t = (dp_texture){.vk_format = VK_FORMAT_BC1_RGBA_UNORM_BLOCK, .width = 8, .height = 8,
                      .depth = 1, .layers = layers, .faces = 1, .levels = 3, .block_width = 4,
                      .block_height = 4, .block_bytes = 8, .compressed = true};
    for (int l = 0; l < 3; l++) {
        t->level[l] = (dp_texture_level){.width = 8u >> l, .height = 8u >> l, .depth = 1,
                                         .bytes = blocks[l] * 8, .image_bytes = blocks[l] * 8,
                                         .data = b};
        for (size_t k = 0; k < blocks[l]; k++, b += 8) {
            b[0] = b[2] = (unsigned char)(colour[l] & 0xFF);
            b[1] = b[3] = (unsigned char)(colour[l] >> 8);
            b[4] = b[5] = b[6] = b[7] = 0;
        }
    }
    return t;
}

static bool bc1_sampleable(vkf *f)
{
    VkFormatProperties fp;
    vkGetPhysicalDeviceFormatProperties(dp_vk_headless_host(f->hl).physical_device,
                                        VK_FORMAT_BC1_RGBA_UNORM_BLOCK, &fp);
    return (fp.optimalTilingFeatures & VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT) != 0;
}

static void test_bc1_texture_is_uploaded_as_blocks_with_every_level(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    if (!bc1_sampleable(f))
        skip(); /* lavapipe samples BC1; a device that cannot gets no resource (next test) */
    dp_type_id tex_type;
    dp_type t = {.name = "vk_test_texture", .destroy = texture_destroy};
    assert_int_equal(dp_register_type(f->dp, &t, &tex_type), DP_OK);
    dp_vk_set_texture_type(f->vk, tex_type);
    dp_handle h;
    assert_int_equal(dp_add(f->dp, tex_type, bc1_texture(1), sizeof(dp_texture) + 48, NULL, &h),
                     DP_OK);
    const unsigned char *c[3] = {BC_RED, BC_GREEN, BC_BLUE};
    for (int l = 0; l < 3; l++) {
        f->draw.lod = l; /* this frame samples level l only */
        vkf_frame(f, h, c[l]);
        vkf_drain(f);
    }
    assert_int_equal(f->checked, 3);
    assert_int_equal(dp_vk_texture_format(dp_render_get(f->r, h)),
                     VK_FORMAT_BC1_RGBA_UNORM_BLOCK);
    dp_release(f->dp, h);
}

static void test_texture_array_gets_no_resource(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    dp_type_id tex_type;
    dp_type t = {.name = "vk_test_texture", .destroy = texture_destroy};
    assert_int_equal(dp_register_type(f->dp, &t, &tex_type), DP_OK);
    dp_vk_set_texture_type(f->vk, tex_type);
    dp_handle h;
    assert_int_equal(dp_add(f->dp, tex_type, bc1_texture(2), sizeof(dp_texture) + 48, NULL, &h),
                     DP_OK);
    vkf_frame(f, DP_NULL_HANDLE, (const unsigned char[4]){0, 0, 0, 0});
    assert_null(dp_render_get(f->r, h));
    assert_int_equal(vkf_stats(f).created, 0);
    dp_release(f->dp, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        VKF_TEST(test_frame_held_on_the_gpu_is_not_reported_done),
        VKF_TEST(test_staging_limit_spreads_uploads_over_frames),
        VKF_TEST(test_image_larger_than_the_device_allows_gets_no_resource),
        VKF_TEST(test_bad_arguments_get_status_codes),
        VKF_TEST(test_create_survives_every_failed_allocation),
        VKF_TEST(test_every_mip_level_of_an_image_mips_asset_is_uploaded),
        VKF_TEST(test_bc1_texture_is_uploaded_as_blocks_with_every_level),
        VKF_TEST(test_texture_array_gets_no_resource),
    };
    return VKF_RUN(tests);
}
