/* demo_vk.c — see demo_vk.h. Built only with the Vulkan backend (DP_HAVE_VULKAN). */
#include "depot/config.h"
#if DP_HAVE_VULKAN
#include <stdio.h>
#include <stdlib.h>

#include "demo_vk.h"
#include "depot/render_vk.h"

struct demo_vk {
    dp_vk_headless *hl;
    dp_vk *vk;
    dp_vk_host host;
    size_t messages;
};

static void on_message(void *user, int severity, const char *id, const char *text)
{
    demo_vk *v = user;
    v->messages++;
    fprintf(stderr, "depot demo: validation %s [%s]: %s\n",
            severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? "error" : "warning", id,
            text);
}

demo_vk *demo_vk_start(dp_type_id image, dp_type_id page, dp_render_backend *backend,
                       char *name, size_t name_cap, char *why, size_t why_cap)
{
    demo_vk *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(why, why_cap, "out of memory");
        return NULL;
    }
    /* With the validation layer when it is installed; without it otherwise. */
    dp_vk_headless_desc hd = {.validation = true, .on_message = on_message, .user = v};
    dp_status st = dp_vk_headless_create(&hd, &v->hl, why, why_cap);
    bool validated = st == DP_OK;
    if (st == DP_ERR_INVALID) {
        hd.validation = false;
        st = dp_vk_headless_create(&hd, &v->hl, why, why_cap);
    }
    if (st == DP_OK) {
        v->host = dp_vk_headless_host(v->hl);
        st = dp_vk_create(&(dp_vk_desc){.host = v->host}, &v->vk);
        if (st != DP_OK)
            snprintf(why, why_cap, "dp_vk_create: %s", dp_status_str(st));
    }
    if (st != DP_OK) {
        demo_vk_finish(v);
        return NULL;
    }
    dp_vk_set_types(v->vk, image, page);
    *backend = dp_vk_backend(v->vk);
    snprintf(name, name_cap, "Vulkan, headless (%.80s)%s", dp_vk_headless_device_name(v->hl),
             validated ? ", VK_LAYER_KHRONOS_validation on" : ", no validation layer");
    return v;
}

void demo_vk_submit(demo_vk *v, uint64_t frame)
{
    VkFence fence;
    if (dp_vk_frame_fence(v->vk, frame, &fence) != DP_OK)
        return;
    const VkSubmitInfo empty = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO};
    if (vkQueueSubmit(v->host.queue, 1, &empty, fence) != VK_SUCCESS)
        fprintf(stderr, "depot demo: vkQueueSubmit of frame %llu failed\n",
                (unsigned long long)frame);
}

uint64_t demo_vk_completed(demo_vk *v, bool wait)
{
    return dp_vk_frames_completed(v->vk, wait ? 200000000ull : 0);
}

void demo_vk_idle(demo_vk *v)
{
    if (v && v->host.queue)
        vkQueueWaitIdle(v->host.queue);
}

size_t demo_vk_finish(demo_vk *v)
{
    if (!v)
        return 0;
    demo_vk_idle(v);
    dp_vk_destroy(v->vk);
    dp_vk_headless_destroy(v->hl);
    size_t n = v->messages;
    free(v);
    return n;
}
#else
typedef int demo_vk_not_built; /* keeps the translation unit non-empty */
#endif
