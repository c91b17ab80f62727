/* requires: gl png */
/* test_render_gl.c — the render layer on the real driver (Mesa llvmpipe here): a scene of
 * image assets becomes textures, a frame samples one and reads back its pixels, released
 * assets lose their textures once their frames are done, and an atlas page's texture goes
 * with its last region. Skipped, with the reason printed, only when no EGL device or GL 3.3
 * context exists (dp_gl_create says DP_ERR_NOT_FOUND). */
#define GL_GLEXT_PROTOTYPES 1
#include "testutil.h"

#include <GL/gl.h>
#include <GL/glext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/load.h"
#include "depot/render_gl.h"
#include "load/png/png_codec.h"
#include "gl_draw.h"

enum { FB = 16, SCENE = 8 };

typedef struct fixture {
    dp_test_alloc ta;
    dp_depot *dp;
    dp_type_id image;
    dp_gl *gl;
    dp_render *r;
    dp_atlas *atlas;
    uint64_t frame;
} fixture;

static bool gl_available;
static char gl_why[256];

static void image_destroy(void *asset, void *user)
{
    dp__image_free(user, asset);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    if (!gl_available)
        return 0;
    dp_test_alloc_init(&f->ta);
    dp_desc d = {.allocator = &f->ta.iface, .workers = 1};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    f->image = dp_builtins(f->dp).image;
    if (!f->image) {
        dp_type t = {.name = "image", .destroy = image_destroy, .user = &f->ta.iface};
        dp_status st = dp_register_type(f->dp, &t, &f->image);
        assert_true(st == DP_OK || st == DP_ERR_EXISTS);
    }
    dp_atlas_desc ad = {.page_size = 256};
    assert_int_equal(dp_atlas_create(f->dp, &ad, &f->atlas), DP_OK);
    assert_int_equal(dp_gl_create(&f->ta.iface, &f->gl), DP_OK);
    dp_gl_set_types(f->gl, f->image, dp_atlas_page_type(f->atlas));
    dp_render_desc rd = {.backend = dp_gl_backend(f->gl)};
    assert_int_equal(dp_render_create(f->dp, &rd, &f->r), DP_OK);
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->gl) {
        glFinish();
        dp_render_destroy(f->r);
        dp_gl_destroy(f->gl);
        dp_atlas_destroy(f->atlas);
        dp_destroy(f->dp);
        assert_int_equal(atomic_load(&f->ta.live), 0);
    }
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

static dp_handle solid_image(fixture *f, uint32_t w, uint32_t h, const unsigned char rgba[4])
{
    dp_image *img;
    assert_int_equal(dp__image_new(&f->ta.iface, w, h, &img), DP_OK);
    for (size_t i = 0; i < (size_t)w * h; i++)
        memcpy(&img->pixels[i * 4], rgba, 4);
    dp_handle hd;
    assert_int_equal(dp_add(f->dp, f->image, img, sizeof *img + (size_t)w * h * 4, NULL, &hd),
                     DP_OK);
    return hd;
}

/* update, sync, prepare of a new frame; the frame's fence; frame_done of what finished. */
static void run_frame(fixture *f)
{
    assert_int_equal(dp_update(f->dp), DP_OK);
    f->frame++;
    assert_int_equal(dp_render_sync(f->r, f->frame), DP_OK);
    assert_int_equal(dp_render_prepare(f->r), DP_OK);
}

static void finish_frame(fixture *f)
{
    assert_int_equal(dp_gl_frame_submitted(f->gl, f->frame), DP_OK);
    uint64_t done = 0;
    /* llvmpipe may be slow on a loaded machine: 10 ms fence waits up to the hang guard. */
    for (uint64_t t0 = dp_test_now_ns(); done < f->frame && dp_test_waiting(t0);)
        done = dp_gl_frames_completed(f->gl, 10000000u);
    assert_int_equal(done, f->frame);
    assert_int_equal(dp_render_frame_done(f->r, done), DP_OK);
}

/* Draws `tex` between texture coordinates (u0, v0)..(u1, v1) over a FB x FB framebuffer and
 * reads back the centre pixel. */
