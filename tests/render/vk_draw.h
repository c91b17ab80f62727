/* vk_draw.h — draw-and-read-back scaffolding for the Vulkan tests: a full-framebuffer quad
 * that samples one texture (nearest) into a small RGBA8 target, then copies the target into
 * a host-visible buffer. Header-only (static inline) like gl_draw.h, so that only the tests
 * built with Vulkan see it. Include after testutil.h and depot/render_vk.h.
 *
 * The shaders are tests/render/shaders/quad.{vert,frag}, compiled to SPIR-V at build time by
 * glslangValidator into quad_vert.h / quad_frag.h (tests/CMakeLists.txt).
 *
 * Each of VKD_SLOTS slots has its own target, read-back buffer, descriptor set, command
 * buffer and two events: `gate` (the command buffer waits for the host to set it, so a test
 * can hold a frame on the GPU) and `done` (set by the GPU at the end, so a test can see the
 * GPU finished without telling the validation layer, which only learns of completion through
 * fences and waits). A slot is reused only after its frame was reported complete.
 */
#ifndef DP_TEST_VK_DRAW_H
#define DP_TEST_VK_DRAW_H

#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "quad_frag.h"
#include "quad_vert.h"

enum { VKD_SLOTS = 4, VKD_FB = 8, VKD_LODS = 3 };

typedef struct vkd_slot {
    VkImage target;
    VkDeviceMemory target_mem;
    VkImageView target_view;
    VkFramebuffer fb;
    VkBuffer readback;
    VkDeviceMemory readback_mem;
    VkDescriptorSet set;
    VkCommandBuffer cmd;
    VkEvent gate, done;
} vkd_slot;

typedef struct vkd {
    dp_vk_host host;
    VkPhysicalDeviceMemoryProperties mem;
    VkRenderPass pass;
    VkDescriptorSetLayout dsl;
    VkPipelineLayout layout;
    VkPipeline pipe;
    VkSampler sampler[VKD_LODS]; /* nearest, sampling mip level i only */
    int lod;                     /* the sampler vkd_record uses */
    VkDescriptorPool dpool;
    VkCommandPool cpool;
    vkd_slot slot[VKD_SLOTS];
} vkd;

static inline uint32_t vkd_memtype(const vkd *d, uint32_t bits, VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < d->mem.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (d->mem.memoryTypes[i].propertyFlags & want) == want)
            return i;
    fail_msg("no memory type with flags 0x%x", (unsigned)want);
    return 0;
}

static inline VkDeviceMemory vkd_alloc(const vkd *d, VkMemoryRequirements req,
                                       VkMemoryPropertyFlags want)
{
    const VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = req.size,
                                      .memoryTypeIndex = vkd_memtype(d, req.memoryTypeBits, want)};
    VkDeviceMemory m;
    assert_int_equal(vkAllocateMemory(d->host.device, &mai, NULL, &m), VK_SUCCESS);
    return m;
}

static inline VkShaderModule vkd_module(VkDevice dev, const uint32_t *code, size_t bytes)
{
    const VkShaderModuleCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                         .codeSize = bytes,
                                         .pCode = code};
    VkShaderModule m;
    assert_int_equal(vkCreateShaderModule(dev, &ci, NULL, &m), VK_SUCCESS);
    return m;
}

/* One colour attachment, cleared, then left in TRANSFER_SRC_OPTIMAL for the copy; the
 * external dependency orders the attachment's writes before the copy that follows. */
static inline void vkd_make_pass(vkd *d)
{
    const VkAttachmentDescription att = {
        .format = VK_FORMAT_R8G8B8A8_UNORM,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
        .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
        .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
        .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
        .finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL};
    const VkAttachmentReference ref = {0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    const VkSubpassDescription sub = {.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
                                      .colorAttachmentCount = 1,
                                      .pColorAttachments = &ref};
    const VkSubpassDependency deps[] = {
        {.srcSubpass = VK_SUBPASS_EXTERNAL,
         .dstSubpass = 0,
         .srcStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT,
         .dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
         .srcAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
         .dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT},
        {.srcSubpass = 0,
         .dstSubpass = VK_SUBPASS_EXTERNAL,
         .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
         .dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT,
         .srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
         .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT}};
    const VkRenderPassCreateInfo rpci = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                         .attachmentCount = 1,
                                         .pAttachments = &att,
                                         .subpassCount = 1,
                                         .pSubpasses = &sub,
                                         .dependencyCount = 2,
                                         .pDependencies = deps};
    assert_int_equal(vkCreateRenderPass(d->host.device, &rpci, NULL, &d->pass), VK_SUCCESS);
}

