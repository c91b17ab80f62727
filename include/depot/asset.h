/** @file asset.h
 * @brief Layer 2, asset: the registry of assets, their strong counts, keys, dependency
 * edges, release, groups, the unused cache, cycle collection and events.
 *
 * Every asset, loaded or created at run time, has a handle, a strong count and edges.
 * Strong references are held by callers (dp_add, dp_find, dp_retain, dp_upgrade and, in
 * load.h, dp_load), by groups (one per member) and by parent assets (one per edge).
 * When the count reaches 0 the asset is UNUSED; the owner thread frees it at the next
 * dp_update unless it was acquired again before then or the unused cache keeps it.
 *
 * Thread rules. The thread that calls dp_create is the owner.
 *  - Any thread: dp_add, dp_find, dp_retain, dp_release, dp_upgrade, dp_count, dp_get,
 *    dp_read_begin, dp_read_end, dp_state_of, dp_state_deep, dp_state_direct,
 *    dp_register_type,
 *    dp_type_find, dp_get_stats (diag.h).
 *  - Owner thread only (others get DP_ERR_WRONG_THREAD): dp_update, dp_destroy,
 *    dp_depend, dp_undepend, dp_replace, dp_touch, dp_evict, dp_release_unused,
 *    dp_collect_cycles, dp_group_*, dp_progress, dp_pending, dp_events, dp_listen,
 *    dp_unlisten, and the residency calls (dp_retain_soft, dp_release_soft,
 *    dp_set_soft_budget, dp_memory_pressure).
 * Data lifetime. A pointer from dp_get stays valid while the caller holds a reference, until
 * the owner's next dp_update: data that leaves its asset (replaced by a reload or
 * dp_replace, or evicted) is retired, never destroyed in the same update. A thread that
 * cannot see the owner's updates (a worker) reads inside a read guard (dp_read_begin /
 * dp_read_end): data it got from dp_get inside the guard, on an asset it held a count on at
 * that call, stays valid until the guard ends, whatever reloads, replaces or evicts happen.
 *
 * Holder tracking: when dp_desc.track_holders is set, every acquire records its call site.
 * The acquire functions below are also macros that pass __FILE__ and __LINE__ (the real
 * functions remain callable as `(dp_retain)(dp, h)`, or define DP_NO_SITE_MACROS).
 */
#ifndef DEPOT_ASSET_H
#define DEPOT_ASSET_H

#include "depot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dp_depot dp_depot;
typedef struct dp_load_ctx dp_load_ctx; /**< given to a type's load callback (load.h) */
typedef uint32_t dp_type_id;            /**< 0 is never a valid type */

/** @brief How serious a log message is. */
typedef enum dp_log_level {
    DP_LOG_INFO,
    DP_LOG_WARN,  /**< almost certainly a mistake, but depot carries on */
    DP_LOG_ERROR
} dp_log_level;

/** @brief A log hook: depot reports what a user would otherwise debug for an hour (a root
 * that does not exist, an extension claimed by two types, a render backend that handles no
 * registered type, a resource that never gets made). `fn` may be called from any thread
 * (the hook must be thread-safe), never while depot holds a lock you could need; `message`
 * is one line without a newline, valid during the call. NULL fn: silent (the default). */
typedef struct dp_log {
    void (*fn)(void *user, dp_log_level level, const char *message);
    void *user;
} dp_log;

/** @brief dp_desc.debug_lifetimes: the lifetime sanitizer off for this depot, whatever the
 * build's default and the environment say. */
#define DP_LIFETIMES_OFF UINT32_MAX
/** @brief The updates that depot's ASan build (DEPOT_SANITIZE=address) keeps freed data in
 * quarantine when dp_desc.debug_lifetimes is 0 and DEPOT_DEBUG_LIFETIMES is unset. */
#define DP_LIFETIMES_DEFAULT 4u

