/* vk_backend.c — the Vulkan render backend: dp_vk in a host's device, the vtable, and the
 * textures it makes.
 *
 * A texture is one VkImage with its own VkDeviceMemory (device-local when the device has
 * it) and one VkImageView. Its pixels reach the image through a staging buffer: create()
 * fills the buffer and records, into depot's open upload batch (vk_submit.c), a transition
 * to TRANSFER_DST_OPTIMAL, the copy of every mip level, and a transition to
 * SHADER_READ_ONLY_OPTIMAL whose second scope is every later command of the queue, so a
 * frame submitted after the batch samples complete pixels without a semaphore.
 *
 * destroy() destroys view, image and memory at once. It is safe only because the render
 * layer calls it after dp_render_frame_done of every frame that could read the texture, and
 * dp_vk_frames_completed reports a frame only when its fence (and every earlier one) has
 * signalled; the validation-layer tests (tests/render/test_vk_*.c) prove both halves.
 *
 * Formats: source_of() maps an asset to what the image is made of (format, size, levels,
 * bytes). It knows RGBA8 images and atlas pages; a block-compressed texture type plugs in
 * there, with format_usable() refusing formats the device cannot sample.
 */
#include <string.h>

#include "depot/load.h"
#include "vk_internal.h"

#define MAX_LEVELS 16

/* What an image is made of: the format, the size of level 0, and each level's bytes
 * (level[l], size[l]) with its offset in the staging buffer; `bytes` in all. */
typedef struct source {
    VkFormat format;
    uint32_t width, height, levels;
    const unsigned char *level[MAX_LEVELS];
    size_t size[MAX_LEVELS], offset[MAX_LEVELS];
    size_t bytes;
} source;

/* Places the levels one after another in the staging buffer, each offset a multiple of 16
 * (a copy's buffer offset must be a multiple of the texel block size, at most 16 bytes). */
static void source_layout(source *src)
{
    size_t at = 0;
    for (uint32_t l = 0; l < src->levels; l++) {
        at = (at + 15u) & ~(size_t)15u;
        src->offset[l] = at;
        at += src->size[l];
    }
    src->bytes = at;
}

dp_status dp__vk_status(VkResult r)
{
    if (r == VK_ERROR_OUT_OF_HOST_MEMORY || r == VK_ERROR_OUT_OF_DEVICE_MEMORY ||
        r == VK_ERROR_TOO_MANY_OBJECTS || r == VK_ERROR_FRAGMENTED_POOL)
        return DP_ERR_NOMEM;
    return r == VK_SUCCESS ? DP_OK : DP_ERR_INVALID;
}

uint32_t dp__vk_memory_type(const dp_vk *vk, uint32_t bits, VkMemoryPropertyFlags want,
                            VkMemoryPropertyFlags fallback)
{
    for (int pass = 0; pass < 2; pass++) {
        VkMemoryPropertyFlags need = pass == 0 ? want : fallback;
        for (uint32_t i = 0; i < vk->mem.memoryTypeCount; i++)
            if ((bits & (1u << i)) && (vk->mem.memoryTypes[i].propertyFlags & need) == need)
                return i;
    }
    return UINT32_MAX;
}

/* ---- create and destroy ---------------------------------------------------------------- */

dp_status dp_vk_create(const dp_vk_desc *desc, dp_vk **out)
{
    if (out)
        *out = NULL;
    if (!desc || !out || !desc->host.physical_device || !desc->host.device ||
        !desc->host.queue)
        return DP_ERR_INVALID;
    dp_allocator al;
    dp__alloc_init(&al, desc->allocator);
    dp_vk *vk = dp__calloc(&al, 1, sizeof *vk);
    if (!vk)
        return DP_ERR_NOMEM;
    vk->alloc = al;
    vk->host = desc->host;
    vk->staging_limit = desc->staging_bytes;
    vk->open = -1;
    vkGetPhysicalDeviceMemoryProperties(vk->host.physical_device, &vk->mem);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(vk->host.physical_device, &props);
    vk->max_dim = props.limits.maxImageDimension2D;
    const VkCommandPoolCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT |
                 VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
        .queueFamilyIndex = vk->host.queue_family};
    VkResult r = vkCreateCommandPool(vk->host.device, &pci, NULL, &vk->pool);
    if (r != VK_SUCCESS) {
        dp__free(&vk->alloc, vk);
        return r == VK_ERROR_OUT_OF_HOST_MEMORY || r == VK_ERROR_OUT_OF_DEVICE_MEMORY
                   ? DP_ERR_NOMEM
                   : DP_ERR_INVALID;
    }
    *out = vk;
    return DP_OK;
}

