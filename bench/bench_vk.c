/* bench_vk.c — per-texture cost of depot's render layer over the Vulkan backend, against the
 * same creates and destroys done directly, in one run (headless device, lavapipe in CI; no
 * validation layer). N textures of 4 x 4 RGBA8 per round; each line is the best of ROUNDS.
 *
 *  vk.layer_per_texture    the render calls of a full lifetime: sync + prepare (create,
 *                          staging, recorded copy) + fence, submit and wait; then, after the
 *                          assets are released, sync (retire) + fence, submit, wait +
 *                          frame_done (destroy). dp_add/dp_update/dp_release are not timed.
 *  vk.backend_per_texture  the backend's vtable called directly: create, one submission with
 *                          a fence and its wait, destroy. No render layer.
 *  vk.raw_per_texture      hand-written Vulkan doing the same objects and commands: image,
 *                          memory, view, staging buffer, barriers and copy in one command
 *                          buffer, one submit and wait, then every destroy. No depot at all.
 *  vk.layer_bookkeeping    (layer - backend) / backend, in percent: the render layer's share.
 *  vk.backend_vs_raw       (backend - raw) / raw, in percent: the backend's own overhead.
 */
#include "depot/config.h"

#include <stdio.h>

#include "bench.h"

#if DP_HAVE_VULKAN
#include <stdlib.h>
#include <string.h>

#include "depot/load.h"
#include "depot/render_vk.h"

enum { N = 1000, ROUNDS = 7, SIDE = 4 };

/* A measurement: wall time, and CPU time of the calling thread (lavapipe's own threads do
 * the GPU work, so this is what depot and the driver's API calls cost the caller; it is far
 * less disturbed by other processes than wall time on a loaded machine). */
typedef struct cost {
    double wall, cpu; /* ns per texture; < 0: failed */
} cost;

static uint64_t cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct stamp {
    uint64_t wall, cpu;
} stamp;

static stamp now(void)
{
    return (stamp){dp_bench_now_ns(), cpu_now_ns()};
}

typedef struct bench_vk {
    dp_vk_headless *hl;
    dp_vk_host host;
    dp_vk *vk;
    uint64_t frame; /* dp_vk's frame numbers, increasing over all rounds */
    dp_image *img[N];
} bench_vk;

static void bv_image_destroy(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static dp_image *bv_image(void)
{
    dp_image *img = malloc(sizeof *img + SIDE * SIDE * 4);
    if (!img)
        return NULL;
    img->width = img->height = SIDE;
    img->pixels = (unsigned char *)(img + 1);
    memset(img->pixels, 0x7f, SIDE * SIDE * 4);
    return img;
}

/* Submits an empty batch with the next frame's fence and waits until the frame is done. */
static bool bv_frame(bench_vk *b)
{
    VkFence fence;
    if (dp_vk_frame_fence(b->vk, ++b->frame, &fence) != DP_OK)
        return false;
    const VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO};
    if (vkQueueSubmit(b->host.queue, 1, &si, fence) != VK_SUCCESS)
        return false;
    return dp_vk_wait_idle(b->vk, 60000000000ull) == DP_OK;
}

/* ns per texture through the render layer; -1 on failure. */
static cost bv_layer(bench_vk *b)
{
    dp_depot *dp = NULL;
    dp_render *r = NULL;
    dp_type_id type = 0;
    dp_handle *h = calloc(N, sizeof *h);
    cost ns = {-1, -1};
    dp_type t = {.name = "bench_vk_image", .destroy = bv_image_destroy};
    if (!h || dp_create(&(dp_desc){.workers = 1}, &dp) != DP_OK ||
        dp_register_type(dp, &t, &type) != DP_OK)
        goto out;
    dp_vk_set_types(b->vk, type, 0);
    if (dp_render_create(dp, &(dp_render_desc){.backend = dp_vk_backend(b->vk)}, &r) != DP_OK)
        goto out;
    for (size_t i = 0; i < N; i++) {
        dp_image *img = bv_image();
        if (!img || dp_add(dp, type, img, sizeof *img + SIDE * SIDE * 4, NULL, &h[i]) != DP_OK) {
            free(img);
            goto out;
        }
    }
    dp_update(dp);
    stamp t0 = now();
    if (dp_render_sync(r, 1) != DP_OK || dp_render_prepare(r) != DP_OK || !bv_frame(b))
        goto out;
    stamp t1 = now();
    for (size_t i = 0; i < N; i++)
        dp_release(dp, h[i]);
    dp_update(dp);
    stamp t2 = now();
    if (dp_render_sync(r, 2) != DP_OK || !bv_frame(b) || dp_render_frame_done(r, 2) != DP_OK)
        goto out;
    stamp t3 = now();
    dp_render_stats s;
    dp_render_get_stats(r, 0, &s);
    if (s.created == N && s.destroyed == N)
        ns = (cost){(double)((t1.wall - t0.wall) + (t3.wall - t2.wall)) / N,
                    (double)((t1.cpu - t0.cpu) + (t3.cpu - t2.cpu)) / N};
out:
    dp_render_destroy(r);
    dp_destroy(dp);
    free(h);
    return ns;
}

