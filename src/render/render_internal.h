/* render_internal.h — the render layer's private state, shared by its files:
 *   render.c   creating and destroying a layer, its link asset in the depot
 *   entries.c  the entry array, the handle table, the dirty and waiting lists
 *   sync.c     the event listener, dp_render_sync (and the rescan after lost events)
 *   upload.c   dp_render_prepare: the waiting list, in order, through the backend's create
 *   frames.c   retiring resources and destroying them at dp_render_frame_done
 *   query.c    dp_render_get, dp_render_state_of, dp_render_get_stats
 * Every function here runs on the depot's owner thread.
 *
 * The render layer keeps GPU-side resources of assets in step with the depot's events and
 * retires them safely across frames in flight.
 *
 * State is keyed by the full 64-bit asset handle (generation included): removing an asset
 * and adding another under the same key gives a new handle, hence a new entry, and the old
 * entry's FREED retires the old resource (Bevy #18808).
 *
 * Events. The depot calls our listener at the end of every dp_update. The listener never
 * applies anything: it sets pending flags on the asset's entry (LOAD, MOD, FREE) and links
 * the entry on the dirty list. For a known asset this needs no memory, so a MODIFIED or
 * FREED can never be lost; only a LOADED of an asset not seen before needs a new entry, and
 * when that allocation fails the listener counts the loss and asks the next sync for a
 * rescan of every live asset, which finds the asset again. dp_render_sync applies the
 * flags: FREE retires the resource at the new frame and drops the entry; LOAD and MOD put
 * the entry on the waiting list (the old resource stays visible until the new one exists).
 *
 * Retirement. A resource retired while frame F is current may have been handed out by
 * dp_render_get in F or earlier, so it is destroyed once dp_render_frame_done(F') with
 * F' >= F was called. Retiring at the current frame is conservative: a resource retired by
 * a sync of F could only be read by F-1 and earlier, and costs one more frame of memory in
 * exchange for a rule that needs no per-use bookkeeping. Frames finish in order (a fence
 * for F implies every earlier one), so the retired list is a FIFO sorted by frame.
 *
 * Render-only assets. After a create, desc.drop_cpu may swap a stub in for the asset's CPU
 * data with dp_replace. That replace emits a MODIFIED which must not retire the resource
 * (the cause of Bevy's reverted fix #18845). The listener runs inside the dp_update that
 * publishes the event; the replaced-away data of that window is destroyed only one update
 * later, so comparing dp_get with the stub pointer at that moment cannot be fooled by a
 * reused address: equal means nothing but our own swap (or earlier changes that the
 * resource already reflects) happened, and the event is ignored.
 *
 * The depot's end. A render layer holds one small asset of type "render_layer" whose data
 * links back to it. dp_destroy frees every asset, so a depot destroyed before its render
 * layer runs the link's destroy: the layer is orphaned (it never touches the depot again,
 * sync and prepare answer DP_ERR_STALE, dp_render_destroy still destroys every resource),
 * and dp_destroy counts the held link, so the wrong order shows in its return value and
 * in the leak report.
 */
#ifndef DEPOT_RENDER_INTERNAL_H
#define DEPOT_RENDER_INTERNAL_H

#include "asset/registry.h"
#include "common/alloc.h"
#include "depot/load.h" /* dp_priority_of: uploads follow load priority */
#include "depot/render.h"

#define NO_ENTRY UINT32_MAX
#define LEVELS 4 /* upload priorities: dp_priority + 1, DP_PRIORITY_LOW .. IMMEDIATE */
#define MAX_FIF 16
#define RETRY_WARN 120 /* transient create answers in a row before the log hook hears of it */

enum {
    PEND_LOAD = 1, /* LOADED: needs a resource unless it has one */
    PEND_MOD = 2,  /* MODIFIED: needs a new resource */
    PEND_FREE = 4, /* FREED: retire and forget */
};

enum {
    F_DIRTY = 1,    /* on the dirty list */
    F_WAITING = 2,  /* on the waiting list */
    F_FAILED = 4,   /* the backend refused the newest data for good; `why` says how */
    F_DROPPING = 8, /* drop_cpu is running for it: its MODIFIED is the stub swap */
    F_RETRYING = 16, /* the backend's last answer was transient; `why` says which */
};