void dp_vk_destroy(dp_vk *vk)
{
    if (!vk)
        return;
    dp__vk_submit_teardown(vk);
    vkDestroyCommandPool(vk->host.device, vk->pool, NULL);
    dp_allocator a = vk->alloc;
    dp__free(&a, vk);
}

void dp_vk_set_types(dp_vk *vk, dp_type_id image_type, dp_type_id page_type)
{
    if (!vk)
        return;
    vk->image_type = image_type;
    vk->page_type = page_type;
}

void dp_vk_set_mips_type(dp_vk *vk, dp_type_id image_mips_type)
{
    if (vk)
        vk->mips_type = image_mips_type;
}

void dp_vk_get_stats(const dp_vk *vk, dp_vk_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!vk)
        return;
    out->textures = vk->textures;
    out->staging_bytes = vk->staging_bytes;
    out->pending_submissions = vk->npending;
    out->uploads_submitted = vk->uploads_submitted;
}

void dp_vk_set_texture_type(dp_vk *vk, dp_type_id texture_type)
{
    if (vk && texture_type)
        vk->texture_type = texture_type;
}

/* ---- formats ------------------------------------------------------------------------------ */

/* A dp_texture (KTX 2.0) as it is stored: the file's VkFormat, every level's blocks. Only
 * plain 2D textures; the staging offsets (16-byte aligned) must be a multiple of the texel
 * block size, and each level must hold exactly its blocks, so the copy never reads past the
 * level (a hand-made dp_texture is checked like a parsed one). */
static dp_status texture_source(const dp_texture *tx, source *out)
{
    if (!tx || tx->vk_format == 0 || tx->width == 0 || tx->height == 0 || tx->depth > 1 ||
        tx->layers > 1 || tx->faces != 1 || tx->array || tx->levels < 1 ||
        tx->levels > MAX_LEVELS || tx->levels > DP_TEXTURE_MAX_LEVELS || !tx->block_width ||
        !tx->block_height || !tx->block_bytes || 16u % tx->block_bytes != 0)
        return DP_ERR_INVALID;
    out->format = (VkFormat)tx->vk_format;
    out->width = tx->width;
    out->height = tx->height;
    out->levels = tx->levels;
    for (uint32_t l = 0; l < tx->levels; l++) {
        uint32_t w = tx->width >> l, h = tx->height >> l;
        w = w ? w : 1;
        h = h ? h : 1;
        size_t blocks = (size_t)((w + tx->block_width - 1) / tx->block_width) *
                        ((h + tx->block_height - 1) / tx->block_height);
        if (!tx->level[l].data || tx->level[l].bytes != blocks * tx->block_bytes)
            return DP_ERR_INVALID;
        out->level[l] = tx->level[l].data;
        out->size[l] = tx->level[l].bytes;
    }
    source_layout(out);
    return DP_OK;
}

/* The format mapping: what `asset` of `type` becomes. RGBA8 images and atlas pages (dp_image,
 * rows top to bottom, one level); RGBA8 images with their mip chain (dp_image_mips, every
 * level); textures (dp_texture, see texture_source). DP_ERR_INVALID for anything else, an
 * empty image or a missing level. */