static inline void vkd_make_pipeline(vkd *d)
{
    VkDevice dev = d->host.device;
    const VkDescriptorSetLayoutBinding b = {
        .binding = 0,
        .descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
        .descriptorCount = 1,
        .stageFlags = VK_SHADER_STAGE_FRAGMENT_BIT};
    const VkDescriptorSetLayoutCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 1,
        .pBindings = &b};
    assert_int_equal(vkCreateDescriptorSetLayout(dev, &dci, NULL, &d->dsl), VK_SUCCESS);
    const VkPipelineLayoutCreateInfo lci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                            .setLayoutCount = 1,
                                            .pSetLayouts = &d->dsl};
    assert_int_equal(vkCreatePipelineLayout(dev, &lci, NULL, &d->layout), VK_SUCCESS);

    VkShaderModule vs = vkd_module(dev, dp_vk_quad_vert, sizeof dp_vk_quad_vert);
    VkShaderModule fs = vkd_module(dev, dp_vk_quad_frag, sizeof dp_vk_quad_frag);
    const VkPipelineShaderStageCreateInfo stages[] = {
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_VERTEX_BIT, .module = vs, .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_FRAGMENT_BIT, .module = fs, .pName = "main"}};
    const VkPipelineVertexInputStateCreateInfo vin = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
    const VkPipelineInputAssemblyStateCreateInfo ia = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
        .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_STRIP};
    const VkViewport vp = {0, 0, VKD_FB, VKD_FB, 0, 1};
    const VkRect2D sc = {{0, 0}, {VKD_FB, VKD_FB}};
    const VkPipelineViewportStateCreateInfo vps = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
        .viewportCount = 1, .pViewports = &vp, .scissorCount = 1, .pScissors = &sc};
    const VkPipelineRasterizationStateCreateInfo rs = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
        .polygonMode = VK_POLYGON_MODE_FILL, .cullMode = VK_CULL_MODE_NONE,
        .frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE, .lineWidth = 1.0f};
    const VkPipelineMultisampleStateCreateInfo ms = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
        .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT};
    const VkPipelineColorBlendAttachmentState cba = {.colorWriteMask = 0xf};
    const VkPipelineColorBlendStateCreateInfo cb = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
        .attachmentCount = 1, .pAttachments = &cba};
    const VkGraphicsPipelineCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
        .stageCount = 2, .pStages = stages, .pVertexInputState = &vin,
        .pInputAssemblyState = &ia, .pViewportState = &vps, .pRasterizationState = &rs,
        .pMultisampleState = &ms, .pColorBlendState = &cb, .layout = d->layout,
        .renderPass = d->pass, .subpass = 0};
    assert_int_equal(vkCreateGraphicsPipelines(dev, VK_NULL_HANDLE, 1, &pci, NULL, &d->pipe),
                     VK_SUCCESS);
    vkDestroyShaderModule(dev, vs, NULL);
    vkDestroyShaderModule(dev, fs, NULL);

    for (int l = 0; l < VKD_LODS; l++) {
        const VkSamplerCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
                                         .magFilter = VK_FILTER_NEAREST,
                                         .minFilter = VK_FILTER_NEAREST,
                                         .mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST,
                                         .addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                                         .addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                                         .addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                                         .minLod = (float)l,
                                         .maxLod = (float)l};
        assert_int_equal(vkCreateSampler(dev, &sci, NULL, &d->sampler[l]), VK_SUCCESS);
    }
}

