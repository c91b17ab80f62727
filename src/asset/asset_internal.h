/* asset_internal.h — the registry's private structures and functions, shared by the files of
 * src/asset and by diag's consistency check (src/diag/check.c). Every other layer sees the
 * registry through asset/registry.h only, which this header includes.
 *
 * Ownership of memory: the depot owns every record, key string, edge array, group, event
 * and queue. Asset data is owned by the depot from the moment dp_add / a load result hands
 * it over, and destroyed through its type's destroy on the owner thread.
 *
 * Counting: each asset's pool slot word holds (generation, user bits). The user bits are the
 * strong count (low 31 bits) and DP__DYING (bit 31): set while the owner frees or collects
 * the asset, so that every acquire fails from then on. A free is (gen, 0) -> (gen, DYING)
 * -> pool free -> (gen + 1, 0).
 */
#ifndef DEPOT_ASSET_INTERNAL_H
#define DEPOT_ASSET_INTERNAL_H

#include <stdatomic.h>

#include "asset/progress.h"
#include "asset/registry.h"
#include "common/alloc.h"
#include "common/assert.h"
#include "common/hash.h"
#include "depot/asset.h"
#include "depot/diag.h"
#include "os/thread.h"
#include "pool/pool_internal.h"

#define DP__DYING 0x80000000u
#define DP__COUNT_MAX 0x7FFFFFFFu
#define DP__MAX_LISTENERS 16u

/* Attention reasons (dp__asset.aflags), set by any thread; the first reason set pushes the
 * asset on the attention queue, which the owner drains at dp_update. */
#define DP__AF_QUEUED 0x01u    /* on the attention queue */
#define DP__AF_CREATED 0x02u   /* new: announce and start tracking its deep state */
#define DP__AF_ZERO 0x04u      /* count reached 0 */
#define DP__AF_CAND 0x08u      /* count decremented to non-zero: cycle candidate */
#define DP__AF_REVIVED 0x10u   /* count went 0 -> 1: leave the unused cache */
#define DP__AF_ADDED 0x20u     /* created LOADED (dp_add): announce LOADED at the drain */
#define DP__AF_WANT 0x40u      /* used while demoted or evicted: load it again (residency.c) */

/* Owner-only flags (dp__asset.oflags). */
#define DP__OF_CACHED 0x01u    /* in the unused cache (LRU) */
#define DP__OF_WAITING 0x02u   /* in the deep-state waiting list */
#define DP__OF_CANDIDATE 0x04u /* in the collector's candidate list */
#define DP__OF_INSET 0x08u     /* scratch mark of the deep-state pass */
#define DP__OF_MODIFIED 0x10u  /* a MODIFIED event is due at the next update */
#define DP__OF_ZOMBIE 0x20u    /* freed, but its slot waits until it leaves the attention
                                  queue (a slot must not be reused while linked there) */
#define DP__OF_CASCADE 0x40u   /* queued to free because a freed parent's edge let it go */
#define DP__OF_TRACKED 0x80u   /* in some progress tracker's closure (progress.c) */

/* Collector colours (dp__asset.color). */
enum { DP__BLACK = 0, DP__GRAY = 1, DP__WHITE = 2 };

/* What an asset keeps beside its record when it uses a feature few assets use (ext.c): one
 * entry per slot index, found with dp__ext_peek, made with dp__ext_make. */
typedef struct dp__ext {
    _Atomic uint32_t soft; /* soft references among the count (residency.c; the owner
                              writes, any thread reads: count.c's release floor) */
    _Atomic uint32_t used; /* residency clock (epoch) of the last use (any thread writes) */
    uint32_t done_head;    /* its completion requests (done.c; index + 1, 0 = none; owner
                              only; set only while DP__XF_DONE is) */
    uint32_t lru_next;     /* unused cache link (index + 1; owner only; while cached) */
} dp__ext;

#define DP__EXT_FIRST 512u  /* slots of ext chunk 0; chunk k covers DP__EXT_FIRST << k */
#define DP__EXT_CHUNKS 24u  /* chunks 0..23 cover 2^32 slots */
#define DP__EXT_PAGE 128u   /* entries per page, made together */

