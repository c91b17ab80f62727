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
 *
 * In a host's context (dp_gl_create_from_current: SDL2, GLFW, an engine's own, EGL or GLX)
 * depot creates, switches and destroys no context: the host keeps its context current on
 * the owner thread whenever it calls dp_render_sync, dp_render_prepare,
 * dp_render_frame_done, dp_render_destroy and the dp_gl functions. A call that finds no
 * context current (an EGL host: not the adopted one) is treated like a lost context.
 *
 * KTX 2.0 textures (dp_gl_set_texture_type): every stored level, block-compressed formats
 * (BC1-BC7, ETC2/EAC, ASTC) uploaded as their blocks with glCompressedTexImage2D when the
 * context takes them (extensions and version: dp_gl_format_supported); others answer
 * DP_ERR_UNSUPPORTED (the asset is DP_RENDER_FAILED with that status: depot has no block
 * decoder to fall back to).
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

/** @brief Adopts the OpenGL context current on the calling thread (made by SDL2, GLFW or the
 * engine), which then becomes the owner thread's context for depot: depot never creates,
 * makes current or destroys it, and sets and restores the upload state it uses (see
 * above). The context must be OpenGL 3.3 or later (any profile). On failure writes a
 * one-line reason into `why` (`why_cap` bytes; NULL or 0 for none).
 * @return DP_OK; DP_ERR_NOT_FOUND (no context is current, or it is older than 3.3);
 * DP_ERR_INVALID (out NULL); DP_ERR_NOMEM. */
dp_status dp_gl_create_from_current(const dp_allocator *allocator, dp_gl **out, char *why,
                                    size_t why_cap);

/** @brief Destroys the context and frees gl (an adopted context is left to its host: only
 * depot's fences go); destroy the render layer first. The thread
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

/** @brief Which asset type holds KTX 2.0 textures (dp_texture, the built-in "texture"): its
 * plain 2D textures (one layer, one face, depth 1) become GL textures of the file's format
 * with every stored level. A format the context does not take answers DP_ERR_UNSUPPORTED;
 * an array, cube map or 3D texture, or levels whose byte sizes disagree with their block
 * counts, DP_ERR_INVALID. 0 is ignored. The thread that created gl; cannot fail (NULL is
 * ignored). */
void dp_gl_set_texture_type(dp_gl *gl, dp_type_id texture_type);

/** @brief True when gl's context takes textures of this VkFormat (a dp_texture's
 * vk_format): the uncompressed formats the texture type knows, RGTC (BC4, BC5) always; S3TC
 * (BC1-BC3) with GL_EXT_texture_compression_s3tc (their sRGB forms also need
 * GL_EXT_texture_sRGB); BPTC (BC6H, BC7) from GL 4.2 or GL_ARB_texture_compression_bptc;
 * ETC2/EAC from GL 4.3 or GL_ARB_ES3_compatibility; ASTC LDR with
 * GL_KHR_texture_compression_astc_ldr. False for NULL. Any thread. */
bool dp_gl_format_supported(const dp_gl *gl, uint32_t vk_format);

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

/** @brief What a resource made by this backend is. */
typedef struct dp_gl_texture_desc {
    unsigned name;            /**< the GL texture name (GL_TEXTURE_2D) */
    uint32_t width, height;   /**< level 0 */
    uint32_t levels;          /**< mip levels uploaded */
    unsigned internal_format; /**< e.g. GL_RGBA8, GL_COMPRESSED_RGB_S3TC_DXT1_EXT */
} dp_gl_texture_desc;

/** @brief The description of a resource made by this backend; all zero for NULL. Any thread
 * (it reads the resource record). */
dp_gl_texture_desc dp_gl_describe(const void *gpu);

/** @brief Renderer string of the context (e.g. "llvmpipe ..."); "" for NULL. Any thread;
 * the string lives as long as gl. */
const char *dp_gl_renderer(const dp_gl *gl);

#ifdef __cplusplus
}
#endif
#endif
