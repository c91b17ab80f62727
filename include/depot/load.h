/** @file load.h
 * @brief Layer 3, load: loading assets by key on worker threads, from sources (file, mem,
 * http), with dependency loads, cancellation and hot reload; the built-in types.
 *
 * Keys are `[source://]path[#label]`. Without a source the file source rooted at
 * dp_desc.root is used; a path that escapes its root (`..`, absolute, a symlink leading out)
 * is refused by dp_load with DP_ERR_INVALID before any file is opened (to see symlinks,
 * dp_load resolves a new key's path with realpath: metadata only). A symlink changed to
 * lead out after dp_load makes the asset FAIL with DP_ERR_INVALID.
 *
 * Thread rules: dp_load, dp_load_as, dp_load_ex (without a group), dp_set_priority,
 * dp_set_class_limit, dp_mem_add, dp_builtins and dp_cancelled may be called from any thread, and
 * dp_type_ranged too; dp_wait, dp_wait_idle, dp_reload, dp_load_into, dp_load_folder,
 * dp_register_source, dp_http_configure, dp_http_cache, dp_mount, dp_unmount and
 * dp_catalog_load from the owner thread only; dp_ctx_* only inside a type's load
 * callback, on the worker running it.
 * Results reach the registry on the owner thread, in dp_update.
 *
 * The load layer starts on the first call of any of its functions (dp_load, dp_mem_add,
 * dp_builtins, ...): that starts the worker threads and registers the built-in types and
 * sources. Until then a depot has no threads.
 *
 * A load job never holds a count on its asset: it carries a weak handle and is cancelled
 * when the asset dies (or the depot is destroyed); a result for a dead asset is destroyed.
 * Nor does any job hold a count a caller could release: a labelled load's edge to its file
 * is added at the next dp_update (no job, no worker), a label a dp_load made is weak in the
 * job that emits it, and the counts a finished job took for its dependencies (they become
 * edges when it is applied) are given back by dp_destroy before it counts leaks.
 */
#ifndef DEPOT_LOAD_H
#define DEPOT_LOAD_H

#include "depot/asset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Starts loading `key` (or finds it live or cached) and returns a strong handle at
 * once; no file is opened or read on the calling thread (a new file key's path is only
 * resolved, see above). The type comes from the path's extension.
 * The same key gives the same handle while the asset lives or sits in the unused cache.
 * A FAILED asset of the key that this call is the only holder of (released and not freed
 * yet, or kept by the unused cache) is loaded again: it is PENDING from the next dp_update,
 * as a fresh dp_load would be after the failed one was freed. A FAILED asset that others
 * hold (callers, groups, parents) is returned as it is; dp_reload tries it again.
 * Any thread.
 * @return DP_OK; DP_ERR_INVALID (bad key, path escapes its root); DP_ERR_NOT_FOUND (no
 * source for the scheme, no type for the extension); DP_ERR_OVERFLOW; DP_ERR_NOMEM.
 * Read and decode errors arrive later as a FAILED state and event. */
dp_status dp_load_at(dp_depot *dp, const char *key, dp_handle *out, const char *file, int line);
dp_status dp_load(dp_depot *dp, const char *key, dp_handle *out);

/** @brief As dp_load, with the type forced. Any thread. An existing asset of the key with
 * another type gives DP_ERR_EXISTS and *out null; labelled keys too. A labelled key not live
 * yet gets a placeholder of `type`: if its file emits the label with another type, the data
 * is destroyed and the label FAILS with DP_ERR_EXISTS (it never holds data of another type
 * than dp_type_of says). */
dp_status dp_load_as_at(dp_depot *dp, const char *key, dp_type_id type, dp_handle *out,
                        const char *file, int line);
dp_status dp_load_as(dp_depot *dp, const char *key, dp_type_id type, dp_handle *out);

/* ---- load options, priorities ------------------------------------------------------------ */

/** @brief How urgent a load is. Workers take queued jobs highest priority first, first in
 * first out within a priority; a dependency a loader names runs at the highest priority of
 * the parents that want it. The render layer uploads in the same order, and IMMEDIATE
 * uploads ignore the per-frame upload budget (see render.h). A running job is never
 * interrupted: priority decides which queued job a free worker takes next. */
typedef enum dp_priority {
    DP_PRIORITY_LOW = -1,      /**< background work: streaming ahead, prefetch */
    DP_PRIORITY_NORMAL = 0,    /**< the default (a zeroed dp_load_opts), as dp_load */
    DP_PRIORITY_HIGH = 1,      /**< needed soon: the level the player walks into */
    DP_PRIORITY_IMMEDIATE = 2  /**< needed now: a loading-screen texture, a video frame */
} dp_priority;

/** @brief A completion callback (dp_load_opts.on_done): `status` is DP_OK when h's deep
 * state became LOADED, the failure status (dp_failure_of) when it became FAILED, and
 * DP_ERR_CANCELLED when the asset was freed before it settled or dp_destroy found the
 * request still waiting. */
typedef void (*dp_load_done_fn)(void *user, dp_handle h, dp_status status);

