/* registry.h — what the layers above the registry may use of it: src/load, src/render,
 * src/diag (all but the consistency check, which sees asset_internal.h) and bench include
 * this header and nothing else from src/asset.
 *
 * It names no field of struct dp_depot or of an asset's record: the layers above read an
 * asset through dp__view (a copy taken at one moment), walk the live assets with
 * dp__live_iter, and reach the depot's allocator, descriptor and counters through
 * functions. Each declaration says which thread may call it. The log hook (asset/log.h)
 * and the failure records (asset/failure.h) come with it; the lifetime recorder's read side
 * (event kinds, dp__trace_snapshot) is declared at the end for diag's trace writer.
 */
#ifndef DEPOT_REGISTRY_H
#define DEPOT_REGISTRY_H

#include "asset/failure.h"
#include "asset/log.h"
#include "common/alloc.h"
#include "depot/asset.h"
#include "depot/diag.h"
#include "os/thread.h"

#define DP__MAX_TYPES 255u /* type ids are 1..255 */

/* ---- the depot -------------------------------------------------------------------------------- */

/* True on the thread that created the depot. Any thread. */
bool dp__is_owner(const dp_depot *dp);
/* The owner thread (for a layer that must check it after its depot is gone). Any thread. */
dp__thread_id dp__depot_owner(const dp_depot *dp);
/* True while dp_destroy runs (from the destroy callbacks it calls). Owner thread. */
bool dp__depot_destroying(const dp_depot *dp);
/* The depot's allocator (a copy of dp_desc.allocator, or malloc/free). Any thread; the
 * pointer lives as long as the depot. */
const dp_allocator *dp__depot_alloc(const dp_depot *dp);
/* The descriptor the depot was created with (root copied). Any thread; never changes. */
const dp_desc *dp__depot_desc(const dp_depot *dp);

/* The number of dp_update calls begun so far (0 before the first): what diagnostics call
 * "update N". Any thread (a relaxed read). */
uint64_t dp__update_number(const dp_depot *dp);

/* ---- types -------------------------------------------------------------------------------- */

/* The registered type `id` (its name and extensions point into the depot's copies), or NULL
 * for an id not registered. Any thread. */
const dp_type *dp__type_info(const dp_depot *dp, dp_type_id id);
/* How many types are registered (their ids are 1..n). Any thread. */
uint32_t dp__type_count(const dp_depot *dp);
/* The type registered for a path's extension (longest matching suffix), or 0. Any thread. */
dp_type_id dp__type_for_path(const dp_depot *dp, const char *path);

/* ---- reading an asset --------------------------------------------------------------------------- */

/* One live asset as the layers above may read it, copied at one moment. type, state, bytes
 * and data may change right after unless the caller holds a count or is the owner; key and
 * edges are the owner's and only valid on the owner thread until the next registry call. */
typedef struct dp__view {
    dp_handle h;
    uint32_t count;         /* strong count when the slot word was read */
    dp_type_id type;
    dp_state state;
    size_t bytes;
    void *data;             /* in any state (dp_get gives it only when LOADED) */
    const char *key;        /* NULL if keyless */
    const dp_handle *kids;  /* dependency edges */
    uint32_t nkids;
    uint32_t soft;          /* how many of the counts are soft references (a snapshot) */
    struct dp__asset *rec;  /* the record itself: for src/asset only (opaque above it) */
} dp__view;

/* The handle of the live, non-dying asset at slot index i (and its count, if count is not
 * NULL), or null. One load of the slot word. Any thread. */
dp_handle dp__live_at(const dp_depot *dp, uint32_t i, uint32_t *count);
/* True if h names a live asset that is not being freed. Any thread. */
bool dp__alive(const dp_depot *dp, dp_handle h);
/* Fills *v for h if it is live and not being freed; false (and *v untouched) otherwise.
 * Any thread, but see dp__view for which fields the owner alone may read. */
bool dp__view_of(const dp_depot *dp, dp_handle h, dp__view *v);

/* ---- the live-slot iterator --------------------------------------------------------------------- */

/* A walk over every slot that held an asset when the walk began, by index:
 *     for (dp__live_iter it = dp__live_begin(dp); dp__live_next(dp, &it, &v);) ...
 * Any thread (slot chunks never move); what it sees of assets other threads create or free
 * meanwhile is a snapshot per slot. */
typedef struct dp__live_iter {
    uint64_t next;   /* the next index to look at */
    uint64_t end;    /* slots handed out when the walk began (the pool's high water) */
    bool dying;      /* also stop at assets being freed (src/asset's own walks) */
} dp__live_iter;