/* Owner-only flags of the extension record (dp__asset.xflags). */
#define DP__XF_DONE 0x01u   /* has completion requests: its dp__ext.done_head is set */

/* One asset: the pool payload of its slot. Fields other threads read are atomic. Fields
 * that only some assets use live in its dp__ext instead. 64 bytes (the pool's stride): a
 * field added here costs every asset 16 bytes. */
typedef struct dp__asset {
    _Atomic(void *) data;        /* the asset (any state; dp_get returns it when LOADED) */
    _Atomic size_t bytes;        /* byte size its type reported */
    _Atomic(char *) key;         /* owned; NULL if keyless; fixed while alive (read it with
                                    dp__rec_key; dp_key_of races the owner's stores) */
    union {                      /* dependency edges (owner only): read them with dp__kids */
        dp_handle one;           /* the only edge, while nkids == 1 (no allocation) */
        dp_handle *many;         /* nkids >= 2: an array, capacity dp__kids_cap(nkids) */
    } kids;
    uint32_t nkids;
    uint32_t lru_prev;           /* unused cache back link (index + 1; the forward link is
                                    dp__ext.lru_next); when not cached, the collector's
                                    trial count (cycles.c) */
    uint32_t nin;                /* edges from parents not yet freed (owner only) */
    uint32_t cheld;              /* edges from parents the unused cache keeps (owner only) */
    _Atomic uint32_t qnext;      /* attention queue link (index + 1, 0 = end) */
    _Atomic uint8_t kept;        /* held only by what the unused cache keeps (kept.c): the
                                    owner writes it, acquirers on any thread read it */
    _Atomic uint8_t type;
    _Atomic uint8_t state;       /* dp_state */
    _Atomic uint8_t deep;        /* dp_state as of the last update */
    _Atomic uint8_t direct;      /* own state with the direct children's, as of the last
                                    update (dp_state_direct) */
    _Atomic int8_t status;       /* own failure status */
    _Atomic int8_t deep_status;  /* first failure among dependencies */
    _Atomic uint8_t aflags;      /* DP__AF_* */
    uint8_t oflags;              /* DP__OF_* (owner only) */
    uint8_t color;               /* collector colour (owner only) */
    _Atomic uint8_t resid;       /* DP__RS_* (residency.h) */
    uint8_t xflags;              /* DP__XF_* (owner only) */
} dp__asset;
_Static_assert(sizeof(dp__asset) <= 64, "dp__asset fits the pool's 64-byte stride");

/* A registered type. */
typedef struct dp__type {
    dp_type t;          /* name and extensions point into the copies below */
    char *name;
    char **exts;        /* NULL-terminated copies */
} dp__type;

/* A growable array of handles (owner only). */
typedef struct dp__hvec {
    dp_handle *v;
    size_t n, cap;
} dp__hvec;

/* The key table: open addressing, at most half full. An entry is one 8-byte word: the low
 * 32 bits of the key's hash (never 0; 0 = empty) and the asset's slot index << 32. The key
 * string is the record's (r->key): a lookup compares it there. The generation is the slot
 * word's: an entry goes before its asset's slot is freed (free.c), so the word at the index
 * is the asset's own while the entry names it. Writers hold keys_lock; dp_find reads without
 * it (keyfind.c), so entries are atomics, and a table that was replaced by a bigger one stays
 * (on `older`) until dp_destroy: a lock-free reader may still be probing it. */
typedef struct dp__ktable {
    size_t cap;                 /* a power of two */
    struct dp__ktable *older;   /* the table this one replaced */
    _Atomic uint64_t e[];
} dp__ktable;

/* Lock-free finders announce themselves in a slot per thread (dp__thread_number): chunks of
 * DP__FINDER_CHUNK slots, one per cache line, made on first use and freed by dp_destroy. */
#define DP__FINDER_CHUNK 64u
#define DP__FINDER_CHUNKS (DP__THREAD_NUMBERS / DP__FINDER_CHUNK)
struct dp__fchunk; /* keyfind.c */

