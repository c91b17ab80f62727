/* gl_backend.c — the reference render backend: OpenGL 3.3 core through EGL, headless.
 *
 * The context is made on Mesa's surfaceless platform (no window, no pbuffer) when the EGL
 * client offers it, else on the default display; it is current on the creating thread, and
 * every function here runs on that thread. GL entry points come from libOpenGL (glvnd)
 * through the prototypes of <GL/glext.h>; EGL extension functions through
 * eglGetProcAddress.
 *
 * Resources: an image or atlas page (dp_image, RGBA8, rows top to bottom) becomes a 2D
 * texture. Image row 0 is uploaded first, so it sits at t = 0 of the texture: a quad that
 * maps the top of the screen to t = 0 shows the image upright.
 *
 * Frames: dp_gl_frame_submitted puts a fence after the frame's commands into a small ring;
 * dp_gl_frames_completed retires signalled fences oldest first and returns the newest
 * frame known to be finished.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/why.h"
#include "depot/load.h"
#include "render/gl/gl_internal.h"

/* ---- context ------------------------------------------------------------------------------ */

/* Makes gl's context current again when another dp_gl of this thread (or the host) took
 * over. False when it cannot be: the context is lost (a driver reset, or destroyed). */
static bool make_current(const dp_gl *gl)
{
    if (gl->adopted) {
        /* The host's context is never made current by depot: it must be current. With an
         * EGL host that is its very context; any other host (GLX under SDL2 or GLFW) is
         * trusted to have its context current when glGetString answers at all. */
        if (gl->host_ctx != EGL_NO_CONTEXT)
            return eglGetCurrentContext() == gl->host_ctx;
        return glGetString(GL_VERSION) != NULL;
    }
    if (eglGetCurrentContext() == gl->ctx && gl->ctx != EGL_NO_CONTEXT)
        return true;
    return gl->ctx != EGL_NO_CONTEXT &&
           eglMakeCurrent(gl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, gl->ctx) == EGL_TRUE;
}

/* True when the space-separated extension list `exts` names `name`. */
static bool has_ext(const char *exts, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = exts; p && (p = strstr(p, name)) != NULL; p += n) {
        bool starts = p == exts || p[-1] == ' ';
        bool ends = p[n] == ' ' || p[n] == '\0';
        if (starts && ends)
            return true;
    }
    return false;
}

/* Opens the surfaceless Mesa display when the client offers it, else the default one. */
static EGLDisplay open_display(bool *tracked)
{
    *tracked = false;
    const char *client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
    if (has_ext(client, "EGL_MESA_platform_surfaceless") &&
        has_ext(client, "EGL_EXT_platform_base")) {
        PFNEGLGETPLATFORMDISPLAYEXTPROC get_display =
            (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
        if (get_display) {
            /* With display references tracked, our eglTerminate cannot pull the display
             * from under another dp_gl of the same process. */
            if (has_ext(client, "EGL_KHR_display_reference")) {
                const EGLint attrs[] = {EGL_TRACK_REFERENCES_KHR, EGL_TRUE, EGL_NONE};
                EGLDisplay d = get_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY,
                                           attrs);
                if (d != EGL_NO_DISPLAY) {
                    *tracked = true;
                    return d;
                }
            }
            EGLDisplay d = get_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
            if (d != EGL_NO_DISPLAY)
                return d;
        }
    }
    return eglGetDisplay(EGL_DEFAULT_DISPLAY);
}

/* Gives the display back. An EGL display is one object per process: without reference
 * counting, eglTerminate would tear down every other context on it (another dp_gl's, or
 * the application's), so it stays initialized instead, to be reused by the next
 * eglInitialize. */
static void release_display(const dp_gl *gl)
{
    if (gl->tracked)
        eglTerminate(gl->dpy);
}

/* Picks a config able to render with desktop OpenGL, preferring pbuffer-capable ones. */
static bool choose_config(EGLDisplay dpy, EGLConfig *cfg)
{
    const EGLint with_pbuffer[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE,
                                   EGL_PBUFFER_BIT, EGL_NONE};
    const EGLint any_surface[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, 0,
                                  EGL_NONE};
    EGLint n = 0;
    if (eglChooseConfig(dpy, with_pbuffer, cfg, 1, &n) && n > 0)
        return true;
    n = 0;
    return eglChooseConfig(dpy, any_surface, cfg, 1, &n) && n > 0;
}