/** @brief Depot settings. A zero-initialised desc is valid: every field has a default. */
typedef struct dp_desc {
    const char *root;              /**< file source root, an existing directory (relative to the
                                        current directory); NULL = current directory */
    int workers;                   /**< loader threads; 0 = number of cores */
    size_t keep_unused_bytes;      /**< LRU cache of unused assets; bounds them and the
                                        dependencies only they keep alive, after every
                                        dp_update; 0 = free at next update */
    bool track_holders;            /**< record acquire call sites for leak reports */
    bool watch;                    /**< hot reload of file-source assets (inotify) */
    const dp_allocator *allocator; /**< NULL = malloc/free; copied; must be thread-safe */
    uint32_t collect_budget;       /**< cycle-collector steps (assets and edges examined)
                                        per dp_update, a collection resuming at the next
                                        update; 0 = 4096 */
    dp_log log;                    /**< log hook; zero = silent */
    size_t soft_budget_bytes;      /**< bytes that assets held only by soft references may
                                        keep, all types together (dp_set_soft_budget);
                                        0 = no budget */
    uint32_t debug_lifetimes;      /**< lifetime sanitizer: data that leaves an asset (freed,
                                        evicted, reload-replaced) is kept unreadable for this
                                        many updates before its type's destroy runs, and a
                                        stale dp_get pointer's use is reported with the
                                        asset's key (docs/diagnostics.md); 0 = the default:
                                        the environment variable DEPOT_DEBUG_LIFETIMES if
                                        set (a number; 0 = off), else DP_LIFETIMES_DEFAULT
                                        updates in depot's ASan build (DEPOT_SANITIZE=address)
                                        and off in every other build; DP_LIFETIMES_OFF = off */
    uint32_t trace_events;         /**< lifetime recorder: keep the last this many lifetime
                                        events (rounded up to a power of two) for
                                        dp_trace_write (diag.h); 0 = off */
} dp_desc;

/** @brief Creates a depot; the calling thread becomes its owner.
 * @return DP_OK; DP_ERR_INVALID if out is NULL; DP_ERR_NOT_FOUND if desc->root is set and
 * is not an existing directory; DP_ERR_NOMEM. On failure *out is NULL. */
dp_status dp_create(const dp_desc *desc, dp_depot **out);

/** @brief Destroys the depot: cancels queued and running loads, joins the workers, runs
 * every type's destroy for every live asset, frees every byte. Owner thread.
 * @return the number of assets that were still held (count > 0) by callers or groups —
 * leaks; the leak report (diag.h) names them if called before. SIZE_MAX, and nothing is
 * destroyed, if called from another thread. NULL gives 0. */
size_t dp_destroy(dp_depot *dp);

/** @brief The owner's per-frame step: applies finished loads, computes deep states, turns
 * released assets into UNUSED ones, frees them (or caches them), collects some cyclic
 * garbage, destroys data replaced in the previous update, then publishes this update's
 * events (dp_events) and calls every listener with them. Owner thread.
 * @return DP_OK; DP_ERR_WRONG_THREAD; DP_ERR_INVALID for NULL. */
dp_status dp_update(dp_depot *dp);

/** @brief An asset type. `load` runs on a worker thread (bytes in, asset and its byte size
 * out; DP_OK or an error code); `destroy` runs on the owner thread exactly once per asset
 * that reached the depot. `extensions` (NULL-terminated, without dots, e.g. {"png", NULL})
 * map file names to the type for dp_load. `load` may be NULL for types only ever dp_add'ed.
 * `demote` (optional, see "residency" below) makes a smaller copy of an asset that only
 * soft references hold (without its CPU-side pixels, without its top mip levels): it
 * returns DP_OK with a new, independent object in *smaller and its size in *smaller_bytes
 * (less than the asset's), or an error to let the depot evict the asset instead. The old
 * object is retired and later goes to `destroy` as usual; so does the smaller one. It runs
 * on the owner thread inside dp_update or dp_memory_pressure and must not call the depot. */
typedef struct dp_type {
    const char *name;
    const char *const *extensions;
    dp_status (*load)(dp_load_ctx *ctx, const void *bytes, size_t len,
                      void **asset, size_t *asset_bytes);
    void (*destroy)(void *asset, void *user);
    void *user;
    dp_status (*demote)(void *asset, void *user, void **smaller, size_t *smaller_bytes);
} dp_type;

/** @brief Registers a type; the name and extension strings are copied. Any thread (the
 * registry takes a lock; ids are never reused). At most 255 types.
 * @return DP_OK; DP_ERR_INVALID (NULL, empty name, no destroy); DP_ERR_EXISTS if the name
 * is taken (*out is then that type's id); DP_ERR_OVERFLOW; DP_ERR_NOMEM. */
dp_status dp_register_type(dp_depot *dp, const dp_type *type, dp_type_id *out);

/** @brief Looks a type up by name. Any thread. @return DP_OK or DP_ERR_NOT_FOUND. */
dp_status dp_type_find(const dp_depot *dp, const char *name, dp_type_id *out);

/** @brief The registered name of a type, or NULL. Any thread; the string lives as long as dp. */
const char *dp_type_name(const dp_depot *dp, dp_type_id type);

