/* ktx2_parse.c — the KTX 2.0 container: identifier, header, index and level index, read
 * with every field checked before it is used (no allocation here).
 *
 * Layout (all little endian): the 12-byte identifier; nine uint32 (vkFormat, typeSize,
 * pixelWidth, pixelHeight, pixelDepth, layerCount, faceCount, levelCount,
 * supercompressionScheme); the index (dfdByteOffset, dfdByteLength, kvdByteOffset,
 * kvdByteLength as uint32, sgdByteOffset, sgdByteLength as uint64); then one level entry
 * (byteOffset, byteLength, uncompressedByteLength, uint64 each) per level, level 0 (the
 * largest) first. */
#include "load/ktx2/ktx2.h"

#include <string.h>

#define IDENT_BYTES 12
#define HEADER_BYTES (IDENT_BYTES + 9 * 4)
#define INDEX_BYTES (4 * 4 + 2 * 8)
#define LEVEL_ENTRY_BYTES 24

static const unsigned char ident[IDENT_BYTES] = {0xAB, 'K', 'T', 'X', ' ', '2', '0', 0xBB,
                                                 '\r', '\n', 0x1A, '\n'};

bool dp__ktx2_sniff(const void *bytes, size_t len)
{
    return bytes && len >= IDENT_BYTES && memcmp(bytes, ident, IDENT_BYTES) == 0;
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* True when [off, off + n) lies inside a file of `len` bytes (no overflow possible). */
static bool inside(uint64_t off, uint64_t n, size_t len)
{
    return off <= len && n <= len - off;
}

static uint32_t at_least_1(uint32_t v)
{
    return v ? v : 1u;
}

/* The size of level `i` in bytes (within the limits, so no overflow: checked by caller). */
static uint64_t level_size(const dp__ktx2_info *in, uint32_t i)
{
    uint64_t w = at_least_1(in->width >> i), h = at_least_1(in->height >> i);
    uint64_t d = at_least_1(in->depth >> i);
    uint64_t bx = (w + in->fmt->bw - 1) / in->fmt->bw, by = (h + in->fmt->bh - 1) / in->fmt->bh;
    return bx * by * d * in->fmt->bytes * in->layers * in->faces;
}

static uint32_t max_levels(uint32_t w, uint32_t h, uint32_t d)
{
    uint32_t m = w > h ? w : h;
    m = m > d ? m : d;
    uint32_t n = 1;
    while (m > 1) {
        m >>= 1;
        n++;
    }
    return n;
}

/* Fails the parse with a reason for dp_failure (static text). */
static dp_status bad(dp__ktx2_info *in, dp_status st, const char *why)
{
    in->why = why;
    return st;
}

/* Header fields: shapes the spec allows, within depot's limits. */
static dp_status read_header(const unsigned char *b, dp__ktx2_info *in)
{
    const unsigned char *h = b + IDENT_BYTES;
    uint32_t pixel_height = rd32(h + 12), pixel_depth = rd32(h + 16), layer_count = rd32(h + 20);
    uint32_t level_count = rd32(h + 28);
    in->vk_format = rd32(h);
    in->width = rd32(h + 8);
    in->height = at_least_1(pixel_height);
    in->depth = at_least_1(pixel_depth);
    in->array = layer_count > 0;
    in->layers = at_least_1(layer_count);
    in->faces = rd32(h + 24);
    in->levels = at_least_1(level_count); /* 0: "generate mips at load", one stored */
    in->scheme = rd32(h + 32);

    if (in->width == 0)
        return bad(in, DP_ERR_FORMAT, "pixelWidth is 0");
    if (in->width > DP__KTX2_MAX_SIDE || in->height > DP__KTX2_MAX_SIDE ||
        in->depth > DP__KTX2_MAX_DEPTH || in->layers > DP__KTX2_MAX_LAYERS)
        return bad(in, DP_ERR_FORMAT, "the size or layer count is over depot's limits");
    if (pixel_depth > 0 && pixel_height == 0)
        return bad(in, DP_ERR_FORMAT, "pixelDepth without pixelHeight");
    if (in->faces != 1 && in->faces != 6)
        return bad(in, DP_ERR_FORMAT, "faceCount is neither 1 nor 6");
    if (in->faces == 6 && (in->width != in->height || pixel_depth != 0))
        return bad(in, DP_ERR_FORMAT, "a cube map that is not square and 2D");
    if (in->levels > DP_TEXTURE_MAX_LEVELS || in->levels > max_levels(in->width, in->height, in->depth))
        return bad(in, DP_ERR_FORMAT, "levelCount is more than the size allows");
    return DP_OK;
}

/* Which payloads depot refuses as unsupported rather than malformed. */
static dp_status check_payload(dp__ktx2_info *in)
{
    if (in->scheme == DP__KTX2_SC_BASISLZ)
        return bad(in, DP_ERR_UNSUPPORTED, "BasisLZ supercompression (not transcoded)");
    if (in->scheme == DP__KTX2_SC_ZLIB)
        return bad(in, DP_ERR_UNSUPPORTED, "zlib supercompression");
    if (in->scheme != DP__KTX2_SC_NONE && in->scheme != DP__KTX2_SC_ZSTD)
        return bad(in, DP_ERR_FORMAT, "unknown supercompressionScheme");
    if (in->vk_format == 0) {
        /* VK_FORMAT_UNDEFINED: Basis Universal (UASTC, ETC1S) or another payload only its
         * data format descriptor describes; depot transcodes none of them. */
        return bad(in, DP_ERR_UNSUPPORTED, "VK_FORMAT_UNDEFINED (Basis Universal, not transcoded)");
    }
    in->fmt = dp__ktx2_format_find(in->vk_format);
    if (!in->fmt)
        return bad(in, DP_ERR_UNSUPPORTED, "a vkFormat depot does not know");
    return DP_OK;
}

/* The index: DFD, key/value data and supercompression global data must lie in the file. */
static dp_status read_index(const unsigned char *b, size_t len, dp__ktx2_info *in)
{
    const unsigned char *x = b + HEADER_BYTES;
    if (!inside(rd32(x), rd32(x + 4), len) || !inside(rd32(x + 8), rd32(x + 12), len) ||
        !inside(rd64(x + 16), rd64(x + 24), len))
        return bad(in, DP_ERR_FORMAT, "the index points past the end of the file");
    return DP_OK;
}

/* Each level entry: inside the file, and sized exactly as the header says it must be. */
static dp_status read_levels(const unsigned char *b, size_t len, dp__ktx2_info *in)
{
    size_t table = HEADER_BYTES + INDEX_BYTES;
    if (!inside(table, (uint64_t)in->levels * LEVEL_ENTRY_BYTES, len))
        return bad(in, DP_ERR_FORMAT, "the level index is cut off (truncated file)");
    in->total = 0;
    for (uint32_t i = 0; i < in->levels; i++) {
        const unsigned char *e = b + table + (size_t)i * LEVEL_ENTRY_BYTES;
        uint64_t off = rd64(e), n = rd64(e + 8), raw = rd64(e + 16);
        uint64_t want = level_size(in, i);
        if (!inside(off, n, len))
            return bad(in, DP_ERR_FORMAT, "a level lies past the end of the file (truncated?)");
        if (off < table + (uint64_t)in->levels * LEVEL_ENTRY_BYTES)
            return bad(in, DP_ERR_FORMAT, "a level overlaps the level index");
        if (raw != want || n == 0 || (in->scheme == DP__KTX2_SC_NONE && n != want))
            return bad(in, DP_ERR_FORMAT, "a level's byte length is not what its size needs");
        if (want > DP__KTX2_MAX_BYTES - in->total)
            return bad(in, DP_ERR_FORMAT, "the levels together are over depot's limit");
        in->total += (size_t)want;
        in->level[i] = (dp__ktx2_level_ref){(size_t)off, (size_t)n, (size_t)want};
    }
    return DP_OK;
}

dp_status dp__ktx2_parse(const void *bytes, size_t len, dp__ktx2_info *info)
{
    if (!info)
        return DP_ERR_INVALID;
    memset(info, 0, sizeof *info);
    if (!dp__ktx2_sniff(bytes, len))
        return bad(info, DP_ERR_FORMAT, "not a KTX 2.0 file (no KTX 2.0 identifier)");
    if (len < HEADER_BYTES + INDEX_BYTES)
        return bad(info, DP_ERR_FORMAT, "the header is cut off (truncated file)");
    const unsigned char *b = bytes;
    dp_status st = read_header(b, info);
    if (st == DP_OK)
        st = read_index(b, len, info);
    if (st == DP_OK)
        st = check_payload(info);
    if (st == DP_OK)
        st = read_levels(b, len, info);
    if (st != DP_OK) {
        const char *why = info->why;
        memset(info, 0, sizeof *info);
        info->why = why;
    }
    return st;
}
