/* atlas_alloc.h — a rectangle allocator for one atlas page, with freeing: a freed rectangle
 * is reused. Single-threaded (the owner's). */
#ifndef DEPOT_RENDER_ATLAS_ALLOC_H
#define DEPOT_RENDER_ATLAS_ALLOC_H

#include <stdint.h>

#include "depot/common.h"

typedef struct dp__rectpack dp__rectpack;

typedef struct dp__rect {
    uint32_t x, y, w, h;
} dp__rect;

/* A page of width x height pixels. DP_OK; DP_ERR_INVALID; DP_ERR_NOMEM. */
dp_status dp__rectpack_create(const dp_allocator *a, uint32_t width, uint32_t height,
                              dp__rectpack **out);
void dp__rectpack_destroy(dp__rectpack *p);

/* Places a w x h rectangle. DP_OK; DP_ERR_OVERFLOW (no room now); DP_ERR_INVALID (0 or
 * larger than the page); DP_ERR_NOMEM. */
dp_status dp__rectpack_alloc(dp__rectpack *p, uint32_t w, uint32_t h, dp__rect *out);

/* Frees a rectangle returned by dp__rectpack_alloc (exactly that x, y, w, h).
 * DP_OK; DP_ERR_NOT_FOUND (not allocated: double free or a foreign rectangle). */
dp_status dp__rectpack_free(dp__rectpack *p, dp__rect r);

/* Allocated area in pixels, and the number of live rectangles. */
uint64_t dp__rectpack_used(const dp__rectpack *p, uint32_t *count);

#endif