static dp_status source_of(const dp_vk *vk, dp_type_id type, const void *asset, source *out)
{
    memset(out, 0, sizeof *out);
    if (type == vk->texture_type)
        return texture_source(asset, out);
    bool mips = type == vk->mips_type;
    if (type != vk->image_type && type != vk->page_type && !mips)
        return DP_ERR_INVALID;
    const dp_image *img = asset; /* the first member of a dp_image_mips */
    if (!img || !img->pixels || img->width == 0 || img->height == 0)
        return DP_ERR_INVALID;
    out->format = VK_FORMAT_R8G8B8A8_UNORM;
    out->width = img->width;
    out->height = img->height;
    out->levels = 1;
    out->level[0] = img->pixels;
    if (mips) {
        const dp_image_mips *m = asset;
        if (m->levels < 1 || m->levels > DP_IMAGE_MAX_LEVELS || m->levels > MAX_LEVELS)
            return DP_ERR_INVALID;
        uint32_t full = 1, side = img->width > img->height ? img->width : img->height;
        while (side >>= 1)
            full++;
        if (m->levels > full)
            return DP_ERR_INVALID; /* more levels than the size has */
        out->levels = m->levels;
        for (uint32_t l = 0; l < m->levels; l++)
            if (!(out->level[l] = m->level[l]))
                return DP_ERR_INVALID;
    }
    for (uint32_t l = 0; l < out->levels; l++) {
        uint32_t w = img->width >> l, h = img->height >> l;
        out->size[l] = (size_t)(w ? w : 1) * (h ? h : 1) * 4u;
    }
    source_layout(out);
    return DP_OK;
}

/* True when the device can copy into and sample an optimally tiled image of `format`.
 * The answer for the last format asked is kept (textures mostly share one format). */
static bool format_usable(dp_vk *vk, VkFormat format)
{
    if (vk->checked_format == format && format != VK_FORMAT_UNDEFINED)
        return vk->checked_usable;
    VkFormatProperties fp;
    vkGetPhysicalDeviceFormatProperties(vk->host.physical_device, format, &fp);
    VkFormatFeatureFlags need = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT;
    vk->checked_format = format;
    vk->checked_usable = (fp.optimalTilingFeatures & need) == need;
    return vk->checked_usable;
}

/* ---- textures ----------------------------------------------------------------------------- */

static bool vk_handles(void *user, dp_type_id type)
{
    const dp_vk *vk = user;
    return type != 0 &&
           (type == vk->image_type || type == vk->page_type || type == vk->mips_type ||
            type == vk->texture_type);
}

static void texture_free(dp_vk *vk, dp__vk_texture *t)
{
    VkDevice dev = vk->host.device;
    vkDestroyImageView(dev, t->view, NULL);
    vkDestroyImage(dev, t->image, NULL);
    vkFreeMemory(dev, t->memory, NULL);
    dp__free(&vk->alloc, t);
}

/* Creates image, memory and view for `src`; *bytes is the memory's size. */
static dp_status texture_make(dp_vk *vk, const source *src, dp__vk_texture *t, size_t *bytes)
{
    VkDevice dev = vk->host.device;
    const VkImageCreateInfo ici = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
        .imageType = VK_IMAGE_TYPE_2D,
        .format = src->format,
        .extent = {src->width, src->height, 1},
        .mipLevels = src->levels,
        .arrayLayers = 1,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .tiling = VK_IMAGE_TILING_OPTIMAL,
        .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_SAMPLED_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    VkResult r = vkCreateImage(dev, &ici, NULL, &t->image);
    if (r != VK_SUCCESS)
        return dp__vk_status(r);
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(dev, t->image, &req);
    uint32_t mt = dp__vk_memory_type(vk, req.memoryTypeBits,
                                     VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
    if (mt == UINT32_MAX)
        return DP_ERR_NOT_FOUND;
    const VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = req.size,
                                      .memoryTypeIndex = mt};
    r = vkAllocateMemory(dev, &mai, NULL, &t->memory);
    if (r == VK_SUCCESS)
        r = vkBindImageMemory(dev, t->image, t->memory, 0);
    if (r != VK_SUCCESS)
        return dp__vk_status(r);
    const VkImageViewCreateInfo vci = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
        .image = t->image,
        .viewType = VK_IMAGE_VIEW_TYPE_2D,
        .format = src->format,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, src->levels, 0, 1}};
    r = vkCreateImageView(dev, &vci, NULL, &t->view);
    if (r != VK_SUCCESS)
        return dp__vk_status(r);
    t->format = src->format;
    t->width = src->width;
    t->height = src->height;
    t->levels = src->levels;
    *bytes = (size_t)req.size;
    return DP_OK;
}