/** @brief Registers an asset made at run time; it is LOADED at once, with count 1 for the
 * caller, and announces LOADED and LOADED_DEEP at the next update. Any thread.
 * On DP_OK the depot owns `asset` and will call the type's destroy on it.
 * @return DP_OK; DP_ERR_EXISTS if `key` is live (or cached): *out is that asset with a count
 * taken for the caller, and `asset` stays the caller's to drop; DP_ERR_INVALID (NULL dp,
 * out or asset, unknown type); DP_ERR_OVERFLOW (no handles left); DP_ERR_NOMEM. On any
 * error but EXISTS *out is null and `asset` stays the caller's. */
dp_status dp_add_at(dp_depot *dp, dp_type_id type, void *asset, size_t bytes,
                    const char *key, dp_handle *out, const char *file, int line);
dp_status dp_add(dp_depot *dp, dp_type_id type, void *asset, size_t bytes,
                 const char *key, dp_handle *out);

/** @brief A strong handle to the live or cached asset with this key. Any thread.
 * @return DP_OK (count +1); DP_ERR_NOT_FOUND; DP_ERR_INVALID; DP_ERR_OVERFLOW. */
dp_status dp_find_at(dp_depot *dp, const char *key, dp_handle *out, const char *file, int line);
dp_status dp_find(dp_depot *dp, const char *key, dp_handle *out);

/** @brief Adds one strong reference to a live asset. Any thread.
 * @return DP_OK; DP_ERR_STALE (dead or being freed); DP_ERR_OVERFLOW (2^31 - 1 counts). */
dp_status dp_retain_at(dp_depot *dp, dp_handle h, const char *file, int line);
dp_status dp_retain(dp_depot *dp, dp_handle h);

/** @brief Drops one strong reference. At 0 the asset becomes UNUSED and is freed (or
 * cached) at the next dp_update unless acquired again first. Any thread.
 * @return DP_OK; DP_ERR_STALE; DP_ERR_UNDERFLOW if the count is already 0, or all that is
 * left are soft references (dp_release_soft drops those); nothing changes then. */
dp_status dp_release(dp_depot *dp, dp_handle h);

/** @brief Turns a weak handle (any copy of a handle, held without a count) into a strong
 * reference if the asset is still alive, also if it is UNUSED or cached (resurrection).
 * One CAS on the slot word: it fails cleanly on a stale generation or on an asset that is
 * being freed or collected. Any thread.
 * @return DP_OK (count +1); DP_ERR_STALE; DP_ERR_OVERFLOW. */
dp_status dp_upgrade_at(dp_depot *dp, dp_handle weak, const char *file, int line);
dp_status dp_upgrade(dp_depot *dp, dp_handle weak);

/** @brief The strong count, for diagnostics; 0 for a dead handle. Any thread. */
uint32_t dp_count(const dp_depot *dp, dp_handle h);

/** @brief The asset's data if it is LOADED, else NULL. Any thread. The pointer is valid
 * while you hold a reference, until the owner's next dp_update; called inside a
 * read guard (below), until the guard ends. Not valid after you released your count
 * outside a guard. Reading through it is the caller's business: depot never writes data. */
void *dp_get(const dp_depot *dp, dp_handle h);
/** @brief dp_get with its call site (the dp_get macro passes __FILE__ and __LINE__). With
 * dp_desc.track_holders, a call by a thread that holds no recorded count on the asset (the
 * owner: nor an edge or group holds it) is remembered for dp_report_unheld_gets (diag.h) and
 * logged once per site at DP_LOG_WARN; otherwise it is dp_get. Any thread. */
void *dp_get_at(const dp_depot *dp, dp_handle h, const char *file, int line);

/** @brief A read guard: while it is open, data this thread got from dp_get (on an asset it
 * held a count on at that call) is not destroyed, even if a reload or dp_replace swaps it
 * out or dp_evict frees the asset; such data is retired and destroyed by a later dp_update
 * once every guard that was open when it left has ended (epoch-based reclamation). The data
 * of an asset freed because its count reached 0 is not covered: keep your count while you
 * read. Guards are cheap (one slot claimed with a CAS, two atomic stores), may nest, and
 * may be held across many updates, but retired data accumulates while one stays open. */
typedef struct dp_read_guard {
    void *slot; /* internal; NULL when not open */
} dp_read_guard;