/** @brief Options of dp_load_ex. A zero-initialised struct (or NULL) loads as dp_load does.
 * Fields may be appended in later versions; zero stays "as before" for each. */
typedef struct dp_load_opts {
    int priority;     /**< a dp_priority; any other value is refused with DP_ERR_INVALID */
    dp_type_id type;  /**< 0: by the path's extension, as dp_load; else forced, as dp_load_as */
    dp_group group;   /**< {0}: none; else the group holds the asset, as dp_load_into */
    uint32_t flags;   /**< DP_LOAD_* bits; unknown bits: DP_ERR_INVALID */
    /** NULL: none. Else called exactly once for this request, on the owner thread during a
     * dp_update, once h's deep state settles (at the next dp_update if it has settled
     * already), or with DP_ERR_CANCELLED when h is freed first; requests still waiting
     * when dp_destroy starts are called from it with DP_ERR_CANCELLED (the depot still
     * works then; never after dp_destroy returns). The request holds no count on h (a
     * caller who releases h cancels it). It must not call dp_update or dp_destroy. When
     * dp_load_ex fails, it is never called. */
    dp_load_done_fn on_done;
    void *on_done_user; /**< passed to on_done */
} dp_load_opts;

/** @brief dp_load_opts.flags: the handle returned holds a soft reference (as dp_retain_soft
 * takes; release it with dp_release_soft) instead of a strong count, so a residency budget
 * may demote the asset once it is loaded (asset.h, docs/memory.md). Owner thread only
 * (DP_ERR_WRONG_THREAD elsewhere); not with a group (DP_ERR_INVALID: make the group soft
 * with dp_group_set_soft). */
#define DP_LOAD_SOFT 0x1u

/** @brief dp_load with options: a priority, a forced type, a group to join, flags. NULL
 * opts (or a zeroed struct) is dp_load. With `type`, it is dp_load_as (DP_ERR_EXISTS when
 * the key is live with another type). With `group`, it is dp_load_into: the group holds
 * the asset and *out (which may then be NULL) is a weak view; DP_ERR_EXISTS when it is in
 * the group already (the priority still applies). A key that is live already keeps its
 * handle; its queued load (and its queued dependencies) is raised to `priority`, never
 * lowered (dp_set_priority lowers). Any thread; with a group, the owner thread only.
 * @return DP_OK; DP_ERR_INVALID (bad key, path escapes its root, a priority outside
 * dp_priority, unknown flags, DP_LOAD_SOFT with a group, NULL out without a group);
 * DP_ERR_NOT_FOUND (no source for the scheme, no type for the extension); DP_ERR_EXISTS;
 * DP_ERR_STALE (dead group); DP_ERR_WRONG_THREAD (a group or DP_LOAD_SOFT off the owner
 * thread); DP_ERR_OVERFLOW; DP_ERR_NOMEM; DP_ERR_CANCELLED (an on_done request while
 * dp_destroy runs). On failure *out is null, on_done is never called and the load holds
 * nothing for the caller. */
dp_status dp_load_ex_at(dp_depot *dp, const char *key, const dp_load_opts *opts,
                        dp_handle *out, const char *file, int line);
dp_status dp_load_ex(dp_depot *dp, const char *key, const dp_load_opts *opts, dp_handle *out);

/** @brief The priority of asset h: the highest one its loads were asked for (dp_load_ex, a
 * parent's, a raise), or the one dp_set_priority set last; DP_PRIORITY_NORMAL for an
 * asset never given another, a dead handle, or a depot that never loaded. The render layer
 * uploads in this order. Any thread. */
int dp_priority_of(const dp_depot *dp, dp_handle h);

/** @brief Changes the priority of h's queued load (a first load, a reload, a retry) to `p`,
 * raises its running load's priority (the dependencies it names from now on inherit it),
 * and raises the queued loads of everything h depends on, transitively, to `p` (never
 * lowers them: another parent may want them sooner). Dependencies that are edges already
 * are raised at once when called on the owner thread, else at the next dp_update. An asset
 * with nothing queued is left as it is: DP_OK. Any thread.
 * @return DP_OK; DP_ERR_INVALID (NULL dp, `p` outside dp_priority); DP_ERR_STALE (h is not
 * alive); DP_ERR_NOMEM (only the dependencies were not raised). */
dp_status dp_set_priority(dp_depot *dp, dp_handle h, int p);

