/* vk_submit.c — depot's submissions on the host's queue: upload batches with their staging
 * buffers, the fences of frames, and which frames the GPU has finished.
 *
 * Upload batches. create() (vk_backend.c) adds a staging buffer to the open batch and
 * records its copy there. dp_vk_submit_uploads (or dp_vk_frame_fence, which calls it) ends
 * the batch and submits it with the batch's own fence. The staging buffers are destroyed when
 * that fence is seen signalled; the command buffer and fence are then reused.
 *
 * Frames. dp_vk_frame_fence hands the host a fence for frame F and appends {fence, F} to the
 * pending ring, behind the upload batch it submitted first. dp_vk_frames_completed walks the
 * ring from the oldest record and stops at the first unsignalled fence, so it reports F only
 * when everything depot knows was submitted up to F has finished. A frame fence that was seen
 * signalled is reset and kept for a later frame.
 */
#include <string.h>

#include "vk_internal.h"

enum { RING_MIN = 16 };

/* ---- the pending ring ----------------------------------------------------------------------- */

/* Room for one more pending record. DP_OK or NOMEM. */
static dp_status ring_reserve(dp_vk *vk)
{
    if (vk->npending < vk->capring)
        return DP_OK;
    size_t ncap = vk->capring ? vk->capring * 2 : RING_MIN;
    dp__vk_pending *n = dp__calloc(&vk->alloc, ncap, sizeof *n);
    if (!n)
        return DP_ERR_NOMEM;
    for (size_t i = 0; i < vk->npending; i++)
        n[i] = vk->ring[(vk->head + i) % vk->capring];
    dp__free(&vk->alloc, vk->ring);
    vk->ring = n;
    vk->capring = ncap;
    vk->head = 0;
    return DP_OK;
}

static void ring_push(dp_vk *vk, dp__vk_pending p)
{
    vk->ring[(vk->head + vk->npending) % vk->capring] = p;
    vk->npending++;
}

/* A fence for a frame: a spare one (already reset) or a new one. */
static dp_status fence_get(dp_vk *vk, VkFence *out)
{
    if (vk->nspare > 0) {
        *out = vk->spare[--vk->nspare];
        return DP_OK;
    }
    const VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    return dp__vk_status(vkCreateFence(vk->host.device, &fci, NULL, out));
}

/* Keeps a signalled, seen frame fence for reuse (destroys it when there is no room). */
static void fence_put(dp_vk *vk, VkFence f)
{
    if (vkResetFences(vk->host.device, 1, &f) == VK_SUCCESS &&
        dp__grow(&vk->alloc, (void **)&vk->spare, &vk->capspare, vk->nspare + 1,
                 sizeof *vk->spare) == DP_OK)
        vk->spare[vk->nspare++] = f;
    else
        vkDestroyFence(vk->host.device, f, NULL);
}

static void staging_free(dp_vk *vk, dp__vk_batch *b)
{
    for (size_t i = 0; i < b->nstaging; i++) {
        vkDestroyBuffer(vk->host.device, b->staging[i].buffer, NULL);
        vkFreeMemory(vk->host.device, b->staging[i].memory, NULL);
        vk->staging_bytes -= b->staging[i].bytes;
    }
    b->nstaging = 0;
}

/* The oldest pending record has signalled: release what it kept alive. */
static void finish_oldest(dp_vk *vk)
{
    dp__vk_pending p = vk->ring[vk->head];
    vk->head = (vk->head + 1) % vk->capring;
    vk->npending--;
    if (p.batch >= 0) {
        dp__vk_batch *b = &vk->batches[p.batch];
        staging_free(vk, b);
        vkResetFences(vk->host.device, 1, &b->fence);
        b->busy = false; /* free for the next open batch */
    } else {
        vk->completed = p.frame;
        fence_put(vk, p.fence);
    }
}

/* Waits up to timeout_ns (0: polls) for the oldest pending record; true when it finished. */
static bool drain_oldest(dp_vk *vk, uint64_t timeout_ns)
{
    if (vk->npending == 0)
        return false;
    VkFence f = vk->ring[vk->head].fence;
    VkResult r = timeout_ns ? vkWaitForFences(vk->host.device, 1, &f, VK_TRUE, timeout_ns)
                            : vkGetFenceStatus(vk->host.device, f);
    if (r != VK_SUCCESS)
        return false;
    finish_oldest(vk);
    return true;
}

