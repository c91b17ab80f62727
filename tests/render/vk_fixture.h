/* vk_fixture.h — the fixture of the Vulkan tests: a headless lavapipe device with
 * VK_LAYER_KHRONOS_validation (synchronization validation included) whose debug messenger
 * counts every warning and error, depot's Vulkan backend in it, a depot with an RGBA8 image
 * type, the render layer, and a frame loop that draws one texture per frame and checks the
 * read-back pixel once the frame's fence has signalled.
 *
 * Every test ends with the device destroyed (the layer reports objects still alive there) and
 * then asserts that the layer said nothing, unless the test expects it to (the negative
 * control). main() of each test file calls vkf_probe first: no Vulkan device means exit 77
 * with the reason; a device without the validation layer is a failure, not a skip.
 *
 * The negative control sets `bypass`: dp_render_frame_done(frame) is then called right after
 * prepare, as if the GPU had finished every frame, which is exactly the mistake the render
 * layer exists to prevent. Before it does so it waits, through each slot's `done` event,
 * until the GPU really finished, so that lavapipe never reads freed memory; the validation
 * layer, which learns of completion only through fences and waits, still sees the destroyed
 * objects as in use.
 */
#ifndef DP_TEST_VK_FIXTURE_H
#define DP_TEST_VK_FIXTURE_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/load.h"
#include "depot/render_vk.h"
#include "vk_draw.h"

#define VKF_SECOND 1000000000ull

typedef struct vkf_log {
    int errors, warnings;
    char ids[4096]; /* the message ids seen, space-separated */
} vkf_log;

typedef struct vkf {
    dp_test_alloc ta;
    vkf_log log;
    bool expect_messages; /* the negative control: the layer must speak */
    dp_vk_headless *hl;
    dp_vk *vk;
    vkd draw;
    dp_depot *dp;
    dp_type_id type;
    dp_render_desc rd; /* set fields before vkf_start */
    size_t staging_bytes;
    dp_render *r;
    uint64_t frame;
    bool bypass;
    bool pending[VKD_SLOTS];
    uint64_t slot_frame[VKD_SLOTS];
    unsigned char expect[VKD_SLOTS][4];
    int checked; /* read-backs compared */
} vkf;

static char vkf_why[256];
static int vkf_probe_status; /* what vkf_probe returned last */

static inline void vkf_on_message(void *user, int severity, const char *id, const char *text)
{
    vkf_log *log = user;
    bool error = severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    if (error)
        log->errors++;
    else
        log->warnings++;
    size_t n = strlen(log->ids);
    snprintf(log->ids + n, sizeof log->ids - n, "%s ", id);
    printf("# validation %s [%s]: %s\n", error ? "ERROR" : "WARNING", id, text);
}

/* Keeps the validation layer and the driver loaded until exit (the Vulkan loader unloads
 * them at vkDestroyInstance), so that sanitizer reports can name them. */
static inline void vkf_pin_libraries(void)
{
    const char *libs[] = {"libVkLayer_khronos_validation.so", "libvulkan_lvp.so"};
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
        (void)dlopen(libs[i], RTLD_NOW | RTLD_NODELETE);
}

/* LeakSanitizer reads this at exit. VK_LAYER_KHRONOS_validation 1.3.239 leaks its own
 * state objects (operator new inside the layer, about 180 KB per test program); only
 * allocations whose stack passes through the layer's library are excused. Leaks of depot,
 * of the tests and of the driver are still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libVkLayer_khronos_validation.so\n";
}

/* Exit code for main(): 0 to run the tests, 77 (skip) when there is no Vulkan device. */
static inline int vkf_probe(void)
{
    vkf_pin_libraries();
    vkf_log log = {0};
    dp_vk_headless_desc d = {.validation = true, .on_message = vkf_on_message, .user = &log};
    dp_vk_headless *hl = NULL;
    dp_status st = dp_vk_headless_create(&d, &hl, vkf_why, sizeof vkf_why);
    if (st == DP_ERR_NOT_FOUND) {
        printf("# SKIP: no Vulkan device: %s\n", vkf_why);
        return vkf_probe_status = 77;
    }
    if (st != DP_OK) {
        printf("# FAIL: %s (%s)\n", vkf_why, dp_status_str(st));
        return vkf_probe_status = 1;
    }
    printf("# Vulkan device: %s, validation layer on\n", dp_vk_headless_device_name(hl));
    dp_vk_headless_destroy(hl);
    vkf_probe_status = log.errors + log.warnings ? 1 : 0;
    return vkf_probe_status;
}

