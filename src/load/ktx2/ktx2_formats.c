/* ktx2_formats.c — the vkFormat values the texture type passes through, with their block
 * layout (values from the Vulkan specification's VkFormat enumeration). */
#include "load/ktx2/ktx2.h"

#include <stddef.h>

static const dp__ktx2_format formats[] = {
    /* Uncompressed: one texel per "block". */
    {9, 1, 1, 1},     /* R8_UNORM */
    {16, 1, 1, 2},    /* R8G8_UNORM */
    {23, 1, 1, 3},    /* R8G8B8_UNORM */
    {29, 1, 1, 3},    /* R8G8B8_SRGB */
    {37, 1, 1, 4},    /* R8G8B8A8_UNORM */
    {43, 1, 1, 4},    /* R8G8B8A8_SRGB */
    {44, 1, 1, 4},    /* B8G8R8A8_UNORM */
    {50, 1, 1, 4},    /* B8G8R8A8_SRGB */
    {97, 1, 1, 8},    /* R16G16B16A16_SFLOAT */
    {109, 1, 1, 16},  /* R32G32B32A32_SFLOAT */
    /* BC1-BC7 (S3TC, RGTC, BPTC): 4x4 blocks. */
    {131, 4, 4, 8},   /* BC1_RGB_UNORM */
    {132, 4, 4, 8},   /* BC1_RGB_SRGB */
    {133, 4, 4, 8},   /* BC1_RGBA_UNORM */
    {134, 4, 4, 8},   /* BC1_RGBA_SRGB */
    {135, 4, 4, 16},  /* BC2_UNORM */
    {136, 4, 4, 16},  /* BC2_SRGB */
    {137, 4, 4, 16},  /* BC3_UNORM */
    {138, 4, 4, 16},  /* BC3_SRGB */
    {139, 4, 4, 8},   /* BC4_UNORM */
    {140, 4, 4, 8},   /* BC4_SNORM */
    {141, 4, 4, 16},  /* BC5_UNORM */
    {142, 4, 4, 16},  /* BC5_SNORM */
    {143, 4, 4, 16},  /* BC6H_UFLOAT */
    {144, 4, 4, 16},  /* BC6H_SFLOAT */
    {145, 4, 4, 16},  /* BC7_UNORM */
    {146, 4, 4, 16},  /* BC7_SRGB */
    /* ETC2 and EAC: 4x4 blocks. */
    {147, 4, 4, 8},   /* ETC2_R8G8B8_UNORM */
    {148, 4, 4, 8},   /* ETC2_R8G8B8_SRGB */
    {149, 4, 4, 8},   /* ETC2_R8G8B8A1_UNORM */
    {150, 4, 4, 8},   /* ETC2_R8G8B8A1_SRGB */
    {151, 4, 4, 16},  /* ETC2_R8G8B8A8_UNORM */
    {152, 4, 4, 16},  /* ETC2_R8G8B8A8_SRGB */
    {153, 4, 4, 8},   /* EAC_R11_UNORM */
    {154, 4, 4, 8},   /* EAC_R11_SNORM */
    {155, 4, 4, 16},  /* EAC_R11G11_UNORM */
    {156, 4, 4, 16},  /* EAC_R11G11_SNORM */
    /* ASTC LDR: 16-byte blocks of every footprint, UNORM then SRGB. */
    {157, 4, 4, 16}, {158, 4, 4, 16}, {159, 5, 4, 16}, {160, 5, 4, 16},
    {161, 5, 5, 16}, {162, 5, 5, 16}, {163, 6, 5, 16}, {164, 6, 5, 16},
    {165, 6, 6, 16}, {166, 6, 6, 16}, {167, 8, 5, 16}, {168, 8, 5, 16},
    {169, 8, 6, 16}, {170, 8, 6, 16}, {171, 8, 8, 16}, {172, 8, 8, 16},
    {173, 10, 5, 16}, {174, 10, 5, 16}, {175, 10, 6, 16}, {176, 10, 6, 16},
    {177, 10, 8, 16}, {178, 10, 8, 16}, {179, 10, 10, 16}, {180, 10, 10, 16},
    {181, 12, 10, 16}, {182, 12, 10, 16}, {183, 12, 12, 16}, {184, 12, 12, 16},
};

const dp__ktx2_format *dp__ktx2_format_find(uint32_t vk_format)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].vk_format == vk_format)
            return &formats[i];
    return NULL;
}