/* What every context needs once current: GL 3.3, the renderer's name, the largest texture
 * and the compressed formats it takes. False (with the reason) below 3.3. */
static bool context_ready(dp_gl *gl, char *why, size_t why_cap)
{
    GLint gl_major = 0, gl_minor = 0;
    glGetIntegerv(GL_MAJOR_VERSION, &gl_major);
    glGetIntegerv(GL_MINOR_VERSION, &gl_minor);
    if (gl_major * 10 + gl_minor < 33) {
        dp__why(why, why_cap, "GL: context is %d.%d, 3.3 needed", gl_major, gl_minor);
        return false;
    }
    const GLubyte *name = glGetString(GL_RENDERER);
    snprintf(gl->renderer, sizeof gl->renderer, "%s", name ? (const char *)name : "unknown");
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &gl->max_texture_size);
    dp__gl_probe_formats(gl, gl_major * 10 + gl_minor);
    return true;
}

/* The start of both creates: *out cleared and a zeroed record with no display or context
 * in *gl (the reason in `why` on failure). DP_OK; DP_ERR_INVALID (out NULL); DP_ERR_NOMEM. */
static dp_status new_record(const dp_allocator *allocator, dp_gl **out, dp_gl **gl, char *why,
                            size_t why_cap)
{
    dp__why(why, why_cap, "no error");
    *gl = NULL;
    if (!out) {
        dp__why(why, why_cap, "out is NULL");
        return DP_ERR_INVALID;
    }
    *out = NULL;
    dp_allocator al;
    dp__alloc_init(&al, allocator);
    *gl = dp__calloc(&al, 1, sizeof **gl);
    if (!*gl) {
        dp__why(why, why_cap, "out of memory");
        return DP_ERR_NOMEM;
    }
    (*gl)->alloc = al;
    (*gl)->dpy = EGL_NO_DISPLAY;
    (*gl)->ctx = EGL_NO_CONTEXT;
    return DP_OK;
}

