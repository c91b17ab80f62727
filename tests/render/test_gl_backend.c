/* requires: gl */
/* test_gl_backend.c — the OpenGL 3.3 backend on the real driver (Mesa llvmpipe here), one
 * behaviour per test. Skipped, with the reason printed, only when no EGL device or GL 3.3
 * context exists (dp_gl_create says DP_ERR_NOT_FOUND). */
#define GL_GLEXT_PROTOTYPES 1
#include "testutil.h"

#include <EGL/egl.h>
#include <GL/gl.h>
#include <GL/glext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/load.h"
#include "depot/render_gl.h"
#include "gl_draw.h"

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct fixture {
    dp_test_alloc ta;
    dp_gl *gl;
    dp_render_backend be;
} fixture;

enum { IMAGE_TYPE = 5, PAGE_TYPE = 9, FB = 64 };

/* Four distinct colours, rows top to bottom: red green / blue white-ish. */
static const unsigned char quad_pixels[2 * 2 * 4] = {
    255, 0, 0, 255, /**/ 0, 255, 0, 255,
    0, 0, 255, 255, /**/ 250, 240, 10, 255,
};

static bool gl_available;
static char gl_why[256];

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    if (gl_available) {
        assert_int_equal(dp_gl_create(&f->ta.iface, &f->gl), DP_OK);
        dp_gl_set_types(f->gl, IMAGE_TYPE, PAGE_TYPE);
        f->be = dp_gl_backend(f->gl);
    }
    *state = f;
    return 0;
}

/* Destroys the backend and proves that nothing depot allocated survives. */
static int teardown(void **state)
{
    fixture *f = *state;
    dp_gl_destroy(f->gl);
    assert_int_equal(atomic_load(&f->ta.live), 0);
    assert_int_equal(atomic_load(&f->ta.live_bytes), 0);
    free(f);
    return 0;
}

static fixture *need_gl(void **state)
{
    fixture *f = *state;
    if (!f->gl) {
        printf("# SKIP: no EGL device / OpenGL 3.3 context: %s\n", gl_why);
        skip();
    }
    return f;
}

static void *make_texture(fixture *f, dp_type_id type, const dp_image *img)
{
    void *gpu = NULL;
    size_t bytes = 0;
    assert_int_equal(f->be.create(f->be.user, type, img, &gpu, &bytes), DP_OK);
    assert_non_null(gpu);
    assert_int_equal(bytes, (size_t)img->width * img->height * 4);
    return gpu;
}

/* ---- context ----------------------------------------------------------------------------------- */

static void test_context_is_gl33_core_and_names_its_renderer(void **state)
{
    fixture *f = need_gl(state);
    const char *r = dp_gl_renderer(f->gl);
    printf("# GL_RENDERER: %s\n# GL_VERSION: %s\n", r, (const char *)glGetString(GL_VERSION));
    assert_true(strlen(r) > 0);
    GLint major = 0, minor = 0, mask = 0;
    glGetIntegerv(GL_MAJOR_VERSION, &major);
    glGetIntegerv(GL_MINOR_VERSION, &minor);
    glGetIntegerv(GL_CONTEXT_PROFILE_MASK, &mask);
    assert_true(major * 10 + minor >= 33);
    assert_true(mask & GL_CONTEXT_CORE_PROFILE_BIT);
}

static void test_create_fails_cleanly_without_memory(void **state)
{
    fixture *f = need_gl(state);
    long before = atomic_load(&f->ta.live);
    dp_test_alloc_fail_at(&f->ta, 1);
    dp_gl *gl = (dp_gl *)1;
    char why[128];
    assert_int_equal(dp_gl_create_ex(&f->ta.iface, &gl, why, sizeof why), DP_ERR_NOMEM);
    assert_null(gl);
    assert_string_equal(why, "out of memory");
    assert_int_equal(atomic_load(&f->ta.live), before);
}

