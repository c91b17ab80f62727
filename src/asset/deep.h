/* deep.h — the deep-state pass's own structures, shared by deep.c (tracking and the full
 * pass), deep_index.c (the index of waiting assets) and deep_incr.c (the incremental pass).
 * Owner thread throughout.
 *
 * The index keeps one entry per waiting asset (DP__OF_WAITING), found by slot index in an
 * open-addressing table, and for each one the links to its waiting parents: exactly one link
 * per edge whose two ends are both waiting. An entry also counts its children: how many are
 * deep-PENDING (as published) and how many are PENDING or LOADING themselves (as counted:
 * a waiting child's class is its entry's `own`, updated by the pass that sees it change).
 * Settled assets (deep LOADED or FAILED, direct state not PENDING) have no entry and no
 * links, so an asset costs nothing here once it settled. A settled asset changes only
 * through dp__deep_note_change's rebuild over everything, after which the index is rebuilt
 * from the waiting list. The index exists (dp_depot.dx) while something waits; without it,
 * or while it is broken (out of memory), only the full pass runs, and rebuilds it.
 *
 * Each entry has a level, higher than the level of every waiting child linked to it, so
 * the incremental pass can work out what changed in level order (children first) and go up
 * only where a change goes. A new link raises the parent and what is above it where needed,
 * within a budget; a raise over budget (a long new chain, or a cycle) marks the levels
 * stale, and the pass then orders by walking up from every seed to all its waiting
 * ancestors, until a rebuild numbers the levels again (Kahn's order; not with a cycle). */
#ifndef DEPOT_ASSET_DEEP_H
#define DEPOT_ASSET_DEEP_H

#include "asset/asset_internal.h"

/* Own-state classes (dp__dent.own). */
enum { DP__DX_LOADED = 0, DP__DX_PENDING = 1, DP__DX_FAILED = 2 };

/* Pass scratch flags (dp__dent.flags). */
#define DP__DX_SEED 0x01u    /* its own state, edges or tracking changed: count its children */
#define DP__DX_TOUCHED 0x02u /* a child changed class: work it out from the counts */
#define DP__DX_RESCAN 0x04u  /* a child stopped failing: count its children */
#define DP__DX_KFAIL 0x08u   /* a child became deep-FAILED (the failure: dp__dent.why) */
#define DP__DX_KDFAIL 0x10u  /* a child's own state became FAILED */

/* One waiting asset. */
typedef struct dp__dent {
    uint32_t key;     /* slot index + 1; 0: empty */
    uint32_t parents; /* its first link to a waiting parent (link index + 1; 0: none) */
    uint32_t npk;     /* children whose published deep state is PENDING */
    uint32_t nok;     /* children whose own state is PENDING or LOADING (as counted) */
    uint32_t lvl;     /* its level: above every linked waiting child's */
    uint8_t own;      /* its own state's class as its parents counted it (DP__DX_*) */
    uint8_t mark;     /* pass scratch: 0 unseen, 1 on the walk's stack (or queued), 2 ordered */
    uint8_t flags;    /* pass scratch: DP__DX_* flags */
    int8_t why;       /* pass scratch: with DP__DX_KFAIL, the child's failure */
} dp__dent;

/* A link from a waiting child to one of its waiting parents. */
typedef struct dp__plink {
    uint32_t parent; /* the parent's slot index */
    uint32_t next;   /* the child's next link (index + 1; 0: end); free list when unused */
} dp__plink;

typedef struct dp__dx {
    dp__dent *tab; /* capacity a power of two (or 0) */
    uint32_t cap, n;
    uint8_t bits;  /* log2(cap) */
    dp__plink *links;
    uint32_t nlinks, toplinks, caplinks; /* in use, ever handed out, allocated */
    uint32_t freelinks;                  /* free list head (index + 1) */
    bool broken;    /* out of memory once: the index is not complete until rebuilt */
    bool lvl_stale; /* the levels may not be ordered (see above) until rebuilt */
    dp__hvec todo;  /* dp__dx_enter's assets whose children are still to look at */
    /* the incremental pass's scratch, kept between updates */
    uint32_t *order, *stack, *cursor;
    size_t capwork;
    uint64_t *heap; /* the level-ordered pass's queue: level << 32 | slot index */
    size_t nheap, capheap; /* (it grows with what one pass queues, not with what waits) */
    bool by_level; /* the pass in progress queues parents that a change reaches */
} dp__dx;

/* The own-state class of a record (EVICTED counts as loaded, as in the deep state). */
static inline uint8_t dp__dx_class(const dp__asset *r)
{
    /* Relaxed: the owner writes the settling states; a worker's LOADING for PENDING keeps
     * the class. */
    uint8_t s = atomic_load_explicit(&r->state, memory_order_relaxed);
    if (s == DP_STATE_FAILED)
        return DP__DX_FAILED;
    return s == DP_STATE_PENDING || s == DP_STATE_LOADING ? DP__DX_PENDING : DP__DX_LOADED;
}

/* ---- the index (deep_index.c) ---------------------------------------------------------- */
/* The entry of slot index i, or NULL. Valid until the next entry is added or removed. */
dp__dent *dp__dx_get(const dp_depot *dp, uint32_t i);
/* h just became waiting: its entry, links to its waiting children, and the new children
 * (deep-PENDING, not tracked yet) tracked too. NOMEM marks the index broken. */
void dp__dx_enter(dp_depot *dp, dp_handle h);
/* An edge parent -> child was added; both are waiting: links them. */
void dp__dx_link(dp_depot *dp, uint32_t parent, uint32_t child);
/* The edge parent -> child was removed: drops its link, if any. */
void dp__dx_unlink(dp_depot *dp, uint32_t parent, uint32_t child);
/* The waiting asset r (slot index i) settled: drops its entry, its links to its parents and
 * its children's links to it. */
void dp__dx_leave(dp_depot *dp, uint32_t i, const dp__asset *r);
/* Rebuilds the index from the waiting list (each live waiting asset once), counts
 * included. On NOMEM the index stays broken. */
void dp__dx_rebuild(dp_depot *dp);
/* Makes room for n assets in the walk up's scratch. False on NOMEM. */
bool dp__dx_reserve_work(dp_depot *dp, size_t n);

/* ---- tracking (deep.c) --------------------------------------------------------------- */
/* Puts a live asset that is not waiting on the waiting list as a seed. False if it could
 * not (then a rebuild over everything is due). */
bool dp__deep_start_waiting(dp_depot *dp, dp_handle h, dp__asset *r);
/* Records a waiting asset whose deep state may have changed. */
void dp__deep_seed(dp_depot *dp, dp_handle h);

/* ---- the passes ------------------------------------------------------------------------- */
/* The incremental pass (deep_incr.c): false, having changed nothing, when only the full
 * pass is right (a rebuild is due, seeds were lost, the index is broken, or what the seeds
 * reach upwards has a cycle). */
bool dp__deep_incremental(dp_depot *dp);
/* Compacts the waiting list once half of it is stale (deep.c). */
void dp__deep_maybe_prune(dp_depot *dp);

#endif
