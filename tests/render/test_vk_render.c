/* requires: vk */
/* test_vk_render.c — the Bevy #18808/#18845 scenarios on real Vulkan objects (lavapipe),
 * under VK_LAYER_KHRONOS_validation with synchronization validation: every test fails on any
 * validation warning or error, including the layer's object-in-use checks (an image, view or
 * memory destroyed while a pending submission uses it) and its leak check when the device is
 * destroyed. Each frame draws a quad sampling the texture the render layer hands out and the
 * read-back of its centre pixel must be that frame's colour: no frame samples a replaced
 * image's stale contents. The negative control (test_vk_negative.c) proves the layer catches
 * the mistake these tests avoid. Exit 77 only when there is no Vulkan device. */
#include "testutil.h"

#include "vk_fixture.h"

static const unsigned char RED[4] = {200, 10, 10, 255};
static const unsigned char GREEN[4] = {10, 200, 10, 255};
static const unsigned char BLUE[4] = {10, 10, 200, 255};
static const unsigned char WHITE[4] = {250, 250, 250, 255};
static const unsigned char CLEAR[4] = {0, 0, 0, 0};

static void colour(int i, unsigned char c[4])
{
    c[0] = (unsigned char)(20 * i + 5);
    c[1] = (unsigned char)(250 - 25 * i);
    c[2] = (unsigned char)(60 + 11 * i);
    c[3] = 255;
}

static void test_remove_and_readd_same_key_between_frames_samples_the_new_texture(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    dp_handle h1 = vkf_add(f, "tex/a", RED);
    vkf_frame(f, h1, RED);
    void *old = dp_render_get(f->r, h1);

    assert_int_equal(dp_evict(f->dp, h1), DP_OK);
    dp_handle h2 = vkf_add(f, "tex/a", BLUE);
    assert_int_not_equal(h1.bits, h2.bits);
    vkf_frame(f, h2, BLUE);

    assert_null(dp_render_get(f->r, h1));
    assert_ptr_not_equal(dp_render_get(f->r, h2), old);
    dp_render_stats s = vkf_drain_expect(f, 2, 1); /* the old texture: once, after its frames */
    assert_int_equal(s.live, 1);
    assert_int_equal(f->checked, 2);
    dp_release(f->dp, h2);
}

static void test_modify_twice_in_one_frame_creates_once_and_samples_the_latest(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    dp_handle h = vkf_add(f, "tex/b", RED);
    vkf_frame(f, h, RED);
    vkf_replace(f, h, GREEN);
    vkf_replace(f, h, BLUE);
    vkf_frame(f, h, BLUE);
    vkf_frame(f, h, BLUE);
    vkf_drain_expect(f, 2, 1);
    assert_int_equal(f->checked, 3);
    dp_release(f->dp, h);
}

static void test_modify_then_free_in_one_frame_retires_without_creating(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    dp_handle keep = vkf_add(f, "tex/keep", WHITE);
    dp_handle h = vkf_add(f, "tex/c", RED);
    vkf_frame(f, h, RED);
    vkf_replace(f, h, GREEN);
    dp_release(f->dp, h);
    vkf_frame(f, keep, WHITE);
    assert_null(dp_render_get(f->r, h));
    dp_render_stats s = vkf_drain_expect(f, 2, 1); /* white and red; green never reached the GPU */
    assert_int_equal(s.retired, 0);
    dp_release(f->dp, keep);
}

static void test_free_while_upload_in_flight_destroys_after_the_gpu_finished(void **state)
{
    vkf *f = *state;
    f->rd.frames_in_flight = 3;
    vkf_start(f);
    dp_handle keep = vkf_add(f, "tex/keep", WHITE);
    vkf_begin(f);
    int held = vkf_submit(f, keep, WHITE, true); /* the queue stops here until the gate opens */

    dp_handle h = vkf_add(f, "tex/d", RED);
    vkf_frame(f, h, RED); /* h's upload is submitted behind the held frame */
    dp_release(f->dp, h);
    vkf_frame(f, keep, WHITE); /* h's texture retires while its upload is still queued */

    dp_vk_stats vs;
    dp_vk_get_stats(f->vk, &vs);
    assert_true(vs.staging_bytes > 0);
    assert_int_equal(dp_vk_frames_completed(f->vk, 0), 0);
    dp_render_stats s = vkf_stats(f);
    assert_int_equal(s.retired, 1);
    assert_int_equal(s.destroyed, 0);

    vkf_open_gate(f, held);
    vkf_drain(f);
    s = vkf_stats(f);
    assert_int_equal(s.destroyed, 1);
    assert_int_equal(s.retired, 0);
    dp_vk_get_stats(f->vk, &vs);
    assert_int_equal(vs.staging_bytes, 0);
    assert_int_equal(f->checked, 3);
    dp_release(f->dp, keep);
}