static void layout_barrier(VkCommandBuffer cmd, VkImage image, uint32_t levels,
                           VkImageLayout from, VkImageLayout to)
{
    bool to_transfer = to == VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    const VkImageMemoryBarrier b = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
        .srcAccessMask = to_transfer ? 0 : VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = to_transfer ? VK_ACCESS_TRANSFER_WRITE_BIT : VK_ACCESS_SHADER_READ_BIT,
        .oldLayout = from,
        .newLayout = to,
        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .image = image,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, levels, 0, 1}};
    vkCmdPipelineBarrier(cmd,
                         to_transfer ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT
                                     : VK_PIPELINE_STAGE_TRANSFER_BIT,
                         to_transfer ? VK_PIPELINE_STAGE_TRANSFER_BIT
                                     : VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
                         0, 0, NULL, 0, NULL, 1, &b);
}

/* Records the transitions and the copy of every level from `staging` into t. */
static void record_upload(VkCommandBuffer cmd, VkBuffer staging, const source *src,
                          const dp__vk_texture *t)
{
    VkBufferImageCopy regions[MAX_LEVELS];
    for (uint32_t l = 0; l < src->levels; l++) {
        uint32_t w = src->width >> l, h = src->height >> l;
        regions[l] = (VkBufferImageCopy){
            .bufferOffset = src->offset[l],
            .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, l, 0, 1},
            .imageExtent = {w ? w : 1, h ? h : 1, 1}};
    }
    layout_barrier(cmd, t->image, t->levels, VK_IMAGE_LAYOUT_UNDEFINED,
                   VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
    vkCmdCopyBufferToImage(cmd, staging, t->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           src->levels, regions);
    layout_barrier(cmd, t->image, t->levels, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                   VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL);
}

static dp_status vk_create(void *user, dp_type_id type, const void *asset, void **gpu,
                           size_t *gpu_bytes)
{
    dp_vk *vk = user;
    *gpu = NULL;
    *gpu_bytes = 0;
    source src;
    dp_status st = source_of(vk, type, asset, &src);
    if (st != DP_OK)
        return st;
    if (src.width > vk->max_dim || src.height > vk->max_dim || !format_usable(vk, src.format))
        return DP_ERR_INVALID;
    size_t limit = vk->staging_limit, used = vk->staging_bytes;
    if (limit && used > 0 && (used >= limit || src.bytes > limit - used))
        return DP_ERR_TIMEOUT; /* asked again next frame, when uploads may have finished */
    dp__vk_texture *t = dp__calloc(&vk->alloc, 1, sizeof *t);
    if (!t)
        return DP_ERR_NOMEM;
    size_t bytes = 0;
    VkBuffer staging = VK_NULL_HANDLE;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    st = texture_make(vk, &src, t, &bytes);
    if (st == DP_OK)
        st = dp__vk_stage(vk,
                          &(dp__vk_parts){.data = src.level, .offset = src.offset,
                                          .size = src.size, .n = src.levels,
                                          .bytes = src.bytes},
                          &staging, &cmd);
    if (st != DP_OK) {
        texture_free(vk, t);
        return st;
    }
    record_upload(cmd, staging, &src, t);
    vk->textures++;
    *gpu = t;
    *gpu_bytes = bytes;
    return DP_OK;
}

static void vk_destroy(void *user, dp_type_id type, void *gpu)
{
    dp_vk *vk = user;
    if (!gpu)
        return;
    texture_free(vk, gpu);
    vk->textures--;
}

dp_render_backend dp_vk_backend(dp_vk *vk)
{
    return (dp_render_backend){
        .handles = vk_handles, .create = vk_create, .destroy = vk_destroy, .user = vk};
}

VkImageView dp_vk_texture_view(const void *gpu)
{
    return gpu ? ((const dp__vk_texture *)gpu)->view : VK_NULL_HANDLE;
}

VkImage dp_vk_texture_image(const void *gpu)
{
    return gpu ? ((const dp__vk_texture *)gpu)->image : VK_NULL_HANDLE;
}

VkFormat dp_vk_texture_format(const void *gpu)
{
    return gpu ? ((const dp__vk_texture *)gpu)->format : VK_FORMAT_UNDEFINED;
}

void dp_vk_texture_size(const void *gpu, uint32_t *width, uint32_t *height)
{
    const dp__vk_texture *t = gpu;
    if (width)
        *width = t ? t->width : 0;
    if (height)
        *height = t ? t->height : 0;
}