/* Data that left its asset (replaced by a reload or dp_replace, or evicted), destroyed by
 * dp_update once its epoch is old enough for the frame rule and every read guard (retire.c). */
typedef struct dp__retired {
    dp_type_id type;
    void *data;
    uint64_t epoch; /* dp->epoch when it was retired */
    uint64_t due;   /* the first epoch at which the frame rule lets it go */
    struct dp__qlabel *label; /* debug_lifetimes: what the quarantine reports (quarantine.h) */
    char *key;      /* an evicted asset's key, freed with its data (dp_key_of's rule) */
} dp__retired;
struct dp__rchunk; /* a chunk of read-guard slots (retire.c) */

/* An extension's slot in the depot's extension table (open addressing, types.c): the first
 * type registered with it. `type` is 0 while empty; it is stored (release) after ext and len,
 * once, and never changes until dp_destroy. */
#define DP__EXT_SLOTS 256u /* a power of two; filled to 3/4 at most */
typedef struct dp__ext_slot {
    _Atomic uint32_t type;
    uint32_t len;
    const char *ext; /* the type's own copy (dp__type.exts) */
} dp__ext_slot;

struct dp_depot {
    dp_allocator alloc;
    dp_desc desc;
    char *root;                     /* copy of desc.root (may be NULL) */
    struct dp__failures *failures;  /* failure details (failure.c), owner only; may be NULL */
    dp__thread_id owner;
    dp_pool *pool;                  /* asset slots; payload = dp__asset */

    /* types (registration under types_lock; readers use the published count) */
    dp__mutex types_lock;
    dp__type types[DP__MAX_TYPES + 1]; /* [0] unused */
    _Atomic uint32_t ntypes;           /* ids 1..ntypes are valid */
    dp__ext_slot exts[DP__EXT_SLOTS];  /* extension -> type (types.c), written under types_lock */
    uint32_t nexts;                    /* used slots (under types_lock) */
    _Atomic bool exts_full;            /* some extension is not in `exts`: scan the types */

    /* keys */
    dp__mutex keys_lock;
    _Atomic(dp__ktable *) ktab; /* NULL until the first key; written under keys_lock */
    size_t keys_n;              /* under keys_lock */
    _Atomic(struct dp__fchunk *) finders[DP__FINDER_CHUNKS];

    /* extension records (ext.c): per chunk, a directory of pages; NULL until used. Only
     * the owner makes them; any thread reads them. */
    _Atomic(_Atomic(dp__ext *) *) ext[DP__EXT_CHUNKS];
    size_t ext_bytes; /* directories and pages (owner only) */

    /* attention queue (Treiber stack of index + 1 through dp__asset.qnext) */
    _Atomic uint32_t attn_head;

    /* owner-side lists */
    dp__hvec waiting;    /* deep state not settled (entries whose DP__OF_WAITING is clear are
                            stale: settled by the fast pass, dropped at the next compaction) */
    dp__hvec deep_seeds; /* waiting assets whose own state, edges or tracking changed since
                            the last deep pass (deep.c) */
    size_t waiting_stale; /* stale entries in waiting */
    bool deep_seeds_lost; /* a seed could not be recorded: the next pass is a full one */
    struct dp__dx *dx;    /* the waiting assets' index (deep.h); NULL until first needed */
    dp__hvec cands;      /* cycle collection candidates */
    struct dp__cycles *cycles; /* the collection in progress (cycles.c); NULL until used */
    dp__hvec work;       /* scratch: free cascade, traversals */
    dp__hvec work2;
    dp__hvec unused;     /* reached 0, to free or cache at this update */
    dp__hvec zombies;    /* freed assets whose slot is still on the attention queue */
    bool deep_dirty, deep_rebuild_all, cands_lost;
    uint32_t lru_head, lru_tail; /* index + 1; head = least recently used */
    _Atomic size_t cached_bytes; /* written by the owner, read by dp_get_stats anywhere */
    _Atomic size_t kept_bytes;   /* bytes of kept dependencies of cached assets (kept.c) */
    dp__hvec kept_work;          /* scratch of kept.c */

