/* ktx2.h — KTX 2.0 texture containers (Khronos KTX 2.0 specification), parsed by depot:
 * the "texture" type's decoder. The container is read with every offset and size checked
 * against the file length before use; level data is copied (or, with zstd
 * supercompression, inflated) into one allocation whose size was checked against the
 * limits below before it was made. */
#ifndef DEPOT_LOAD_KTX2_H
#define DEPOT_LOAD_KTX2_H

#include <stdbool.h>

#include "depot/load.h"

#define DP__KTX2_MAX_SIDE 16384u
#define DP__KTX2_MAX_DEPTH 2048u
#define DP__KTX2_MAX_LAYERS 2048u
#define DP__KTX2_MAX_BYTES ((size_t)1 << 30) /* all levels of a texture together */

enum {
    DP__KTX2_SC_NONE = 0,
    DP__KTX2_SC_BASISLZ = 1,
    DP__KTX2_SC_ZSTD = 2,
    DP__KTX2_SC_ZLIB = 3,
};

/* How a vkFormat stores texels: blocks of bw x bh texels of `bytes` bytes (1 x 1 for
 * uncompressed formats). */
typedef struct dp__ktx2_format {
    uint32_t vk_format;
    uint8_t bw, bh, bytes;
} dp__ktx2_format;

/* The block layout of a vkFormat depot passes through, or NULL when it does not know it. */
const dp__ktx2_format *dp__ktx2_format_find(uint32_t vk_format);

/* One entry of the level index, as checked against the file. */
typedef struct dp__ktx2_level_ref {
    size_t offset, length;  /* within the file */
    size_t size;            /* bytes after inflation = the level's computed size */
} dp__ktx2_level_ref;

/* The parsed container: header fields and the checked level index. No allocation. */
typedef struct dp__ktx2_info {
    uint32_t vk_format, width, height, depth, layers, faces, levels, scheme;
    bool array;
    const dp__ktx2_format *fmt;
    dp__ktx2_level_ref level[DP_TEXTURE_MAX_LEVELS];
    size_t total; /* sum of level sizes */
    const char *why; /* when the parse failed: what is wrong (static text), else NULL */
} dp__ktx2_info;

/* True when the bytes start with the KTX 2.0 identifier. */
bool dp__ktx2_sniff(const void *bytes, size_t len);

/* Reads and checks the header, the index and the level index of a KTX 2.0 file. On
 * failure info is zeroed but for `why`, which says what is wrong.
 * DP_OK; DP_ERR_FORMAT (not KTX2, inconsistent or out-of-range fields, a region past the
 * end of the file, over the limits); DP_ERR_UNSUPPORTED (Basis Universal: BasisLZ or a
 * VK_FORMAT_UNDEFINED payload such as UASTC; zlib supercompression; a vkFormat depot does
 * not know). */
dp_status dp__ktx2_parse(const void *bytes, size_t len, dp__ktx2_info *info);

/* Parses and builds a dp_texture (one block from `a`; free with dp__texture_free).
 * zstd levels are inflated with libzstd when built in (else DP_ERR_UNSUPPORTED); an
 * inflated size that differs from the level's is DP_ERR_FORMAT. `cancel` (may be NULL)
 * is polled between levels, and the parse's `why` is left on it (dp__cancel_why). Errors of
 * dp__ktx2_parse; DP_ERR_NOMEM; DP_ERR_CANCELLED;
 * DP_ERR_INVALID (NULL out). */
dp_status dp__ktx2_decode(const dp_allocator *a, const void *bytes, size_t len,
                          const struct dp_cancel *cancel, dp_texture **out);

/* Frees a texture from dp__ktx2_decode. NULL is ignored. */
void dp__texture_free(const dp_allocator *a, dp_texture *t);

/* The bytes a texture occupies (struct and level data), for the asset byte size. */
size_t dp__texture_bytes(const dp_texture *t);

#endif
