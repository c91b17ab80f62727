/** @file render_vk.h
 * @brief The Vulkan render backend: textures in a host's VkDevice, uploads through staging
 * buffers in depot's own submissions, and frame completion tied to fences.
 *
 * Built when depot/config.h says DP_HAVE_VULKAN. The host owns the instance, the physical
 * device, the device and the queue; depot only creates objects in that device (images,
 * views, memory, staging buffers, one command pool, fences) and destroys each of them.
 * Textures are made from "image" assets (dp_image, RGBA8) and atlas pages.
 *
 * A frame loop with two frames in flight:
 * @code
 *   dp_render_frame_done(r, dp_vk_frames_completed(vk, 0)); // what the GPU finished
 *   dp_render_sync(r, frame);
 *   dp_render_prepare(r);              // records copies into depot's upload batch
 *   ... record the frame, sampling dp_vk_texture_view(dp_render_get(r, h)) ...
 *   VkFence f;
 *   dp_vk_frame_fence(vk, frame, &f);  // submits pending uploads, gives the frame's fence
 *   vkQueueSubmit(queue, 1, &frame_submit, f);
 * @endcode
 *
 * Thread rules: every dp_vk_* function except the accessors runs on one thread, the depot's
 * owner thread (the render layer calls the backend there). dp_vk_submit_uploads and
 * dp_vk_frame_fence submit to the host's queue: the host must not use that queue from
 * another thread at the same time (Vulkan's external synchronization of queues).
 */
#ifndef DEPOT_RENDER_VK_H
#define DEPOT_RENDER_VK_H

#include <vulkan/vulkan.h>

#include "depot/render.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The host's Vulkan objects that depot works in; depot never creates or destroys
 * them. The queue's family must support graphics or compute (the upload's barriers make the
 * textures readable by shaders). */
typedef struct dp_vk_host {
    VkPhysicalDevice physical_device;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
} dp_vk_host;

typedef struct dp_vk_desc {
    dp_vk_host host;
    const dp_allocator *allocator; /**< NULL = malloc/free (CPU-side records only) */
    /** Staging bytes that may wait for their upload to finish (0 = unlimited). A texture
     * that would pass the limit answers DP_ERR_TIMEOUT, so the render layer asks again next
     * frame; one texture larger than the limit is uploaded alone. */
    size_t staging_bytes;
} dp_vk_desc;

typedef struct dp_vk dp_vk;

/** @brief Creates the backend in the host's device (a command pool on queue_family).
 * Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL, a null host object); DP_ERR_NOMEM (host or device
 * memory); DP_ERR_NOT_FOUND (the device has no memory type for staging). On failure *out is
 * NULL and nothing was created. */
dp_status dp_vk_create(const dp_vk_desc *desc, dp_vk **out);

/** @brief Destroys depot's fences, command pool and staging buffers. Call after
 * dp_render_destroy, once the queue is idle (vkQueueWaitIdle or vkDeviceWaitIdle). Owner
 * thread. NULL is ignored. */
void dp_vk_destroy(dp_vk *vk);

/** @brief Which asset types become textures (images, atlas pages); 0 is ignored. Owner
 * thread; cannot fail (NULL is ignored). */
void dp_vk_set_types(dp_vk *vk, dp_type_id image_type, dp_type_id page_type);

/** @brief Which asset type holds images with their mip chain (dp_image_mips, the built-in
 * "image_mips"): its textures get every level. 0 is ignored. Owner thread; cannot fail
 * (NULL is ignored). */
void dp_vk_set_mips_type(dp_vk *vk, dp_type_id image_mips_type);

/** @brief Which asset type holds GPU-ready textures (dp_texture, the built-in "texture" that
 * KTX 2.0 files load as): its 2D textures (one layer, one face, depth 1) become images of the
 * file's VkFormat with every stored level, block-compressed formats (BC1-BC7, ETC2, ASTC)
 * uploaded as their blocks. A format the device cannot sample (format features of optimal
 * tiling), an array, cube map or 3D texture, a texel size that does not divide 16 bytes, or
 * levels whose byte sizes disagree with their block counts get no resource (create answers
 * DP_ERR_INVALID, the asset's render state is FAILED). 0 is ignored. Owner thread; cannot
 * fail (NULL is ignored). */
void dp_vk_set_texture_type(dp_vk *vk, dp_type_id texture_type);

/** @brief The backend vtable for dp_render_desc. `create` makes an image, its memory and a
 * view, fills a staging buffer and records the copy (with its layout transitions) into
 * depot's open upload batch; it answers DP_ERR_TIMEOUT when the staging limit is reached,
 * DP_ERR_INVALID for an image the device cannot hold, DP_ERR_NOMEM when Vulkan is out of
 * memory. `destroy` destroys the view, the image and its memory at once: the render layer
 * calls it only after the frames that could read it are done. Cannot fail. */
dp_render_backend dp_vk_backend(dp_vk *vk);