static void test_two_backends_on_one_thread_keep_working(void **state)
{
    fixture *f = need_gl(state);
    dp_gl *other = NULL;
    assert_int_equal(dp_gl_create(&f->ta.iface, &other), DP_OK);
    dp_gl_set_types(other, IMAGE_TYPE, 0);
    dp_render_backend ob = dp_gl_backend(other);
    dp_image img = {2, 2, (unsigned char *)quad_pixels};
    void *a = make_texture(f, IMAGE_TYPE, &img);
    void *b = NULL;
    size_t bytes = 0;
    assert_int_equal(ob.create(ob.user, IMAGE_TYPE, &img, &b, &bytes), DP_OK);
    ob.destroy(ob.user, IMAGE_TYPE, b);
    dp_gl_destroy(other);
    /* The first backend's context and texture survive the other's destruction; its next
     * call makes its context current again. */
    assert_int_equal(dp_gl_frame_submitted(f->gl, 1), DP_OK);
    assert_true(glIsTexture(dp_gl_texture(a)));
    glFinish();
    assert_int_equal(dp_gl_frames_completed(f->gl, 1000000000u), 1);
    f->be.destroy(f->be.user, IMAGE_TYPE, a);
}

/* ---- textures --------------------------------------------------------------------------------- */

static void test_handles_only_the_types_set(void **state)
{
    fixture *f = need_gl(state);
    assert_true(f->be.handles(f->be.user, IMAGE_TYPE));
    assert_true(f->be.handles(f->be.user, PAGE_TYPE));
    assert_false(f->be.handles(f->be.user, 7));
    assert_false(f->be.handles(f->be.user, 0));
    dp_gl_set_types(f->gl, IMAGE_TYPE, 0);
    assert_false(f->be.handles(f->be.user, PAGE_TYPE));
    assert_false(f->be.handles(f->be.user, 0));
}

static void test_image_becomes_a_texture_until_destroyed(void **state)
{
    fixture *f = need_gl(state);
    dp_image img = {2, 2, (unsigned char *)quad_pixels};
    void *gpu = make_texture(f, IMAGE_TYPE, &img);
    GLuint name = dp_gl_texture(gpu);
    assert_true(name != 0);
    assert_true(glIsTexture(name));
    GLint w = 0, h = 0;
    glBindTexture(GL_TEXTURE_2D, name);
    glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_WIDTH, &w);
    glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_HEIGHT, &h);
    glBindTexture(GL_TEXTURE_2D, 0);
    assert_int_equal(w, 2);
    assert_int_equal(h, 2);
    f->be.destroy(f->be.user, IMAGE_TYPE, gpu);
    assert_false(glIsTexture(name));
}

static void test_page_type_becomes_a_texture_too(void **state)
{
    fixture *f = need_gl(state);
    unsigned char *px = calloc(64 * 32, 4);
    assert_non_null(px);
    dp_image page = {64, 32, px};
    void *gpu = make_texture(f, PAGE_TYPE, &page);
    assert_true(glIsTexture(dp_gl_texture(gpu)));
    f->be.destroy(f->be.user, PAGE_TYPE, gpu);
    free(px);
}

static void test_textured_quad_reads_back_the_image_upright(void **state)
{
    fixture *f = need_gl(state);
    dp_image img = {2, 2, (unsigned char *)quad_pixels};
    void *gpu = make_texture(f, IMAGE_TYPE, &img);
    unsigned char *out = malloc(FB * FB * 4);
    assert_non_null(out);
    dp_gl_draw_read(dp_gl_texture(gpu), FB, 0, 0, 1, 1, 0, 0, FB, FB, out);
    /* glReadPixels row 0 is the bottom of the screen; the image's row 0 is its top. */
    int wrong = 0;
    for (int row = 0; row < FB; row++) {
        int from_top = FB - 1 - row;
        for (int x = 0; x < FB; x++) {
            const unsigned char *want = &quad_pixels[((from_top * 2 / FB) * 2 + x * 2 / FB) * 4];
            const unsigned char *got = &out[(row * FB + x) * 4];
            if (memcmp(want, got, 4) != 0 && wrong++ < 4)
                printf("# pixel (%d, %d from top): got %u %u %u %u, want %u %u %u %u\n", x,
                       from_top, got[0], got[1], got[2], got[3], want[0], want[1], want[2],
                       want[3]);
        }
    }
    assert_int_equal(wrong, 0);
    free(out);
    f->be.destroy(f->be.user, IMAGE_TYPE, gpu);
}