typedef struct entry {
    dp_handle h;        /* null when the entry is free */
    dp_type_id type;
    void *gpu;          /* current resource, or NULL */
    size_t gpu_bytes;
    const void *stub;   /* data swapped in by drop_cpu, or NULL */
    uint64_t retry_at;  /* the backend asked to be asked again at this frame */
    dp_status why;      /* with F_FAILED or F_RETRYING: the backend's status */
    uint32_t next_dirty; /* dirty list link; free list link when free */
    uint32_t wprev, wnext; /* waiting list links */
    uint8_t pend;
    uint8_t flags;
    uint16_t retries;   /* transient answers in a row, for the never-prepares warning */
    uint8_t level;      /* while waiting: its priority + 1, the waiting list it is on */
} entry;

typedef struct retired {
    dp_handle h;        /* the asset it was made for (the lifetime recorder names it) */
    void *gpu;
    size_t bytes;
    uint64_t frame;
    dp_type_id type;
} retired;

typedef struct layer_link {
    dp_render *r;      /* NULL once the layer is destroyed */
    const dp_depot *dp;
    dp_allocator alloc;
} layer_link;

struct dp_render {
    dp_depot *dp;     /* NULL when orphaned (the depot was destroyed first) */
    dp__thread_id owner;
    layer_link *link; /* the data of the asset `link_h` */
    dp_handle link_h;
    dp_type_id link_type;
    dp_allocator alloc;
    dp_render_desc desc;
    int fif;

    entry *e;         /* entries, indices stable */
    size_t ne, cape;  /* used prefix, capacity */
    uint32_t free_head;
    size_t nlive_entries;

    uint32_t *tab;    /* open addressing: entry index + 1, 0 empty */
    size_t tabcap;    /* power of two */

    uint32_t dirty_head, dirty_tail;
    size_t ndirty;
    uint32_t wait_head[LEVELS], wait_tail[LEVELS]; /* one waiting list per priority */
    size_t nwaiting;

    retired *ret;
    size_t rhead, rn, rcap; /* live records are ret[rhead .. rn) */

    uint64_t current, done;
    uint64_t started[MAX_FIF]; /* started frames not known done, oldest first */
    size_t nstarted;
    size_t spent; /* upload bytes spent in the current frame */

    bool rescan;
    int busy; /* inside a backend or drop_cpu callback: re-entrant calls are refused */
    size_t dp_dropped_seen; /* the depot's own dropped-event counter at the last sync */

    size_t live, live_bytes, created, destroyed, lost;
    size_t type_live[DP__MAX_TYPES + 1], type_bytes[DP__MAX_TYPES + 1];
};

static inline bool dp__render_on_owner(const dp_render *r)
{
    return dp__thread_is_self(r->owner);
}

/* Whether sync and prepare may run: DP_OK; DP_ERR_INVALID (no layer); DP_ERR_WRONG_THREAD
 * (another thread, or inside a backend or drop_cpu callback); DP_ERR_STALE (orphaned: the
 * depot was destroyed). */
static inline dp_status dp__render_usable(const dp_render *r)
{
    if (!r)
        return DP_ERR_INVALID;
    if (!dp__render_on_owner(r) || r->busy)
        return DP_ERR_WRONG_THREAD;
    if (!r->dp)
        return DP_ERR_STALE;
    return DP_OK;
}

/* ---- entries (entries.c) ---- */
/* The entry of h, or NULL. */
entry *dp__render_find(const dp_render *r, dp_handle h);
/* A new entry for h, in the table and on no list; NULL on NOMEM or OVERFLOW. */
entry *dp__render_add_entry(dp_render *r, dp_handle h, dp_type_id type);
/* Forgets an entry that is on neither list and has no resource. */
void dp__render_drop_entry(dp_render *r, entry *e);
/* Links e on the dirty list (once). */
void dp__render_mark_dirty(dp_render *r, entry *e);
/* Appends e to the waiting list (once). */
void dp__render_wait_push(dp_render *r, entry *e);
/* Takes e off the waiting list, if it is on it. */
void dp__render_wait_unlink(dp_render *r, entry *e);

/* ---- resources and retirement (frames.c) ---- */
/* Counts a resource of `bytes` in (add) or out of the live totals. */
void dp__render_count_live(dp_render *r, dp_type_id type, size_t bytes, bool add);
/* Room for `more` retired records. DP_OK or NOMEM. */
dp_status dp__render_reserve_retired(dp_render *r, size_t more);
/* Moves e's resource to the retired list at the current frame; room was reserved. */
void dp__render_retire(dp_render *r, entry *e);
/* Hands a resource to the backend's destroy (counted). */
void dp__render_destroy_gpu(dp_render *r, dp_type_id type, void *gpu, dp_handle h);

/* ---- events (sync.c) ---- */
/* The depot listener: marks entries dirty with what each event asks for. */
void dp__render_on_events(void *user, const dp_event *ev, size_t n);

#endif