static inline void vkd_make_slot(vkd *d, vkd_slot *s)
{
    VkDevice dev = d->host.device;
    const VkImageCreateInfo ici = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, .imageType = VK_IMAGE_TYPE_2D,
        .format = VK_FORMAT_R8G8B8A8_UNORM, .extent = {VKD_FB, VKD_FB, 1}, .mipLevels = 1,
        .arrayLayers = 1, .samples = VK_SAMPLE_COUNT_1_BIT, .tiling = VK_IMAGE_TILING_OPTIMAL,
        .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT};
    assert_int_equal(vkCreateImage(dev, &ici, NULL, &s->target), VK_SUCCESS);
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(dev, s->target, &req);
    s->target_mem = vkd_alloc(d, req, 0);
    assert_int_equal(vkBindImageMemory(dev, s->target, s->target_mem, 0), VK_SUCCESS);
    const VkImageViewCreateInfo vci = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO, .image = s->target,
        .viewType = VK_IMAGE_VIEW_TYPE_2D, .format = VK_FORMAT_R8G8B8A8_UNORM,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    assert_int_equal(vkCreateImageView(dev, &vci, NULL, &s->target_view), VK_SUCCESS);
    const VkFramebufferCreateInfo fci = {
        .sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO, .renderPass = d->pass,
        .attachmentCount = 1, .pAttachments = &s->target_view, .width = VKD_FB,
        .height = VKD_FB, .layers = 1};
    assert_int_equal(vkCreateFramebuffer(dev, &fci, NULL, &s->fb), VK_SUCCESS);

    const VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                    .size = VKD_FB * VKD_FB * 4,
                                    .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT};
    assert_int_equal(vkCreateBuffer(dev, &bci, NULL, &s->readback), VK_SUCCESS);
    vkGetBufferMemoryRequirements(dev, s->readback, &req);
    s->readback_mem = vkd_alloc(d, req, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                            VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    assert_int_equal(vkBindBufferMemory(dev, s->readback, s->readback_mem, 0), VK_SUCCESS);

    const VkDescriptorSetAllocateInfo dai = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO, .descriptorPool = d->dpool,
        .descriptorSetCount = 1, .pSetLayouts = &d->dsl};
    assert_int_equal(vkAllocateDescriptorSets(dev, &dai, &s->set), VK_SUCCESS);
    const VkCommandBufferAllocateInfo cai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = d->cpool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1};
    assert_int_equal(vkAllocateCommandBuffers(dev, &cai, &s->cmd), VK_SUCCESS);
    const VkEventCreateInfo eci = {.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    assert_int_equal(vkCreateEvent(dev, &eci, NULL, &s->gate), VK_SUCCESS);
    assert_int_equal(vkCreateEvent(dev, &eci, NULL, &s->done), VK_SUCCESS);
}

static inline void vkd_init(vkd *d, dp_vk_host host)
{
    memset(d, 0, sizeof *d);
    d->host = host;
    vkGetPhysicalDeviceMemoryProperties(host.physical_device, &d->mem);
    vkd_make_pass(d);
    vkd_make_pipeline(d);
    const VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, VKD_SLOTS};
    const VkDescriptorPoolCreateInfo dpci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO, .maxSets = VKD_SLOTS,
        .poolSizeCount = 1, .pPoolSizes = &ps};
    assert_int_equal(vkCreateDescriptorPool(host.device, &dpci, NULL, &d->dpool), VK_SUCCESS);
    const VkCommandPoolCreateInfo cpci = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = host.queue_family};
    assert_int_equal(vkCreateCommandPool(host.device, &cpci, NULL, &d->cpool), VK_SUCCESS);
    for (int i = 0; i < VKD_SLOTS; i++)
        vkd_make_slot(d, &d->slot[i]);
}

/* Destroys everything (the queue must be idle). */
static inline void vkd_free(vkd *d)
{
    VkDevice dev = d->host.device;
    if (!dev)
        return;
    for (int i = 0; i < VKD_SLOTS; i++) {
        vkd_slot *s = &d->slot[i];
        vkDestroyEvent(dev, s->gate, NULL);
        vkDestroyEvent(dev, s->done, NULL);
        vkDestroyFramebuffer(dev, s->fb, NULL);
        vkDestroyImageView(dev, s->target_view, NULL);
        vkDestroyImage(dev, s->target, NULL);
        vkFreeMemory(dev, s->target_mem, NULL);
        vkDestroyBuffer(dev, s->readback, NULL);
        vkFreeMemory(dev, s->readback_mem, NULL);
    }
    vkDestroyCommandPool(dev, d->cpool, NULL);
    vkDestroyDescriptorPool(dev, d->dpool, NULL);
    for (int l = 0; l < VKD_LODS; l++)
        vkDestroySampler(dev, d->sampler[l], NULL);
    vkDestroyPipeline(dev, d->pipe, NULL);
    vkDestroyPipelineLayout(dev, d->layout, NULL);
    vkDestroyDescriptorSetLayout(dev, d->dsl, NULL);
    vkDestroyRenderPass(dev, d->pass, NULL);
    memset(d, 0, sizeof *d);
}

