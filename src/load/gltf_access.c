/* gltf_access.c — dp_gltf_accessor_data, built with or without the glTF reader (cJSON):
 * reading an accessor needs only the depot. */
#include "depot/gltf.h"
#include "depot/load.h"

dp_status dp_gltf_accessor_data(const dp_depot *dp, const dp_gltf_accessor *a,
                                const unsigned char **data, size_t *bytes)
{
    if (data)
        *data = NULL;
    if (bytes)
        *bytes = 0;
    if (!dp || !a || !data || !bytes || a->count == 0)
        return DP_ERR_INVALID;
    uint64_t span = (uint64_t)(a->count - 1) * a->stride + a->element_bytes;
    const unsigned char *base;
    if (a->embedded) {
        base = a->embedded; /* checked against byteLength at load */
    } else {
        if (dp_type_of(dp, a->buffer) != dp_builtins(dp).blob)
            return DP_ERR_STALE;
        const dp_blob *b = (dp_get)(dp, a->buffer);
        if (!b)
            return DP_ERR_STALE;
        if (a->offset > b->size || span > b->size - a->offset)
            return DP_ERR_FORMAT; /* the file is shorter than its byteLength said */
        base = b->bytes;
    }
    *data = base + a->offset;
    *bytes = (size_t)span;
    return DP_OK;
}
