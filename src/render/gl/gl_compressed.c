/* gl_compressed.c — KTX 2.0 textures (dp_texture) in the GL backend: the file's VkFormat
 * mapped to a GL internal format, the formats this context can take (extensions and
 * version), and the upload of every stored level, block-compressed formats with
 * glCompressedTexImage2D as their blocks (no decode on the CPU).
 *
 * A format the context cannot take is DP_ERR_UNSUPPORTED (permanent: the asset's render
 * state is FAILED with that status); depot has no block decoder to fall back to. Only
 * plain 2D textures (one layer, one face, depth 1) are uploaded; each level must hold
 * exactly the blocks its size needs, so GL never reads past it (a hand-made dp_texture is
 * checked like a parsed one). */
#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>

#include <string.h>

#include "common/alloc.h"
#include "render/gl/gl_internal.h"

/* What a VkFormat becomes: the internal format, and for uncompressed ones the client
 * format and type; `cap` names what the context must have. */
typedef struct gl_format {
    uint32_t vk;
    GLenum internal, format, type; /* format 0: compressed */
    uint8_t cap;
} gl_format;

enum { CAP_CORE, CAP_S3TC, CAP_S3TC_SRGB, CAP_RGTC, CAP_BPTC, CAP_ETC2, CAP_ASTC };

#define ASTC(i) {157 + 2 * (i), 0x93B0 + (i), 0, 0, CAP_ASTC}, \
                {158 + 2 * (i), 0x93D0 + (i), 0, 0, CAP_ASTC}

static const gl_format formats[] = {
    {9, GL_R8, GL_RED, GL_UNSIGNED_BYTE, CAP_CORE},
    {16, GL_RG8, GL_RG, GL_UNSIGNED_BYTE, CAP_CORE},
    {23, GL_RGB8, GL_RGB, GL_UNSIGNED_BYTE, CAP_CORE},
    {29, GL_SRGB8, GL_RGB, GL_UNSIGNED_BYTE, CAP_CORE},
    {37, GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, CAP_CORE},
    {43, GL_SRGB8_ALPHA8, GL_RGBA, GL_UNSIGNED_BYTE, CAP_CORE},
    {44, GL_RGBA8, GL_BGRA, GL_UNSIGNED_BYTE, CAP_CORE},
    {50, GL_SRGB8_ALPHA8, GL_BGRA, GL_UNSIGNED_BYTE, CAP_CORE},
    {97, GL_RGBA16F, GL_RGBA, GL_HALF_FLOAT, CAP_CORE},
    {109, GL_RGBA32F, GL_RGBA, GL_FLOAT, CAP_CORE},
    {131, GL_COMPRESSED_RGB_S3TC_DXT1_EXT, 0, 0, CAP_S3TC},
    {132, GL_COMPRESSED_SRGB_S3TC_DXT1_EXT, 0, 0, CAP_S3TC_SRGB},
    {133, GL_COMPRESSED_RGBA_S3TC_DXT1_EXT, 0, 0, CAP_S3TC},
    {134, GL_COMPRESSED_SRGB_ALPHA_S3TC_DXT1_EXT, 0, 0, CAP_S3TC_SRGB},
    {135, GL_COMPRESSED_RGBA_S3TC_DXT3_EXT, 0, 0, CAP_S3TC},
    {136, GL_COMPRESSED_SRGB_ALPHA_S3TC_DXT3_EXT, 0, 0, CAP_S3TC_SRGB},
    {137, GL_COMPRESSED_RGBA_S3TC_DXT5_EXT, 0, 0, CAP_S3TC},
    {138, GL_COMPRESSED_SRGB_ALPHA_S3TC_DXT5_EXT, 0, 0, CAP_S3TC_SRGB},
    {139, GL_COMPRESSED_RED_RGTC1, 0, 0, CAP_RGTC},
    {140, GL_COMPRESSED_SIGNED_RED_RGTC1, 0, 0, CAP_RGTC},
    {141, GL_COMPRESSED_RG_RGTC2, 0, 0, CAP_RGTC},
    {142, GL_COMPRESSED_SIGNED_RG_RGTC2, 0, 0, CAP_RGTC},
    {143, GL_COMPRESSED_RGB_BPTC_UNSIGNED_FLOAT, 0, 0, CAP_BPTC},
    {144, GL_COMPRESSED_RGB_BPTC_SIGNED_FLOAT, 0, 0, CAP_BPTC},
    {145, GL_COMPRESSED_RGBA_BPTC_UNORM, 0, 0, CAP_BPTC},
    {146, GL_COMPRESSED_SRGB_ALPHA_BPTC_UNORM, 0, 0, CAP_BPTC},
    {147, GL_COMPRESSED_RGB8_ETC2, 0, 0, CAP_ETC2},
    {148, GL_COMPRESSED_SRGB8_ETC2, 0, 0, CAP_ETC2},
    {149, GL_COMPRESSED_RGB8_PUNCHTHROUGH_ALPHA1_ETC2, 0, 0, CAP_ETC2},
    {150, GL_COMPRESSED_SRGB8_PUNCHTHROUGH_ALPHA1_ETC2, 0, 0, CAP_ETC2},
    {151, GL_COMPRESSED_RGBA8_ETC2_EAC, 0, 0, CAP_ETC2},
    {152, GL_COMPRESSED_SRGB8_ALPHA8_ETC2_EAC, 0, 0, CAP_ETC2},
    {153, GL_COMPRESSED_R11_EAC, 0, 0, CAP_ETC2},
    {154, GL_COMPRESSED_SIGNED_R11_EAC, 0, 0, CAP_ETC2},
    {155, GL_COMPRESSED_RG11_EAC, 0, 0, CAP_ETC2},
    {156, GL_COMPRESSED_SIGNED_RG11_EAC, 0, 0, CAP_ETC2},
    ASTC(0), ASTC(1), ASTC(2), ASTC(3), ASTC(4), ASTC(5), ASTC(6),
    ASTC(7), ASTC(8), ASTC(9), ASTC(10), ASTC(11), ASTC(12), ASTC(13),
};