/** @brief Opens a read guard. Any thread; never waits on the owner or on other readers.
 * End it on the same depot before dp_destroy. The guard is caller-owned memory.
 * @return DP_OK; DP_ERR_INVALID (NULL argument); DP_ERR_NOMEM (no slot could be added;
 * the guard is not open). */
dp_status dp_read_begin(dp_depot *dp, dp_read_guard *g);

/** @brief Ends a read guard; pointers obtained inside it then follow dp_get's ordinary rule.
 * Any thread (the one that opened it, by convention). A guard that is not open is ignored. */
void dp_read_end(dp_depot *dp, dp_read_guard *g);

/** @brief The asset's type, or 0 for a dead handle. Any thread. */
dp_type_id dp_type_of(const dp_depot *dp, dp_handle h);

/** @brief The asset's key (NULL for a keyless one); NULL for a dead handle, also one that
 * went stale during the call (never the key of the asset that took its slot). Owner thread,
 * or any thread that holds a reference. The depot owns the string; it lives as long as the
 * asset and, when dp_evict frees a held asset, as long as its data would (dp_get): until the
 * owner's next dp_update, or inside a read guard until the guard ends. */
const char *dp_key_of(const dp_depot *dp, dp_handle h);

/** @brief The asset's byte size as its type reported it; 0 for a dead handle. Any thread. */
size_t dp_bytes_of(const dp_depot *dp, dp_handle h);

/** @brief Lifecycle state of one asset. INVALID means a null or stale handle. */
typedef enum dp_state {
    DP_STATE_INVALID,
    DP_STATE_PENDING,  /**< reserved, queued for loading */
    DP_STATE_LOADING,  /**< a worker is reading or decoding it */
    DP_STATE_LOADED,
    DP_STATE_FAILED,
    DP_STATE_EVICTED   /**< loaded once, then its data was freed under a residency budget;
                            the handle stays valid and a dp_get, an acquire or dp_touch
                            loads it again (see "residency") */
} dp_state;

/** @brief State of the asset itself. Any thread. */
dp_state dp_state_of(const dp_depot *dp, dp_handle h);

/** @brief State of the asset and everything it depends on, as of the last dp_update:
 * LOADED only when all are loaded, FAILED if any failed, else PENDING. An EVICTED asset
 * counts as loaded here (it was, and comes back on use). Any thread. */
dp_state dp_state_deep(const dp_depot *dp, dp_handle h);

/** @brief State of the asset with its direct dependencies only (Bevy's dependency load
 * state), as of the last dp_update: LOADED when the asset and each child it has an edge to
 * are LOADED themselves (whatever the children's own dependencies are doing), FAILED when
 * the asset or one of those children FAILED, else PENDING. Separate from dp_state_deep: a
 * grandchild that fails leaves it LOADED, and it may be LOADED while the deep state still
 * waits. Worked out in the same incremental pass as the deep state (only assets whose
 * state is not settled are looked at). INVALID for a null or stale handle. Any thread. */
dp_state dp_state_direct(const dp_depot *dp, dp_handle h);

/** @brief The status a FAILED asset (or, for dp_state_deep, the first failed dependency)
 * failed with; DP_OK otherwise. Any thread. */
dp_status dp_failure_of(const dp_depot *dp, dp_handle h);

/** @brief What went wrong with a failed asset, or with the first failed asset it depends on. */
typedef struct dp_failure_info {
    dp_status status;       /**< DP_OK when neither the asset nor a dependency failed */
    const char *key;        /**< the asset asked about (NULL if keyless) */
    const char *failed_key; /**< the asset that failed: `key` itself, or a dependency's */
    const char *source;     /**< scheme of the source that read it ("file", "mem", "http") */
    const char *path;       /**< the resolved file path or URL, when known */
    const char *message;    /**< the decoder's or transport's words (dp_ctx_fail), or NULL */
} dp_failure_info;

/** @brief The details of h's failure (or of the first FAILED asset among its dependencies,
 * depth first). The strings belong to the depot and stay valid while the failed asset lives;
 * those it could not allocate are NULL (the status is always there). Owner thread.
 * @return DP_OK (with status DP_OK in *out if nothing failed); DP_ERR_STALE;
 * DP_ERR_INVALID (NULL); DP_ERR_WRONG_THREAD. *out is zeroed on every error. */
dp_status dp_failure(const dp_depot *dp, dp_handle h, dp_failure_info *out);

