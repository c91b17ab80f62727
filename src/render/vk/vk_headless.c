/* vk_headless.c — a Vulkan instance, device and queue without any window, for the tests, the
 * demo and the benchmark. A real host brings its own; the backend never needs this file.
 *
 * With validation, VK_LAYER_KHRONOS_validation is enabled and a VK_EXT_debug_utils messenger
 * forwards every warning and error to desc.on_message. The same messenger description is
 * chained into VkInstanceCreateInfo, so vkCreateInstance and vkDestroyInstance are covered
 * too; the messenger object covers everything between, including vkDestroyDevice, where the
 * layer reports every object still alive in the device.
 */
#include <stdio.h>
#include <string.h>

#include "common/why.h"
#include "vk_internal.h"

#define VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"

struct dp_vk_headless {
    dp_allocator alloc;
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    dp_vk_host host;
    dp_vk_message_fn on_message;
    void *user;
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
};

static VKAPI_ATTR VkBool32 VKAPI_CALL on_debug(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                                               VkDebugUtilsMessageTypeFlagsEXT types,
                                               const VkDebugUtilsMessengerCallbackDataEXT *d,
                                               void *user)
{
    (void)types;
    const dp_vk_headless *hl = user;
    if (hl->on_message && sev >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT)
        hl->on_message(hl->user, (int)sev, d->pMessageIdName ? d->pMessageIdName : "",
                       d->pMessage ? d->pMessage : "");
    return VK_FALSE;
}

static bool has_layer(const char *name)
{
    VkLayerProperties props[64];
    uint32_t n = 64;
    if (vkEnumerateInstanceLayerProperties(&n, props) < 0)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(props[i].layerName, name))
            return true;
    return false;
}

static dp_status make_instance(dp_vk_headless *hl, const dp_vk_headless_desc *desc,
                               char *why, size_t cap)
{
    const char *layers[] = {VALIDATION_LAYER};
    const char *exts[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    bool messenger = desc->on_message != NULL;
    if (desc->validation && !has_layer(VALIDATION_LAYER)) {
        dp__why(why, cap, "validation requested but %s is not installed "
                "(Debian: vulkan-validationlayers)", VALIDATION_LAYER);
        return DP_ERR_INVALID;
    }
    const VkValidationFeatureEnableEXT sync_on[] = {
        VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    const VkValidationFeaturesEXT features = {
        .sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
        .enabledValidationFeatureCount = 1,
        .pEnabledValidationFeatures = sync_on};
    const VkDebugUtilsMessengerCreateInfoEXT mci = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .pNext = desc->validation && desc->sync_validation ? &features : NULL,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_debug,
        .pUserData = hl};
    const VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .pApplicationName = "depot",
                                   .pEngineName = "depot",
                                   .apiVersion = VK_API_VERSION_1_1};
    const VkInstanceCreateInfo ici = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pNext = messenger ? (const void *)&mci
                           : (desc->validation && desc->sync_validation ? &features : NULL),
        .pApplicationInfo = &app,
        .enabledLayerCount = desc->validation ? 1u : 0u,
        .ppEnabledLayerNames = layers,
        .enabledExtensionCount = messenger ? 1u : 0u,
        .ppEnabledExtensionNames = exts};
    VkResult r = vkCreateInstance(&ici, NULL, &hl->instance);
    if (r == VK_ERROR_EXTENSION_NOT_PRESENT) {
        dp__why(why, cap, "vkCreateInstance: %s missing", VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
        return DP_ERR_INVALID;
    }
    if (r != VK_SUCCESS) {
        dp__why(why, cap, "vkCreateInstance failed (%d): no Vulkan driver?", (int)r);
        hl->instance = VK_NULL_HANDLE;
        return r == VK_ERROR_OUT_OF_HOST_MEMORY ? DP_ERR_NOMEM : DP_ERR_NOT_FOUND;
    }
    if (!messenger)
        return DP_OK;
    PFN_vkCreateDebugUtilsMessengerEXT create = (PFN_vkCreateDebugUtilsMessengerEXT)
        vkGetInstanceProcAddr(hl->instance, "vkCreateDebugUtilsMessengerEXT");
    VkDebugUtilsMessengerCreateInfoEXT mci_obj = mci;
    mci_obj.pNext = NULL;
    if (!create || create(hl->instance, &mci_obj, NULL, &hl->messenger) != VK_SUCCESS) {
        dp__why(why, cap, "vkCreateDebugUtilsMessengerEXT failed");
        return DP_ERR_INVALID;
    }
    return DP_OK;
}

