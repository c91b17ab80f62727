/* json_formats.h — parsing the sprite and bundle JSON formats with cJSON.
 * cJSON's own transient allocations use malloc (its hooks are process-global, which depot
 * must not touch); everything returned here is allocated with the depot's allocator. */
#ifndef DEPOT_LOAD_JSON_FORMATS_H
#define DEPOT_LOAD_JSON_FORMATS_H

#include <stdint.h>

#include "depot/common.h"

struct cJSON;

/* Parses `len` bytes (not necessarily NUL-terminated) as one JSON value followed by
 * nothing but whitespace (free it with cJSON_Delete). NULL when the bytes are not JSON,
 * with where cJSON stopped (line, column, byte) in `why` (why_cap bytes; NULL or 0 for
 * none). cJSON's own allocation failures also come back as NULL, and are reported as
 * DP_ERR_FORMAT like any bad input. Shared with the glTF type (src/load/gltf/). */
struct cJSON *dp__json_parse(const void *bytes, size_t len, char *why, size_t why_cap);

/* Reads a JSON number that must be an integer in [0, UINT32_MAX]. */
bool dp__json_u32(const struct cJSON *item, uint32_t *out);

/* A sprite file: {"image": "key", "rect": [x, y, w, h]} (w, h > 0; all integers >= 0 that
 * fit in 32 bits). */
typedef struct dp__sprite_desc {
    char *image_key;
    uint32_t x, y, w, h;
} dp__sprite_desc;

/* DP_OK; DP_ERR_FORMAT (not JSON, missing or wrong-typed fields); DP_ERR_NOMEM.
 * `bytes` need not be NUL-terminated. On error *out is zeroed and nothing is allocated;
 * on DP_ERR_FORMAT `why` (why_cap bytes; NULL or 0 for none) says what is wrong: for text
 * that is not JSON, where cJSON stopped as line, column and byte offset. */
dp_status dp__sprite_parse(const dp_allocator *a, const void *bytes, size_t len,
                           dp__sprite_desc *out, char *why, size_t why_cap);
void dp__sprite_desc_free(const dp_allocator *a, dp__sprite_desc *d);

/* A bundle manifest: {"assets": ["key", ...]} or a bare array of strings. Duplicate keys
 * are kept once; an empty list is valid. */
typedef struct dp__bundle_desc {
    size_t count;
    char **keys;
} dp__bundle_desc;

/* As dp__sprite_parse. */
dp_status dp__bundle_parse(const dp_allocator *a, const void *bytes, size_t len,
                           dp__bundle_desc *out, char *why, size_t why_cap);
void dp__bundle_desc_free(const dp_allocator *a, dp__bundle_desc *d);

#endif