/** @brief The one-line form of a failure that depot's tools print:
 * `key: STATUS: message (path)`, and for a failed dependency
 * `key: STATUS: dependency failed_key: message (path)`; NULL parts are left out
 * (`key: STATUS (path)`), a keyless asset shows as `(no key)`. Writes at most `cap` bytes,
 * NUL-terminated when cap > 0 (NULL buf with cap 0 only measures). Any thread: it reads
 * `info` only (whose strings dp_failure's rule keeps valid).
 * @return the length of the whole line, as snprintf (>= cap: it was cut); 0 for NULL info. */
size_t dp_failure_text(const dp_failure_info *info, char *buf, size_t cap);

/** @brief Replaces a live asset's data (a run-time asset that changed): the new data is
 * visible at once, a MODIFIED event follows at the next update, and the old data is
 * destroyed one update later (so dp_get pointers of this frame stay valid). On DP_OK the
 * depot owns `asset`. Owner thread.
 * @return DP_OK; DP_ERR_STALE; DP_ERR_INVALID (NULL asset, asset not LOADED);
 * DP_ERR_NOMEM (nothing changed, `asset` stays the caller's); DP_ERR_WRONG_THREAD. */
dp_status dp_replace(dp_depot *dp, dp_handle h, void *asset, size_t bytes);

/** @brief Announces that a live asset's data changed in place (an atlas page got a new
 * rectangle): a MODIFIED event follows at the next update. On an asset a residency budget
 * demoted or evicted, it starts loading the asset again instead (MODIFIED when it is back).
 * It counts as a use for the budget's least-recently-used order. Owner thread.
 * @return DP_OK; DP_ERR_STALE; DP_ERR_WRONG_THREAD; DP_ERR_NOMEM. */
dp_status dp_touch(dp_depot *dp, dp_handle h);

/* ---- dependency edges ----------------------------------------------------------------- */

/** @brief Records that `parent` depends on `child`: the parent holds one strong count on
 * the child until the edge is removed or the parent is freed. Self-edges and cycles are
 * allowed (cyclic garbage is collected). Owner thread.
 * @return DP_OK; DP_ERR_STALE (either is dead); DP_ERR_EXISTS (the edge exists);
 * DP_ERR_OVERFLOW; DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. */
dp_status dp_depend(dp_depot *dp, dp_handle parent, dp_handle child);

/** @brief Removes an edge and releases the child's count. Owner thread.
 * @return DP_OK; DP_ERR_STALE; DP_ERR_NOT_FOUND (no such edge); DP_ERR_WRONG_THREAD. */
dp_status dp_undepend(dp_depot *dp, dp_handle parent, dp_handle child);

/** @brief Calls fn for each child of `parent` (stale children of evicted assets skipped).
 * Owner thread. @return DP_OK; DP_ERR_STALE; DP_ERR_WRONG_THREAD. */
dp_status dp_children(const dp_depot *dp, dp_handle parent,
                      void (*fn)(void *user, dp_handle child), void *user);

/* ---- forced release ------------------------------------------------------------------- */

/** @brief Frees one asset now even if it is held: every copy of its handle goes stale at
 * once (retain, upgrade and release then return DP_ERR_STALE, dp_get NULL; a FREED event
 * follows at the next update), and its own dependencies are released normally (which may
 * cascade at the next update). Its data is retired, not destroyed: a dp_get pointer a holder
 * got before the evict stays readable until the next dp_update (inside a read guard,
 * until the guard ends), and the type's destroy runs in a later dp_update (or dp_destroy).
 * Its key string is retired with the data (dp_key_of).
 * Owner thread; it may wait for a dp_find in progress on another thread that is reading the
 * asset's key (a few instructions, unless that thread is descheduled).
 * @return DP_OK; DP_ERR_STALE; DP_ERR_NOMEM (no room to retire: nothing changed);
 * DP_ERR_WRONG_THREAD. */
dp_status dp_evict(dp_depot *dp, dp_handle h);

/** @brief Frees every UNUSED asset now, the unused cache included. Owner thread.
 * @return DP_OK; DP_ERR_WRONG_THREAD. */
dp_status dp_release_unused(dp_depot *dp);

/** @brief Runs the cycle collector to completion over every candidate (assets decremented
 * to a non-zero count since the last collection, and children of edges added while a
 * collection was marking) and frees the cyclic garbage it finds: the collection that
 * dp_update left unfinished, then one more over the candidates left. Time linear in the
 * assets and edges the candidates reach. Members whose count another thread changed
 * while they were being claimed stay candidates for the next collection. An acquire that
 * races with the collector never succeeds on an asset that is then freed: either it succeeds
 * and the asset survives, or it fails with DP_ERR_STALE; an acquire off the owner thread that
 * meets a claim being rolled back waits for it and succeeds. Owner thread.
 * @return DP_OK; DP_ERR_INVALID (dp NULL); DP_ERR_WRONG_THREAD; DP_ERR_NOMEM. */
