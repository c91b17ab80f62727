/* vk_internal.h — what the Vulkan backend's files share: the dp_vk record, a texture, an
 * upload batch, and the pending-submission ring.
 *
 * Files: vk_backend.c (create/destroy of the backend, the vtable, textures and the format
 * mapping), vk_submit.c (upload batches, staging buffers, fences and frame completion),
 * vk_headless.c (the test/demo helper that owns an instance and device).
 *
 * Every submission depot knows of is one `pending` record in submission order: an upload
 * batch (depot's own vkQueueSubmit) or a frame (a fence handed to the host). A frame counts
 * as finished only when its fence and every earlier record's fence have signalled, so
 * "frame F is done" also means "every upload submitted before F is done", whatever order the
 * queue completes its batches in.
 */
#ifndef DEPOT_VK_INTERNAL_H
#define DEPOT_VK_INTERNAL_H

#include "common/alloc.h"
#include "depot/render_vk.h"

/* The GPU resource of one texture. */
typedef struct dp__vk_texture {
    VkImage image;
    VkImageView view;
    VkDeviceMemory memory;
    VkFormat format;
    uint32_t width, height, levels;
} dp__vk_texture;

/* A staging buffer that waits for its batch to finish. */
typedef struct dp__vk_staging {
    VkBuffer buffer;
    VkDeviceMemory memory;
    size_t bytes;
} dp__vk_staging;

/* An upload batch: a command buffer, its fence, and the staging it reads. */
typedef struct dp__vk_batch {
    VkCommandBuffer cmd;
    VkFence fence;
    dp__vk_staging *staging;
    size_t nstaging, capstaging;
    bool busy; /* recording, or submitted and not yet seen finished */
} dp__vk_batch;

/* One submission depot waits for: batch >= 0 is an upload batch, else frame `frame`. */
typedef struct dp__vk_pending {
    VkFence fence;
    uint64_t frame;
    int batch;
} dp__vk_pending;

struct dp_vk {
    dp_allocator alloc;
    dp_vk_host host;
    size_t staging_limit;
    dp_type_id image_type, page_type, mips_type, texture_type;
    VkPhysicalDeviceMemoryProperties mem;
    uint32_t max_dim;
    VkFormat checked_format; /* format_usable's last question and answer */
    bool checked_usable;
    VkCommandPool pool;

    dp__vk_batch *batches; /* every batch ever made; reused when finished */
    size_t nbatches, capbatches;
    int open;              /* the batch receiving copies, or -1 */

    dp__vk_pending *ring;  /* pending submissions, oldest at ring[head] */
    size_t head, npending, capring;
    VkFence *spare;        /* signalled-and-seen fences, reset before reuse */
    size_t nspare, capspare;

    uint64_t last_frame, completed;
    size_t staging_bytes, textures, uploads_submitted;
};

/* Index of a memory type allowed by `bits` with all of `want` (then with `fallback`), or
 * UINT32_MAX. */
uint32_t dp__vk_memory_type(const dp_vk *vk, uint32_t bits, VkMemoryPropertyFlags want,
                            VkMemoryPropertyFlags fallback);

/* What goes into one staging buffer: `n` parts, part i (`size[i]` bytes from `data[i]`) at
 * byte `offset[i]`; `bytes` in all. */
typedef struct dp__vk_parts {
    const unsigned char *const *data;
    const size_t *offset, *size;
    size_t n, bytes;
} dp__vk_parts;

/* Makes a host-visible, coherent staging buffer holding the parts, and adds it to the open
 * batch (beginning one if needed); *cmd is the batch's command buffer.
 * DP_OK, DP_ERR_NOMEM, DP_ERR_NOT_FOUND (no memory type). */
dp_status dp__vk_stage(dp_vk *vk, const dp__vk_parts *parts, VkBuffer *buffer,
                       VkCommandBuffer *cmd);

/* Frees every batch, staging buffer and fence (the queue is idle). */
void dp__vk_submit_teardown(dp_vk *vk);

/* Maps a Vulkan result to a depot status: out-of-memory results to DP_ERR_NOMEM. */
dp_status dp__vk_status(VkResult r);

#endif