uint64_t dp_vk_frames_completed(dp_vk *vk, uint64_t timeout_ns)
{
    if (!vk)
        return 0;
    /* Only the first wait may block; the rest are polls. */
    if (drain_oldest(vk, timeout_ns)) {
        while (drain_oldest(vk, 0)) {
        }
    }
    return vk->completed;
}

dp_status dp_vk_wait_idle(dp_vk *vk, uint64_t timeout_ns)
{
    if (!vk)
        return DP_ERR_INVALID;
    uint64_t step = timeout_ns / 64 ? timeout_ns / 64 : 1;
    uint64_t waited = 0;
    while (vk->npending > 0) {
        if (!drain_oldest(vk, step)) {
            waited += step;
            if (waited >= timeout_ns)
                return DP_ERR_TIMEOUT;
        }
    }
    return DP_OK;
}

/* ---- upload batches ----------------------------------------------------------------------- */

/* Makes a new batch: a command buffer and an unsignalled fence. Index or -1 (no memory). */
static int batch_new(dp_vk *vk)
{
    if (dp__grow(&vk->alloc, (void **)&vk->batches, &vk->capbatches, vk->nbatches + 1,
                 sizeof *vk->batches) != DP_OK)
        return -1;
    dp__vk_batch *b = &vk->batches[vk->nbatches];
    memset(b, 0, sizeof *b);
    const VkCommandBufferAllocateInfo cai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = vk->pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1};
    if (vkAllocateCommandBuffers(vk->host.device, &cai, &b->cmd) != VK_SUCCESS)
        return -1;
    const VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if (vkCreateFence(vk->host.device, &fci, NULL, &b->fence) != VK_SUCCESS) {
        vkFreeCommandBuffers(vk->host.device, vk->pool, 1, &b->cmd);
        return -1;
    }
    return (int)vk->nbatches++;
}

/* Makes sure a batch is open and recording. DP_OK or NOMEM. */
static dp_status batch_open(dp_vk *vk)
{
    if (vk->open >= 0)
        return DP_OK;
    int idx = -1;
    for (size_t i = 0; i < vk->nbatches && idx < 0; i++)
        if (!vk->batches[i].busy)
            idx = (int)i;
    if (idx < 0 && (idx = batch_new(vk)) < 0)
        return DP_ERR_NOMEM;
    const VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                         .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VkResult r = vkBeginCommandBuffer(vk->batches[idx].cmd, &bi);
    if (r != VK_SUCCESS)
        return dp__vk_status(r) == DP_OK ? DP_ERR_NOMEM : dp__vk_status(r);
    vk->batches[idx].busy = true;
    vk->open = idx;
    return DP_OK;
}

/* A host-visible, coherent buffer holding a copy of the parts. */
static dp_status staging_make(dp_vk *vk, const dp__vk_parts *parts, dp__vk_staging *s)
{
    size_t bytes = parts->bytes;
    VkDevice dev = vk->host.device;
    const VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                    .size = bytes,
                                    .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                    .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkResult r = vkCreateBuffer(dev, &bci, NULL, &s->buffer);
    if (r != VK_SUCCESS)
        return dp__vk_status(r);
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(dev, s->buffer, &req);
    VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                 VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    uint32_t mt = dp__vk_memory_type(vk, req.memoryTypeBits, host, host);
    void *map = NULL;
    if (mt == UINT32_MAX) {
        r = VK_ERROR_FORMAT_NOT_SUPPORTED;
    } else {
        const VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                          .allocationSize = req.size,
                                          .memoryTypeIndex = mt};
        r = vkAllocateMemory(dev, &mai, NULL, &s->memory);
    }
    if (r == VK_SUCCESS)
        r = vkBindBufferMemory(dev, s->buffer, s->memory, 0);
    if (r == VK_SUCCESS)
        r = vkMapMemory(dev, s->memory, 0, bytes, 0, &map);
    if (r != VK_SUCCESS) {
        vkDestroyBuffer(dev, s->buffer, NULL);
        vkFreeMemory(dev, s->memory, NULL);
        return mt == UINT32_MAX ? DP_ERR_NOT_FOUND : dp__vk_status(r);
    }
    for (size_t i = 0; i < parts->n; i++)
        memcpy((unsigned char *)map + parts->offset[i], parts->data[i], parts->size[i]);
    vkUnmapMemory(dev, s->memory);
    s->bytes = bytes;
    return DP_OK;
}