dp_status dp_collect_cycles(dp_depot *dp);

/* ---- groups ----------------------------------------------------------------------------- */

/** @brief A set of assets held together (a scene, a bundle); one count per member.
 * Group handles are generational like asset handles: a destroyed group's handle is stale. */
typedef struct dp_group {
    uint64_t bits;
} dp_group;

/** @brief Creates an empty group; `name` (may be NULL) is copied. Owner thread.
 * @return DP_OK; DP_ERR_INVALID; DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. */
dp_status dp_group_create(dp_depot *dp, const char *name, dp_group *out);

/** @brief Adds a member; the group takes one count on it. Owner thread.
 * @return DP_OK; DP_ERR_STALE (group or asset dead); DP_ERR_EXISTS (already a member, no
 * change); DP_ERR_NOMEM; DP_ERR_OVERFLOW; DP_ERR_WRONG_THREAD. */
dp_status dp_group_add(dp_depot *dp, dp_group g, dp_handle h);

/** @brief Removes one member and drops its count. Owner thread.
 * @return DP_OK; DP_ERR_STALE; DP_ERR_NOT_FOUND; DP_ERR_WRONG_THREAD. */
dp_status dp_group_remove(dp_depot *dp, dp_group g, dp_handle h);

/** @brief Drops every member's count; the group stays, empty. This is how a scene unloads.
 * Owner thread. @return DP_OK; DP_ERR_STALE; DP_ERR_WRONG_THREAD. */
dp_status dp_group_release(dp_depot *dp, dp_group g);

/** @brief Releases the members and destroys the group. Owner thread.
 * @return DP_OK; DP_ERR_STALE; DP_ERR_WRONG_THREAD. */
dp_status dp_group_destroy(dp_depot *dp, dp_group g);

/** @brief Members of a group (0 for a stale group). Owner thread. */
size_t dp_group_size(const dp_depot *dp, dp_group g);

/** @brief Copies up to `cap` of a group's members (weak views, in the order they joined)
 * into `out` (may be NULL when cap is 0). Owner thread.
 * @return how many members the group has (0 for a stale group or another thread). */
size_t dp_group_members(const dp_depot *dp, dp_group g, dp_handle *out, size_t cap);

/* ---- progress --------------------------------------------------------------------------- */

/** @brief How far the loading of an asset's (or a group's) whole dependency closure is:
 * every asset it reaches through edges, itself included, each counted once. */
typedef struct dp_progress_info {
    uint32_t total;        /**< assets in the closure found so far (grows as loads name
                                their dependencies) */
    uint32_t settled;      /**< of them LOADED or FAILED (loaded + failed) */
    uint32_t loaded;
    uint32_t failed;
    uint64_t bytes_loaded; /**< byte sizes of the LOADED ones, as their types reported */
    bool done;             /**< settled == total: nothing in the closure is still loading */
} dp_progress_info;

/** @brief The progress of h's dependency closure. The first call for an asset walks its
 * closure once and starts tracking it; from then on the counters are kept up to date as
 * states and edges change (a call only copies them), until the asset is freed. During a
 * load `settled` and `total` only grow; once everything settled they are exact. An edge
 * removed from the closure (a reload that drops a dependency, dp_undepend, a freed member)
 * makes the next call walk the closure again. Tracking costs each change of a tracked
 * asset one look-up per tracker. Owner thread.
 * @return DP_OK; DP_ERR_STALE (dead handle); DP_ERR_INVALID (NULL); DP_ERR_NOMEM (the
 * tracker could not be made); DP_ERR_WRONG_THREAD. *out is zeroed on every error. */
dp_status dp_progress(dp_depot *dp, dp_handle h, dp_progress_info *out);

/** @brief As dp_progress, over the union of the closures of a group's members (each asset
 * counted once); members that join later are counted as they join. Tracking ends when the
 * group is destroyed. Owner thread.
 * @return DP_OK; DP_ERR_STALE (dead group); DP_ERR_INVALID; DP_ERR_NOMEM;
 * DP_ERR_WRONG_THREAD. *out is zeroed on every error. */
dp_status dp_group_progress(dp_depot *dp, dp_group g, dp_progress_info *out);

