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
 * A render layer holds one small asset of type "render_layer" while it lives, so that the
 * other order is detected: dp_destroy counts it as held (its return value and the leak
 * report show it) and orphans the layer, whose dp_render_sync and dp_render_prepare then
 * answer DP_ERR_STALE; dp_render_destroy still destroys every resource.
 */
#ifndef DEPOT_RENDER_H
#define DEPOT_RENDER_H

#include "depot/asset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dp_render dp_render;

/** @brief What a backend does; all three functions are required (dp_render_create refuses
 * a NULL one; a backend for every type returns true from `handles`).
 * `create` makes the GPU resource of an asset of a type it handles (`handles` returns true
 * for it) and returns DP_OK with a non-NULL *gpu (store integer ids as id + 1 or in a
 * record: a NULL resource is destroyed at once and the asset is DP_RENDER_FAILED with
 * DP_ERR_INVALID) and *gpu_bytes; or DP_ERR_TIMEOUT or DP_ERR_NOMEM (transient: asked
 * again next frame, the asset keeps any previous resource meanwhile); or another error
 * (permanent for this data: a previous resource is retired, the asset is DP_RENDER_FAILED
 * and has no resource until it is modified). `destroy` destroys a resource `create` made.
 * The callbacks run on the owner thread inside dp_render_prepare (`destroy` also inside
 * dp_render_frame_done and dp_render_destroy) and may call dp_update (a
 * dp_wait, a loading screen): events arriving meanwhile are kept for the next sync. They
 * must not call dp_render_sync, dp_render_prepare or dp_render_frame_done
 * (DP_ERR_WRONG_THREAD) nor dp_render_destroy (ignored). */
typedef struct dp_render_backend {
    bool (*handles)(void *user, dp_type_id type);
    dp_status (*create)(void *user, dp_type_id type, const void *asset, void **gpu,
                        size_t *gpu_bytes);
    void (*destroy)(void *user, dp_type_id type, void *gpu);
    void *user;
} dp_render_backend;

/** @brief Render-only assets (Bevy's RENDER_WORLD): called on the owner thread right after a
 * resource was created from `asset`, so that the program may drop the asset's CPU data by
 * swapping in a small stub that keeps its metadata (e.g. a dp_image without pixels) with
 * dp_replace(dp, h, stub, stub_bytes). The MODIFIED event that this replace causes is
 * recognised (the asset's data is still the stub when the event arrives, or the callback
 * pumped dp_update and the event arrived while it ran) and neither retires nor re-creates
 * the resource; a later real dp_replace or dp_touch of a non-stub
 * asset does. Leave the asset alone to keep its CPU data. Never drop the data of an atlas
 * page (type dp_atlas_page_type()): the atlas keeps writing into its pixels.
 * Render-only means "only this render layer has the data": a render layer created later
 * (a second one, or a new one after a device reset) is handed the stub, which a backend
 * refuses (the GL one with DP_ERR_INVALID: DP_RENDER_FAILED); give it the data back with
 * dp_reload (or dp_replace) and it makes the resource. Same rules as the backend's
 * callbacks (it may call dp_update). */
typedef void (*dp_render_drop_fn)(void *user, dp_depot *dp, dp_handle h, dp_type_id type,
                                  const void *asset);

typedef struct dp_render_desc {
    dp_render_backend backend;
    /** Frames the CPU may have started that the GPU has not finished (0 = 2; at most 16):
     * dp_render_sync refuses to start a frame while this many are started and not done. */
    int frames_in_flight;
    size_t upload_bytes_per_frame; /**< 0 = unlimited; counts the assets' byte sizes */
    dp_render_drop_fn drop_cpu;    /**< NULL = keep every asset's CPU data */
    void *drop_cpu_user;
} dp_render_desc;

/** @brief Creates the render layer and starts listening to the depot. Assets of handled
 * types that are already loaded get resources too (found at the first sync). Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL argument, a backend without handles, create or
 * destroy, frames_in_flight outside 0..16); DP_ERR_NOMEM; DP_ERR_WRONG_THREAD; the error of
 * dp_listen (DP_ERR_OVERFLOW: too many listeners). On failure *out is NULL. */