    /* retired data and read guards (retire.c) */
    _Atomic uint64_t epoch;      /* +1 at the start of each dp_update (owner) */
    dp__retired *retired;        /* FIFO, sorted by epoch and due */
    size_t nretired, capretired;
    _Atomic(struct dp__rchunk *) readers; /* read-guard slots; chunks live until destroy */

    /* events */
    dp_event *ev_cur, *ev_pub;
    size_t ev_ncur, ev_capcur, ev_npub, ev_cappub;
    struct {
        dp_listener_fn fn;
        void *user;
    } listeners[DP__MAX_LISTENERS];
    size_t nlisteners;

    /* groups: a pool whose payload is dp__group */
    dp_pool *groups;

    /* holder tracking (track_holders) */
    dp__mutex holders_lock;
    struct dp__holders *holders; /* open-addressing table, see holders.c */
    bool holders_lost;           /* a record could not be stored (NOMEM): records are a
                                    subset of the counts from then on (under holders_lock) */

    struct dp__progress *progress; /* dp_progress trackers (progress.c); NULL until used */
    _Atomic(struct dp__done *) done; /* completion requests (done.c); NULL until the first
                                        request, set under done_lock */
    dp__mutex done_lock;           /* guards done's creation and its inbox */

    /* the loader, attached on first use */
    _Atomic(void *) loader;
    dp__subsystem loader_vt;
    dp__mutex attach_lock;

    /* soft references and budgets (residency.c); made on first use, published once */
    _Atomic(struct dp__resid *) resid;

    /* counters (any thread) */
    _Atomic size_t st_events_dropped, st_freed, st_cycles, st_discarded, st_edges;
    _Atomic size_t st_cycle_steps; /* the collector's steps (nodes, edges examined) */
    _Atomic uint32_t claiming;     /* 1 while the collector's claim may hold live assets
                                      DYING for a moment (cycles.c, count.c) */
    bool destroying;
    bool cascade_now; /* inside dp_update / dp_release_unused: zeros are freed at once */

    /* the lifetime sanitizer (debug_lifetimes, quarantine.c) */
    struct dp__quarantine *quarantine; /* made on first use */
    uint8_t free_why;                  /* enum dp__why of the frees running now */
    bool in_cascade;                   /* releasing a freed asset's edges (free.c) */

    /* the lifetime recorder (trace_events, trace.c); NULL when off, fixed after dp_create */
    struct dp__trace *trace;

    /* dp_get without a count (track_holders, gets.c); NULL without tracking */
    struct dp__gets *gets;
};

/* ---- records ------------------------------------------------------------------------------ */

/* The record of index `i` (no liveness check). */
static inline dp__asset *dp__rec_at(const dp_depot *dp, uint32_t i)
{
    dp__asset *r = (dp__asset *)dp_pool_payload(dp->pool, (dp_handle){(uint64_t)i});
    DP__ASSERT(r != NULL); /* index bound: callers pass indices the pool has handed out */
    return r;
}
/* The record of a live handle, else NULL (one load of the slot word). Dying assets count
 * as live here; callers that acquire check the word themselves. */
dp__asset *dp__rec(const dp_depot *dp, dp_handle h);
/* The slot word of a handle's index, or NULL. */
static inline _Atomic uint64_t *dp__word(const dp_depot *dp, dp_handle h)
{
    return dp__pool_word(dp->pool, dp_handle_index(h));
}
/* The record of a live handle that is not being freed (not DYING), else NULL. Any thread;
 * what the record says is only stable while the caller holds a count or is the owner. */
dp__asset *dp__rec_live(const dp_depot *dp, dp_handle h);
/* The handle currently alive at index i (dying or not), or null. */
dp_handle dp__handle_at(const dp_depot *dp, uint32_t i);
/* Like dp__live_begin, but the walk also stops at assets being freed (v->count is then the
 * raw user bits, DYING included). Owner thread. */