dp_status dp_gl_create_ex(const dp_allocator *allocator, dp_gl **out, char *why,
                          size_t why_cap)
{
    dp_gl *gl;
    dp_status st = new_record(allocator, out, &gl, why, why_cap);
    if (st != DP_OK)
        return st;

    EGLConfig cfg;
    EGLint major = 0, minor = 0;
    gl->dpy = open_display(&gl->tracked);
    if (gl->dpy == EGL_NO_DISPLAY) {
        dp__why(why, why_cap, "EGL: no display (eglGetDisplay: 0x%x)", (unsigned)eglGetError());
        goto fail;
    }
    if (!eglInitialize(gl->dpy, &major, &minor)) {
        dp__why(why, why_cap, "EGL: eglInitialize failed (0x%x); no EGL device?",
                (unsigned)eglGetError());
        gl->dpy = EGL_NO_DISPLAY; /* Nothing to terminate. */
        goto fail;
    }
    if (!has_ext(eglQueryString(gl->dpy, EGL_EXTENSIONS), "EGL_KHR_surfaceless_context")) {
        dp__why(why, why_cap, "EGL %d.%d: no EGL_KHR_surfaceless_context", major, minor);
        goto fail;
    }
    if (!eglBindAPI(EGL_OPENGL_API)) {
        dp__why(why, why_cap, "EGL: desktop OpenGL API unavailable (0x%x)",
                (unsigned)eglGetError());
        goto fail;
    }
    if (!choose_config(gl->dpy, &cfg)) {
        dp__why(why, why_cap, "EGL: no config renders desktop OpenGL (0x%x)",
                (unsigned)eglGetError());
        goto fail;
    }
    const EGLint ctx_attrs[] = {EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 3,
                                EGL_CONTEXT_OPENGL_PROFILE_MASK,
                                EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE};
    gl->ctx = eglCreateContext(gl->dpy, cfg, EGL_NO_CONTEXT, ctx_attrs);
    if (gl->ctx == EGL_NO_CONTEXT) {
        dp__why(why, why_cap, "EGL: no OpenGL 3.3 core context (0x%x)", (unsigned)eglGetError());
        goto fail;
    }
    if (!eglMakeCurrent(gl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, gl->ctx)) {
        dp__why(why, why_cap, "EGL: eglMakeCurrent without a surface failed (0x%x)",
                (unsigned)eglGetError());
        goto fail;
    }
    if (!context_ready(gl, why, why_cap))
        goto fail;
    *out = gl;
    return DP_OK;

fail:
    if (gl->ctx != EGL_NO_CONTEXT) {
        eglMakeCurrent(gl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
        eglDestroyContext(gl->dpy, gl->ctx);
    }
    if (gl->dpy != EGL_NO_DISPLAY)
        release_display(gl);
    dp__free(&gl->alloc, gl);
    return DP_ERR_NOT_FOUND;
}

dp_status dp_gl_create(const dp_allocator *allocator, dp_gl **out)
{
    return dp_gl_create_ex(allocator, out, NULL, 0);
}

dp_status dp_gl_create_from_current(const dp_allocator *allocator, dp_gl **out, char *why,
                                    size_t why_cap)
{
    dp_gl *gl;
    dp_status st = new_record(allocator, out, &gl, why, why_cap);
    if (st != DP_OK)
        return st;
    gl->adopted = true;
    gl->host_ctx = eglGetCurrentContext(); /* EGL_NO_CONTEXT under a GLX host */
    if (!glGetString(GL_VERSION)) {
        dp__why(why, why_cap, "GL: no context is current on this thread");
        dp__free(&gl->alloc, gl);
        return DP_ERR_NOT_FOUND;
    }
    if (!context_ready(gl, why, why_cap)) {
        dp__free(&gl->alloc, gl);
        return DP_ERR_NOT_FOUND;
    }
    *out = gl;
    return DP_OK;
}

/* Frees what depot made in a host's context (its fences) and nothing of the host's; the
 * textures are the render layer's to destroy, so with some live gl stays until the last. */
static size_t destroy_adopted(dp_gl *gl)
{
    if (make_current(gl))
        for (size_t i = 0; i < gl->pending; i++)
            glDeleteSync(gl->ring[(gl->head + i) % FENCE_RING].sync);
    gl->pending = 0;
    size_t live = gl->live_textures;
    if (live == 0)
        dp__free(&gl->alloc, gl);
    else
        gl->zombie = true;
    return live;
}

size_t dp_gl_destroy(dp_gl *gl)
{
    if (!gl || gl->zombie)
        return 0;
    if (gl->adopted)
        return destroy_adopted(gl);
    /* Another context current on this thread (another dp_gl's, or the caller's) is made
     * current again afterwards. */
    EGLDisplay prev_dpy = eglGetCurrentDisplay();
    EGLContext prev_ctx = eglGetCurrentContext();
    EGLSurface prev_draw = eglGetCurrentSurface(EGL_DRAW);
    EGLSurface prev_read = eglGetCurrentSurface(EGL_READ);
    if (make_current(gl)) { /* a lost context took its fences with it */
        for (size_t i = 0; i < gl->pending; i++)
            glDeleteSync(gl->ring[(gl->head + i) % FENCE_RING].sync);
        eglMakeCurrent(gl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    }
    if (prev_ctx != EGL_NO_CONTEXT && prev_ctx != gl->ctx)
        eglMakeCurrent(prev_dpy, prev_draw, prev_read, prev_ctx);
    eglDestroyContext(gl->dpy, gl->ctx);
    release_display(gl);
    size_t live = gl->live_textures;
    if (live == 0) {
        dp__free(&gl->alloc, gl);
        return 0;
    }
    /* Destroyed before the render layer: the texture names died with the context, but the
     * layer still holds the records and will destroy them; keep the backend until then. */
    gl->ctx = EGL_NO_CONTEXT;
    gl->pending = 0;
    gl->zombie = true;
    return live;
}

dp_status dp_gl_make_current(dp_gl *gl)
{
    if (!gl)
        return DP_ERR_INVALID;
    return make_current(gl) ? DP_OK : DP_ERR_NOT_FOUND;
}

void dp_gl_set_types(dp_gl *gl, dp_type_id image_type, dp_type_id page_type)
{
    if (!gl)
        return;
    gl->image_type = image_type;
    gl->page_type = page_type;
}

void dp_gl_set_texture_type(dp_gl *gl, dp_type_id texture_type)
{
    if (gl && texture_type)
        gl->texture_type = texture_type;
}

bool dp_gl_format_supported(const dp_gl *gl, uint32_t vk_format)
{
    return gl && dp__gl_format_supported(gl, vk_format);
}

const char *dp_gl_renderer(const dp_gl *gl)
{
    return gl ? gl->renderer : "";
}

/* ---- textures -------------------------------------------------------------------------------- */

static bool gl_handles(void *user, dp_type_id type)
{
    const dp_gl *gl = user;
    return type != 0 &&
           (type == gl->image_type || type == gl->page_type || type == gl->texture_type);
}

/* The pixel-unpack state an upload relies on, and its value during our uploads: tightly
 * packed rows from the first byte of client memory. The host's values are saved first and
 * put back after, so a host drawing with this context neither breaks our uploads nor sees
 * its own state changed. */
static const GLenum unpack_names[] = {
    GL_UNPACK_ALIGNMENT,    GL_UNPACK_ROW_LENGTH,  GL_UNPACK_SKIP_ROWS,  GL_UNPACK_SKIP_PIXELS,
    GL_UNPACK_IMAGE_HEIGHT, GL_UNPACK_SKIP_IMAGES, GL_UNPACK_SWAP_BYTES, GL_UNPACK_LSB_FIRST};
static const GLint unpack_ours[] = {1, 0, 0, 0, 0, 0, GL_FALSE, GL_FALSE};
#define NUNPACK (sizeof unpack_names / sizeof unpack_names[0])
_Static_assert(NUNPACK == DP__GL_NUNPACK, "dp__gl_host_state holds every unpack parameter");

static void upload_begin(dp__gl_host_state *hs)
{
    for (size_t i = 0; i < NUNPACK; i++) {
        glGetIntegerv(unpack_names[i], &hs->unpack[i]);
        glPixelStorei(unpack_names[i], unpack_ours[i]);
    }
    glGetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &hs->unpack_buffer);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &hs->texture);
}