static void test_invalid_image_is_rejected(void **state)
{
    fixture *f = need_gl(state);
    dp_image no_pixels = {2, 2, NULL};
    dp_image no_width = {0, 2, (unsigned char *)quad_pixels};
    dp_image huge = {1u << 30, 1, (unsigned char *)quad_pixels};
    const dp_image *bad[] = {NULL, &no_pixels, &no_width, &huge};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *gpu = (void *)1;
        size_t bytes = 1;
        assert_int_equal(f->be.create(f->be.user, IMAGE_TYPE, bad[i], &gpu, &bytes),
                         DP_ERR_INVALID);
        assert_null(gpu);
        assert_int_equal(bytes, 0);
    }
    assert_int_equal(atomic_load(&f->ta.live), 1); /* the dp_gl itself */
}

static void test_texture_fails_cleanly_without_memory(void **state)
{
    fixture *f = need_gl(state);
    dp_image img = {2, 2, (unsigned char *)quad_pixels};
    long before = atomic_load(&f->ta.live);
    dp_test_alloc_fail_at(&f->ta, 1);
    void *gpu = (void *)1;
    size_t bytes = 1;
    assert_int_equal(f->be.create(f->be.user, IMAGE_TYPE, &img, &gpu, &bytes), DP_ERR_NOMEM);
    assert_null(gpu);
    assert_int_equal(bytes, 0);
    assert_int_equal(atomic_load(&f->ta.live), before);
}

/* ---- a host that shares the context ---------------------------------------------------------- */

/* The pixels of `gpu`'s texture, read back with glGetTexImage (caller frees). */
static unsigned char *texture_pixels(fixture *f, void *gpu, uint32_t w, uint32_t h)
{
    (void)f;
    unsigned char *out = calloc((size_t)w * h, 4);
    assert_non_null(out);
    GLint prev = 0, prev_pack = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &prev);
    glGetIntegerv(GL_PACK_ALIGNMENT, &prev_pack);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glBindTexture(GL_TEXTURE_2D, dp_gl_texture(gpu));
    glGetTexImage(GL_TEXTURE_2D, 0, GL_RGBA, GL_UNSIGNED_BYTE, out);
    glBindTexture(GL_TEXTURE_2D, (GLuint)prev);
    glPixelStorei(GL_PACK_ALIGNMENT, prev_pack);
    return out;
}

/* A 3x2 image in a heap block of exactly its size, so that ASan sees any read past it. */
static dp_image exact_image(void)
{
    unsigned char *px = malloc(3 * 2 * 4);
    assert_non_null(px);
    for (int i = 0; i < 3 * 2 * 4; i++)
        px[i] = (unsigned char)(i * 9 + 1);
    return (dp_image){3, 2, px};
}

static void assert_texture_is(fixture *f, void *gpu, const dp_image *img)
{
    unsigned char *got = texture_pixels(f, gpu, img->width, img->height);
    assert_memory_equal(got, img->pixels, (size_t)img->width * img->height * 4);
    free(got);
}

static void test_upload_ignores_skip_rows_and_pixels_left_by_the_host(void **state)
{
    fixture *f = need_gl(state);
    dp_image img = exact_image();
    glPixelStorei(GL_UNPACK_SKIP_ROWS, 5);
    glPixelStorei(GL_UNPACK_SKIP_PIXELS, 7);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 64);
    void *gpu = make_texture(f, IMAGE_TYPE, &img);
    assert_texture_is(f, gpu, &img);
    f->be.destroy(f->be.user, IMAGE_TYPE, gpu);
    free(img.pixels);
    glPixelStorei(GL_UNPACK_SKIP_ROWS, 0);
    glPixelStorei(GL_UNPACK_SKIP_PIXELS, 0);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
}

static void test_upload_with_a_pixel_unpack_buffer_bound_by_the_host_makes_the_texture(
    void **state)
{
    fixture *f = need_gl(state);
    GLuint pbo = 0;
    glGenBuffers(1, &pbo);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, pbo);
    glBufferData(GL_PIXEL_UNPACK_BUFFER, 16, NULL, GL_STREAM_DRAW);
    dp_image img = exact_image();
    void *gpu = make_texture(f, IMAGE_TYPE, &img);
    assert_texture_is(f, gpu, &img);
    GLint bound = 0;
    glGetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &bound);
    assert_int_equal(bound, (GLint)pbo); /* the host's binding is back */
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    glDeleteBuffers(1, &pbo);
    f->be.destroy(f->be.user, IMAGE_TYPE, gpu);
    free(img.pixels);
}