/* Every frame replaces the texture and samples it: frame i must show colour i. */
static void modify_every_frame(vkf *f, int fif)
{
    f->rd.frames_in_flight = fif;
    vkf_start(f);
    unsigned char c[4];
    colour(0, c);
    dp_handle h = vkf_add(f, "tex/e", c);
    for (int i = 0; i < 8; i++) {
        if (i > 0) {
            colour(i, c);
            vkf_replace(f, h, c);
        }
        vkf_frame(f, h, c);
        dp_render_stats s = vkf_stats(f);
        assert_true(s.retired <= (size_t)fif + 1);
    }
    vkf_drain_expect(f, 8, 7);
    assert_int_equal(f->checked, 8);
    dp_release(f->dp, h);
}

static void test_one_frame_in_flight_samples_each_version(void **state)
{
    modify_every_frame(*state, 1);
}

static void test_two_frames_in_flight_sample_each_version(void **state)
{
    modify_every_frame(*state, 2);
}

static void test_three_frames_in_flight_sample_each_version(void **state)
{
    modify_every_frame(*state, 3);
}

static void drop_to_stub(void *user, dp_depot *dp, dp_handle h, dp_type_id type,
                         const void *asset)
{
    (void)type;
    int *calls = user;
    const dp_image *img = asset;
    dp_image *stub = malloc(sizeof *stub);
    assert_non_null(stub);
    *stub = (dp_image){.width = img->width, .height = img->height, .pixels = NULL};
    assert_int_equal(dp_replace(dp, h, stub, sizeof *stub), DP_OK);
    (*calls)++;
}

static void test_render_only_asset_keeps_its_texture_after_cpu_data_dropped(void **state)
{
    vkf *f = *state;
    int calls = 0;
    f->rd.drop_cpu = drop_to_stub;
    f->rd.drop_cpu_user = &calls;
    vkf_start(f);
    dp_handle h = vkf_add(f, "tex/f", RED);
    vkf_frame(f, h, RED);
    void *gpu = dp_render_get(f->r, h);
    assert_null(((const dp_image *)dp_get(f->dp, h))->pixels);
    for (int i = 0; i < 4; i++) {
        vkf_frame(f, h, RED); /* the stub swap is not a removal: same texture, same pixels */
        assert_ptr_equal(dp_render_get(f->r, h), gpu);
    }
    vkf_replace(f, h, GREEN); /* a real change still gets a new texture */
    vkf_frame(f, h, GREEN);
    vkf_drain_expect(f, 2, 1);
    assert_int_equal(calls, 2);
    dp_release(f->dp, h);
}

static void test_frame_without_texture_reads_the_clear_colour(void **state)
{
    vkf *f = *state;
    vkf_start(f);
    vkf_frame(f, DP_NULL_HANDLE, CLEAR);
    vkf_drain(f);
    assert_int_equal(f->checked, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        VKF_TEST(test_remove_and_readd_same_key_between_frames_samples_the_new_texture),
        VKF_TEST(test_modify_twice_in_one_frame_creates_once_and_samples_the_latest),
        VKF_TEST(test_modify_then_free_in_one_frame_retires_without_creating),
        VKF_TEST(test_free_while_upload_in_flight_destroys_after_the_gpu_finished),
        VKF_TEST(test_one_frame_in_flight_samples_each_version),
        VKF_TEST(test_two_frames_in_flight_sample_each_version),
        VKF_TEST(test_three_frames_in_flight_sample_each_version),
        VKF_TEST(test_render_only_asset_keeps_its_texture_after_cpu_data_dropped),
        VKF_TEST(test_frame_without_texture_reads_the_clear_colour),
    };
    return VKF_RUN(tests);
}
