/* gl_internal.h — the GL backend's record and what its files share (gl_backend.c: the
 * context, image textures, frames; gl_compressed.c: KTX 2.0 textures and their formats).
 * Every function runs on the thread whose GL context the backend uses. */
#ifndef DEPOT_RENDER_GL_INTERNAL_H
#define DEPOT_RENDER_GL_INTERNAL_H

#define GL_GLEXT_PROTOTYPES 1
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GL/gl.h>
#include <GL/glext.h>

#include "depot/load.h"
#include "depot/render_gl.h"

/* Frames in flight are at most 16 (dp_render_desc), so 32 pending fences is plenty; a
 * submit into a full ring waits for the oldest. */
#define FENCE_RING 32
#define DP__GL_NUNPACK 8 /* pixel-unpack parameters an upload sets (gl_backend.c) */

typedef struct fence {
    uint64_t frame;
    GLsync sync;
} fence;

/* The host's upload state, saved before an upload and put back after. */
typedef struct dp__gl_host_state {
    GLint unpack[DP__GL_NUNPACK];
    GLint unpack_buffer; /* a bound GL_PIXEL_UNPACK_BUFFER turns our pointer into an offset */
    GLint texture;
} dp__gl_host_state;

struct dp_gl {
    dp_allocator alloc;
    EGLDisplay dpy;
    EGLContext ctx;
    bool tracked; /* the display counts references (EGL_KHR_display_reference) */
    bool adopted; /* dp_gl_create_from_current: the host's context, never ours to switch */
    EGLContext host_ctx; /* adopted: the EGL context current then; EGL_NO_CONTEXT (GLX) */
    dp_type_id image_type, page_type, texture_type;
    GLint max_texture_size;
    uint32_t caps; /* compressed format families the context takes (gl_compressed.c) */
    fence ring[FENCE_RING]; /* pending fences, oldest at ring[head] */
    size_t head, pending;
    uint64_t last_submitted, completed;
    size_t live_textures; /* made by create, not yet destroyed */
    bool zombie;          /* dp_gl_destroy ran with textures live: freed with the last one */
    dp__gl_host_state host; /* between dp__gl_texture_begin and _end */
    char renderer[160];
};

/* The GPU resource of one texture. */
typedef struct dp__gl_texture {
    GLuint name;
    uint32_t width, height, levels;
    GLenum internal_format;
} dp__gl_texture;

/* Starts an upload: gl's context current (DP_ERR_NOT_FOUND when it cannot be), a record
 * (DP_ERR_NOMEM) with a new texture name bound to GL_TEXTURE_2D, the host's unpack state
 * saved and ours set, GL errors cleared. Always followed by dp__gl_texture_end. */
dp_status dp__gl_texture_begin(dp_gl *gl, dp__gl_texture **out);
/* Ends it: the host's state back; with `err` GL_NO_ERROR the record becomes *gpu with
 * `bytes`, else it is freed and the answer is DP_ERR_NOMEM (GL_OUT_OF_MEMORY) or
 * DP_ERR_INVALID. */
dp_status dp__gl_texture_end(dp_gl *gl, dp__gl_texture *t, GLenum err, size_t bytes,
                             void **gpu, size_t *gpu_bytes);

/* gl_compressed.c */
/* Finds the compressed format families of the current context (GL version major*10+minor). */
void dp__gl_probe_formats(dp_gl *gl, int version);
bool dp__gl_format_supported(const dp_gl *gl, uint32_t vk_format);
/* The backend's create for a dp_texture: DP_ERR_UNSUPPORTED for a format the context does
 * not take, DP_ERR_INVALID for a shape it cannot upload, else as dp__gl_texture_end. */
dp_status dp__gl_create_texture(dp_gl *gl, const dp_texture *t, void **gpu, size_t *gpu_bytes);

#endif