static inline void vkf_image_destroy(void *asset, void *user)
{
    (void)user;
    free(asset); /* the image and its pixels are one block (see vkf_image) */
}

/* A w x h image of one colour, pixels in the same block. */
static inline dp_image *vkf_image(uint32_t w, uint32_t h, const unsigned char rgba[4])
{
    dp_image *img = malloc(sizeof *img + (size_t)w * h * 4);
    assert_non_null(img);
    img->width = w;
    img->height = h;
    img->pixels = (unsigned char *)(img + 1);
    for (size_t i = 0; i < (size_t)w * h; i++)
        memcpy(&img->pixels[i * 4], rgba, 4);
    return img;
}

static inline int vkf_setup(void **state)
{
    vkf *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    dp_test_alloc_init(&f->ta);
    dp_vk_headless_desc hd = {.validation = true, .sync_validation = true,
                              .on_message = vkf_on_message, .user = &f->log,
                              .allocator = &f->ta.iface};
    assert_int_equal(dp_vk_headless_create(&hd, &f->hl, vkf_why, sizeof vkf_why), DP_OK);
    vkd_init(&f->draw, dp_vk_headless_host(f->hl));
    dp_desc d = {.allocator = &f->ta.iface, .workers = 1};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    dp_type t = {.name = "vk_test_image", .destroy = vkf_image_destroy};
    assert_int_equal(dp_register_type(f->dp, &t, &f->type), DP_OK);
    return 0;
}

/* Creates the backend and the render layer with f->rd and f->staging_bytes. */
static inline void vkf_start(vkf *f)
{
    dp_vk_desc vd = {.host = dp_vk_headless_host(f->hl), .allocator = &f->ta.iface,
                     .staging_bytes = f->staging_bytes};
    assert_int_equal(dp_vk_create(&vd, &f->vk), DP_OK);
    dp_vk_set_types(f->vk, f->type, 0);
    f->rd.backend = dp_vk_backend(f->vk);
    assert_int_equal(dp_render_create(f->dp, &f->rd, &f->r), DP_OK);
}

/* Compares the read-backs of every frame the GPU finished, then tells the render layer. */
static inline uint64_t vkf_collect(vkf *f, uint64_t timeout_ns)
{
    uint64_t done = dp_vk_frames_completed(f->vk, timeout_ns);
    for (int i = 0; i < VKD_SLOTS; i++) {
        if (!f->pending[i] || f->slot_frame[i] > done)
            continue;
        unsigned char px[4];
        vkd_centre(&f->draw, i, px);
        if (memcmp(px, f->expect[i], 4) != 0)
            fail_msg("frame %llu sampled %u,%u,%u,%u, expected %u,%u,%u,%u",
                     (unsigned long long)f->slot_frame[i], px[0], px[1], px[2], px[3],
                     f->expect[i][0], f->expect[i][1], f->expect[i][2], f->expect[i][3]);
        f->pending[i] = false;
        f->checked++;
    }
    if (done && !f->bypass)
        assert_int_equal(dp_render_frame_done(f->r, done), DP_OK);
    return done;
}

/* update, then sync of the next frame (waiting for the GPU while frames_in_flight frames
 * are unfinished), then prepare. */
static inline void vkf_begin(vkf *f)
{
    assert_int_equal(dp_update(f->dp), DP_OK);
    f->frame++;
    dp_status st;
    if (!f->bypass) /* the bypass must not poll: a seen fence would tell the layer */
        vkf_collect(f, 0);
    while ((st = dp_render_sync(f->r, f->frame)) == DP_ERR_OVERFLOW)
        vkf_collect(f, VKF_SECOND);
    assert_int_equal(st, DP_OK);
    assert_int_equal(dp_render_prepare(f->r), DP_OK);
    if (f->bypass) {
        /* NEGATIVE CONTROL: retirement bypassed. The GPU really is done (so lavapipe reads
         * no freed memory), but no fence said so. */
        for (int i = 0; i < VKD_SLOTS; i++)
            if (f->pending[i])
                assert_true(vkd_wait_done_quietly(&f->draw, i, 100000000L));
        assert_int_equal(dp_render_frame_done(f->r, f->frame), DP_OK);
    }
}

