/** @file render.h
 * @brief Layer 4, render: GPU-side resources of assets, created within a per-frame upload
 * budget and retired safely across frames in flight; a dynamic atlas.
 *
 * The render layer listens to the depot's events (dp_listen), so it never misses a FREED
 * or MODIFIED, even for updates between two syncs. A resource that a frame may still read
 * is destroyed only after dp_render_frame_done for that frame; each resource is destroyed
 * exactly once. Removing and re-adding the same key between two frames gives a new resource
 * for the new asset and retires the old one (Bevy #18808), and an asset whose CPU data is
 * dropped after upload keeps its GPU resource (the cause of Bevy's reverted fix #18845).
 *
 * Thread rules: every dp_render_* and dp_atlas_* function runs on the depot's owner thread
 * (others get DP_ERR_WRONG_THREAD or NULL). Destroy the render layer before the depot.
 */
#ifndef DEPOT_RENDER_H
#define DEPOT_RENDER_H

#include "depot/asset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dp_render dp_render;

/** @brief What a backend does. `create` makes the GPU resource of an asset of a type it
 * handles (`handles` returns true for it) and returns DP_OK with *gpu and *gpu_bytes, or
 * DP_ERR_TIMEOUT to be asked again next frame, or another error (the asset then has no
 * resource until it is modified). `destroy` destroys a resource `create` made. */
typedef struct dp_render_backend {
    bool (*handles)(void *user, dp_type_id type);
    dp_status (*create)(void *user, dp_type_id type, const void *asset, void **gpu,
                        size_t *gpu_bytes);
    void (*destroy)(void *user, dp_type_id type, void *gpu);
    void *user;
} dp_render_backend;

typedef struct dp_render_desc {
    dp_render_backend backend;
    int frames_in_flight;          /**< 0 = 2; at most 16 */
    size_t upload_bytes_per_frame; /**< 0 = unlimited; counts the assets' byte sizes */
} dp_render_desc;

/** @brief Creates the render layer and starts listening to the depot. Owner thread.
 * @return DP_OK; DP_ERR_INVALID; DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. */
dp_status dp_render_create(dp_depot *dp, const dp_render_desc *desc, dp_render **out);

/** @brief Stops listening and destroys every resource, live or retired, without waiting.
 * Owner thread. NULL is ignored. */
void dp_render_destroy(dp_render *r);

/** @brief Starts frame `frame` (larger than the last one) and applies the LOADED,
 * MODIFIED and FREED events received since the last sync. Owner thread.
 * @return DP_OK; DP_ERR_INVALID (frame not increasing); DP_ERR_NOMEM; WRONG_THREAD. */
dp_status dp_render_sync(dp_render *r, uint64_t frame);

/** @brief Creates waiting resources until this frame's upload budget is spent (the rest
 * wait for the next frame; a backend answering DP_ERR_TIMEOUT is asked again next frame).
 * Owner thread. @return DP_OK; DP_ERR_WRONG_THREAD. */
dp_status dp_render_prepare(dp_render *r);

/** @brief The prepared resource of an asset for the current frame, or NULL. Marks it used
 * by the current frame. Owner thread. */
void *dp_render_get(dp_render *r, dp_handle h);

/** @brief Says the GPU finished frame `frame`: destroys what was retired while no frame
 * after it could still read it. Owner thread.
 * @return DP_OK; DP_ERR_INVALID (a frame not yet started); DP_ERR_WRONG_THREAD. */
dp_status dp_render_frame_done(dp_render *r, uint64_t frame);

typedef struct dp_render_stats {
    size_t live;            /**< resources created and not retired */
    size_t live_bytes;
    size_t retired;         /**< retired, not yet destroyed */
    size_t waiting;         /**< assets waiting for a resource (budget, retry) */
    size_t created, destroyed; /**< totals since creation */
} dp_render_stats;

/** @brief Counters of the render layer; with type != 0, only that type's live resources.
 * Owner thread. */
void dp_render_get_stats(const dp_render *r, dp_type_id type, dp_render_stats *out);

/* ---- dynamic atlas ------------------------------------------------------------------------ */

typedef struct dp_atlas dp_atlas;

typedef struct dp_atlas_desc {
    uint32_t page_size; /**< pixels a side of each page; 0 = 2048 */
    uint32_t padding;   /**< pixels between rectangles; 0 = 1 */
} dp_atlas_desc;

/** @brief A placed rectangle: the data of a region asset. The region asset holds an edge to
 * its page asset (type "atlas_page", data dp_image), so a page lives while a region does. */
typedef struct dp_atlas_region {
    dp_handle page; /**< weak view of the page asset */
    uint32_t x, y, w, h;
    float u0, v0, u1, v1;
} dp_atlas_region;

/** @brief Creates an atlas on a depot; registers the types "atlas_page" and "atlas_region"
 * if needed. Owner thread. @return DP_OK; DP_ERR_INVALID; DP_ERR_NOMEM; WRONG_THREAD. */
dp_status dp_atlas_create(dp_depot *dp, const dp_atlas_desc *desc, dp_atlas **out);

/** @brief Destroys the atlas object; pages and regions are assets and live on while held.
 * Owner thread. */
void dp_atlas_destroy(dp_atlas *a);

/** @brief Copies the pixels of a loaded image (dp_image) into a free rectangle of a page
 * (a new page when none has room) and returns a region asset (count 1 for the caller); the
 * page gets a MODIFIED event. The original image is not held by the region. Owner thread.
 * @return DP_OK; DP_ERR_STALE; DP_ERR_INVALID (not a loaded image, or larger than a page);
 * DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. */
dp_status dp_atlas_place(dp_atlas *a, dp_handle image, dp_handle *region);

/** @brief Type ids of the atlas's page and region assets. */
dp_type_id dp_atlas_page_type(const dp_atlas *a);
dp_type_id dp_atlas_region_type(const dp_atlas *a);

/** @brief Used area over page area, in percent, over the live pages; pages count. */
double dp_atlas_occupancy(const dp_atlas *a, size_t *pages);

#ifdef __cplusplus
}
#endif
#endif