/** @brief Pumps dp_update until no load of `h` is in flight (first load, reload, retry) and
 * its deep state is LOADED or FAILED, or until timeout_ms passes (negative = no limit). So
 * after dp_reload it returns once the reload is applied: DP_OK with the new data, or, when
 * the reload failed, DP_OK with the old data (the asset stays LOADED; the failure is the
 * FAILED event and its status). An asset a residency budget evicted is asked back (as
 * dp_touch does) and waited for. Owner thread.
 * Wake rule: between two updates it sleeps until a worker hands the owner what it waits
 * for, and then updates at once: while a load of h itself is queued or running, that
 * load's end (loaded, failed or cancelled); otherwise (h waits for dependencies, a label
 * for its file) any finished load, or a link or retry that a dp_load queued. No CPU is
 * spent while the loads run, and it returns with the update that applies the last result
 * h needed. While other loads are queued behind h's (a batch), it takes h's result no
 * sooner than about 1 ms after its previous update began, so waiting for many short
 * loads in turn takes their results in batches. It looks again after about 1 ms where the
 * next update has work no worker announces (a deep-state pass or a residency restore that
 * ran out of memory) or nothing is in flight at all; another thread's dp_release or a
 * changed file is seen at the next wake, not at once.
 * @return DP_OK when deep-loaded; the failure status when it failed; DP_ERR_TIMEOUT;
 * DP_ERR_STALE; DP_ERR_WRONG_THREAD. */
dp_status dp_wait(dp_depot *dp, dp_handle h, int timeout_ms);

/** @brief Blocks until no load job is queued or running on a worker (every result is handed
 * over and waits for dp_update), or until timeout_ms passes (negative = no limit, 0 = only
 * look). It applies nothing and raises no event: call dp_update after it. A loading screen
 * calls `dp_wait_idle(dp, frame_ms); dp_update(dp);` instead of sleeping between updates:
 * the owner sleeps until the workers are done or a frame is due, and no worker is woken
 * for it. Only loads end the wait (not a watched file, not another thread's dp_release);
 * the dependencies a result names are queued when dp_update applies it, so loop until the
 * handles settle. Starts the load layer if it has not started (then nothing is in flight).
 * Owner thread.
 * @return DP_OK when nothing is queued or running; DP_ERR_TIMEOUT when jobs remain;
 * DP_ERR_INVALID (NULL dp); DP_ERR_WRONG_THREAD; DP_ERR_NOMEM (the load layer could not
 * start). */
dp_status dp_wait_idle(dp_depot *dp, int timeout_ms);

/** @brief Loads the asset's key again; the new data is swapped in at a later dp_update with
 * a MODIFIED event, and the old data destroyed one update after that. The new result's
 * dependencies replace the old ones: edges it no longer names are removed (also edges the
 * program added with dp_depend). A newer reload supersedes an older one still in flight.
 * What to wait for: MODIFIED (applied) or FAILED (the old data stays) of this asset, or
 * dp_wait. A reload that leaves the deep state as it was announces MODIFIED only: no second
 * LOADED_DEEP comes (one comes when the new dependencies made the deep state change and it
 * settles again). This is also how a FAILED asset that others hold is tried again (its
 * first successful result announces LOADED). A labelled sub-asset keeps its type across
 * reloads. Owner thread.
 * @return DP_OK; DP_ERR_STALE; DP_ERR_INVALID (the asset has no key or no loader);
 * DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. */
dp_status dp_reload(dp_depot *dp, dp_handle h);

/** @brief Loads `key` into a group: the group holds the asset (a bundle manifest, so a scene
 * loads and unloads as one: dp_group_release drops the bundle, which drops its members).
 * Owner thread. *out (may be NULL) receives a weak view of the asset.
 * @return DP_OK; DP_ERR_STALE (dead group); DP_ERR_EXISTS (already in the group, no change);
 * the errors of dp_load; DP_ERR_WRONG_THREAD. */
dp_status dp_load_into(dp_depot *dp, const char *key, dp_group group, dp_handle *out);

/* ---- folders ----------------------------------------------------------------------------- */

/** @brief Options of dp_load_folder. A zero-initialised struct (or NULL): every file
 * directly in the folder, each loaded as dp_load would, into a new group. */
typedef struct dp_folder_opts {
    const char *const *extensions; /**< NULL: every file; else only names ending in '.' and
                                        one of these (NULL-terminated, without dots) */
    bool recursive;                /**< also the files of the folders below */
    const dp_load_opts *load;      /**< each file's load (priority, forced type, flags,
                                        on_done per file); its group is the group to fill
                                        ({0}: a new one, named after the folder); NULL:
                                        defaults */
} dp_folder_opts;

/** @brief What dp_load_folder did. */
typedef struct dp_folder_result {
    dp_group group;   /**< holds the files: the group given, or a new one the caller destroys */
    uint32_t loaded;  /**< files whose loads started (or that were loaded already) */
    uint32_t skipped; /**< files left out: filtered by extension, or no type claims them */
} dp_folder_result;

/** @brief Loads every file of a folder into a group, from any source that can list
 * (dp_source.list: the root folder and the mounts for keys without a scheme, mem://, a
 * custom source with `list`). Files no type claims are skipped and counted, not failed; a
 * file that cannot be read loads like any other and FAILS (dp_group_progress counts it).
 * Hidden names and symbolic links are not listed, so a link leading out of the root is
 * never loaded. Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL dp, folder or out; a folder that escapes the root:
 * `..`, absolute, '#'; load options dp_load_ex refuses); DP_ERR_NOT_FOUND (no such
 * folder, unknown scheme); DP_ERR_UNSUPPORTED (the source cannot list: http, a custom
 * source without `list`); DP_ERR_STALE (the group given is dead); DP_ERR_IO;
 * DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. On error *out is zeroed and a group the call made is
 * destroyed (files already added to a group given stay in it). */