/* Records and submits this frame: a quad sampling h's texture (NULL handle: clear only),
 * whose centre pixel must read `rgba`; `gated` holds the frame until vkf_open_gate. */
static inline int vkf_submit(vkf *f, dp_handle h, const unsigned char rgba[4], bool gated)
{
    int slot = (int)(f->frame % VKD_SLOTS);
    assert_false(f->pending[slot]);
    VkImageView view = VK_NULL_HANDLE;
    if (h.bits) {
        void *gpu = dp_render_get(f->r, h);
        assert_non_null(gpu);
        view = dp_vk_texture_view(gpu);
    }
    vkd_record(&f->draw, slot, view, gated);
    VkFence fence;
    assert_int_equal(dp_vk_frame_fence(f->vk, f->frame, &fence), DP_OK);
    vkd_submit(&f->draw, slot, fence);
    f->pending[slot] = true;
    f->slot_frame[slot] = f->frame;
    memcpy(f->expect[slot], rgba, 4);
    return slot;
}

static inline void vkf_frame(vkf *f, dp_handle h, const unsigned char rgba[4])
{
    vkf_begin(f);
    vkf_submit(f, h, rgba, false);
}

static inline void vkf_open_gate(vkf *f, int slot)
{
    assert_int_equal(vkSetEvent(f->draw.host.device, f->draw.slot[slot].gate), VK_SUCCESS);
}

/* Waits for every submitted frame and checks its read-back. */
static inline void vkf_drain(vkf *f)
{
    for (int tries = 0; tries < 600 && vkf_collect(f, VKF_SECOND) < f->frame; tries++) {
    }
    assert_int_equal(dp_vk_wait_idle(f->vk, 60 * VKF_SECOND), DP_OK);
    vkf_collect(f, 0);
}

static inline dp_render_stats vkf_stats(const vkf *f)
{
    dp_render_stats s;
    dp_render_get_stats(f->r, 0, &s);
    return s;
}

/* Drains, then checks the render layer's totals of creates and destroys. */
static inline dp_render_stats vkf_drain_expect(vkf *f, size_t created, size_t destroyed)
{
    vkf_drain(f);
    dp_render_stats s = vkf_stats(f);
    assert_int_equal(s.created, created);
    assert_int_equal(s.destroyed, destroyed);
    return s;
}

static inline dp_handle vkf_add(vkf *f, const char *key, const unsigned char rgba[4])
{
    dp_image *img = vkf_image(4, 4, rgba);
    dp_handle h;
    assert_int_equal(dp_add(f->dp, f->type, img, sizeof *img + 64, key, &h), DP_OK);
    return h;
}

static inline void vkf_replace(vkf *f, dp_handle h, const unsigned char rgba[4])
{
    dp_image *img = vkf_image(4, 4, rgba);
    assert_int_equal(dp_replace(f->dp, h, img, sizeof *img + 64), DP_OK);
}

static inline int vkf_teardown(void **state)
{
    vkf *f = *state;
    for (int i = 0; i < VKD_SLOTS && f->draw.host.device; i++)
        vkf_open_gate(f, i); /* a failed test may have left a frame held */
    if (f->vk && !f->bypass)
        vkf_drain(f);
    VkDevice dev = dp_vk_headless_host(f->hl).device;
    vkDeviceWaitIdle(dev);
    dp_render_destroy(f->r);
    dp_vk_destroy(f->vk);
    vkd_free(&f->draw);
    dp_destroy(f->dp);
    dp_vk_headless_destroy(f->hl); /* the layer's leak check of the device runs here */
    if (!f->expect_messages) {
        assert_int_equal(f->log.errors, 0);
        assert_int_equal(f->log.warnings, 0);
    }
    assert_int_equal(atomic_load(&f->ta.live), 0);
    free(f);
    return 0;
}

/* One Vulkan test: a fresh device, depot and render layer around it. */
#define VKF_TEST(fn) cmocka_unit_test_setup_teardown(fn, vkf_setup, vkf_teardown)

/* main() of a Vulkan test program: the probe (exit 77 without a device), then the tests. */
#define VKF_RUN(tests) (vkf_probe() ? vkf_probe_status : cmocka_run_group_tests(tests, NULL, NULL))

#endif
