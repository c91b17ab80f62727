/** @file render_gl.h
 * @brief The reference render backend: OpenGL 3.3 core through EGL (headless on Mesa).
 *
 * Built when depot/config.h says DP_HAVE_GLRENDER. Textures are made from "image" assets
 * (dp_image, RGBA8) and atlas pages. Frame completion is tracked with fences
 * (glFenceSync / glClientWaitSync). Every function runs on the thread that created the
 * backend (the one with its GL context current), which is the depot's owner thread.
 *
 * Sharing the context with the host: the host may draw with gl's context and leave any
 * state set. An upload sets the pixel-unpack state it relies on (alignment 1, no row
 * length, no skips, no byte swapping, no pixel-unpack buffer) and puts the host's values
 * and its 2D-texture binding back afterwards. Every dp_gl function and backend callback
 * leaves gl's context current; with two dp_gl on one thread, texture names belong to one
 * context each, so call dp_gl_make_current before drawing with a gl's textures.
 * A lost context (eglMakeCurrent fails: a driver reset) makes create answer
 * DP_ERR_NOT_FOUND (the asset is DP_RENDER_FAILED); destroy then only frees the record.
 */
#ifndef DEPOT_RENDER_GL_H
#define DEPOT_RENDER_GL_H

#include "depot/render.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dp_gl dp_gl;

/** @brief Creates a headless EGL display and an OpenGL 3.3 core context and makes it
 * current on the calling thread (EGL_PLATFORM_SURFACELESS_MESA, else the default display).
 * @return DP_OK; DP_ERR_NOT_FOUND when no EGL device or GL 3.3 context can be had (the
 * caller may fall back to another backend); DP_ERR_NOMEM. */
dp_status dp_gl_create(const dp_allocator *allocator, dp_gl **out);

/** @brief As dp_gl_create (same thread rule and codes); on failure also writes a one-line
 * reason (which EGL or GL step failed) into `why` (`why_cap` bytes, always NUL-terminated;
 * NULL or 0 for none). */
dp_status dp_gl_create_ex(const dp_allocator *allocator, dp_gl **out, char *why,
                          size_t why_cap);

/** @brief Destroys the context and frees gl; destroy the render layer first. The thread
 * that created it. NULL is ignored.
 * @return the number of textures still live (0 in the right order). Called before
 * dp_render_destroy, the context goes now (the textures' names with it) and gl's memory
 * stays until the render layer destroys the last of those textures: the wrong order
 * neither crashes nor leaks, and the count says it happened. */
size_t dp_gl_destroy(dp_gl *gl);

/** @brief Makes gl's context current on the calling thread (the one that created gl), for
 * drawing with its textures: texture names belong to one context, and with two dp_gl on a
 * thread, every dp_gl function and backend callback leaves its own context current.
 * @return DP_OK; DP_ERR_INVALID (NULL); DP_ERR_NOT_FOUND (the context is lost). */
dp_status dp_gl_make_current(dp_gl *gl);

/** @brief Which asset types become textures (images, atlas pages); call before use. A type
 * id of 0 is ignored. The thread that created gl; cannot fail (NULL is ignored). */
void dp_gl_set_types(dp_gl *gl, dp_type_id image_type, dp_type_id page_type);

/** @brief The backend vtable for dp_render_desc; its functions run on the thread that
 * created gl (the render layer calls them on the depot's owner thread). Cannot fail.
 * create answers DP_ERR_INVALID for an image it cannot hold (no pixels: a render-only
 * stub; zero or too large a size), DP_ERR_NOMEM (no memory, GL_OUT_OF_MEMORY: retried),
 * DP_ERR_NOT_FOUND (the context is lost). */
dp_render_backend dp_gl_backend(dp_gl *gl);

/** @brief Inserts a fence after the commands of frame `frame`. The thread that created gl.
 * @return DP_OK; DP_ERR_INVALID (NULL, frame 0, or a frame not after the last one);
 * DP_ERR_NOMEM (no fence could be made); DP_ERR_NOT_FOUND (the context is lost). */
dp_status dp_gl_frame_submitted(dp_gl *gl, uint64_t frame);

/** @brief The newest frame whose fence has signalled (waiting up to timeout_ns for the
 * oldest pending one); 0 if none has, or gl is NULL. After a context loss, every submitted
 * frame (nothing runs on a lost context). Feed it to dp_render_frame_done.
 * The thread that created gl. */
uint64_t dp_gl_frames_completed(dp_gl *gl, uint64_t timeout_ns);

/** @brief GL texture name of a resource made by this backend (for drawing); 0 for NULL.
 * Any thread (it reads the resource record); use the name on the GL thread. */
unsigned dp_gl_texture(const void *gpu);

/** @brief Renderer string of the context (e.g. "llvmpipe ..."); "" for NULL. Any thread;
 * the string lives as long as gl. */
const char *dp_gl_renderer(const dp_gl *gl);

#ifdef __cplusplus
}
#endif
#endif