/* The first physical device with a graphics queue family. */
static dp_status pick_device(dp_vk_headless *hl, char *why, size_t cap)
{
    VkPhysicalDevice devs[16];
    uint32_t n = 16;
    VkResult r = vkEnumeratePhysicalDevices(hl->instance, &n, devs);
    if (r < 0 || n == 0) {
        dp__why(why, cap, "no Vulkan physical device (is mesa-vulkan-drivers installed?)");
        return DP_ERR_NOT_FOUND;
    }
    for (uint32_t i = 0; i < n; i++) {
        VkQueueFamilyProperties fam[16];
        uint32_t nf = 16;
        vkGetPhysicalDeviceQueueFamilyProperties(devs[i], &nf, fam);
        for (uint32_t f = 0; f < nf; f++) {
            if (fam[f].queueFlags & VK_QUEUE_GRAPHICS_BIT) {
                VkPhysicalDeviceProperties props;
                vkGetPhysicalDeviceProperties(devs[i], &props);
                snprintf(hl->name, sizeof hl->name, "%s", props.deviceName);
                hl->host.physical_device = devs[i];
                hl->host.queue_family = f;
                return DP_OK;
            }
        }
    }
    dp__why(why, cap, "no Vulkan device with a graphics queue");
    return DP_ERR_NOT_FOUND;
}

static dp_status make_device(dp_vk_headless *hl, char *why, size_t cap)
{
    const float priority = 1.0f;
    const VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueFamilyIndex = hl->host.queue_family,
                                         .queueCount = 1,
                                         .pQueuePriorities = &priority};
    const VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci};
    VkResult r = vkCreateDevice(hl->host.physical_device, &dci, NULL, &hl->host.device);
    if (r != VK_SUCCESS) {
        dp__why(why, cap, "vkCreateDevice failed (%d) on %s", (int)r, hl->name);
        hl->host.device = VK_NULL_HANDLE;
        return r == VK_ERROR_OUT_OF_HOST_MEMORY ? DP_ERR_NOMEM : DP_ERR_NOT_FOUND;
    }
    vkGetDeviceQueue(hl->host.device, hl->host.queue_family, 0, &hl->host.queue);
    return DP_OK;
}

dp_status dp_vk_headless_create(const dp_vk_headless_desc *desc, dp_vk_headless **out,
                                char *why, size_t why_cap)
{
    dp__why(why, why_cap, "no error");
    if (out)
        *out = NULL;
    dp_vk_headless_desc none = {0};
    if (!desc)
        desc = &none;
    if (!out) {
        dp__why(why, why_cap, "out is NULL");
        return DP_ERR_INVALID;
    }
    dp_allocator al;
    dp__alloc_init(&al, desc->allocator);
    dp_vk_headless *hl = dp__calloc(&al, 1, sizeof *hl);
    if (!hl) {
        dp__why(why, why_cap, "out of memory");
        return DP_ERR_NOMEM;
    }
    hl->alloc = al;
    hl->on_message = desc->on_message;
    hl->user = desc->user;
    dp_status st = make_instance(hl, desc, why, why_cap);
    if (st == DP_OK)
        st = pick_device(hl, why, why_cap);
    if (st == DP_OK)
        st = make_device(hl, why, why_cap);
    if (st != DP_OK) {
        dp_vk_headless_destroy(hl);
        return st;
    }
    *out = hl;
    return DP_OK;
}

void dp_vk_headless_destroy(dp_vk_headless *hl)
{
    if (!hl)
        return;
    if (hl->host.device) {
        vkDeviceWaitIdle(hl->host.device);
        vkDestroyDevice(hl->host.device, NULL);
    }
    if (hl->messenger) {
        PFN_vkDestroyDebugUtilsMessengerEXT destroy = (PFN_vkDestroyDebugUtilsMessengerEXT)
            vkGetInstanceProcAddr(hl->instance, "vkDestroyDebugUtilsMessengerEXT");
        if (destroy)
            destroy(hl->instance, hl->messenger, NULL);
    }
    if (hl->instance)
        vkDestroyInstance(hl->instance, NULL);
    dp_allocator a = hl->alloc;
    dp__free(&a, hl);
}

dp_vk_host dp_vk_headless_host(const dp_vk_headless *hl)
{
    return hl ? hl->host : (dp_vk_host){0};
}

const char *dp_vk_headless_device_name(const dp_vk_headless *hl)
{
    return hl ? hl->name : "";
}