/* Records slot `i`: [wait for the host to set the gate], draw the quad sampling `view`
 * (VK_NULL_HANDLE: only clear), copy the target to the read-back buffer, make it visible to
 * the host, set `done`. The slot must not be in use by the GPU. */
static inline void vkd_record(vkd *d, int i, VkImageView view, bool gated)
{
    vkd_slot *s = &d->slot[i];
    VkDevice dev = d->host.device;
    assert_int_equal(vkResetEvent(dev, s->gate), VK_SUCCESS);
    assert_int_equal(vkResetEvent(dev, s->done), VK_SUCCESS);
    if (view) {
        const VkDescriptorImageInfo ii = {d->sampler[d->lod], view,
                                          VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
        const VkWriteDescriptorSet w = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                        .dstSet = s->set, .descriptorCount = 1,
                                        .descriptorType =
                                            VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
                                        .pImageInfo = &ii};
        vkUpdateDescriptorSets(dev, 1, &w, 0, NULL);
    }
    const VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                         .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    assert_int_equal(vkBeginCommandBuffer(s->cmd, &bi), VK_SUCCESS);
    if (gated)
        vkCmdWaitEvents(s->cmd, 1, &s->gate, VK_PIPELINE_STAGE_HOST_BIT,
                        VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, NULL, 0, NULL, 0, NULL);
    const VkClearValue clear = {.color = {{0.0f, 0.0f, 0.0f, 0.0f}}};
    const VkRenderPassBeginInfo rbi = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                       .renderPass = d->pass, .framebuffer = s->fb,
                                       .renderArea = {{0, 0}, {VKD_FB, VKD_FB}},
                                       .clearValueCount = 1, .pClearValues = &clear};
    vkCmdBeginRenderPass(s->cmd, &rbi, VK_SUBPASS_CONTENTS_INLINE);
    if (view) {
        vkCmdBindPipeline(s->cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, d->pipe);
        vkCmdBindDescriptorSets(s->cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, d->layout, 0, 1,
                                &s->set, 0, NULL);
        vkCmdDraw(s->cmd, 4, 1, 0, 0);
    }
    vkCmdEndRenderPass(s->cmd);
    const VkBufferImageCopy region = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                      .imageExtent = {VKD_FB, VKD_FB, 1}};
    vkCmdCopyImageToBuffer(s->cmd, s->target, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                           s->readback, 1, &region);
    const VkBufferMemoryBarrier to_host = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT, .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED, .buffer = s->readback,
        .size = VK_WHOLE_SIZE};
    vkCmdPipelineBarrier(s->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0,
                         0, NULL, 1, &to_host, 0, NULL);
    vkCmdSetEvent(s->cmd, s->done, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT);
    assert_int_equal(vkEndCommandBuffer(s->cmd), VK_SUCCESS);
}

static inline void vkd_submit(vkd *d, int i, VkFence fence)
{
    const VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1,
                             .pCommandBuffers = &d->slot[i].cmd};
    assert_int_equal(vkQueueSubmit(d->host.queue, 1, &si, fence), VK_SUCCESS);
}

/* The centre pixel of slot i's read-back (its frame must be complete). */
static inline void vkd_centre(vkd *d, int i, unsigned char out[4])
{
    void *map = NULL;
    assert_int_equal(vkMapMemory(d->host.device, d->slot[i].readback_mem, 0, VK_WHOLE_SIZE, 0,
                                 &map),
                     VK_SUCCESS);
    size_t at = ((size_t)(VKD_FB / 2) * VKD_FB + VKD_FB / 2) * 4;
    memcpy(out, (unsigned char *)map + at, 4);
    vkUnmapMemory(d->host.device, d->slot[i].readback_mem);
}

/* Waits (yielding, up to about `spins` polls) until the GPU set slot i's `done` event: the
 * GPU has finished the slot's work, but no fence or wait told the validation layer so. */
static inline bool vkd_wait_done_quietly(vkd *d, int i, long spins)
{
    for (long k = 0; k < spins; k++) {
        if (vkGetEventStatus(d->host.device, d->slot[i].done) == VK_EVENT_SET)
            return true;
        sched_yield();
    }
    return false;
}

#endif