/** @brief One asset that a group still waits for (dp_pending). */
typedef struct dp_pending_info {
    dp_handle handle;    /**< weak */
    const char *key;     /**< NULL if keyless; valid while the asset lives */
    dp_state state;      /**< PENDING (queued) or LOADING (a worker has it) */
    uint64_t pending_ms; /**< how long it has been unsettled, as far as the group's tracker
                              saw: since it joined the closure or was tried again, or since
                              the group was first asked about (dp_group_progress,
                              dp_pending), whichever is later */
} dp_pending_info;

/** @brief What in a group's dependency closure has not settled yet, so that "which asset
 * is stuck" has an answer: *count gets how many, and out[0..min(cap, *count)) the ones
 * pending longest, longest first. Uses (and starts) the group's progress tracker; costs
 * one pass over the closure's members. Owner thread.
 * @return DP_OK; DP_ERR_STALE (dead group); DP_ERR_INVALID (NULL dp or count, or out NULL
 * with cap > 0); DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. *count is 0 on every error. */
dp_status dp_pending(dp_depot *dp, dp_group g, dp_pending_info *out, size_t cap, size_t *count);

/* ---- events ----------------------------------------------------------------------------- */

typedef enum dp_event_kind {
    DP_EV_LOADED,      /**< the asset's own data is ready */
    DP_EV_LOADED_DEEP, /**< it and everything it depends on are loaded */
    DP_EV_FAILED,      /**< its load failed; status says why */
    DP_EV_MODIFIED,    /**< hot reload swapped new data in */
    DP_EV_UNUSED,      /**< its count reached 0 */
    DP_EV_FREED,       /**< it was freed; the handle is stale from now on */
    DP_EV_DEMOTED      /**< a residency budget shrank it (its type's demote: dp_get gives
                            the smaller data) or evicted it (DP_STATE_EVICTED, dp_get NULL);
                            MODIFIED follows when it is loaded again */
} dp_event_kind;

typedef struct dp_event {
    dp_event_kind kind;
    dp_handle handle;
    dp_type_id type;
    dp_status status;
} dp_event;

/** @brief The events of the last dp_update, in the order they happened: first what the
 * owner did since the last update (dp_replace/dp_touch MODIFIED, dp_evict FREED) in call
 * order; then load results (LOADED, FAILED, MODIFIED) and dp_add'ed assets (LOADED); then
 * LOADED_DEEP bottom-up (an asset's dependencies before it; a cycle's members one after
 * another, after what the cycle depends on and before what depends on the cycle); then UNUSED and FREED, a release cascade top-down (a parent's FREED
 * before the UNUSED and FREED of the children its free released); then cyclic garbage's
 * FREED; then DEMOTED, least recently used first (dp_memory_pressure's come first, with
 * the owner's calls). Per asset: LOADED before LOADED_DEEP, UNUSED before FREED, nothing after FREED.
 * Owner thread.
 * *out stays valid until the next dp_update; any number of readers may look.
 * @return the number of events (0, with *out NULL, on a wrong thread or NULL argument). */
size_t dp_events(const dp_depot *dp, const dp_event **out);

/** @brief A listener: called on the owner thread at the end of every dp_update with that
 * update's events (also when there are none). It must not add or remove listeners. */
typedef void (*dp_listener_fn)(void *user, const dp_event *events, size_t n);

/** @brief Registers a listener, so that a subsystem that must see every FREED (the render
 * layer) can never miss one. Owner thread. At most 16 listeners.
 * @return DP_OK; DP_ERR_INVALID; DP_ERR_EXISTS (same fn and user); DP_ERR_OVERFLOW;
 * DP_ERR_WRONG_THREAD. */
dp_status dp_listen(dp_depot *dp, dp_listener_fn fn, void *user);

/** @brief Removes a listener. Owner thread. @return DP_OK; DP_ERR_NOT_FOUND; WRONG_THREAD. */
dp_status dp_unlisten(dp_depot *dp, dp_listener_fn fn, void *user);

/* ---- residency: soft references under a byte budget ------------------------------------- */

