/* requires: gl */
/* test_gl_host.c — the GL backend in a host's context and with KTX 2.0 textures, on the
 * real driver (Mesa llvmpipe here): dp_gl_create_from_current adopts an EGL context that the
 * test made current and never switches or destroys it; block-compressed KTX2 files from
 * tests/data upload as compressed textures with every level (internal format queried, the
 * blocks read back with glGetCompressedTexImage, BC1 pixels decoded by GL compared with a
 * decode written here); formats the context does not take answer DP_ERR_UNSUPPORTED.
 * Skipped, with the reason printed, only when no EGL device or GL 3.3 context exists. */
#define GL_GLEXT_PROTOTYPES 1
#include "testutil.h"

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GL/gl.h>
#include <GL/glext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "depot/render_gl.h"
#include "load/ktx2/ktx2.h"

enum { TEX_TYPE = 11, IMAGE_TYPE = 5 };

/* ---- a host context, made the way a host program would (EGL, surfaceless) -------------- */

typedef struct host {
    EGLDisplay dpy;
    EGLContext ctx;
} host;

static bool host_open(host *h)
{
    PFNEGLGETPLATFORMDISPLAYEXTPROC get =
        (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
    h->dpy = get ? get(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL)
                 : eglGetDisplay(EGL_DEFAULT_DISPLAY);
    EGLint n = 0;
    EGLConfig cfg;
    const EGLint cattrs[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, 0, EGL_NONE};
    const EGLint attrs[] = {EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 3,
                            EGL_CONTEXT_OPENGL_PROFILE_MASK,
                            EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE};
    if (h->dpy == EGL_NO_DISPLAY || !eglInitialize(h->dpy, NULL, NULL) ||
        !eglBindAPI(EGL_OPENGL_API) || !eglChooseConfig(h->dpy, cattrs, &cfg, 1, &n) || n < 1)
        return false;
    h->ctx = eglCreateContext(h->dpy, cfg, EGL_NO_CONTEXT, attrs);
    return h->ctx != EGL_NO_CONTEXT &&
           eglMakeCurrent(h->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, h->ctx);
}

static void host_close(host *h)
{
    eglMakeCurrent(h->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    assert_true(eglDestroyContext(h->dpy, h->ctx)); /* still ours to destroy: depot did not */
}

typedef struct fixture {
    dp_test_alloc ta;
    host h;
    dp_gl *gl; /* adopted from h */
    dp_render_backend be;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    if (host_open(&f->h)) {
        char why[128];
        assert_int_equal(dp_gl_create_from_current(&f->ta.iface, &f->gl, why, sizeof why),
                         DP_OK);
        dp_gl_set_types(f->gl, IMAGE_TYPE, 0);
        dp_gl_set_texture_type(f->gl, TEX_TYPE);
        f->be = dp_gl_backend(f->gl);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->gl) {
        assert_int_equal(dp_gl_destroy(f->gl), 0);
        host_close(&f->h);
    }
    assert_int_equal(atomic_load(&f->ta.live), 0);
    free(f);
    return 0;
}

static fixture *need_gl(void **state)
{
    fixture *f = *state;
    if (!f->gl) {
        printf("# SKIP: no EGL device / OpenGL 3.3 context\n");
        skip();
    }
    return f;
}

/* A KTX2 file of tests/data (make_ktx2.py), parsed by depot's decoder. */
static dp_texture *ktx2(fixture *f, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", DP_TEST_DATA, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static unsigned char bytes[1 << 16];
    size_t n = fread(bytes, 1, sizeof bytes, fp);
    fclose(fp);
    dp_texture *t = NULL;
    assert_int_equal(dp__ktx2_decode(&f->ta.iface, bytes, n, NULL, &t), DP_OK);
    return t;
}

/* ---- the host's context --------------------------------------------------------------------- */

static void test_adopted_context_stays_the_hosts_and_current(void **state)
{
    fixture *f = need_gl(state);
    assert_true(strlen(dp_gl_renderer(f->gl)) > 0);
    unsigned char px[4] = {1, 2, 3, 4};
    dp_image img = {1, 1, px};
    void *gpu = NULL;
    size_t bytes = 0;
    assert_int_equal(f->be.create(f->be.user, IMAGE_TYPE, &img, &gpu, &bytes), DP_OK);
    assert_true(eglGetCurrentContext() == f->h.ctx); /* nothing was switched */
    assert_true(glIsTexture(dp_gl_texture(gpu)));   /* the name lives in the host's context */
    assert_int_equal(dp_gl_make_current(f->gl), DP_OK);
    assert_int_equal(dp_gl_frame_submitted(f->gl, 1), DP_OK);
    glFinish();
    assert_int_equal(dp_gl_frames_completed(f->gl, 1000000000u), 1);
    f->be.destroy(f->be.user, IMAGE_TYPE, gpu);
    assert_true(eglGetCurrentContext() == f->h.ctx);
}

static void test_create_from_current_without_a_context_is_not_found(void **state)
{
    fixture *f = need_gl(state);
    eglMakeCurrent(f->h.dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    dp_gl *gl = (dp_gl *)1;
    char why[128];
    assert_int_equal(dp_gl_create_from_current(&f->ta.iface, &gl, why, sizeof why),
                     DP_ERR_NOT_FOUND);
    assert_null(gl);
    assert_non_null(strstr(why, "no context"));
    assert_true(eglMakeCurrent(f->h.dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, f->h.ctx));
}

static void test_adopted_backend_refuses_to_upload_into_another_context(void **state)
{
    fixture *f = need_gl(state);
    host other;
    assert_true(host_open(&other)); /* now current instead of the adopted one */
    unsigned char px[4] = {1, 2, 3, 4};
    dp_image img = {1, 1, px};
    void *gpu = NULL;
    size_t bytes = 0;
    assert_int_equal(f->be.create(f->be.user, IMAGE_TYPE, &img, &gpu, &bytes),
                     DP_ERR_NOT_FOUND);
    assert_int_equal(dp_gl_make_current(f->gl), DP_ERR_NOT_FOUND);
    assert_true(eglGetCurrentContext() == other.ctx); /* depot switched nothing */
    host_close(&other);
    assert_true(eglMakeCurrent(f->h.dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, f->h.ctx));
    assert_int_equal(f->be.create(f->be.user, IMAGE_TYPE, &img, &gpu, &bytes), DP_OK);
    f->be.destroy(f->be.user, IMAGE_TYPE, gpu);
}

/* ---- KTX 2.0 textures ------------------------------------------------------------------------ */

/* Every level of `name` uploads as `internal` and reads back as the file's blocks. */
static void check_compressed(fixture *f, const char *name, uint32_t vk, GLenum internal)
{
    if (!dp_gl_format_supported(f->gl, vk)) {
        printf("# %s: VkFormat %u is not taken by this context (%s): skipped\n", name, vk,
               dp_gl_renderer(f->gl));
        return;
    }
    dp_texture *t = ktx2(f, name);
    void *gpu = NULL;
    size_t bytes = 0;
    assert_int_equal(f->be.create(f->be.user, TEX_TYPE, t, &gpu, &bytes), DP_OK);
    dp_gl_texture_desc d = dp_gl_describe(gpu);
    assert_int_equal(d.levels, t->levels);
    assert_int_equal(d.internal_format, internal);
    assert_int_equal(d.width, t->width);
    glBindTexture(GL_TEXTURE_2D, d.name);
    for (uint32_t l = 0; l < t->levels; l++) {
        GLint compressed = 0, fmt = 0, size = 0, w = 0, h = 0;
        glGetTexLevelParameteriv(GL_TEXTURE_2D, (GLint)l, GL_TEXTURE_COMPRESSED, &compressed);
        glGetTexLevelParameteriv(GL_TEXTURE_2D, (GLint)l, GL_TEXTURE_INTERNAL_FORMAT, &fmt);
        glGetTexLevelParameteriv(GL_TEXTURE_2D, (GLint)l, GL_TEXTURE_COMPRESSED_IMAGE_SIZE,
                                 &size);
        glGetTexLevelParameteriv(GL_TEXTURE_2D, (GLint)l, GL_TEXTURE_WIDTH, &w);
        glGetTexLevelParameteriv(GL_TEXTURE_2D, (GLint)l, GL_TEXTURE_HEIGHT, &h);
        assert_true(compressed);
        assert_int_equal(fmt, (GLint)internal);
        assert_int_equal(w, t->level[l].width);
        assert_int_equal(h, t->level[l].height);
        assert_int_equal(size, (GLint)t->level[l].bytes);
        unsigned char *back = malloc(t->level[l].bytes);
        glGetCompressedTexImage(GL_TEXTURE_2D, (GLint)l, back);
        assert_memory_equal(back, t->level[l].data, t->level[l].bytes);
        free(back);
    }
    glBindTexture(GL_TEXTURE_2D, 0);
    assert_int_equal(glGetError(), GL_NO_ERROR);
    f->be.destroy(f->be.user, TEX_TYPE, gpu);
    dp__texture_free(&f->ta.iface, t);
}

static void test_bc1_bc3_bc7_files_upload_as_their_blocks_with_every_level(void **state)
{
    fixture *f = need_gl(state);
    printf("# %s: BC1 %d, BC3 %d, BC7 %d, ETC2 %d, ASTC %d\n", dp_gl_renderer(f->gl),
           dp_gl_format_supported(f->gl, 131), dp_gl_format_supported(f->gl, 137),
           dp_gl_format_supported(f->gl, 145), dp_gl_format_supported(f->gl, 147),
           dp_gl_format_supported(f->gl, 157));
    assert_true(dp_gl_format_supported(f->gl, 139)); /* RGTC is core GL 3.0 */
    check_compressed(f, "ktx2_bc1_odd_6x5.ktx2", 131, GL_COMPRESSED_RGB_S3TC_DXT1_EXT);
    check_compressed(f, "ktx2_bc1_mips_8x8.ktx2", 131, GL_COMPRESSED_RGB_S3TC_DXT1_EXT);
    check_compressed(f, "ktx2_bc3_8x8.ktx2", 137, GL_COMPRESSED_RGBA_S3TC_DXT5_EXT);
    check_compressed(f, "ktx2_bc7_4x4.ktx2", 145, GL_COMPRESSED_RGBA_BPTC_UNORM);
}

/* BC1 (RGB): two RGB565 end points and 2-bit indices; c0 > c1 gives two thirds, else a
 * half and black. The spec leaves the rounding of the mixes to the implementation. */
static void bc1_decode(const unsigned char *b, unsigned char out[16][4])
{
    unsigned c[2] = {b[0] | b[1] << 8, b[2] | b[3] << 8};
    int rgb[4][3];
    for (int k = 0; k < 2; k++) {
        rgb[k][0] = (int)((c[k] >> 11) * 255 + 15) / 31;
        rgb[k][1] = (int)(((c[k] >> 5) & 63) * 255 + 31) / 63;
        rgb[k][2] = (int)((c[k] & 31) * 255 + 15) / 31;
    }
    for (int i = 0; i < 3; i++) {
        if (c[0] > c[1]) {
            rgb[2][i] = (2 * rgb[0][i] + rgb[1][i]) / 3;
            rgb[3][i] = (rgb[0][i] + 2 * rgb[1][i]) / 3;
        } else {
            rgb[2][i] = (rgb[0][i] + rgb[1][i]) / 2;
            rgb[3][i] = 0;
        }
    }
    uint32_t bits = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
                    (uint32_t)b[7] << 24;
    for (int p = 0; p < 16; p++) {
        int idx = (bits >> (2 * p)) & 3;
        for (int i = 0; i < 3; i++)
            out[p][i] = (unsigned char)rgb[idx][i];
        out[p][3] = 255;
    }
}

static void test_bc1_level_decodes_on_the_gpu_as_its_blocks_say(void **state)
{
    fixture *f = need_gl(state);
    if (!dp_gl_format_supported(f->gl, 131)) {
        printf("# SKIP: %s takes no S3TC\n", dp_gl_renderer(f->gl));
        skip();
    }
    dp_texture *t = ktx2(f, "ktx2_bc1_mips_8x8.ktx2");
    void *gpu = NULL;
    size_t bytes = 0;
    assert_int_equal(f->be.create(f->be.user, TEX_TYPE, t, &gpu, &bytes), DP_OK);
    unsigned char px[8 * 8 * 4];
    glBindTexture(GL_TEXTURE_2D, dp_gl_texture(gpu));
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glGetTexImage(GL_TEXTURE_2D, 0, GL_RGBA, GL_UNSIGNED_BYTE, px);
    glBindTexture(GL_TEXTURE_2D, 0);
    int worst = 0;
    for (uint32_t by = 0; by < 2; by++)
        for (uint32_t bx = 0; bx < 2; bx++) {
            unsigned char want[16][4];
            bc1_decode(t->level[0].data + (by * 2 + bx) * 8, want);
            for (int p = 0; p < 16; p++)
                for (int i = 0; i < 4; i++) {
                    int x = (int)bx * 4 + p % 4, y = (int)by * 4 + p / 4;
                    int d = abs((int)px[(y * 8 + x) * 4 + i] - (int)want[p][i]);
                    worst = d > worst ? d : worst;
                }
        }
    printf("# BC1 level 0: largest channel difference from the reference decode: %d\n", worst);
    assert_true(worst <= 3); /* mixes may round either way, end points must not differ */
    f->be.destroy(f->be.user, TEX_TYPE, gpu);
    dp__texture_free(&f->ta.iface, t);
}

static void test_rgba8_file_uploads_every_level_as_stored(void **state)
{
    fixture *f = need_gl(state);
    dp_texture *t = ktx2(f, "ktx2_rgba8_mips_8x8.ktx2");
    void *gpu = NULL;
    size_t bytes = 0;
    assert_int_equal(f->be.create(f->be.user, TEX_TYPE, t, &gpu, &bytes), DP_OK);
    assert_int_equal(dp_gl_describe(gpu).internal_format, GL_RGBA8);
    glBindTexture(GL_TEXTURE_2D, dp_gl_texture(gpu));
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    for (uint32_t l = 0; l < t->levels; l++) {
        unsigned char *back = malloc(t->level[l].bytes);
        glGetTexImage(GL_TEXTURE_2D, (GLint)l, GL_RGBA, GL_UNSIGNED_BYTE, back);
        assert_memory_equal(back, t->level[l].data, t->level[l].bytes);
        free(back);
    }
    glBindTexture(GL_TEXTURE_2D, 0);
    f->be.destroy(f->be.user, TEX_TYPE, gpu);
    dp__texture_free(&f->ta.iface, t);
}

static void test_format_gl_cannot_take_is_unsupported_and_a_cube_map_invalid(void **state)
{
    fixture *f = need_gl(state);
    unsigned char texel[4] = {0};
    dp_texture t = {.vk_format = 999, .width = 1, .height = 1, .depth = 1, .layers = 1,
                    .faces = 1, .levels = 1, .block_width = 1, .block_height = 1,
                    .block_bytes = 4};
    t.level[0] = (dp_texture_level){.width = 1, .height = 1, .depth = 1, .bytes = 4,
                                    .image_bytes = 4, .data = texel};
    void *gpu = NULL;
    size_t bytes = 0;
    assert_false(dp_gl_format_supported(f->gl, 999));
    assert_int_equal(f->be.create(f->be.user, TEX_TYPE, &t, &gpu, &bytes), DP_ERR_UNSUPPORTED);
    assert_null(gpu);
    t.vk_format = 37;
    t.faces = 6;
    assert_int_equal(f->be.create(f->be.user, TEX_TYPE, &t, &gpu, &bytes), DP_ERR_INVALID);
    t.faces = 1;
    t.level[0].bytes = 3; /* disagrees with its one 4-byte texel */
    assert_int_equal(f->be.create(f->be.user, TEX_TYPE, &t, &gpu, &bytes), DP_ERR_INVALID);
    assert_null(gpu);
}

/* ---- the whole path: dp_load of a .ktx2, the render layer, the host's context ------------ */

static void test_loaded_ktx2_is_prepared_in_the_hosts_context(void **state)
{
    fixture *f = need_gl(state);
    dp_depot *dp;
    dp_desc d = {.allocator = &f->ta.iface, .root = DP_TEST_DATA, .workers = 1};
    assert_int_equal(dp_create(&d, &dp), DP_OK);
    dp_gl_set_texture_type(f->gl, dp_builtins(dp).texture);
    dp_render *r;
    dp_render_desc rd = {.backend = dp_gl_backend(f->gl)};
    assert_int_equal(dp_render_create(dp, &rd, &r), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load(dp, "ktx2_rgba8_mips_8x8.ktx2", &h), DP_OK);
    assert_int_equal(dp_wait(dp, h, -1), DP_OK);
    assert_int_equal(dp_render_sync(r, 1), DP_OK);
    assert_int_equal(dp_render_prepare(r), DP_OK);
    dp_render_why why;
    void *gpu = dp_render_get_why(r, h, &why);
    assert_int_equal(why.reason, DP_RENDER_REASON_READY);
    dp_gl_texture_desc td = dp_gl_describe(gpu);
    assert_int_equal(td.levels, 4);
    assert_true(glIsTexture(td.name));
    assert_true(eglGetCurrentContext() == f->h.ctx);
    dp_release(dp, h);
    assert_int_equal(dp_render_frame_done(r, 1), DP_OK);
    dp_render_destroy(r);
    assert_int_equal(dp_destroy(dp), 0);
    dp_gl_set_texture_type(f->gl, TEX_TYPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_adopted_context_stays_the_hosts_and_current, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_from_current_without_a_context_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adopted_backend_refuses_to_upload_into_another_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bc1_bc3_bc7_files_upload_as_their_blocks_with_every_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bc1_level_decodes_on_the_gpu_as_its_blocks_say, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rgba8_file_uploads_every_level_as_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_gl_cannot_take_is_unsupported_and_a_cube_map_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loaded_ktx2_is_prepared_in_the_hosts_context, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