/** @brief Submits the copies recorded since the last submission (nothing if none) to the
 * host's queue with a fence of depot's. Later submissions on the same queue see the
 * textures in VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL. dp_vk_frame_fence calls it too.
 * Owner thread. @return DP_OK; DP_ERR_INVALID (NULL); DP_ERR_NOMEM (the submission failed:
 * the copies stay recorded and are submitted next time). */
dp_status dp_vk_submit_uploads(dp_vk *vk);

/** @brief Says which frame a fence belongs to: submits pending uploads first, then returns
 * in *fence an unsignalled fence of depot's that the host passes to the vkQueueSubmit of
 * frame `frame`'s last batch (exactly once; depot owns and recycles it). Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL, frame 0 or not after the last one); DP_ERR_NOMEM.
 * On failure *fence is VK_NULL_HANDLE. */
dp_status dp_vk_frame_fence(dp_vk *vk, uint64_t frame, VkFence *fence);

/** @brief The newest frame whose fence, and every fence depot handed out or used before it
 * (frames and uploads), has signalled; waits up to timeout_ns for the oldest pending one,
 * then only polls. Frees the staging buffers of finished uploads. Feed the result to
 * dp_render_frame_done. Owner thread; 0 when no frame has finished or vk is NULL. */
uint64_t dp_vk_frames_completed(dp_vk *vk, uint64_t timeout_ns);

/** @brief Waits until every submission depot knows of (uploads, frame fences) has
 * finished, up to timeout_ns in all. Owner thread.
 * @return DP_OK; DP_ERR_TIMEOUT; DP_ERR_INVALID (NULL). */
dp_status dp_vk_wait_idle(dp_vk *vk, uint64_t timeout_ns);

/** @brief Counters: textures live, staging bytes waiting for their upload, submissions
 * still pending. Owner thread; zeros for NULL. */
typedef struct dp_vk_stats {
    size_t textures, staging_bytes, pending_submissions, uploads_submitted;
} dp_vk_stats;
void dp_vk_get_stats(const dp_vk *vk, dp_vk_stats *out);

/** @brief The image view / image / format / size of a resource made by this backend;
 * VK_NULL_HANDLE, VK_FORMAT_UNDEFINED or 0 for NULL. Any thread (reads the record). */
VkImageView dp_vk_texture_view(const void *gpu);
VkImage dp_vk_texture_image(const void *gpu);
VkFormat dp_vk_texture_format(const void *gpu);
void dp_vk_texture_size(const void *gpu, uint32_t *width, uint32_t *height);

/* ---- a headless instance, device and queue for tests, tools and demos ------------------- */

/** @brief A validation message: severity is a VkDebugUtilsMessageSeverityFlagBitsEXT,
 * `id` the message's VUID name (may be ""). Called on whichever thread Vulkan reports on. */
typedef void (*dp_vk_message_fn)(void *user, int severity, const char *id, const char *text);

typedef struct dp_vk_headless_desc {
    /** Enable VK_LAYER_KHRONOS_validation; creation fails if it is not installed. */
    bool validation;
    /** Also enable the layer's synchronization validation (needs `validation`). */
    bool sync_validation;
    /** Receives every warning and error (also the loader's); NULL = none. With it, a
     * debug messenger covers vkCreateInstance to vkDestroyInstance, device leak checks
     * included. */
    dp_vk_message_fn on_message;
    void *user;
    const dp_allocator *allocator;
} dp_vk_headless_desc;

typedef struct dp_vk_headless dp_vk_headless;

/** @brief Creates a Vulkan 1.1 instance (no surface), picks the first physical device with
 * a graphics queue, and creates a device with one queue of that family. Any thread; the
 * result is used from one thread at a time.
 * @return DP_OK; DP_ERR_NOT_FOUND (no Vulkan driver or no device with a graphics queue:
 * the caller may skip or fall back); DP_ERR_INVALID (NULL out, or validation requested and
 * VK_LAYER_KHRONOS_validation or VK_EXT_debug_utils is missing); DP_ERR_NOMEM. A one-line
 * reason goes into `why` (why_cap bytes, NUL-terminated; NULL or 0 for none). */
dp_status dp_vk_headless_create(const dp_vk_headless_desc *desc, dp_vk_headless **out,
                                char *why, size_t why_cap);

/** @brief Waits for the device to be idle, destroys it (the validation layer reports
 * objects still alive in it here), then the messenger and the instance. NULL is ignored. */
void dp_vk_headless_destroy(dp_vk_headless *hl);

/** @brief The host objects of a headless device (for dp_vk_desc.host); zeros for NULL. */
dp_vk_host dp_vk_headless_host(const dp_vk_headless *hl);

/** @brief The device's name (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"); "" for NULL. */
const char *dp_vk_headless_device_name(const dp_vk_headless *hl);

#ifdef __cplusplus
}
#endif
#endif