dp__live_iter dp__any_begin(const dp_depot *dp);

/* Capacity of the edge array of a record with n edges: 0 for none or one (that one is
 * kept in the record), then 2, 4, 8, ... (never stored). */
static inline uint32_t dp__kids_cap(uint32_t n)
{
    if (n <= 1)
        return 0;
    uint32_t c = 2;
    while (c < n)
        c <<= 1;
    return c;
}

/* r's nkids edges: in the record while there is one, else in its array. Owner thread;
 * valid until r's edges change. */
static inline const dp_handle *dp__kids(const dp__asset *r)
{
    return r->nkids <= 1 ? &r->kids.one : r->kids.many;
}

/* r's key (NULL: keyless) for a reader the key cannot change under: the owner, a holder of
 * keys_lock, a finder inside its finder slot (keyfind.c). */
static inline char *dp__rec_key(const dp__asset *r)
{
    /* Relaxed: those readers are ordered after the store by the owner's program order, the
     * lock or the count CAS; dp_key_of, which may race the owner, loads with acquire. */
    return atomic_load_explicit(&((dp__asset *)r)->key, memory_order_relaxed);
}

/* ---- extension records (ext.c) ------------------------------------------------------------ */

/* Chunk and offset of a slot index in the extension records' geometry. */
static inline void dp__ext_locate(uint32_t index, uint32_t *chunk, uint32_t *offset)
{
    uint64_t v = ((uint64_t)index / DP__EXT_FIRST) + 1; /* >= 1 */
    uint32_t k = 63u - (uint32_t)__builtin_clzll(v);
    *chunk = k;
    *offset = (uint32_t)((uint64_t)index - (((uint64_t)DP__EXT_FIRST << k) - DP__EXT_FIRST));
}
/* The extension record of slot `index`, or NULL if none was made there. Any thread; the
 * entry stays valid until dp_destroy (its fields belong to whichever asset has the slot). */
static inline dp__ext *dp__ext_peek(const dp_depot *dp, uint32_t index)
{
    uint32_t k, off;
    dp__ext_locate(index, &k, &off);
    /* Acquire: pairs with the owner's release in dp__ext_make; the directory is zeroed. */
    _Atomic(dp__ext *) *dir = atomic_load_explicit(&((dp_depot *)dp)->ext[k],
                                                   memory_order_acquire);
    if (!dir)
        return NULL;
    /* Acquire: pairs with the owner's release in dp__ext_make; the page is zeroed. */
    dp__ext *page = atomic_load_explicit(&dir[off / DP__EXT_PAGE], memory_order_acquire);
    return page ? &page[off % DP__EXT_PAGE] : NULL;
}
/* The extension record of slot `index`, made (zeroed) if there was none. Owner thread.
 * NULL on NOMEM. */
dp__ext *dp__ext_make(dp_depot *dp, uint32_t index);
/* A new asset takes slot `index`: its extension record, if there is one, is zeroed. Any
 * thread (the creator, before the slot word publishes the record). */
void dp__ext_reset(dp_depot *dp, uint32_t index);
/* dp_destroy: frees every page and directory. */
void dp__ext_free(dp_depot *dp);

/* ---- the type registry (types.c) ---------------------------------------------------------- */
const dp__type *dp__type_get(const dp_depot *dp, dp_type_id id);
/* dp_destroy: frees every registered type's name and extensions. */
void dp__types_free(dp_depot *dp);

/* ---- counts (count.c) --------------------------------------------------------------------- */

/* +1 on a live, non-dying asset (also from 0). DP_OK, DP_ERR_STALE, DP_ERR_OVERFLOW.
 * Records a holder at file:line when tracking. */
dp_status dp__acquire(dp_depot *dp, dp_handle h, const char *file, int line);
/* dp__acquire of the asset alive at slot `index` (whatever its generation), for a caller
 * that knows the slot is that asset's (a key entry, under keys_lock); *out gets its handle
 * on DP_OK. Saves the handle's separate slot-word lookup. */