/* A soft reference is a count that says "keep this if you can": it keeps the asset alive
 * (its handle never goes stale while the count is held) but not necessarily its data. An
 * asset that only soft references hold (no caller's strong count, no group that holds
 * strongly, no parent edge) is "soft-only"; soft-only assets count against a byte budget
 * per type (dp_set_soft_budget) and one for all types (dp_desc.soft_budget_bytes). After
 * every dp_update the owner demotes soft-only assets, least recently used first, until each
 * budget holds: through their type's `demote` (a smaller copy) where there is one, then by
 * evicting them (their data is retired and destroyed like replaced data; the asset becomes
 * DP_STATE_EVICTED with 0 bytes). Each announces DP_EV_DEMOTED. A dp_get (which then gives
 * NULL or the smaller data), a strong acquire (dp_retain, dp_upgrade, dp_find, dp_load of
 * its key, a group, an edge) or dp_touch loads it again through its key, and MODIFIED
 * announces the data back. Strong references are never demoted; dp_add'ed assets and
 * labelled sub-assets ("file#label") are never demoted (they cannot be loaded again).
 * Use, for the least-recently-used order: dp_get, dp_touch and dp_retain_soft.
 * An acquire on another thread that races with the demotion itself may find the asset
 * demoted just after it acquired; it has asked for it back, so the data returns at a
 * following update (MODIFIED) and is not demoted again while the strong count is held. */

/** @brief Adds one soft reference: a count (dp_count includes it) that lets the depot
 * demote the asset's data while nothing holds it strongly. Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL dp); DP_ERR_STALE; DP_ERR_OVERFLOW; DP_ERR_NOMEM
 * (nothing changed); DP_ERR_WRONG_THREAD. */
dp_status dp_retain_soft_at(dp_depot *dp, dp_handle h, const char *file, int line);
dp_status dp_retain_soft(dp_depot *dp, dp_handle h);

/** @brief Drops one soft reference (as dp_release drops a strong one: at 0 the asset is
 * UNUSED). Owner thread.
 * @return DP_OK; DP_ERR_INVALID; DP_ERR_STALE; DP_ERR_UNDERFLOW (no soft reference is held;
 * nothing changes); DP_ERR_WRONG_THREAD. */
dp_status dp_release_soft(dp_depot *dp, dp_handle h);

/** @brief How many of the asset's counts are soft references; 0 for a dead handle. Any
 * thread (a snapshot). */
uint32_t dp_soft_count(const dp_depot *dp, dp_handle h);

/** @brief Makes a group hold its members softly (true) or strongly (false, the default);
 * the members' counts change kind at once. Owner thread.
 * @return DP_OK; DP_ERR_INVALID; DP_ERR_STALE; DP_ERR_NOMEM (nothing changed);
 * DP_ERR_WRONG_THREAD. */
dp_status dp_group_set_soft(dp_depot *dp, dp_group g, bool soft);

/** @brief Sets the byte budget of soft-only assets of `type`, or with type 0 of all types
 * together (replacing dp_desc.soft_budget_bytes). 0 removes the budget. It applies from the
 * next dp_update (or dp_memory_pressure). Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL dp, unknown type); DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. */
dp_status dp_set_soft_budget(dp_depot *dp, dp_type_id type, size_t bytes);

/** @brief How hard the program (the OS's low-memory signal) asks the depot to give memory
 * back, for dp_memory_pressure. */
typedef enum dp_pressure {
    DP_PRESSURE_NONE = 0,     /**< nothing to do */
    DP_PRESSURE_MODERATE = 1, /**< demote soft-only assets to their budgets now, without
                                   waiting for the next dp_update */
    DP_PRESSURE_CRITICAL = 2  /**< demote every soft-only asset that can be demoted (evicted:
                                   0 bytes, budgets ignored) and free every unused asset,
                                   as dp_release_unused */
} dp_pressure;

/** @brief Gives memory back now (see dp_pressure). Demoted data is retired: it is destroyed
 * at the next dp_update but one (never under a dp_get pointer of this frame or an open read
 * guard). Strongly held assets are never touched. Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL dp, unknown level); DP_ERR_WRONG_THREAD. */
dp_status dp_memory_pressure(dp_depot *dp, int level);

/* ---- call-site macros ------------------------------------------------------------------- */
#ifndef DP_NO_SITE_MACROS
#define dp_add(dp, type, asset, bytes, key, out) \
    dp_add_at((dp), (type), (asset), (bytes), (key), (out), __FILE__, __LINE__)
#define dp_find(dp, key, out) dp_find_at((dp), (key), (out), __FILE__, __LINE__)
#define dp_retain(dp, h) dp_retain_at((dp), (h), __FILE__, __LINE__)
#define dp_upgrade(dp, h) dp_upgrade_at((dp), (h), __FILE__, __LINE__)
#define dp_get(dp, h) dp_get_at((dp), (h), __FILE__, __LINE__)
#define dp_retain_soft(dp, h) dp_retain_soft_at((dp), (h), __FILE__, __LINE__)
#endif

#ifdef __cplusplus
}
#endif
#endif