dp__live_iter dp__live_begin(const dp_depot *dp);
/* Moves to the next live, non-dying asset and fills *v; false at the end. */
bool dp__live_next(const dp_depot *dp, dp__live_iter *it, dp__view *v);

/* ---- creation, lookup and internal counts ---------------------------------------------------------- */

/* Creates an asset with count 1 in `state`, with data/bytes (may be NULL/0), optional key.
 * If `key` is live, takes a count on that asset instead and returns DP_ERR_EXISTS with
 * *out = it. Any thread; never blocks on I/O.
 * DP_OK; DP_ERR_EXISTS; DP_ERR_NOMEM; DP_ERR_OVERFLOW; DP_ERR_INVALID. */
dp_status dp__create(dp_depot *dp, dp_type_id type, dp_state state, void *data, size_t bytes,
                     const char *key, dp_handle *out, const char *file, int line);
/* Acquires the live asset of `key`, recording file:line as its holder; a hit takes no lock.
 * Any thread. DP_OK or DP_ERR_NOT_FOUND. */
dp_status dp__find(dp_depot *dp, const char *key, dp_handle *out, const char *file, int line);
/* Owner: takes an internal count (edge, group, a job's hold); a revived cached asset leaves
 * the cache. *old (may be NULL) gets the count before. DP_OK, DP_ERR_STALE,
 * DP_ERR_OVERFLOW. */
dp_status dp__acquire_owned(dp_depot *dp, dp_handle h, uint32_t *old);
/* The bare CAS of release: no holder record, no attention; *old is the count before. Any
 * thread. DP_OK, DP_ERR_STALE, DP_ERR_UNDERFLOW. */
dp_status dp__release_raw(dp_depot *dp, dp_handle h, uint32_t *old);
/* Any thread: drops a count the library took at the internal call site `site`, with its
 * holder record: -1, then ZERO or CAND attention as after a caller's release. DP_OK,
 * DP_ERR_STALE, DP_ERR_UNDERFLOW. */
dp_status dp__release_site(dp_depot *dp, dp_handle h, const char *site);
/* Owner: drops a count taken without a holder record of the caller's own (a job's count);
 * at 0 the asset is handled at once (call dp__run_frees after), else it becomes a cycle
 * candidate. DP_OK, or DP_ERR_STALE for an asset evicted meanwhile. */
dp_status dp__release_owned(dp_depot *dp, dp_handle h);
/* Owner: turns the strong count the caller has just taken on h (its holder record made at
 * file:line by this thread) into a soft reference, as if dp_retain_soft had taken it
 * (DP_LOAD_SOFT). DP_OK; DP_ERR_STALE; DP_ERR_NOMEM (the count stays strong). */
dp_status dp__soft_adopt(dp_depot *dp, dp_handle h, const char *file, int line);
/* Owner: frees what dp__release_owned queued. */
void dp__run_frees(dp_depot *dp);
/* Owner: adds an edge parent -> child whose count the caller already holds (it moves to
 * the edge). If the parent is dead, the count is released instead. DP_OK or DP_ERR_NOMEM
 * (then the count is released too). */
dp_status dp__edge_add_owned(dp_depot *dp, dp_handle parent, dp_handle child);

/* ---- state setters (the loader) ------------------------------------------------------------------ */

/* PENDING -> LOADING. Any thread. */
void dp__set_state(dp_depot *dp, dp_handle h, dp_state s);
/* Owner: installs loaded data: state LOADED, LOADED event. If the asset was already loaded
 * (a reload), the old data is retired to the following update and MODIFIED is emitted. */
void dp__set_loaded(dp_depot *dp, dp_handle h, void *data, size_t bytes);
/* Owner: marks a failure: state FAILED (unless it already had data: a failed reload keeps
 * the old data), FAILED event with the status. */
void dp__set_failed(dp_depot *dp, dp_handle h, dp_status why);
/* Owner: gives a placeholder that has no data yet the type its data will have. */
void dp__set_type(dp_depot *dp, dp_handle h, dp_type_id type);
/* Owner: call when an asset's own state changed (child null) or an edge parent -> child was
 * added, so its deep state and its parents' are worked out again (a removed edge:
 * dp__deep_note_removed). */
void dp__deep_note_change(dp_depot *dp, dp_handle parent, dp_handle child);
/* Owner, after a dp_update: true when deep states wait for a pass that update could not
 * finish (out of memory, or a rebuild asked for more than it runs), so that only another
 * dp_update settles them; dp_wait then looks again soon instead of sleeping. */
