/* requires: vk */
/* test_vk_negative.c — the negative control of the Vulkan tests: the validation layer must
 * catch the mistake that depot's retirement prevents. The same scenarios as test_vk_render.c
 * run with retirement bypassed (vkf.bypass, a test-only switch of the fixture: the frame is
 * reported done to the render layer right after prepare, so a retired texture is destroyed at
 * once while the previous frame's submission, which samples it, was never seen finished by a
 * fence). The layer must report the destroy of an image in use; without this, "zero errors"
 * in the other tests would prove nothing. Each bypassed scenario has a twin run the right way,
 * which must stay silent. */
#include "testutil.h"

#include "vk_fixture.h"

static const unsigned char RED[4] = {200, 10, 10, 255};
static const unsigned char GREEN[4] = {10, 200, 10, 255};

/* A texture sampled by frame 1 is replaced in frame 2. */
static void modify_scenario(vkf *f)
{
    vkf_start(f);
    dp_handle h = vkf_add(f, "tex/a", RED);
    vkf_frame(f, h, RED);
    vkf_replace(f, h, GREEN);
    vkf_frame(f, h, GREEN);
    dp_release(f->dp, h);
}

/* A texture sampled by frame 1 loses its asset (removed, the key re-added) in frame 2. */
static void readd_scenario(vkf *f)
{
    vkf_start(f);
    dp_handle h1 = vkf_add(f, "tex/b", RED);
    vkf_frame(f, h1, RED);
    assert_int_equal(dp_evict(f->dp, h1), DP_OK);
    dp_handle h2 = vkf_add(f, "tex/b", GREEN);
    vkf_frame(f, h2, GREEN);
    dp_release(f->dp, h2);
}

static void assert_in_use_reported(const vkf *f)
{
    printf("# negative control: %d validation error(s): %s\n", f->log.errors, f->log.ids);
    assert_true(f->log.errors > 0);
    assert_non_null(strstr(f->log.ids, "VUID-vkDestroyImage-image-01000"));
}

static void test_bypassed_retirement_of_a_modified_texture_is_reported_in_use(void **state)
{
    vkf *f = *state;
    f->bypass = true;
    f->expect_messages = true;
    modify_scenario(f);
    assert_in_use_reported(f);
}

static void test_bypassed_retirement_of_a_removed_texture_is_reported_in_use(void **state)
{
    vkf *f = *state;
    f->bypass = true;
    f->expect_messages = true;
    readd_scenario(f);
    assert_in_use_reported(f);
}

static void test_modify_scenario_with_retirement_is_silent(void **state)
{
    vkf *f = *state;
    modify_scenario(f);
    vkf_drain(f);
    assert_int_equal(f->checked, 2);
    assert_int_equal(f->log.errors, 0);
}

static void test_readd_scenario_with_retirement_is_silent(void **state)
{
    vkf *f = *state;
    readd_scenario(f);
    vkf_drain(f);
    assert_int_equal(f->checked, 2);
    assert_int_equal(f->log.errors, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        VKF_TEST(test_bypassed_retirement_of_a_modified_texture_is_reported_in_use),
        VKF_TEST(test_bypassed_retirement_of_a_removed_texture_is_reported_in_use),
        VKF_TEST(test_modify_scenario_with_retirement_is_silent),
        VKF_TEST(test_readd_scenario_with_retirement_is_silent),
    };
    return VKF_RUN(tests);
}