dp_status dp_load_folder(dp_depot *dp, const char *folder, const dp_folder_opts *opts,
                         dp_folder_result *out);

/* ---- inside a type's load callback ----------------------------------------------------- */

/** @brief Names a dependency of the asset being loaded: the child is found or reserved from
 * this worker thread without waiting for the owner, starts loading in parallel, and the
 * parent gets an edge to it when the result is applied. Relative keys without a scheme are
 * resolved against the parent's folder when they start with "./", else against the root.
 * *child is a weak view for the loader's own bookkeeping (e.g. to store in the asset);
 * the edge holds the count.
 * @return DP_OK; the same errors as dp_load. */
dp_status dp_ctx_load_dep(dp_load_ctx *ctx, const char *key, dp_handle *child);

/** @brief As dp_ctx_load_dep, for the labelled sub-asset `label` of the asset being loaded:
 * the edge goes from `<key>#<label>` to the child, so the label keeps the child alive on its
 * own (also after the file is released), its deep state waits for the child, and releasing
 * the label releases the child. Call it before or after dp_ctx_add_labelled(ctx, label,
 * ...) in the same callback (a loader usually names the dependency first, to store the weak
 * `*child` in the label's data). If the result does not emit `label`, the edge goes to the
 * file. label NULL is dp_ctx_load_dep. A reload replaces the label's dependencies like the
 * file's. Inside a load callback, on its worker thread.
 * @return DP_OK; DP_ERR_INVALID (empty label, or the asset being loaded is itself a label);
 * DP_ERR_NOMEM; the errors of dp_ctx_load_dep. */
dp_status dp_ctx_load_dep_for(dp_load_ctx *ctx, const char *label, const char *key,
                              dp_handle *child);

/** @brief Emits a labelled sub-asset `<key>#<label>` of the asset being loaded (a sprite
 * frame of a sheet): it becomes LOADED when the parent's result is applied, and the parent
 * holds an edge to it. Inside a load callback, on its worker thread. On DP_OK the depot
 * owns `asset`; *out (may be NULL) is a weak view of the label.
 * @return DP_OK; DP_ERR_INVALID (NULL or empty label, NULL asset, unknown type, or the asset
 * being loaded is itself a label); DP_ERR_NOMEM; DP_ERR_OVERFLOW. On error `asset` stays
 * the caller's. */
dp_status dp_ctx_add_labelled(dp_load_ctx *ctx, const char *label, dp_type_id type,
                              void *asset, size_t bytes, dp_handle *out);

/* The accessors below are called inside a load callback, on its worker thread; each
 * returns NULL (or false) for a NULL ctx and cannot fail otherwise. */
/** @brief The key being loaded; valid during the callback. */
const char *dp_ctx_key(const dp_load_ctx *ctx);
/** @brief The depot (any-thread functions such as dp_get of a held asset may be used). */
dp_depot *dp_ctx_depot(const dp_load_ctx *ctx);
/** @brief The depot's allocator (thread-safe), for the loader's own allocations. */
const dp_allocator *dp_ctx_allocator(const dp_load_ctx *ctx);
/** @brief Fails the load with `status` and a message of its own (printf format) that
 * dp_failure shows: `return dp_ctx_fail(ctx, DP_ERR_FORMAT, "no \"rect\" in %s", ...)`.
 * Inside a type's load only. The message is copied (cut at 512 bytes; dropped if it cannot
 * be allocated). @return `status`, to be returned by the load. */