static void upload_end(const dp__gl_host_state *hs)
{
    glBindTexture(GL_TEXTURE_2D, (GLuint)hs->texture);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, (GLuint)hs->unpack_buffer);
    for (size_t i = 0; i < NUNPACK; i++)
        glPixelStorei(unpack_names[i], hs->unpack[i]);
}

dp_status dp__gl_texture_begin(dp_gl *gl, dp__gl_texture **out)
{
    *out = NULL;
    if (!make_current(gl))
        return DP_ERR_NOT_FOUND; /* the context is lost: no name can be made */
    dp__gl_texture *t = dp__calloc(&gl->alloc, 1, sizeof *t);
    if (!t)
        return DP_ERR_NOMEM;
    /* Clear stale errors, so the upload's own error is the one read at the end. */
    while (glGetError() != GL_NO_ERROR) {
    }
    upload_begin(&gl->host);
    glGenTextures(1, &t->name);
    glBindTexture(GL_TEXTURE_2D, t->name);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
    *out = t;
    return DP_OK;
}

dp_status dp__gl_texture_end(dp_gl *gl, dp__gl_texture *t, GLenum err, size_t bytes,
                             void **gpu, size_t *gpu_bytes)
{
    upload_end(&gl->host);
    if (err != GL_NO_ERROR || t->name == 0) {
        if (t->name)
            glDeleteTextures(1, &t->name);
        dp__free(&gl->alloc, t);
        return err == GL_OUT_OF_MEMORY ? DP_ERR_NOMEM : DP_ERR_INVALID;
    }
    gl->live_textures++;
    *gpu = t;
    *gpu_bytes = bytes;
    return DP_OK;
}