dp_status dp__acquire_at(dp_depot *dp, uint32_t index, dp_handle *out, const char *file,
                         int line);
/* The two halves of dp__acquire_at, for a caller that checks the asset between them (the
 * lock-free find): the CAS (*old: the count before; *rec: the record; DP_ERR_STALE, without
 * waiting, for a DYING word or a count at its maximum), then the attention, holder record
 * and trace of the acquire. */
dp_status dp__count_up_at(dp_depot *dp, uint32_t index, dp_handle *out, uint32_t *old,
                          dp__asset **rec);
void dp__acquired(dp_depot *dp, dp_handle h, dp__asset *r, uint32_t old, const char *file,
                  int line);
/* -1; queues ZERO or CAND attention. DP_OK, DP_ERR_STALE, DP_ERR_UNDERFLOW. */
dp_status dp__release(dp_depot *dp, dp_handle h);
/* The bare CAS of acquire: no holder record, no attention; *old is the count before. For
 * the owner's internal counts (edges, groups), which it handles inline. dp__release_raw and
 * dp__acquire_owned: see registry.h. */
dp_status dp__acquire_raw(dp_depot *dp, dp_handle h, uint32_t *old);
/* Sets attention reasons on an asset and queues it if it was not queued. Any thread. */
void dp__attend(dp_depot *dp, uint32_t index, uint8_t reasons);

/* ---- creation and keys (keys.c) ------------------------------------------------------------- */

/* dp__create and dp__find: see registry.h. */
/* What an entry keeps of a key's hash: its low 32 bits, 0 moved to 1 (0 marks empty). */
static inline uint32_t dp__key_tag(uint64_t hash)
{
    uint32_t t = (uint32_t)hash;
    return t ? t : 1u;
}
/* Removes `key` from the table if it maps to h. Owner thread. */
void dp__key_remove(dp_depot *dp, const char *key, dp_handle h);
/* True if looking `key` up in the table (as dp_find probes) leads to h. Takes the key lock;
 * dp_check's per-asset test, O(1) expected. */
bool dp__key_maps(const dp_depot *dp, const char *key, dp_handle h);
/* dp__find's lookup under keys_lock, which decides what the lock-free one (keyfind.c) cannot:
 * DP_OK with a count on the asset of `key` (tag: its dp__key_tag), or DP_ERR_NOT_FOUND. */
dp_status dp__find_locked(dp_depot *dp, const char *key, uint32_t tag, dp_handle *out,
                          const char *file, int line);

/* Bytes of the key tables (the current one and those it replaced). Any thread. */
size_t dp__keys_bytes(const dp_depot *dp);
/* dp_destroy: frees the key tables and the finder slots. */
void dp__keys_free(dp_depot *dp);

/* ---- lock-free lookup (keyfind.c; dp__find: see registry.h) ------------------------------- */

/* Waits until no lock-free finder that may have counted an asset before the caller made it
 * DYING still reads its key: before dp_evict frees the key of an asset others hold. Owner
 * thread; waits only for finds in progress, which never block. */
void dp__finders_wait(dp_depot *dp);
/* dp_destroy: frees the finder slots. */
void dp__finders_free(dp_depot *dp);
/* Test hook: `fn` runs inside every lock-free find right after its count CAS succeeded, before
 * it reads the key (NULL: none). Set it before any thread finds. */
void dp__find_set_test_hook(void (*fn)(dp_handle counted));

/* ---- state changes: the setters the loader uses are in registry.h ------------------------ */

/* ---- retired data and read guards (retire.c) ---------------------------------------------- */
/* Queues data to destroy at the next update if retired inside dp_update, else at the one
 * after (owner). On NOMEM destroys it now. */
void dp__retire_data(dp_depot *dp, dp_handle h, dp_type_id type, void *data, uint8_t why);
/* Queues data (and `key`, an evicted asset's key string, owned; may be NULL) to destroy
 * `delay` updates from now at the earliest, and not while a read guard that may have seen it
 * is open (owner). On NOMEM destroys them now: dp_evict reserves room first. */