dp_status dp_render_create(dp_depot *dp, const dp_render_desc *desc, dp_render **out);

/** @brief Stops listening and destroys every resource, live or retired, exactly once and
 * without waiting for the GPU (call it after the GPU is idle), then frees the render layer.
 * Owner thread (from another thread, or from inside a backend callback, it does nothing
 * and the layer leaks). NULL is ignored. Destroy the render layer before its depot (after
 * it, this still destroys the resources and frees the layer). */
void dp_render_destroy(dp_render *r);

/** @brief Starts frame `frame` (larger than the last one; frames start at 1, because 0
 * means "no frame finished" to dp_render_frame_done and dp_gl_frames_completed: a loop
 * counting from 0 gets DP_ERR_INVALID on its first sync) and applies the LOADED,
 * MODIFIED and FREED events received since the last sync (also those of updates that had
 * no sync between them). A loaded or modified asset waits for dp_render_prepare; a freed
 * asset's resource is retired at this frame. A modified asset keeps its old resource
 * (dp_render_get returns it) until the new one is created; the old one is then retired.
 * A retired resource is destroyed by dp_render_frame_done for the frame it was retired in
 * or a later one, so no frame that could have read it is still running. Never blocks.
 * Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL, frame not increasing); DP_ERR_OVERFLOW
 * (frames_in_flight frames are started and not done: wait for the GPU and call
 * dp_render_frame_done first; nothing changed); DP_ERR_STALE (the depot was destroyed); DP_ERR_NOMEM (the frame starts, the
 * events that could not be applied stay queued for the next sync); DP_ERR_WRONG_THREAD
 * (also from inside a backend callback). */
dp_status dp_render_sync(dp_render *r, uint64_t frame);

/** @brief Creates waiting resources, oldest first, until this frame's upload budget is
 * spent (the rest wait for the next frame; one asset larger than the budget is created
 * alone in a frame; a backend answering DP_ERR_TIMEOUT or DP_ERR_NOMEM is asked again
 * next frame and the old resource stays; any other backend error retires the old
 * resource and leaves the asset without one until it is modified: DP_RENDER_FAILED). The data
 * is read with dp_get at this call. Owner thread.
 * @return DP_OK; DP_ERR_NOMEM (no room to retire an old resource: the rest wait);
 * DP_ERR_INVALID (NULL); DP_ERR_STALE (the depot was destroyed); DP_ERR_WRONG_THREAD (also
 * from inside a backend callback). */
dp_status dp_render_prepare(dp_render *r);

/** @brief The prepared resource of an asset for the current frame, or NULL (not handled,
 * not prepared yet, failed, freed — from the dp_update that announced FREED on, although
 * the resource itself is retired by the next sync; or a wrong thread). Marks it used by the current frame;
 * the pointer may be used by this frame's GPU work until dp_render_frame_done of this
 * frame. Owner thread. */
void *dp_render_get(dp_render *r, dp_handle h);

/** @brief Says the GPU finished frame `frame` and every frame before it: destroys the
 * resources retired at or before it. A frame older than one already reported is ignored.
 * Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL, a frame not yet started); DP_ERR_WRONG_THREAD
 * (also from inside a backend callback). */
dp_status dp_render_frame_done(dp_render *r, uint64_t frame);

/** @brief Where an asset stands in the render layer. */
typedef enum dp_render_state {
    DP_RENDER_NONE,    /**< not known: unhandled type, freed, not loaded, NULL r, wrong thread */
    DP_RENDER_WAITING, /**< a resource for its newest data is due (budget, a sync not yet
                            run, a retry after DP_ERR_TIMEOUT or DP_ERR_NOMEM);
                            dp_render_get may still return the previous resource */
    DP_RENDER_READY,   /**< its resource was made from its newest data */
    DP_RENDER_FAILED   /**< the backend refused its newest data for good (or returned a
                            NULL resource): no resource until the asset is modified */
} dp_render_state;