/* True when the context lists extension `name` (core profiles list them one by one). */
static bool has_gl_ext(const char *name)
{
    GLint n = 0;
    glGetIntegerv(GL_NUM_EXTENSIONS, &n);
    for (GLint i = 0; i < n; i++) {
        const GLubyte *e = glGetStringi(GL_EXTENSIONS, (GLuint)i);
        if (e && strcmp((const char *)e, name) == 0)
            return true;
    }
    return false;
}

void dp__gl_probe_formats(dp_gl *gl, int version)
{
    gl->caps = 1u << CAP_CORE | 1u << CAP_RGTC; /* RGTC is core since GL 3.0 */
    bool s3tc = has_gl_ext("GL_EXT_texture_compression_s3tc");
    if (s3tc)
        gl->caps |= 1u << CAP_S3TC;
    if (s3tc && (has_gl_ext("GL_EXT_texture_sRGB") ||
                 has_gl_ext("GL_EXT_texture_compression_s3tc_srgb")))
        gl->caps |= 1u << CAP_S3TC_SRGB;
    if (version >= 42 || has_gl_ext("GL_ARB_texture_compression_bptc"))
        gl->caps |= 1u << CAP_BPTC;
    if (version >= 43 || has_gl_ext("GL_ARB_ES3_compatibility"))
        gl->caps |= 1u << CAP_ETC2;
    if (has_gl_ext("GL_KHR_texture_compression_astc_ldr"))
        gl->caps |= 1u << CAP_ASTC;
}

static const gl_format *format_of(uint32_t vk)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].vk == vk)
            return &formats[i];
    return NULL;
}

bool dp__gl_format_supported(const dp_gl *gl, uint32_t vk_format)
{
    const gl_format *f = format_of(vk_format);
    return f && (gl->caps & 1u << f->cap);
}

/* A plain 2D texture whose every level holds exactly its blocks. */
static bool texture_shape_ok(const dp_gl *gl, const dp_texture *t)
{
    if (!t || t->width == 0 || t->height == 0 || t->depth > 1 || t->layers > 1 ||
        t->faces != 1 || t->array || t->levels < 1 || t->levels > DP_TEXTURE_MAX_LEVELS ||
        !t->block_width || !t->block_height || !t->block_bytes ||
        t->width > (uint32_t)gl->max_texture_size || t->height > (uint32_t)gl->max_texture_size)
        return false;
    for (uint32_t l = 0; l < t->levels; l++) {
        uint32_t w = t->width >> l, h = t->height >> l;
        w = w ? w : 1;
        h = h ? h : 1;
        size_t blocks = (size_t)((w + t->block_width - 1) / t->block_width) *
                        ((h + t->block_height - 1) / t->block_height);
        if (!t->level[l].data || t->level[l].bytes != blocks * t->block_bytes ||
            t->level[l].bytes > (size_t)INT32_MAX)
            return false;
    }
    return true;
}

/* Uploads every level into the bound texture; the first GL error, or GL_NO_ERROR. */
static GLenum upload_levels(const dp_texture *t, const gl_format *f)
{
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_BASE_LEVEL, 0);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, (GLint)t->levels - 1);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER,
                    t->levels > 1 ? GL_LINEAR_MIPMAP_LINEAR : GL_LINEAR);
    for (uint32_t l = 0; l < t->levels; l++) {
        const dp_texture_level *lv = &t->level[l];
        if (f->format == 0)
            glCompressedTexImage2D(GL_TEXTURE_2D, (GLint)l, f->internal, (GLsizei)lv->width,
                                   (GLsizei)lv->height, 0, (GLsizei)lv->bytes, lv->data);
        else
            glTexImage2D(GL_TEXTURE_2D, (GLint)l, (GLint)f->internal, (GLsizei)lv->width,
                         (GLsizei)lv->height, 0, f->format, f->type, lv->data);
        GLenum err = glGetError();
        if (err != GL_NO_ERROR)
            return err;
    }
    return GL_NO_ERROR;
}

dp_status dp__gl_create_texture(dp_gl *gl, const dp_texture *t, void **gpu, size_t *gpu_bytes)
{
    if (!texture_shape_ok(gl, t))
        return DP_ERR_INVALID;
    const gl_format *f = format_of(t->vk_format);
    if (!f || !(gl->caps & 1u << f->cap))
        return DP_ERR_UNSUPPORTED;
    dp__gl_texture *tex;
    dp_status st = dp__gl_texture_begin(gl, &tex);
    if (st != DP_OK)
        return st;
    GLenum err = upload_levels(t, f);
    size_t bytes = 0;
    for (uint32_t l = 0; l < t->levels; l++)
        bytes += t->level[l].bytes;
    *tex = (dp__gl_texture){.name = tex->name, .width = t->width, .height = t->height,
                            .levels = t->levels, .internal_format = f->internal};
    return dp__gl_texture_end(gl, tex, err, bytes, gpu, gpu_bytes);
}