void dp__retire_at(dp_depot *dp, dp_type_id type, void *data, char *key, uint64_t delay,
                   struct dp__qlabel *label);
/* Makes room for one more retired datum. DP_OK or DP_ERR_NOMEM. */
dp_status dp__retire_reserve(dp_depot *dp);
/* Start of dp_update: advances the epoch and destroys what is due and unguarded. */
void dp__retire_advance(dp_depot *dp);
/* dp_destroy: destroys everything retired and frees the guard slots. */
void dp__retire_free(dp_depot *dp);

/* ---- events (events.c) --------------------------------------------------------------------- */
void dp__emit(dp_depot *dp, dp_event_kind kind, dp_handle h, dp_type_id type, dp_status st);
void dp__events_publish(dp_depot *dp);
void dp__events_free(dp_depot *dp);

/* ---- owner-side handle lists (hvec.c) ----------------------------------------------------- */
dp_status dp__hvec_push(dp_depot *dp, dp__hvec *v, dp_handle h);
void dp__hvec_free(dp_depot *dp, dp__hvec *v);
/* End of dp_update: lists far emptier than their room (a burst is over) give it back. */
void dp__lists_trim(dp_depot *dp);
/* Bytes the lists hold (their room, not their length). */
size_t dp__lists_bytes(const dp_depot *dp);

/* ---- release machinery (free.c) ------------------------------------------------------------ */
void dp__drain_attention(dp_depot *dp);
void dp__process_unused(dp_depot *dp);
/* Frees an asset whose word is already (gen, DYING): data, key, edges (releasing children,
 * which may cascade through dp->work), FREED event, slot. */
void dp__free_dying(dp_depot *dp, dp_handle h);
/* Handles an asset that just reached 0 on the owner (cascade): UNUSED, then cache or free. */
void dp__on_zero(dp_depot *dp, dp_handle h);
/* True while the asset h names has not been freed (it may be dying). Owner thread. */
bool dp__not_freed(const dp_depot *dp, dp_handle h);
void dp__lru_unlink(dp_depot *dp, uint32_t index);

/* ---- what the unused cache keeps alive (kept.c) ------------------------------------------ */
/* h entered (true) or left (false) the unused cache: its children follow. */
void dp__kept_cached(dp_depot *dp, dp_handle h, bool entering);
/* h's count changed (not to 0): it may start or stop being kept. */
void dp__kept_check(dp_depot *dp, dp_handle h);
/* An edge parent -> child was added (+1, after its count was taken) or is about to be
 * removed (-1, before its count is dropped). */
void dp__kept_edge(dp_depot *dp, dp_handle parent, dp_handle child, int dir);
/* h is being freed: if it was kept, it stops (its children follow). */
void dp__kept_forget(dp_depot *dp, dp_handle h);
/* r's byte size changed from `before` to `after`. */
void dp__kept_resized(dp_depot *dp, dp__asset *r, size_t before, size_t after);
void dp__trim_cache(dp_depot *dp, size_t budget);

/* ---- deep state (deep.c) ------------------------------------------------------------------- */
void dp__deep_track(dp_depot *dp, dp_handle h);   /* add to waiting list */
void dp__deep_update(dp_depot *dp);
/* dp__deep_note_change: see registry.h. The edge parent -> child was removed. */
void dp__deep_note_removed(dp_depot *dp, dp_handle parent, dp_handle child);
/* An asset is being freed (r: its record, edges and counts of them still in place). */
void dp__deep_forget(dp_depot *dp, dp_handle h, const dp__asset *r);
void dp__deep_free(dp_depot *dp);

/* ---- cycles (cycles.c) --------------------------------------------------------------------- */
void dp__candidate(dp_depot *dp, dp_handle h);
/* True if the collection in progress is marking and has coloured `parent`: its edges may
 * have been walked already, so an edge added to it now is one the mark never takes off its
 * child's trial count, and the child must be a candidate of the next collection. */