dp_status dp_ctx_fail(dp_load_ctx *ctx, dp_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/** @brief True once the job is cancelled; a long decode may poll it and return
 * DP_ERR_CANCELLED. */
bool dp_ctx_cancelled(const dp_load_ctx *ctx);

/** @brief Reads `len` bytes at `offset` of the content being loaded into `buf`. With a
 * source that reads ranges (dp_source.read_at: the file source with pread, http with Range
 * requests, mounted packs) only those bytes are read; otherwise they are copied from the
 * whole content, which was read before the callback ran. Inside a load callback, on its
 * worker thread; any number of calls.
 * @return DP_OK (all `len` bytes read); DP_ERR_INVALID (NULL ctx, NULL buf with len > 0);
 * DP_ERR_FORMAT (the range goes past the end of the content); the source's errors
 * (DP_ERR_IO, DP_ERR_NET, DP_ERR_TIMEOUT, DP_ERR_CANCELLED, ...). */
dp_status dp_ctx_read(dp_load_ctx *ctx, uint64_t offset, size_t len, void *buf);

/** @brief The size in bytes of the content being loaded. Inside a load callback.
 * @return DP_OK; DP_ERR_INVALID (NULL argument). */
dp_status dp_ctx_size(const dp_load_ctx *ctx, uint64_t *size);

/** @brief Makes a type read its content with dp_ctx_read: when the key's source reads
 * ranges, the type's load gets `bytes` NULL and `len` the content size, and nothing is read
 * before the callback; with any other source it gets the whole content as usual (and
 * dp_ctx_read copies from it). So a ranged loader reads with dp_ctx_read and never looks at
 * `bytes`. Any thread; applies to loads that start afterwards.
 * @return DP_OK; DP_ERR_INVALID (unknown type); DP_ERR_NOMEM. */
dp_status dp_type_ranged(dp_depot *dp, dp_type_id type, bool ranged);

/* ---- sources ----------------------------------------------------------------------------- */

/** @brief Set when a job's asset died or the depot is being destroyed. */
typedef struct dp_cancel dp_cancel;

/** @brief True once the job reading with this token is cancelled; a source's read may poll
 * it and return DP_ERR_CANCELLED. Any thread. NULL is never cancelled. */
bool dp_cancelled(const dp_cancel *c);

/** @brief A source's read (or open, size, read_at) says why it failed: the message (printf
 * format, cut at 512 bytes) is what dp_failure shows for the asset, as dp_ctx_fail's is for a
 * type: `return dp_source_fail(cancel, DP_ERR_NET, "HTTP %ld", code);`. On the worker
 * running the read, with the token it was given; a later message replaces it; dropped when
 * it cannot be allocated or the token is NULL. @return `status`. */
dp_status dp_source_fail(const dp_cancel *c, dp_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** @brief A source of bytes: a scheme and a vtable. `read` runs on worker threads, several
 * at once: it returns the whole content in *bytes (freed later with free_bytes) or an error
 * (DP_ERR_NOT_FOUND, DP_ERR_IO, DP_ERR_NET, DP_ERR_TIMEOUT, DP_ERR_CANCELLED, ...).
 * `watch` (optional, owner thread) is called with the path of each asset loaded from the
 * source, and `poll` (optional, owner thread, called by every dp_update) reports each changed
 * path once through `changed`; the asset of that key is then reloaded (MODIFIED). The file
 * source does this itself with inotify when dp_desc.watch is set. `destroy` (optional) runs
 * at dp_destroy.
 *
 * Ranged reads (optional, all four or none): `open` opens `path` for reading into *file,
 * `size` gives its size, `read_at` reads exactly `len` bytes at `offset` (DP_ERR_IO or the
 * source's error if it cannot), `close` closes it. All run on the worker thread of one
 * load, and several files may be open at once on different workers. A source without them
 * is read whole with `read`, which stays required.
 * Listing (optional): `list` calls `found` once for each path (from the source's root,
 * "a/b.png"; valid only during the call) of an asset directly in `folder` ("" = the root,
 * else a path without a trailing '/'), or with `recursive` anywhere below it, in any order;
 * it returns DP_OK, DP_ERR_NOT_FOUND (no such folder) or the source's error; `found` must
 * not call into the depot. Any thread, concurrently with reads. The built-in file and mem sources and mounted packs and
 * folders list; folder loading uses it (a source without it cannot be listed).
 * Concurrency class (optional): `load_class`, a dp_load_class (0 = DP_CLASS_DEFAULT): the
 * jobs of sources of one class share that class's cap on jobs in flight
 * (dp_set_class_limit).
 * The struct grew these fields after `user`; dp_register_source passes the size of the
 * caller's struct, so a program built against the older, shorter struct keeps working. */
typedef struct dp_source {
    const char *scheme;
    dp_status (*read)(void *user, const char *path, const dp_cancel *cancel,
                      void **bytes, size_t *len);
    void (*free_bytes)(void *user, void *bytes);
    dp_status (*watch)(void *user, const char *path);
    void (*poll)(void *user, void (*changed)(void *ctx, const char *path), void *ctx);
    void (*destroy)(void *user);
    void *user;
    /* ---- ranged reads (optional; not in the first version of this struct) ---- */
    dp_status (*open)(void *user, const char *path, const dp_cancel *cancel, void **file);
    dp_status (*size)(void *user, void *file, uint64_t *size);
    dp_status (*read_at)(void *user, void *file, uint64_t offset, void *buf, size_t len,
                         const dp_cancel *cancel);
    void (*close)(void *user, void *file);
    /* ---- listing (optional; not in the first two versions of this struct) ---- */
    dp_status (*list)(void *user, const char *folder, bool recursive,
                      void (*found)(void *ctx, const char *path), void *ctx);
    /* ---- concurrency class (optional; not in the first three versions) ---- */
    int load_class;
} dp_source;

/** @brief Concurrency classes. Every source belongs to one (dp_source.load_class), and each
 * class has its own cap on jobs in flight, so a slow class cannot occupy every worker: with
 * the network capped at 4 transfers, disk loads keep flowing on the other workers while
 * HTTP answers stall. A worker skips the queued jobs of a class at its cap and takes the
 * most urgent job of a class with room (priority first, then first in first out across the
 * classes). */
typedef enum dp_load_class {
    DP_CLASS_DEFAULT = 0, /**< a source that names no class; no cap unless set */
    DP_CLASS_DISK = 1,    /**< the file source, mounted packs and folders; no cap unless set */
    DP_CLASS_NETWORK = 2, /**< http and https; at most half the workers (at least 1) unless set */
    DP_CLASS_MEMORY = 3,  /**< mem://; no cap unless set */
    DP_CLASS_USER = 4,    /**< 4 to 7: classes of the program's own sources */
    DP_CLASS_COUNT = 8
} dp_load_class;

/** @brief Caps the jobs of class `load_class` in flight at `max_in_flight` (0 = no cap); a
 * job counts from the moment a worker takes it until its read and decode end. Jobs already
 * running over a lowered cap finish; no new one starts until the class is under it. Any
 * thread; applies at once.
 * @return DP_OK; DP_ERR_INVALID (NULL dp, a class outside 0..DP_CLASS_COUNT-1, a negative
 * cap); DP_ERR_NOMEM (the load layer could not start). */
dp_status dp_set_class_limit(dp_depot *dp, int load_class, int max_in_flight);

/** @brief Registers a source for its scheme (the vtable is copied; `user` stays the
 * caller's until `destroy` is called at dp_destroy). Owner thread, before loads from it.
 * `src_size` is sizeof the caller's dp_source (the macro dp_register_source passes it);
 * fields past it are taken as NULL. The function dp_register_source (without the macro)
 * reads the first version of the struct, which ends at `user`.
 * @return DP_OK; DP_ERR_INVALID (also: only some of open/size/read_at/close set);
 * DP_ERR_EXISTS (scheme taken); DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. */
dp_status dp_register_source_sized(dp_depot *dp, const dp_source *src, size_t src_size);
dp_status dp_register_source(dp_depot *dp, const dp_source *src);

/** @brief Mounts a pack file (`kind` "pack") or a folder (`kind` "file") at `path` (an OS
 * path, absolute or relative to the working directory) into the key space of keys without
 * a scheme: such a key resolves through the mounts, highest `priority` first (the newest
 * first among equal priorities), and through the root folder (dp_desc.root) only when no
 * mount has it. So a patch pack or a mod folder mounted above a base pack overrides its
 * entries without changing any key. A pack entry that fails its checksum fails the load
 * with DP_ERR_FORMAT (it does not fall through to a lower mount). Assets already loaded
 * keep their data until reloaded. Mounted folders are watched for hot reload when
 * dp_desc.watch is set; a file that appears in a watched folder over an entry of a lower
 * mount reloads that asset. Owner thread.
 * @return DP_OK; DP_ERR_INVALID (NULL, empty path, unknown kind); DP_ERR_NOT_FOUND (no such
 * file or folder; "pack" in a build without pack support); DP_ERR_FORMAT (not a valid
 * pack); DP_ERR_IO; DP_ERR_EXISTS (`path` is mounted already); DP_ERR_NOMEM;
 * DP_ERR_WRONG_THREAD. */
dp_status dp_mount(dp_depot *dp, const char *kind, const char *path, int priority);

/** @brief Unmounts what dp_mount mounted at `path` (the same string). Deferred, never
 * refused: loads that start afterwards no longer see the mount, reads already running
 * through it finish, and its pack file is closed when the last of them ends. Live assets
 * keep their data (it was copied out when loaded); a later reload of one resolves through
 * the mounts left. Owner thread.
 * @return DP_OK; DP_ERR_NOT_FOUND (nothing mounted there); DP_ERR_INVALID; DP_ERR_NOMEM;
 * DP_ERR_WRONG_THREAD. */
dp_status dp_unmount(dp_depot *dp, const char *path);

/** @brief Loads a catalog (written by `depot catalog` or `depot pack --catalog`; format in
 * docs/loading.md): stable 64-bit ids, so that `dp_load(dp, "id:0x1f2e...", &h)` loads the
 * asset that id names whatever its file is called now, and redirects from old keys to new
 * ones, so that a sprite or bundle naming a renamed file still finds it (the asset's key is
 * the new one: both names give the same handle). Only keys without a scheme are redirected;
 * a label after '#' is kept. Replaces the previous catalog for later loads. Owner thread.
 * @return DP_OK; DP_ERR_NOT_FOUND (no such file); DP_ERR_IO; DP_ERR_FORMAT (not a catalog,
 * a bad line, an id or a redirect given twice); DP_ERR_NOMEM; DP_ERR_INVALID;
 * DP_ERR_WRONG_THREAD. dp_load of "id:..." gives DP_ERR_INVALID for a malformed id (or a
 * redirect loop) and DP_ERR_NOT_FOUND for an id no catalog names. */
dp_status dp_catalog_load(dp_depot *dp, const char *path);

/** @brief Adds (or replaces) an in-memory blob readable as `mem://path`; the bytes are
 * copied. Any thread. @return DP_OK; DP_ERR_INVALID; DP_ERR_NOMEM. */
dp_status dp_mem_add(dp_depot *dp, const char *path, const void *bytes, size_t len);

/** @brief Settings of the http/https source (libcurl). Zero fields take the defaults. */
typedef struct dp_http_desc {
    long connect_timeout_ms; /**< 0 = 5000 */
    long total_timeout_ms;   /**< 0 = 30000 */
    size_t max_bytes;        /**< 0 = 64 MiB; a larger response fails with DP_ERR_FORMAT */
} dp_http_desc;

/** @brief Replaces the settings of the built-in http and https sources. Owner thread,
 * before the first http load. @return DP_OK; DP_ERR_NOT_FOUND (built without libcurl);
 * DP_ERR_INVALID; DP_ERR_WRONG_THREAD. */
dp_status dp_http_configure(dp_depot *dp, const dp_http_desc *desc);

/** @brief The http source's disk cache. Zero fields take the defaults. */
typedef struct dp_http_cache_desc {
    const char *dir;      /**< folder of cached responses (made if missing); required */
    uint64_t max_bytes;   /**< 0 = 256 MiB; least recently used entries go first */
    long fresh_ms;        /**< 0 = 60000: a younger entry is served without a request;
                               an older one is revalidated (If-None-Match with its ETag) */
    int retries;          /**< 0 = 3: a transfer that fails (network, timeout, an HTTP error
                               other than 404/410) is tried again this many times */
    long retry_base_ms;   /**< 0 = 100: the first wait between tries; each next one doubles */
    /** NULL: none. The URL of a catalog (docs/loading.md, "Stable ids and redirects") whose
     * keys are paths under the URL's folder: a URL there that the catalog names is
     * downloaded once, checked against the catalog's content hash (a mismatch fails the
     * load with DP_ERR_FORMAT and stores nothing), stored under that hash (identical
     * content once) and then served from disk with no request, also with the server down;
     * the catalog's ids load those URLs ("id:0x...") and its redirects apply to them. */
    const char *catalog;
} dp_http_cache_desc;

/** @brief Gives the http and https sources a disk cache: a response is stored (written
 * under a temporary name, then renamed: a crash never leaves a partial entry that is
 * served), served from disk while fresh, revalidated with its ETag when stale (a 304 keeps
 * it), and served stale when the server cannot be reached after the retries; a 404 drops
 * it. The folder is trimmed to max_bytes after each store. With `catalog`, the catalog is
 * fetched first, through the cache (this call blocks for it, retries included; a cached
 * copy serves when the server cannot be reached). Owner thread, before the first http
 * load; the folder may be shared by later runs (that is its point).
 * @return DP_OK; DP_ERR_INVALID (also: a catalog URL that is not http(s) with a folder);
 * DP_ERR_EXISTS (a cache is set already); DP_ERR_IO (the folder cannot be made);
 * DP_ERR_NOT_FOUND (built without libcurl; the catalog is not on the server);
 * DP_ERR_NET, DP_ERR_TIMEOUT (the catalog cannot be fetched and is not cached);
 * DP_ERR_FORMAT (the catalog is not one); DP_ERR_UNSUPPORTED (a catalog in a build
 * without libxxhash); DP_ERR_NOMEM; DP_ERR_WRONG_THREAD. On error no cache is set. */
dp_status dp_http_cache(dp_depot *dp, const dp_http_cache_desc *desc);

/* ---- built-in types ----------------------------------------------------------------------- */

/** @brief "blob": the raw bytes of a file (any extension not claimed by another type can be
 * loaded with dp_load_as). */
typedef struct dp_blob {
    size_t size;
    unsigned char *bytes;
} dp_blob;

/** @brief "image": a PNG, JPEG or WebP file decoded to RGBA8 (extensions png, jpg, jpeg,
 * webp, each when its library was built in; the format is recognised by its first bytes,
 * not by the extension). Corrupt, truncated or oversized (over 16384 pixels a side or 2^26
 * pixels; refused before the image is allocated) input fails with DP_ERR_FORMAT. */
typedef struct dp_image {
    uint32_t width, height;
    unsigned char *pixels; /**< width * height * 4 bytes, rows top to bottom */
} dp_image;

/** @brief The most mip levels an image can have (16384 pixels a side gives 15). */
#define DP_IMAGE_MAX_LEVELS 15

/** @brief "image_mips" (dp_builtin_types.image_mips, no extension: use dp_load_as): the
 * same decode as "image", followed by the full box-filtered mip chain down to 1x1. The
 * first member is the level-0 dp_image, so code that reads images reads these too. */
typedef struct dp_image_mips {
    dp_image image;  /**< level 0; image.pixels == level[0] */
    uint32_t levels; /**< the full chain: 16x16 has 5 */
    /** Level i is max(1, width >> i) x max(1, height >> i) RGBA8 pixels. */
    unsigned char *level[DP_IMAGE_MAX_LEVELS];
} dp_image_mips;

/** @brief "sound": WAV, FLAC or Ogg Vorbis decoded to PCM (extensions wav, flac, ogg, oga;
 * libsndfile; the format is recognised by content). Samples are signed 16-bit,
 * interleaved (frame i, channel c at samples[i * channels + c]); 24/32-bit sources keep
 * their top 16 bits, float sources (and Vorbis) become x * 32767, clipped. Corrupt, truncated or oversized (over 8
 * channels, 384 kHz or 2^27 samples; refused before the samples are allocated) input
 * fails with DP_ERR_FORMAT. */
typedef struct dp_sound {
    uint32_t sample_rate; /**< frames per second */
    uint32_t channels;    /**< 1 to 8 */
    uint64_t frames;      /**< samples per channel */
    int16_t *samples;     /**< frames * channels samples */
} dp_sound;

/** @brief The most mip levels a texture can have (16384 texels a side gives 15). */
#define DP_TEXTURE_MAX_LEVELS 15

/** @brief One mip level of a dp_texture. */
typedef struct dp_texture_level {
    uint32_t width, height, depth; /**< in texels: max(1, base >> level) */
    size_t bytes;                  /**< the whole level: layers * faces * image_bytes */
    size_t image_bytes;            /**< one image: one layer, one face, every z slice */
    /** Images layer by layer, faces within a layer (+X, -X, +Y, -Y, +Z, -Z for cube maps):
     * image (layer l, face f) starts at data + (l * faces + f) * image_bytes; each image is
     * z slices of rows of blocks, as the GPU APIs take them. */
    const unsigned char *data;
} dp_texture_level;

/** @brief "texture": a KTX 2.0 file (extension ktx2), parsed by depot: 1D/2D/3D, arrays,
 * cube maps (and cube map arrays), every mip level it stores. Uncompressed formats and
 * block-compressed ones (BC1-BC7, ETC2/EAC, ASTC LDR) are passed through as stored (blocks
 * for compressed formats); zstd-supercompressed levels are inflated (libzstd). Basis
 * Universal payloads (BasisLZ/ETC1S, UASTC), zlib supercompression and vkFormats depot does
 * not know fail with DP_ERR_UNSUPPORTED. Every offset and size in the file is checked
 * against the file length; inconsistent, truncated or oversized (over 16384 texels a side,
 * 2048 layers or depth, 1 GiB of level data; refused before allocation) files fail with
 * DP_ERR_FORMAT. */
typedef struct dp_texture {
    uint32_t vk_format;            /**< the VkFormat value from the file */
    uint32_t width, height, depth; /**< level 0 in texels; height and depth are 1 when unused */
    uint32_t layers;               /**< array elements; 1 when not an array */
    uint32_t faces;                /**< 6 for a cube map, else 1 */
    uint32_t levels;               /**< stored mip levels, level 0 the largest */
    uint32_t block_width, block_height, block_bytes; /**< 1, 1, bytes per texel if uncompressed */
    bool compressed;               /**< block-compressed format */
    bool array;                    /**< the file declared an array texture (layerCount > 0) */
    dp_texture_level level[DP_TEXTURE_MAX_LEVELS];
} dp_texture;

/** @brief "sprite": a rectangle of an image (extension sprite; JSON
 * `{"image": "key.png", "rect": [x, y, w, h]}`); depends on its image. */
typedef struct dp_sprite {
    dp_handle image; /**< weak view; the sprite's edge holds the count */
    uint32_t x, y, w, h;
} dp_sprite;

/** @brief "bundle": a JSON manifest of assets (extension bundle;
 * `{"assets": ["a.png", "b.sprite", ...]}`); every member is a dependency, so releasing the
 * bundle releases them. */
typedef struct dp_bundle {
    size_t count;
    dp_handle *members; /**< weak views; the bundle's edges hold the counts */
} dp_bundle;

/** @brief Ids of the built-in types, registered when the load layer starts. */
typedef struct dp_builtin_types {
    dp_type_id blob, image, sprite, bundle; /**< 0 when not built (no image codec / cJSON) */
    dp_type_id image_mips; /**< "image" with its mip chain; 0 when image is 0 */
    dp_type_id sound;      /**< 0 when not built (no libsndfile) */
    dp_type_id texture;    /**< KTX 2.0; always built (zstd levels need libzstd) */
    /** glTF 2.0 scenes and their labels (depot/gltf.h); 0 when not built (no cJSON) */
    dp_type_id gltf, gltf_mesh, gltf_material, gltf_texture;
} dp_builtin_types;

/** @brief The built-in type ids of this depot (starting the load layer if needed). Any
 * thread. All zero if the load layer cannot start (out of memory). */
dp_builtin_types dp_builtins(const dp_depot *dp);

#ifndef DP_NO_SITE_MACROS
#define dp_load(dp, key, out) dp_load_at((dp), (key), (out), __FILE__, __LINE__)
#define dp_load_as(dp, key, type, out) dp_load_as_at((dp), (key), (type), (out), __FILE__, __LINE__)
#define dp_load_ex(dp, key, opts, out) dp_load_ex_at((dp), (key), (opts), (out), __FILE__, __LINE__)
#endif
/* Not a site macro: it passes the size of the caller's struct (see dp_source). */
#define dp_register_source(dp, src) dp_register_source_sized((dp), (src), sizeof *(src))

#ifdef __cplusplus
}
#endif
#endif
