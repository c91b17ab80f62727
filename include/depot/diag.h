/** @file diag.h
 * @brief Diagnostics beside the registry: stats, the leak report with holders and the edge
 * path that keeps each asset, a Graphviz graph, a consistency check, the lifetime
 * recorder's trace and the report of dp_get calls made without a count.
 *
 * Thread rules: dp_get_stats and dp_type_stats may be called from any thread (they read
 * counters; the snapshot is not atomic as a whole). dp_report_leaks, dp_write_dot, dp_check,
 * dp_holders, dp_trace_write and dp_report_unheld_gets walk owner-side structures: owner
 * thread only.
 */
#ifndef DEPOT_DIAG_H
#define DEPOT_DIAG_H

#include <stdio.h>

#include "depot/asset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dp_stats {
    size_t assets_by_state[6];  /**< indexed by dp_state; [DP_STATE_INVALID] is unused */
    size_t live_assets;         /**< alive, whatever their count */
    size_t unused_assets;       /**< count 0, waiting for an update or kept in the cache */
    size_t held_bytes;          /**< bytes of assets with count > 0 */
    size_t unused_cached_bytes; /**< bytes the unused cache keeps alive: cached assets and
                                     the dependencies only they hold */
    size_t retired_slots;       /**< handle slots retired at generation wrap */
    size_t pending_jobs;        /**< load jobs queued or running */
    size_t events_dropped;      /**< events lost because the buffer could not grow */
    size_t edges;               /**< dependency edges */
    size_t groups;              /**< live groups */
    size_t freed_total;         /**< assets freed since creation */
    size_t cycles_collected;    /**< assets freed by the cycle collector */
    size_t cycle_steps;         /**< the collector's steps since creation: nodes and edges it
                                     examined; a dp_update takes at most collect_budget of
                                     them, plus the claim of the garbage it found */
    size_t results_discarded;   /**< load results that arrived for a dead asset */
    size_t soft_assets;         /**< held by soft references only (asset.h, residency) */
    size_t soft_bytes;          /**< their bytes (within held_bytes): what the soft budgets
                                     bound; held_bytes - soft_bytes is held strongly */
    size_t soft_refs;           /**< soft references held, over all assets */
    size_t demoted_total;       /**< demotions through a type's demote callback so far */
    size_t evicted_total;       /**< evictions under a soft budget or memory pressure so far */
    size_t restored_total;      /**< demoted or evicted assets asked back (loads started) */
} dp_stats;

/** @brief Fills *out. Any thread. @return DP_OK; DP_ERR_INVALID. */
dp_status dp_get_stats(const dp_depot *dp, dp_stats *out);

/** @brief The lifetime sanitizer's setting in effect for this depot: the number of updates
 * that freed, evicted and replaced asset data waits in quarantine before its type's destroy
 * runs, after the build's default and DEPOT_DEBUG_LIFETIMES were applied to
 * dp_desc.debug_lifetimes (asset.h); 0 = off. Any thread (fixed at dp_create).
 * @return the number of updates; 0 for NULL. */
uint32_t dp_debug_lifetimes(const dp_depot *dp);

/** @brief Live assets and their bytes of one type. Any thread.
 * @return DP_OK; DP_ERR_INVALID (NULL or unknown type). */
dp_status dp_type_stats(const dp_depot *dp, dp_type_id type, size_t *count, size_t *bytes);

/** @brief Writes one paragraph per asset still held by a caller or a group (count above
 * what edges explain) and everything they keep alive: key, type, count, state, bytes, the
 * holders with their call sites (when dp_desc.track_holders is set; soft references
 * are marked "softly" and counted apart on the count line), and the chain of
 * edges from a held root. Owner thread. @return the number of held assets listed. */
size_t dp_report_leaks(const dp_depot *dp, FILE *out);

/** @brief Writes the dependency graph in Graphviz dot: one node per live asset (label: key
 * or #index, type, bytes, count), one edge per dependency, groups as clusters. Owner thread.
 * @return DP_OK; DP_ERR_INVALID; DP_ERR_IO; DP_ERR_WRONG_THREAD. */
dp_status dp_write_dot(const dp_depot *dp, FILE *out);

/** @brief Recomputes every count from edges, group memberships and (with track_holders)
 * recorded holders and compares with the stored counts, and checks internal invariants
 * (key table, unused cache, states). Owner thread, with no other thread acquiring or
 * releasing at the time. @return DP_OK, or DP_ERR_OVERFLOW / DP_ERR_UNDERFLOW for a count
 * that is higher / lower than its holders explain, DP_ERR_INVALID for a broken invariant
 * (among them: an asset's key does not lead back to it, an edge appears twice);
 * DP_ERR_WRONG_THREAD; DP_ERR_NOMEM for its scratch arrays. Time and scratch memory are
 * linear in slots + edges + key-table size. */
dp_status dp_check(const dp_depot *dp);

/** @brief One recorded holder of an asset. */
typedef struct dp_holder {
    const char *file; /**< call site of the acquire; "(edge)" / "(group)" for internal ones */
    int line;
    uint32_t count;   /**< acquires from that site not yet released */
    bool soft;        /**< soft references (dp_retain_soft) rather than strong ones */
} dp_holder;

/** @brief Copies up to `cap` holders of `h` into out (call sites of the same kind, soft or
 * strong, merged). Owner thread.
 * @return the number of distinct holders (may exceed cap); 0 without track_holders. */
size_t dp_holders(const dp_depot *dp, dp_handle h, dp_holder *out, size_t cap);

/** @brief Writes the lifetime recorder's events (dp_desc.trace_events: the newest that fit
 * its ring) as Chrome trace-event JSON, which Perfetto and chrome://tracing open: each
 * dp_update a begin/end pair, each load a complete event, each count change, creation and
 * free an instant event whose args carry key, handle, update, count and call site
 * (docs/diagnostics.md). With the recorder off the trace has no events. Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL); DP_ERR_WRONG_THREAD; DP_ERR_NOMEM; DP_ERR_IO (a
 * write to out failed). */
dp_status dp_trace_write(const dp_depot *dp, FILE *out);

/** @brief Lists the call sites of dp_get calls made by a thread that held no count on the
 * asset (dp_desc.track_holders; see dp_get_at): per site, the calls, the first and last
 * update, whether the owner thread made them, and the first asset. Owner thread.
 * @return the number of sites listed; 0 without track_holders, from another thread or for
 * NULL arguments. */
size_t dp_report_unheld_gets(const dp_depot *dp, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