bool dp__cycles_walked(const dp_depot *dp, const dp__asset *parent);
/* Runs the collection in progress, and new ones over the candidates, for at most `budget`
 * steps (nodes and edges examined) plus the claim of the garbage found; 0 = the one in
 * progress and one new one to completion. DP_OK or DP_ERR_NOMEM. */
dp_status dp__collect(dp_depot *dp, size_t budget);
void dp__cycles_free(dp_depot *dp);
/* Bytes the collector holds: its state and its lists' room (counted with the lists). */
size_t dp__cycles_bytes(const dp_depot *dp);
/* Test hook: the phase of the collection in progress, the one its next step belongs to:
 * 0 none, 1 mark, 2 scan, 3 whiten, 4 claim, 5 reset. */
int dp__cycles_phase(const dp_depot *dp);
/* Test hook: `hook` runs on the owner right before the collector tries to claim each
 * garbage node h (under keys_lock: it must not look keys up). DP_OK or DP_ERR_NOMEM. */
typedef void (*dp__cycles_hook)(dp_depot *dp, dp_handle h, void *user);
dp_status dp__cycles_set_hook(dp_depot *dp, dp__cycles_hook hook, void *user);

/* ---- groups (groups.c) --------------------------------------------------------------------- */
typedef struct dp__group {
    char *name;
    dp_handle *members;
    size_t n, cap;
    bool soft; /* members are held by soft counts (dp_group_set_soft) */
} dp__group;
/* True if g is a live group that holds its members softly. Owner thread. */
bool dp__group_soft(const dp_depot *dp, dp_group g);
void dp__groups_free(dp_depot *dp);
/* The live group g names, or NULL. Owner thread. */
dp__group *dp__group_get(const dp_depot *dp, dp_group g);
/* dp__groups_each, dp__group_alive and the graph walk (graph.c): see registry.h. */

/* ---- completion requests (done.c); dp__done_add: see registry.h ------------------------ */
/* Start of dp_update: takes the requests other threads queued. */
void dp__done_adopt(dp_depot *dp);
/* h's deep state settled, or h is being freed: its requests are called by dp__done_run. */
void dp__done_settled(dp_depot *dp, dp_handle h, dp__asset *r);
/* End of dp_update: calls the requests whose asset settled or was freed. */
void dp__done_run(dp_depot *dp);
/* Start of dp_destroy: calls every request left, those not settled with DP_ERR_CANCELLED;
 * later requests are refused. */
void dp__done_close(dp_depot *dp);
void dp__done_free(dp_depot *dp);

/* ---- holders (holders.c) ------------------------------------------------------------------- */
void dp__holder_add(dp_depot *dp, dp_handle h, const char *file, int line);
void dp__holder_remove(dp_depot *dp, dp_handle h);
void dp__holder_drop_all(dp_depot *dp, dp_handle h);
/* A soft reference's record (dp_retain_soft), and the removal of one; a strong release
 * (dp__holder_remove) never takes a soft record and the other way round. */
void dp__holder_add_soft(dp_depot *dp, dp_handle h, const char *file, int line);
void dp__holder_remove_soft(dp_depot *dp, dp_handle h);
/* Recorded soft references of h. */
uint32_t dp__holders_soft(const dp_depot *dp, dp_handle h);
/* Total recorded holder count of h. */
uint32_t dp__holders_total(const dp_depot *dp, dp_handle h);
/* The call site of h's most recent acquire (released or not); false if none is recorded. */
bool dp__holder_last(dp_depot *dp, dp_handle h, const char **file, int *line);
/* True if the thread with dp__thread_tag `tag` has a recorded acquire of h. Any thread. */
bool dp__holder_by_thread(const dp_depot *dp, dp_handle h, uint64_t tag);

/* ---- dp_get without a count (gets.c) ----------------------------------------------------------- */
/* dp_create with track_holders: the per-site table. DP_OK or DP_ERR_NOMEM. */
dp_status dp__gets_create(dp_depot *dp);
void dp__gets_free(dp_depot *dp);
void dp__holders_free(dp_depot *dp);

#include "asset/residency.h" /* soft references and budgets: needs dp__asset */

#endif