dp_status dp__vk_stage(dp_vk *vk, const dp__vk_parts *parts, VkBuffer *buffer,
                       VkCommandBuffer *cmd)
{
    dp_status st = batch_open(vk);
    if (st != DP_OK)
        return st;
    dp__vk_batch *b = &vk->batches[vk->open];
    st = dp__grow(&vk->alloc, (void **)&b->staging, &b->capstaging, b->nstaging + 1,
                  sizeof *b->staging);
    dp__vk_staging s = {0};
    if (st == DP_OK)
        st = staging_make(vk, parts, &s);
    if (st != DP_OK)
        return st;
    b->staging[b->nstaging++] = s;
    vk->staging_bytes += parts->bytes;
    *buffer = s.buffer;
    *cmd = b->cmd;
    return DP_OK;
}

dp_status dp_vk_submit_uploads(dp_vk *vk)
{
    if (!vk)
        return DP_ERR_INVALID;
    if (vk->open < 0)
        return DP_OK;
    if (ring_reserve(vk) != DP_OK)
        return DP_ERR_NOMEM;
    dp__vk_batch *b = &vk->batches[vk->open];
    VkResult r = vkEndCommandBuffer(b->cmd);
    const VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .commandBufferCount = 1,
                             .pCommandBuffers = &b->cmd};
    if (r == VK_SUCCESS)
        r = vkQueueSubmit(vk->host.queue, 1, &si, b->fence);
    if (r != VK_SUCCESS)
        return dp__vk_status(r) == DP_OK ? DP_ERR_NOMEM : dp__vk_status(r);
    ring_push(vk, (dp__vk_pending){.fence = b->fence, .frame = 0, .batch = vk->open});
    vk->open = -1;
    vk->uploads_submitted++;
    return DP_OK;
}

dp_status dp_vk_frame_fence(dp_vk *vk, uint64_t frame, VkFence *fence)
{
    if (fence)
        *fence = VK_NULL_HANDLE;
    if (!vk || !fence || frame == 0 || frame <= vk->last_frame)
        return DP_ERR_INVALID;
    dp_status st = dp_vk_submit_uploads(vk);
    if (st == DP_OK)
        st = ring_reserve(vk);
    VkFence f = VK_NULL_HANDLE;
    if (st == DP_OK)
        st = fence_get(vk, &f);
    if (st != DP_OK)
        return st;
    ring_push(vk, (dp__vk_pending){.fence = f, .frame = frame, .batch = -1});
    vk->last_frame = frame;
    *fence = f;
    return DP_OK;
}

void dp__vk_submit_teardown(dp_vk *vk)
{
    VkDevice dev = vk->host.device;
    /* The host made the queue idle: let every fence be seen signalled (the validation layer
     * then knows the command buffers are no longer in use), then destroy everything. */
    while (drain_oldest(vk, 0)) {
    }
    for (size_t i = 0; i < vk->npending; i++) {
        dp__vk_pending *p = &vk->ring[(vk->head + i) % vk->capring];
        if (p->batch < 0)
            vkDestroyFence(dev, p->fence, NULL);
    }
    for (size_t i = 0; i < vk->nbatches; i++) {
        staging_free(vk, &vk->batches[i]);
        dp__free(&vk->alloc, vk->batches[i].staging);
        vkDestroyFence(dev, vk->batches[i].fence, NULL);
        vkFreeCommandBuffers(dev, vk->pool, 1, &vk->batches[i].cmd);
    }
    for (size_t i = 0; i < vk->nspare; i++)
        vkDestroyFence(dev, vk->spare[i], NULL);
    dp__free(&vk->alloc, vk->batches);
    dp__free(&vk->alloc, vk->ring);
    dp__free(&vk->alloc, vk->spare);
}