static void test_upload_gives_the_host_its_unpack_state_back(void **state)
{
    fixture *f = need_gl(state);
    const GLenum names[] = {GL_UNPACK_ALIGNMENT,   GL_UNPACK_ROW_LENGTH,  GL_UNPACK_SKIP_ROWS,
                            GL_UNPACK_SKIP_PIXELS, GL_UNPACK_IMAGE_HEIGHT, GL_UNPACK_SKIP_IMAGES,
                            GL_UNPACK_SWAP_BYTES,  GL_UNPACK_LSB_FIRST};
    const GLint host[] = {8, 17, 3, 2, 9, 4, GL_TRUE, GL_TRUE};
    enum { N = sizeof names / sizeof names[0] };
    for (int i = 0; i < N; i++)
        glPixelStorei(names[i], host[i]);
    dp_image img = exact_image();
    void *gpu = make_texture(f, IMAGE_TYPE, &img);
    assert_texture_is(f, gpu, &img);
    for (int i = 0; i < N; i++) {
        GLint v = -1;
        glGetIntegerv(names[i], &v);
        assert_int_equal(v, host[i]);
    }
    const GLint defaults[] = {4, 0, 0, 0, 0, 0, GL_FALSE, GL_FALSE};
    for (int i = 0; i < N; i++)
        glPixelStorei(names[i], defaults[i]);
    f->be.destroy(f->be.user, IMAGE_TYPE, gpu);
    free(img.pixels);
}

/* Loses gl's context the way a driver reset does: it is no longer current and no longer
 * exists. */
static void lose_context(void)
{
    EGLDisplay dpy = eglGetCurrentDisplay();
    EGLContext ctx = eglGetCurrentContext();
    assert_true(ctx != EGL_NO_CONTEXT);
    assert_true(eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT));
    assert_true(eglDestroyContext(dpy, ctx));
}

static void test_create_after_context_loss_returns_a_status_not_a_name(void **state)
{
    fixture *f = need_gl(state);
    dp_image img = {2, 2, (unsigned char *)quad_pixels};
    void *before = make_texture(f, IMAGE_TYPE, &img);
    lose_context();
    void *gpu = (void *)1;
    size_t bytes = 1;
    assert_int_equal(f->be.create(f->be.user, IMAGE_TYPE, &img, &gpu, &bytes),
                     DP_ERR_NOT_FOUND);
    assert_null(gpu);
    assert_int_equal(bytes, 0);
    /* Nothing runs on a lost context: every submitted frame counts as finished. */
    assert_int_equal(dp_gl_frame_submitted(f->gl, 1), DP_ERR_NOT_FOUND);
    f->be.destroy(f->be.user, IMAGE_TYPE, before); /* frees the record, no crash */
    assert_int_equal(atomic_load(&f->ta.live), 1);
}

static void test_make_current_picks_which_of_two_backends_draws(void **state)
{
    fixture *f = need_gl(state);
    dp_gl *other = NULL;
    assert_int_equal(dp_gl_create(&f->ta.iface, &other), DP_OK);
    dp_gl_set_types(other, IMAGE_TYPE, 0);
    dp_render_backend ob = dp_gl_backend(other);
    const unsigned char red[4] = {255, 0, 0, 255}, blue[4] = {0, 0, 255, 255};
    unsigned char rp[4 * 4], bp[4 * 4];
    for (int i = 0; i < 4; i++) {
        memcpy(&rp[i * 4], red, 4);
        memcpy(&bp[i * 4], blue, 4);
    }
    dp_image ri = {2, 2, rp}, bi = {2, 2, bp};
    void *a = make_texture(f, IMAGE_TYPE, &ri);
    void *b = NULL;
    size_t bytes = 0;
    assert_int_equal(ob.create(ob.user, IMAGE_TYPE, &bi, &b, &bytes), DP_OK);
    unsigned char out[4];
    assert_int_equal(dp_gl_make_current(f->gl), DP_OK);
    dp_gl_draw_read(dp_gl_texture(a), 8, 0, 0, 1, 1, 4, 4, 1, 1, out);
    assert_memory_equal(out, red, 4);
    assert_int_equal(dp_gl_make_current(other), DP_OK);
    dp_gl_draw_read(dp_gl_texture(b), 8, 0, 0, 1, 1, 4, 4, 1, 1, out);
    assert_memory_equal(out, blue, 4);
    ob.destroy(ob.user, IMAGE_TYPE, b);
    dp_gl_destroy(other);
    assert_int_equal(dp_gl_make_current(f->gl), DP_OK);
    assert_int_equal(dp_gl_make_current(NULL), DP_ERR_INVALID);
    f->be.destroy(f->be.user, IMAGE_TYPE, a);
}