bool dp__deep_due(const dp_depot *dp);

/* ---- completion requests -------------------------------------------------------------------- */

/* A completion callback: status DP_OK (deep-LOADED), the failure status, or
 * DP_ERR_CANCELLED (freed first, or the depot destroyed). */
typedef void (*dp__done_fn)(void *user, dp_handle h, dp_status status);
/* Asks for fn(user, h, status) on the owner thread during a later dp_update, once h's deep
 * state settles (at the next one if it has settled already), exactly once; a request holds
 * no count. Any thread. DP_OK; DP_ERR_INVALID; DP_ERR_NOMEM; DP_ERR_CANCELLED (dp_destroy
 * has begun). On error fn is never called. */
dp_status dp__done_add(dp_depot *dp, dp_handle h, dp__done_fn fn, void *user);

/* ---- holders, groups, the graph walk ------------------------------------------------------------ */

/* The call site recorded for counts a load job takes on dependencies; they become edges. */
extern const char dp__site_load[];
/* Removes one holder record of h whose file pointer is `file` (an internal site). Any
 * thread; does nothing without track_holders. */
void dp__holder_remove_site(dp_depot *dp, dp_handle h, const char *file);
/* Copies up to cap holder records of h; returns how many there are. Any thread. */
size_t dp__holders_copy(const dp_depot *dp, dp_handle h, dp_holder *out, size_t cap);
/* True if g names a live group. Owner thread. */
bool dp__group_alive(const dp_depot *dp, dp_group g);
/* Calls fn for every member of every live group. Owner thread. */
void dp__groups_each(const dp_depot *dp, void (*fn)(void *u, dp_group g, const char *name,
                                                     dp_handle member), void *u);

/* Per slot, what explains its count: edges from live parents and group memberships. */
typedef struct dp__graph {
    uint64_t n;          /* slots scanned (pool high water) */
    uint32_t *incoming;  /* per slot: edges from live parents */
    uint32_t *grouped;   /* per slot: group memberships */
} dp__graph;
/* Owner thread. DP_OK or DP_ERR_NOMEM (then g holds nothing). */
dp_status dp__graph_build(const dp_depot *dp, dp__graph *g);
void dp__graph_free(const dp_depot *dp, dp__graph *g);
/* A walk over the live assets among the slots g counted (indices below g->n). */
dp__live_iter dp__graph_walk(const dp__graph *g);

/* ---- the load subsystem slot --------------------------------------------------------------------- */

/* Something above the registry (the loader) that the depot drives without knowing it. */
typedef struct dp__subsystem {
    void (*update)(void *self, dp_depot *dp);   /* start of dp_update, owner thread */
    void (*shutdown)(void *self, dp_depot *dp); /* start of dp_destroy: cancel and join */
    void (*destroy)(void *self, dp_depot *dp);  /* end of dp_destroy: free the rest */
    size_t (*pending)(void *self);              /* jobs queued or running, any thread */
    /* Residency (may be NULL: nothing is ever demoted): whether h can be loaded again
     * through its key, and starting that load, whose result is installed like a reload's
     * (DP_OK, DP_ERR_INVALID, DP_ERR_NOMEM). Owner thread. */
    bool (*reloadable)(void *self, dp_depot *dp, dp_handle h);
    dp_status (*reload)(void *self, dp_depot *dp, dp_handle h);
} dp__subsystem;

/* The attached loader, or NULL. Any thread. */
void *dp__attached_loader(const dp_depot *dp);
/* The attached loader; if none is attached, calls make(dp) under the depot's attach lock
 * (so only one is ever made) and attaches what it returns with `vt`. NULL if make failed.
 * Any thread. */
void *dp__loader_slot(dp_depot *dp, const dp__subsystem *vt, void *(*make)(dp_depot *dp));

/* ---- counters --------------------------------------------------------------------------------- */

/* Events dropped so far because the event list could not grow. Any thread. */
size_t dp__events_dropped(const dp_depot *dp);
/* Counts a load result that was discarded (its asset died, or a newer load superseded it).
 * Any thread. */
void dp__count_discarded(dp_depot *dp);
/* Fills the counter fields of *out (everything but the per-asset scan: live, unused and
 * by-state counts, held bytes). Any thread. */
void dp__counters(const dp_depot *dp, dp_stats *out);

/* ---- where the bytes are (memory.c) ------------------------------------------------------------ */