/** @brief The render state of asset h; with `why` not NULL, the backend's status for a
 * FAILED asset (DP_ERR_INVALID for a NULL resource), DP_OK otherwise. Owner thread. */
dp_render_state dp_render_state_of(const dp_render *r, dp_handle h, dp_status *why);

/** @brief Why dp_render_get_why returned what it did: what a renderer draws instead. */
typedef enum dp_render_reason {
    DP_RENDER_REASON_READY,       /**< the resource was made from the asset's newest data */
    DP_RENDER_REASON_LOADING,     /**< the asset is pending or loading in the depot: no data
                                       yet (draw a placeholder) */
    DP_RENDER_REASON_PENDING,     /**< loaded; its upload is due (a sync not yet run, the
                                       frame's budget spent); a modified asset's previous
                                       resource is still returned meanwhile */
    DP_RENDER_REASON_RETRYING,    /**< the backend answered DP_ERR_TIMEOUT or DP_ERR_NOMEM
                                       (`status`) and is asked again next frame; the previous
                                       resource, if any, is still returned */
    DP_RENDER_REASON_FAILED,      /**< the backend refused the newest data for good
                                       (`status`): no resource until the asset is modified */
    DP_RENDER_REASON_LOAD_FAILED, /**< the asset failed to load (`status`: dp_failure_of;
                                       dp_failure says more): draw an error texture */
    DP_RENDER_REASON_RETIRED,     /**< a null or stale handle, or one whose FREED was
                                       announced: the asset is gone, its resource retired */
    DP_RENDER_REASON_UNHANDLED    /**< the backend does not handle the asset's type; also a
                                       NULL or orphaned r and a wrong thread */
} dp_render_reason;

/** @brief The reason and, where it has one, the status behind it. */
typedef struct dp_render_why {
    dp_render_reason reason;
    dp_status status; /**< DP_OK unless the reason is RETRYING, FAILED or LOAD_FAILED */
} dp_render_why;

/** @brief dp_render_get that also says why: returns what dp_render_get returns (and marks
 * it used by the current frame the same way) and, when `why` is not NULL, fills it in, so
 * a renderer can draw a placeholder while the asset is LOADING or PENDING and an error
 * texture when it FAILED or LOAD_FAILED. Owner thread (another thread gets NULL and
 * UNHANDLED). Cannot fail otherwise. */
void *dp_render_get_why(dp_render *r, dp_handle h, dp_render_why *why);

typedef struct dp_render_stats {
    size_t live;            /**< resources created and not retired */
    size_t live_bytes;
    size_t retired;         /**< retired, not yet destroyed */
    size_t waiting;         /**< assets waiting for a resource (budget, retry) */
    size_t created, destroyed; /**< totals since creation */
    size_t events_lost;     /**< events the listener could not record (no memory); each
                                 one triggers a rescan of the depot at the next sync */
} dp_render_stats;

/** @brief Counters of the render layer; with type != 0, `live` and `live_bytes` count only
 * that type's live resources (the other fields are totals). Owner thread; *out is zeroed
 * on a wrong thread or NULL r. */
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
 * A side of the image may be at most page_size - padding (the padding follows every
 * rectangle). @return DP_OK; DP_ERR_STALE; DP_ERR_INVALID (not a loaded image, or a side
 * larger than page_size - padding);
 * DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. */
dp_status dp_atlas_place(dp_atlas *a, dp_handle image, dp_handle *region);

/** @brief Type ids of the atlas's page and region assets; 0 for NULL. Any thread. */
dp_type_id dp_atlas_page_type(const dp_atlas *a);
dp_type_id dp_atlas_region_type(const dp_atlas *a);

/** @brief Used area over page area, in percent, over the live pages, and (if `pages` is
 * not NULL) how many pages are live. Owner thread; 0.0 and 0 pages for NULL or another
 * thread. */
double dp_atlas_occupancy(const dp_atlas *a, size_t *pages);

#ifdef __cplusplus
}
#endif
#endif