/* ---- fences ------------------------------------------------------------------------------------- */

static void test_no_frame_is_completed_before_any_submit(void **state)
{
    fixture *f = need_gl(state);
    assert_int_equal(dp_gl_frames_completed(f->gl, 0), 0);
}

static void test_completed_frames_reach_the_newest_submitted(void **state)
{
    fixture *f = need_gl(state);
    for (uint64_t frame = 1; frame <= 3; frame++) {
        glClear(GL_COLOR_BUFFER_BIT);
        assert_int_equal(dp_gl_frame_submitted(f->gl, frame), DP_OK);
    }
    glFinish();
    uint64_t done = 0;
    for (uint64_t t0 = dp_test_now_ns(); done < 3 && dp_test_waiting(t0);)
        done = dp_gl_frames_completed(f->gl, 10000000u);
    assert_int_equal(done, 3);
}

static void test_frame_numbers_must_increase(void **state)
{
    fixture *f = need_gl(state);
    assert_int_equal(dp_gl_frame_submitted(f->gl, 0), DP_ERR_INVALID);
    assert_int_equal(dp_gl_frame_submitted(f->gl, 5), DP_OK);
    assert_int_equal(dp_gl_frame_submitted(f->gl, 5), DP_ERR_INVALID);
    assert_int_equal(dp_gl_frame_submitted(f->gl, 4), DP_ERR_INVALID);
}

static void test_many_frames_in_flight_wrap_the_fence_ring(void **state)
{
    fixture *f = need_gl(state);
    for (uint64_t frame = 1; frame <= 100; frame++)
        assert_int_equal(dp_gl_frame_submitted(f->gl, frame), DP_OK);
    glFinish();
    uint64_t done = 0;
    for (uint64_t t0 = dp_test_now_ns(); done < 100 && dp_test_waiting(t0);)
        done = dp_gl_frames_completed(f->gl, 10000000u);
    assert_int_equal(done, 100);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]); /* one test by name, e.g. under ASan */
    /* Probe once: only a missing device or context is a reason to skip. */
    dp_gl *probe = NULL;
    dp_status s = dp_gl_create_ex(NULL, &probe, gl_why, sizeof gl_why);
    if (s == DP_OK) {
        gl_available = true;
        dp_gl_destroy(probe);
    } else if (s == DP_ERR_NOT_FOUND) {
        printf("# SKIP test_gl_backend: no EGL device / OpenGL 3.3 context: %s\n", gl_why);
    } else {
        printf("# dp_gl_create failed: %s (%s)\n", dp_status_str(s), gl_why);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_context_is_gl33_core_and_names_its_renderer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_fails_cleanly_without_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_backends_on_one_thread_keep_working, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handles_only_the_types_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_becomes_a_texture_until_destroyed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_type_becomes_a_texture_too, setup, teardown),
        cmocka_unit_test_setup_teardown(test_textured_quad_reads_back_the_image_upright, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_image_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_texture_fails_cleanly_without_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_ignores_skip_rows_and_pixels_left_by_the_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_with_a_pixel_unpack_buffer_bound_by_the_host_makes_the_texture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_gives_the_host_its_unpack_state_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_after_context_loss_returns_a_status_not_a_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_make_current_picks_which_of_two_backends_draws, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_frame_is_completed_before_any_submit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_completed_frames_reach_the_newest_submitted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frame_numbers_must_increase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_frames_in_flight_wrap_the_fence_ring, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (failed == 0 && !gl_available)
        return 77;
    return failed;
}