/* ns per texture calling the backend's vtable directly; -1 on failure. */
static cost bv_backend(bench_vk *b)
{
    dp_type_id type = 1;
    dp_vk_set_types(b->vk, type, 0);
    dp_render_backend be = dp_vk_backend(b->vk);
    void *gpu[N];
    size_t bytes;
    const cost failed = {-1, -1};
    stamp t0 = now();
    for (size_t i = 0; i < N; i++)
        if (be.create(be.user, type, b->img[i], &gpu[i], &bytes) != DP_OK)
            return failed;
    if (!bv_frame(b))
        return failed;
    for (size_t i = 0; i < N; i++)
        be.destroy(be.user, type, gpu[i]);
    stamp t1 = now();
    return (cost){(double)(t1.wall - t0.wall) / N, (double)(t1.cpu - t0.cpu) / N};
}

typedef struct raw_tex {
    VkImage image;
    VkDeviceMemory mem, smem;
    VkImageView view;
    VkBuffer staging;
} raw_tex;

static uint32_t raw_memtype(const VkPhysicalDeviceMemoryProperties *mp, uint32_t bits,
                            VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < mp->memoryTypeCount; i++)
        if ((bits & (1u << i)) && (mp->memoryTypes[i].propertyFlags & want) == want)
            return i;
    return 0;
}

static void raw_make(VkDevice dev, const VkPhysicalDeviceMemoryProperties *mp, raw_tex *t,
                     const dp_image *img, VkCommandBuffer cmd)
{
    const VkImageCreateInfo ici = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, .imageType = VK_IMAGE_TYPE_2D,
        .format = VK_FORMAT_R8G8B8A8_UNORM, .extent = {SIDE, SIDE, 1}, .mipLevels = 1,
        .arrayLayers = 1, .samples = VK_SAMPLE_COUNT_1_BIT, .tiling = VK_IMAGE_TILING_OPTIMAL,
        .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_SAMPLED_BIT};
    vkCreateImage(dev, &ici, NULL, &t->image);
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(dev, t->image, &req);
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = raw_memtype(mp, req.memoryTypeBits, 0)};
    vkAllocateMemory(dev, &mai, NULL, &t->mem);
    vkBindImageMemory(dev, t->image, t->mem, 0);
    const VkImageViewCreateInfo vci = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO, .image = t->image,
        .viewType = VK_IMAGE_VIEW_TYPE_2D, .format = VK_FORMAT_R8G8B8A8_UNORM,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    vkCreateImageView(dev, &vci, NULL, &t->view);
    const VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                    .size = SIDE * SIDE * 4,
                                    .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT};
    vkCreateBuffer(dev, &bci, NULL, &t->staging);
    vkGetBufferMemoryRequirements(dev, t->staging, &req);
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = raw_memtype(mp, req.memoryTypeBits,
                                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                          VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    vkAllocateMemory(dev, &mai, NULL, &t->smem);
    vkBindBufferMemory(dev, t->staging, t->smem, 0);
    void *map;
    vkMapMemory(dev, t->smem, 0, SIDE * SIDE * 4, 0, &map);
    memcpy(map, img->pixels, SIDE * SIDE * 4);
    vkUnmapMemory(dev, t->smem);
    VkImageMemoryBarrier b = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER, .dstAccessMask =
            VK_ACCESS_TRANSFER_WRITE_BIT, .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
        .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED, .image = t->image,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         0, 0, NULL, 0, NULL, 1, &b);
    const VkBufferImageCopy region = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                      .imageExtent = {SIDE, SIDE, 1}};
    vkCmdCopyBufferToImage(cmd, t->staging, t->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1,
                           &region);
    b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
    b.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    b.newLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 0, NULL, 0, NULL, 1, &b);
}