static void draw_centre(GLuint tex, float u0, float v0, float u1, float v1, unsigned char out[4])
{
    dp_gl_draw_read(tex, FB, u0, v0, u1, v1, FB / 2, FB / 2, 1, 1, out);
}

static void colour(int i, unsigned char c[4])
{
    c[0] = (unsigned char)(30 * i + 10);
    c[1] = (unsigned char)(200 - 20 * i);
    c[2] = (unsigned char)(i * 7);
    c[3] = 255;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_scene_textures_exist_then_go_after_release_and_frames_done(void **state)
{
    fixture *f = need_gl(state);
    dp_handle h[SCENE];
    GLuint names[SCENE];
    for (int i = 0; i < SCENE; i++) {
        unsigned char c[4];
        colour(i, c);
        h[i] = solid_image(f, 4 + (uint32_t)i, 4, c);
    }
    run_frame(f);
    for (int i = 0; i < SCENE; i++) {
        void *gpu = dp_render_get(f->r, h[i]);
        assert_non_null(gpu);
        names[i] = dp_gl_texture(gpu);
        assert_true(glIsTexture(names[i]));
    }
    finish_frame(f);
    for (int i = 0; i < SCENE; i++)
        dp_release(f->dp, h[i]);
    run_frame(f);
    /* Retired at this frame: alive until its fence says it is done. */
    for (int i = 0; i < SCENE; i++)
        assert_true(glIsTexture(names[i]));
    finish_frame(f);
    for (int i = 0; i < SCENE; i++)
        assert_false(glIsTexture(names[i]));
    dp_render_stats s;
    dp_render_get_stats(f->r, 0, &s);
    assert_int_equal(s.live, 0);
    assert_int_equal(s.retired, 0);
    assert_int_equal(s.destroyed, SCENE);
}

static void test_frame_samples_the_right_pixels_of_each_texture(void **state)
{
    fixture *f = need_gl(state);
    dp_handle h[3];
    for (int i = 0; i < 3; i++) {
        unsigned char c[4];
        colour(i, c);
        h[i] = solid_image(f, 8, 8, c);
    }
    run_frame(f);
    for (int i = 0; i < 3; i++) {
        unsigned char want[4], got[4];
        colour(i, want);
        draw_centre(dp_gl_texture(dp_render_get(f->r, h[i])), 0, 0, 1, 1, got);
        assert_memory_equal(got, want, 4);
    }
    finish_frame(f);
    for (int i = 0; i < 3; i++)
        dp_release(f->dp, h[i]);
}

static void test_modified_image_shows_new_pixels_and_old_texture_goes_after_its_frame(void **state)
{
    fixture *f = need_gl(state);
    unsigned char red[4] = {255, 0, 0, 255}, blue[4] = {0, 0, 255, 255}, got[4];
    dp_handle h = solid_image(f, 4, 4, red);
    run_frame(f);
    GLuint old = dp_gl_texture(dp_render_get(f->r, h));
    draw_centre(old, 0, 0, 1, 1, got);
    assert_memory_equal(got, red, 4);
    /* Frame 1 is submitted but not yet known done when the image changes. */
    assert_int_equal(dp_gl_frame_submitted(f->gl, f->frame), DP_OK);
    dp_image *img;
    assert_int_equal(dp__image_new(&f->ta.iface, 4, 4, &img), DP_OK);
    for (int i = 0; i < 16; i++)
        memcpy(&img->pixels[i * 4], blue, 4);
    assert_int_equal(dp_replace(f->dp, h, img, sizeof *img + 64), DP_OK);
    run_frame(f);
    GLuint now = dp_gl_texture(dp_render_get(f->r, h));
    assert_true(now != old);
    assert_true(glIsTexture(old)); /* frame 1 not reported done */
    draw_centre(now, 0, 0, 1, 1, got);
    assert_memory_equal(got, blue, 4);
    glFinish();
    uint64_t done = dp_gl_frames_completed(f->gl, 1000000000u);
    assert_int_equal(dp_render_frame_done(f->r, done), DP_OK);
    assert_true(glIsTexture(old)); /* retired at frame 2 */
    finish_frame(f);
    assert_false(glIsTexture(old));
    assert_true(glIsTexture(now));
    dp_release(f->dp, h);
}

static void test_atlas_page_texture_goes_with_its_last_region(void **state)
{
    fixture *f = need_gl(state);
    unsigned char green[4] = {0, 255, 0, 255}, pink[4] = {255, 0, 255, 255}, got[4];
    dp_handle a_img = solid_image(f, 8, 8, green), b_img = solid_image(f, 8, 8, pink);
    dp_handle a, b;
    assert_int_equal(dp_atlas_place(f->atlas, a_img, &a), DP_OK);
    assert_int_equal(dp_atlas_place(f->atlas, b_img, &b), DP_OK);
    const dp_atlas_region *ra = dp_get(f->dp, a), *rb = dp_get(f->dp, b);
    dp_handle page = ra->page;
    assert_true(dp_handle_eq(page, rb->page));
    run_frame(f);
    GLuint tex = dp_gl_texture(dp_render_get(f->r, page));
    assert_true(glIsTexture(tex));
    draw_centre(tex, ra->u0, ra->v0, ra->u1, ra->v1, got);
    assert_memory_equal(got, green, 4);
    draw_centre(tex, rb->u0, rb->v0, rb->u1, rb->v1, got);
    assert_memory_equal(got, pink, 4);
    finish_frame(f);
    /* The Cocos trap: releasing one sprite keeps the page (and its texture) and the image. */
    dp_release(f->dp, a);
    run_frame(f);
    finish_frame(f);
    run_frame(f);
    finish_frame(f);
    assert_int_equal(dp_state_of(f->dp, page), DP_STATE_LOADED);
    assert_true(glIsTexture(dp_gl_texture(dp_render_get(f->r, page))));
    assert_int_equal(dp_state_of(f->dp, a_img), DP_STATE_LOADED);
    tex = dp_gl_texture(dp_render_get(f->r, page));
    dp_release(f->dp, b);
    for (int i = 0; i < 3; i++) {
        run_frame(f);
        finish_frame(f);
    }
    assert_int_equal(dp_state_of(f->dp, page), DP_STATE_INVALID);
    assert_false(glIsTexture(tex));
    dp_render_stats s;
    dp_render_get_stats(f->r, dp_atlas_page_type(f->atlas), &s);
    assert_int_equal(s.live, 0);
    dp_release(f->dp, a_img);
    dp_release(f->dp, b_img);
}

static void test_gl_destroyed_before_the_render_layer_is_counted_and_nothing_crashes(
    void **state)
{
    fixture *f = need_gl(state);
    const unsigned char c[4] = {1, 2, 3, 255};
    dp_handle h = solid_image(f, 4, 4, c);
    run_frame(f);
    finish_frame(f);
    assert_non_null(dp_render_get(f->r, h));
    glFinish();
    assert_int_equal(dp_gl_destroy(f->gl), 1); /* the wrong order, said */
    dp_render_destroy(f->r); /* destroys the texture record; frees the backend with it */
    dp_release(f->dp, h);
    dp_atlas_destroy(f->atlas);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->ta.live), 0);
    f->gl = NULL; /* all torn down */
}

int main(void)
{
    dp_gl *probe = NULL;
    dp_status s = dp_gl_create_ex(NULL, &probe, gl_why, sizeof gl_why);
    if (s == DP_OK) {
        gl_available = true;
        dp_gl_destroy(probe);
    } else if (s == DP_ERR_NOT_FOUND) {
        printf("# SKIP test_render_gl: no EGL device / OpenGL 3.3 context: %s\n", gl_why);
        return 77;
    } else {
        printf("# dp_gl_create failed: %s (%s)\n", dp_status_str(s), gl_why);
        return 1;
    }
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_scene_textures_exist_then_go_after_release_and_frames_done),
        T(test_frame_samples_the_right_pixels_of_each_texture),
        T(test_modified_image_shows_new_pixels_and_old_texture_goes_after_its_frame),
        T(test_atlas_page_texture_goes_with_its_last_region),
        T(test_gl_destroyed_before_the_render_layer_is_counted_and_nothing_crashes),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