static dp_status gl_create(void *user, dp_type_id type, const void *asset, void **gpu,
                           size_t *gpu_bytes)
{
    dp_gl *gl = user;
    *gpu = NULL;
    *gpu_bytes = 0;
    if (type == gl->texture_type)
        return dp__gl_create_texture(gl, asset, gpu, gpu_bytes);
    const dp_image *img = asset;
    if (!img || !img->pixels || img->width == 0 || img->height == 0 ||
        img->width > (uint32_t)gl->max_texture_size ||
        img->height > (uint32_t)gl->max_texture_size)
        return DP_ERR_INVALID;
    dp__gl_texture *t;
    dp_status st = dp__gl_texture_begin(gl, &t);
    if (st != DP_OK)
        return st;
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, (GLsizei)img->width, (GLsizei)img->height, 0,
                 GL_RGBA, GL_UNSIGNED_BYTE, img->pixels);
    t->width = img->width;
    t->height = img->height;
    t->levels = 1;
    t->internal_format = GL_RGBA8;
    return dp__gl_texture_end(gl, t, glGetError(), (size_t)img->width * img->height * 4u, gpu,
                              gpu_bytes);
}

static void gl_destroy(void *user, dp_type_id type, void *gpu)
{
    dp_gl *gl = user;
    dp__gl_texture *t = gpu;
    if (!t)
        return;
    if (make_current(gl)) /* a lost or destroyed context took its names with it */
        glDeleteTextures(1, &t->name);
    dp__free(&gl->alloc, t);
    gl->live_textures--;
    if (gl->zombie && gl->live_textures == 0)
        dp__free(&gl->alloc, gl);
}

dp_render_backend dp_gl_backend(dp_gl *gl)
{
    return (dp_render_backend){
        .handles = gl_handles, .create = gl_create, .destroy = gl_destroy, .user = gl};
}

unsigned dp_gl_texture(const void *gpu)
{
    const dp__gl_texture *t = gpu;
    return t ? t->name : 0;
}

dp_gl_texture_desc dp_gl_describe(const void *gpu)
{
    const dp__gl_texture *t = gpu;
    if (!t)
        return (dp_gl_texture_desc){0};
    return (dp_gl_texture_desc){.name = t->name, .width = t->width, .height = t->height,
                                .levels = t->levels, .internal_format = t->internal_format};
}

/* ---- frames ------------------------------------------------------------------------------------ */

/* Waits up to timeout_ns for the oldest pending fence; when it has signalled, deletes it
 * and records its frame as completed. Returns true when it retired one. */
static bool retire_oldest(dp_gl *gl, uint64_t timeout_ns)
{
    if (gl->pending == 0)
        return false;
    fence *f = &gl->ring[gl->head];
    GLenum r = glClientWaitSync(f->sync, GL_SYNC_FLUSH_COMMANDS_BIT, (GLuint64)timeout_ns);
    /* GL_WAIT_FAILED means the sync object is invalid, which only a lost context causes;
     * treating it as done keeps the ring moving. */
    if (r == GL_TIMEOUT_EXPIRED)
        return false;
    glDeleteSync(f->sync);
    gl->completed = f->frame;
    gl->head = (gl->head + 1) % FENCE_RING;
    gl->pending--;
    return true;
}

dp_status dp_gl_frame_submitted(dp_gl *gl, uint64_t frame)
{
    if (!gl || frame == 0 || frame <= gl->last_submitted)
        return DP_ERR_INVALID;
    if (!make_current(gl))
        return DP_ERR_NOT_FOUND;
    /* A full ring means the GPU is far behind: wait for the oldest frame. */
    while (gl->pending == FENCE_RING)
        retire_oldest(gl, 1000000000u);
    GLsync s = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
    if (!s)
        return DP_ERR_NOMEM;
    glFlush();
    gl->ring[(gl->head + gl->pending) % FENCE_RING] = (fence){.frame = frame, .sync = s};
    gl->pending++;
    gl->last_submitted = frame;
    return DP_OK;
}

uint64_t dp_gl_frames_completed(dp_gl *gl, uint64_t timeout_ns)
{
    if (!gl)
        return 0;
    if (!make_current(gl)) {
        /* Nothing runs on a lost context, and its fences are gone with it. */
        gl->pending = 0;
        gl->completed = gl->last_submitted;
        return gl->completed;
    }
    /* Only the first wait may block; the rest are polls. */
    if (retire_oldest(gl, timeout_ns)) {
        while (retire_oldest(gl, 0)) {
        }
    }
    return gl->completed;
}