/* ns per texture in hand-written Vulkan; -1 on failure. */
static cost bv_raw(bench_vk *b)
{
    VkDevice dev = b->host.device;
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(b->host.physical_device, &mp);
    raw_tex *t = calloc(N, sizeof *t);
    VkCommandPool pool;
    const VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                         .queueFamilyIndex = b->host.queue_family};
    if (!t || vkCreateCommandPool(dev, &pci, NULL, &pool) != VK_SUCCESS) {
        free(t);
        return (cost){-1, -1};
    }
    VkCommandBuffer cmd;
    const VkCommandBufferAllocateInfo cai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1};
    VkFence fence;
    const VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    vkAllocateCommandBuffers(dev, &cai, &cmd);
    vkCreateFence(dev, &fci, NULL, &fence);
    const VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                         .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};

    stamp t0 = now();
    vkBeginCommandBuffer(cmd, &bi);
    for (size_t i = 0; i < N; i++)
        raw_make(dev, &mp, &t[i], b->img[i], cmd);
    vkEndCommandBuffer(cmd);
    const VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1,
                             .pCommandBuffers = &cmd};
    bool ok = vkQueueSubmit(b->host.queue, 1, &si, fence) == VK_SUCCESS &&
              vkWaitForFences(dev, 1, &fence, VK_TRUE, 60000000000ull) == VK_SUCCESS;
    for (size_t i = 0; i < N; i++) {
        vkDestroyBuffer(dev, t[i].staging, NULL);
        vkFreeMemory(dev, t[i].smem, NULL);
        vkDestroyImageView(dev, t[i].view, NULL);
        vkDestroyImage(dev, t[i].image, NULL);
        vkFreeMemory(dev, t[i].mem, NULL);
    }
    stamp t1 = now();
    vkDestroyFence(dev, fence, NULL);
    vkDestroyCommandPool(dev, pool, NULL);
    free(t);
    if (!ok)
        return (cost){-1, -1};
    return (cost){(double)(t1.wall - t0.wall) / N, (double)(t1.cpu - t0.cpu) / N};
}

static double least(double a, double b)
{
    return a < 0 ? b : (b < 0 || a < b ? a : b);
}

/* The best of two measurements, wall and CPU each on its own. */
static cost best(cost a, cost b)
{
    return (cost){least(a.wall, b.wall), least(a.cpu, b.cpu)};
}

static void report(const char *what, cost layer, cost backend, cost raw)
{
    char name[64];
    snprintf(name, sizeof name, "vk.layer_per_texture_%s", what);
    dp_bench_report(name, layer.wall < 0 ? 0 : (what[0] == 'w' ? layer.wall : layer.cpu), "ns");
    double l = what[0] == 'w' ? layer.wall : layer.cpu;
    double be = what[0] == 'w' ? backend.wall : backend.cpu;
    double r = what[0] == 'w' ? raw.wall : raw.cpu;
    snprintf(name, sizeof name, "vk.backend_per_texture_%s", what);
    dp_bench_report(name, be, "ns");
    snprintf(name, sizeof name, "vk.raw_per_texture_%s", what);
    dp_bench_report(name, r, "ns");
    snprintf(name, sizeof name, "vk.layer_bookkeeping_%s", what);
    dp_bench_report(name, (l - be) / be * 100.0, "%");
    snprintf(name, sizeof name, "vk.backend_vs_raw_%s", what);
    dp_bench_report(name, (be - r) / r * 100.0, "%");
}

int dp_bench_vk(void)
{
    static bench_vk b;
    char why[256];
    if (dp_vk_headless_create(&(dp_vk_headless_desc){0}, &b.hl, why, sizeof why) != DP_OK) {
        printf("bench vk: skipped: %s\n", why);
        return 0;
    }
    b.host = dp_vk_headless_host(b.hl);
    int rc = 1;
    if (dp_vk_create(&(dp_vk_desc){.host = b.host}, &b.vk) != DP_OK)
        goto out;
    for (size_t i = 0; i < N; i++)
        if (!(b.img[i] = bv_image()))
            goto out;
    cost layer = {-1, -1}, backend = {-1, -1}, raw = {-1, -1};
    for (int r = 0; r < ROUNDS; r++) {
        layer = best(layer, bv_layer(&b));
        backend = best(backend, bv_backend(&b));
        raw = best(raw, bv_raw(&b));
    }
    if (layer.cpu < 0 || backend.cpu < 0 || raw.cpu < 0) {
        fprintf(stderr, "bench vk: a round failed\n");
        goto out;
    }
    printf("bench vk: %s, %d textures of %dx%d RGBA8 per round, best of %d\n",
           dp_vk_headless_device_name(b.hl), N, SIDE, SIDE, ROUNDS);
    report("wall", layer, backend, raw);
    report("cpu", layer, backend, raw);
    rc = 0;
out:
    vkDeviceWaitIdle(b.host.device);
    dp_vk_destroy(b.vk);
    dp_vk_headless_destroy(b.hl);
    for (size_t i = 0; i < N; i++)
        free(b.img[i]);
    return rc;
}
#else
int dp_bench_vk(void)
{
    printf("bench vk: skipped: built without Vulkan (libvulkan-dev)\n");
    return 0;
}
#endif