/* A depot's allocations by part, each at its capacity (spare room included). */
typedef struct dp__mem {
    size_t slots;         /* the asset pool: slot words and records, whole chunks */
    size_t slot_capacity; /* slots in those chunks */
    size_t record;        /* bytes of one record (sizeof; the pool rounds its stride up) */
    size_t key_table;     /* key tables (the current one and those it replaced) */
    size_t key_strings;   /* key strings of the live assets */
    size_t edges;         /* edge arrays of the live assets (edges held in a record: 0) */
    size_t events;        /* the two event buffers */
    size_t lists;         /* the owner's handle lists (waiting, candidates, scratch) */
    size_t ext;           /* extension records (ext.c): pages and their directories */
} dp__mem;
/* Fills *out. Owner thread; O(live assets). */
void dp__mem_parts(const dp_depot *dp, dp__mem *out);

/* ---- the lifetime recorder, read side (src/diag/trace_write.c) -------------------------------- */

typedef enum dp__tkind {
    DP__T_CREATE,       /* count 1 for its creator (dp_add, dp_load of a new key) */
    DP__T_ACQUIRE,      /* +1 by a caller (retain, upgrade, find, load of a live key) */
    DP__T_RELEASE,      /* -1 by a caller (site: NULL) or the library (its site) */
    DP__T_HOLD,         /* +1 internal: an edge or a group member */
    DP__T_UNHOLD,       /* -1 internal */
    DP__T_LOAD_BEGIN,   /* a load of it was asked for (created PENDING) */
    DP__T_LOADED,       /* its data was installed (arg: 1 for a reload) */
    DP__T_FAILED,       /* its load failed (arg: the status, negated) */
    DP__T_FREE,         /* it left the registry (arg: enum dp__why) */
    DP__T_UPDATE_BEGIN, /* dp_update started (handle null) */
    DP__T_UPDATE_END,
    DP__T_EDGE_ADD,     /* an edge from it (the parent) to `wide` (the child's handle bits) */
    DP__T_EDGE_REMOVE,  /* that edge removed (dp_undepend, or the parent freed) */
    DP__T_RENDER_CREATE,  /* the render layer made its GPU resource (wide: the frame) */
    DP__T_RENDER_RETIRE,  /* ... retired it: frames in flight may still read it */
    DP__T_RENDER_DESTROY, /* ... destroyed it */
    DP__T_KINDS
} dp__tkind;

/* One recorded event, as the snapshot returns it. */
typedef struct dp__tevent {
    uint64_t seq;       /* position in the recording (0 = first event ever recorded) */
    uint64_t t_ns;      /* monotonic nanoseconds since the recorder started */
    dp_handle h;
    uint32_t update;    /* dp__update_number when recorded */
    uint32_t arg;       /* count after (acquire/release kinds), else per kind above */
    uint8_t kind;
    const char *file;   /* call site (static string) or NULL */
    int line;
    uint64_t wide;      /* edge kinds: the child's handle bits; render kinds: the frame */
    uint32_t thread;    /* 1 = the owner thread, then 2, 3, ... in order of first event */
} dp__tevent;

/* Copies the events still in the ring, oldest first, skipping any being written right now,
 * into a new array (*out, *n; free with the depot's allocator). Owner thread.
 * DP_OK or DP_ERR_NOMEM. */
dp_status dp__trace_snapshot(const dp_depot *dp, dp__tevent **out, size_t *n);
/* The key of h: a live asset's, or one remembered at its free; NULL if unknown or keyless.
 * Owner thread; valid until the next registry call. */
const char *dp__trace_key(const dp_depot *dp, dp_handle h);
/* Records an event of a layer above asset (the render kinds) when the recorder is on; one
 * test of a pointer when it is off, nothing when dp is NULL. Any thread. */
void dp__trace_note(dp_depot *dp, dp__tkind kind, dp_handle h, uint64_t wide);
/* Events lost to ring overwrite so far. Any thread. */
uint64_t dp__trace_overwritten(const dp_depot *dp);

/* How the recorder's timestamps were made: its clock and the two calibration pairs (ticks,
 * CLOCK_MONOTONIC ns) the last snapshot mapped ticks to nanoseconds with. */
typedef struct dp__tclock {
    const char *source; /* "tsc" or "clock_monotonic"; NULL with the recorder off */
    uint64_t start_ticks, start_ns, read_ticks, read_ns;
} dp__tclock;
/* The clock of the last dp__trace_snapshot. Owner thread. */
void dp__trace_clock(const dp_depot *dp, dp__tclock *out);

/* The name of a reason an asset's data left it (enum dp__why: "released", "cascade", ...).
 * Any thread. */
const char *dp__why_name(uint8_t why);

#endif
