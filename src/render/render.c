/* render.c — the render layer: GPU-side resources of assets, kept in step with the depot's
 * events and retired safely across frames in flight.
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
#include <string.h>

#include "asset/registry.h"
#include "common/alloc.h"
#include "depot/render.h"

#define NO_ENTRY UINT32_MAX
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
} entry;

typedef struct retired {
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
    uint32_t wait_head, wait_tail;
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

static bool on_owner(const dp_render *r)
{
    return dp__thread_is_self(r->owner);
}

/* ---- the handle table ---------------------------------------------------------------------- */

static size_t slot_of(uint64_t bits, size_t cap)
{
    uint64_t x = bits + 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return (size_t)x & (cap - 1);
}

static entry *find(const dp_render *r, dp_handle h)
{
    if (!r->tabcap || !h.bits)
        return NULL;
    for (size_t i = slot_of(h.bits, r->tabcap);; i = (i + 1) & (r->tabcap - 1)) {
        uint32_t v = r->tab[i];
        if (!v)
            return NULL;
        if (r->e[v - 1].h.bits == h.bits)
            return &r->e[v - 1];
    }
}

static void tab_put(uint32_t *tab, size_t cap, const entry *es, uint32_t idx)
{
    size_t i = slot_of(es[idx].h.bits, cap);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = idx + 1;
}

/* Removes entry idx from the table, shifting later members of its run back. */
static void tab_del(dp_render *r, uint32_t idx)
{
    size_t mask = r->tabcap - 1;
    size_t i = slot_of(r->e[idx].h.bits, r->tabcap);
    while (r->tab[i] != idx + 1)
        i = (i + 1) & mask;
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        uint32_t v = r->tab[j];
        if (!v)
            break;
        size_t home = slot_of(r->e[v - 1].h.bits, r->tabcap);
        /* Move v into the hole when its home is not cyclically within (i, j]. */
        bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            r->tab[i] = v;
            i = j;
        }
    }
    r->tab[i] = 0;
}

/* Makes room for one more entry in the array and the table. DP_OK or NOMEM. */
static dp_status reserve_entry(dp_render *r)
{
    if (r->free_head == NO_ENTRY && r->ne == r->cape) {
        if (r->cape >= NO_ENTRY - 1)
            return DP_ERR_OVERFLOW;
        dp_status st = dp__grow(&r->alloc, (void **)&r->e, &r->cape, r->ne + 1, sizeof *r->e);
        if (st != DP_OK)
            return st;
    }
    if ((r->nlive_entries + 1) * 2 > r->tabcap) {
        size_t ncap = r->tabcap ? r->tabcap * 2 : 64;
        uint32_t *nt = dp__calloc(&r->alloc, ncap, sizeof *nt);
        if (!nt)
            return DP_ERR_NOMEM;
        for (size_t i = 0; i < r->tabcap; i++)
            if (r->tab[i])
                tab_put(nt, ncap, r->e, r->tab[i] - 1);
        dp__free(&r->alloc, r->tab);
        r->tab = nt;
        r->tabcap = ncap;
    }
    return DP_OK;
}

static entry *add_entry(dp_render *r, dp_handle h, dp_type_id type)
{
    if (reserve_entry(r) != DP_OK)
        return NULL;
    uint32_t idx;
    if (r->free_head != NO_ENTRY) {
        idx = r->free_head;
        r->free_head = r->e[idx].next_dirty;
    } else {
        idx = (uint32_t)r->ne++;
    }
    r->e[idx] = (entry){.h = h, .type = type, .next_dirty = NO_ENTRY, .wprev = NO_ENTRY,
                        .wnext = NO_ENTRY};
    tab_put(r->tab, r->tabcap, r->e, idx);
    r->nlive_entries++;
    return &r->e[idx];
}

static uint32_t index_of(const dp_render *r, const entry *e)
{
    return (uint32_t)(e - r->e);
}

/* Forgets an entry that is on neither list and has no resource. */
static void drop_entry(dp_render *r, entry *e)
{
    uint32_t idx = index_of(r, e);
    tab_del(r, idx);
    e->h = DP_NULL_HANDLE;
    e->next_dirty = r->free_head;
    r->free_head = idx;
    r->nlive_entries--;
}

/* ---- lists ---------------------------------------------------------------------------------- */

static void mark_dirty(dp_render *r, entry *e)
{
    if (e->flags & F_DIRTY)
        return;
    e->flags |= F_DIRTY;
    e->next_dirty = NO_ENTRY;
    uint32_t idx = index_of(r, e);
    if (r->dirty_tail == NO_ENTRY)
        r->dirty_head = idx;
    else
        r->e[r->dirty_tail].next_dirty = idx;
    r->dirty_tail = idx;
    r->ndirty++;
}

static void wait_push(dp_render *r, entry *e)
{
    if (e->flags & F_WAITING)
        return;
    e->flags |= F_WAITING;
    uint32_t idx = index_of(r, e);
    e->wprev = r->wait_tail;
    e->wnext = NO_ENTRY;
    if (r->wait_tail == NO_ENTRY)
        r->wait_head = idx;
    else
        r->e[r->wait_tail].wnext = idx;
    r->wait_tail = idx;
    r->nwaiting++;
}

static void wait_unlink(dp_render *r, entry *e)
{
    if (!(e->flags & F_WAITING))
        return;
    e->flags &= (uint8_t)~F_WAITING;
    if (e->wprev == NO_ENTRY)
        r->wait_head = e->wnext;
    else
        r->e[e->wprev].wnext = e->wnext;
    if (e->wnext == NO_ENTRY)
        r->wait_tail = e->wprev;
    else
        r->e[e->wnext].wprev = e->wprev;
    e->wprev = e->wnext = NO_ENTRY;
    r->nwaiting--;
}

/* ---- resources ------------------------------------------------------------------------------ */

static void count_live(dp_render *r, dp_type_id type, size_t bytes, bool add)
{
    if (add) {
        r->live++;
        r->live_bytes += bytes;
        r->type_live[type]++;
        r->type_bytes[type] += bytes;
    } else {
        r->live--;
        r->live_bytes -= bytes;
        r->type_live[type]--;
        r->type_bytes[type] -= bytes;
    }
}

/* Room for `more` retired records. DP_OK or NOMEM. */
static dp_status reserve_retired(dp_render *r, size_t more)
{
    if (r->rn + more <= r->rcap)
        return DP_OK;
    if (r->rhead > 0) {
        /* Slide the live records to the front before growing. */
        memmove(r->ret, r->ret + r->rhead, (r->rn - r->rhead) * sizeof *r->ret);
        r->rn -= r->rhead;
        r->rhead = 0;
        if (r->rn + more <= r->rcap)
            return DP_OK;
    }
    return dp__grow(&r->alloc, (void **)&r->ret, &r->rcap, r->rn + more, sizeof *r->ret);
}

/* Moves e's resource to the retired list at the current frame; room was reserved. */
static void retire(dp_render *r, entry *e)
{
    if (!e->gpu)
        return;
    count_live(r, e->type, e->gpu_bytes, false);
    r->ret[r->rn++] = (retired){.gpu = e->gpu, .bytes = e->gpu_bytes, .frame = r->current,
                                .type = e->type};
    e->gpu = NULL;
    e->gpu_bytes = 0;
    e->stub = NULL;
}

static void destroy_gpu(dp_render *r, dp_type_id type, void *gpu)
{
    r->busy++;
    r->desc.backend.destroy(r->desc.backend.user, type, gpu);
    r->busy--;
    r->destroyed++;
}

/* ---- the listener --------------------------------------------------------------------------- */

static void on_events(void *user, const dp_event *ev, size_t n)
{
    dp_render *r = user;
    for (size_t i = 0; i < n; i++) {
        dp_handle h = ev[i].handle;
        entry *e;
        switch (ev[i].kind) {
        case DP_EV_LOADED:
        case DP_EV_MODIFIED:
            e = find(r, h);
            if (!e) {
                if (ev[i].type == r->link_type ||
                    !r->desc.backend.handles(r->desc.backend.user, ev[i].type))
                    break;
                e = add_entry(r, h, ev[i].type);
                if (!e) {
                    /* Nothing is dropped silently: the next sync rescans the depot. */
                    r->lost++;
                    r->rescan = true;
                    break;
                }
                e->pend |= PEND_LOAD;
            } else if (ev[i].kind == DP_EV_LOADED) {
                e->pend |= PEND_LOAD;
            } else if (e->flags & F_DROPPING) {
                /* drop_cpu pumped the depot: this is its own swap, seen before it
                 * returned; remember the stub now, or it would pass for a change. */
                e->stub = dp_get(r->dp, h);
                break;
            } else {
                if (e->stub) {
                    if (dp_get(r->dp, h) == e->stub)
                        break; /* our own swap to the stub: the resource is current */
                    e->stub = NULL; /* the program replaced the stub: a real change */
                }
                e->pend |= PEND_MOD;
            }
            mark_dirty(r, e);
            break;
        case DP_EV_FREED:
            e = find(r, h);
            if (e) {
                e->pend |= PEND_FREE;
                mark_dirty(r, e);
            }
            break;
        default:
            break;
        }
    }
}

/* ---- create and destroy ------------------------------------------------------------------- */

static void link_destroy(void *asset, void *user)
{
    (void)user;
    layer_link *l = asset;
    /* Only dp_destroy frees a link that still names its layer (a program could also evict
     * it; then the layer simply lives on without one). */
    if (l->r && dp__depot_destroying(l->dp)) {
        l->r->dp = NULL;
        l->r->link = NULL;
    } else if (l->r) {
        l->r->link = NULL;
    }
    dp_allocator a = l->alloc;
    dp__free(&a, l);
}

/* Adds the layer's link asset. DP_OK, NOMEM, or the registry's error. */
static dp_status link_add(dp_render *r)
{
    dp_type t = {.name = "render_layer", .destroy = link_destroy};
    dp_status st = dp_register_type(r->dp, &t, &r->link_type);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
    layer_link *l = dp__calloc(&r->alloc, 1, sizeof *l);
    if (!l)
        return DP_ERR_NOMEM;
    *l = (layer_link){.r = r, .dp = r->dp, .alloc = r->alloc};
    st = dp_add(r->dp, r->link_type, l, sizeof *l, NULL, &r->link_h);
    if (st != DP_OK) {
        dp__free(&r->alloc, l);
        return st;
    }
    r->link = l;
    return DP_OK;
}

static const char *key_or_anon(const dp_depot *dp, dp_handle h)
{
    const char *key = dp_key_of(dp, h);
    return key ? key : "(no key)";
}

/* A backend whose `handles` accepts none of the registered types makes no resource at all,
 * and nothing else says so. (Types registered later are not checked.) */
static void warn_if_no_type_handled(const dp_render *r)
{
    const dp_render_backend *be = &r->desc.backend;
    uint32_t n = dp__type_count(r->dp);
    if (n == 0)
        return;
    for (dp_type_id t = 1; t <= n; t++)
        if (be->handles(be->user, t))
            return;
    dp__log(r->dp, DP_LOG_WARN, "render: the backend handles none of the %u registered "
            "types, so no asset will get a GPU resource (check its handles callback)", n);
}

dp_status dp_render_create(dp_depot *dp, const dp_render_desc *desc, dp_render **out)
{
    if (out)
        *out = NULL;
    if (!dp || !desc || !out || !desc->backend.handles || !desc->backend.create ||
        !desc->backend.destroy || desc->frames_in_flight < 0 ||
        desc->frames_in_flight > MAX_FIF)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp_render *r = dp__calloc(dp__depot_alloc(dp), 1, sizeof *r);
    if (!r)
        return DP_ERR_NOMEM;
    r->dp = dp;
    r->owner = dp__depot_owner(dp);
    r->alloc = *dp__depot_alloc(dp);
    r->desc = *desc;
    r->fif = desc->frames_in_flight ? desc->frames_in_flight : 2;
    r->free_head = NO_ENTRY;
    r->dirty_head = r->dirty_tail = NO_ENTRY;
    r->wait_head = r->wait_tail = NO_ENTRY;
    /* Assets loaded before the render layer existed are found by a rescan at the first
     * sync. */
    r->rescan = true;
    r->dp_dropped_seen = dp__events_dropped(dp);
    dp_status st = link_add(r);
    if (st == DP_OK) {
        st = dp_listen(dp, on_events, r);
        if (st != DP_OK) {
            r->link->r = NULL;
            dp_release(dp, r->link_h);
        }
    }
    if (st != DP_OK) {
        dp__free(&r->alloc, r);
        return st;
    }
    *out = r;
    warn_if_no_type_handled(r);
    return DP_OK;
}

void dp_render_destroy(dp_render *r)
{
    if (!r || !on_owner(r) || r->busy)
        return;
    if (r->dp) {
        dp_unlisten(r->dp, on_events, r);
        if (r->link) {
            r->link->r = NULL;
            dp_release(r->dp, r->link_h);
        }
    }
    for (size_t i = 0; i < r->ne; i++)
        if (r->e[i].h.bits && r->e[i].gpu)
            destroy_gpu(r, r->e[i].type, r->e[i].gpu);
    for (size_t i = r->rhead; i < r->rn; i++)
        destroy_gpu(r, r->ret[i].type, r->ret[i].gpu);
    dp__free(&r->alloc, r->e);
    dp__free(&r->alloc, r->tab);
    dp__free(&r->alloc, r->ret);
    dp_allocator a = r->alloc;
    dp__free(&a, r);
}

/* ---- sync ----------------------------------------------------------------------------------- */

/* Finds what lost events would have said. Every entry of a dead asset gets FREE; with
 * `full` (the depot itself dropped events, so a MODIFIED may be gone) every live one gets
 * MOD unless it is a render-only asset still holding its stub. Then every live, loaded asset
 * of a handled type without an entry gets one with LOAD. DP_OK or NOMEM (the rescan stays
 * due). */
static dp_status rescan(dp_render *r, bool full)
{
    for (size_t i = 0; i < r->ne; i++) {
        entry *e = &r->e[i];
        if (!e->h.bits || (e->pend & PEND_FREE))
            continue;
        if (!dp__alive(r->dp, e->h)) { /* gone, or freed and waiting for its slot */
            e->pend |= PEND_FREE;
            mark_dirty(r, e);
        } else if (full && !(e->stub && dp_get(r->dp, e->h) == e->stub)) {
            e->pend |= PEND_MOD;
            mark_dirty(r, e);
        }
    }
    dp__view v;
    for (dp__live_iter it = dp__live_begin(r->dp); dp__live_next(r->dp, &it, &v);) {
        dp_handle h = v.h;
        if (find(r, h) || dp_state_of(r->dp, h) != DP_STATE_LOADED)
            continue;
        dp_type_id type = dp_type_of(r->dp, h);
        if (!type || type == r->link_type ||
            !r->desc.backend.handles(r->desc.backend.user, type))
            continue;
        entry *e = add_entry(r, h, type);
        if (!e)
            return DP_ERR_NOMEM;
        e->pend |= PEND_LOAD;
        mark_dirty(r, e);
    }
    return DP_OK;
}

dp_status dp_render_sync(dp_render *r, uint64_t frame)
{
    if (!r)
        return DP_ERR_INVALID;
    if (!on_owner(r) || r->busy)
        return DP_ERR_WRONG_THREAD;
    if (!r->dp)
        return DP_ERR_STALE; /* orphaned: the depot was destroyed */
    if (frame <= r->current)
        return DP_ERR_INVALID;
    size_t k = 0;
    while (k < r->nstarted && r->started[k] <= r->done)
        k++;
    if (r->nstarted - k >= (size_t)r->fif)
        return DP_ERR_OVERFLOW;
    memmove(r->started, r->started + k, (r->nstarted - k) * sizeof r->started[0]);
    r->nstarted -= k;
    r->started[r->nstarted++] = frame;
    r->current = frame;
    r->spent = 0;

    dp_status result = DP_OK;
    size_t dropped = dp__events_dropped(r->dp);
    bool full = dropped != r->dp_dropped_seen;
    if (r->rescan || full) {
        if (rescan(r, full) == DP_OK) {
            r->rescan = false;
            r->dp_dropped_seen = dropped;
        } else {
            r->rescan = true;
            result = DP_ERR_NOMEM;
        }
    }
    /* Every dirty entry retires at most one resource here: reserve the room first, so that
     * applying cannot fail half-way. Without it the events stay queued. */
    if (reserve_retired(r, r->ndirty) != DP_OK)
        return DP_ERR_NOMEM;
    while (r->dirty_head != NO_ENTRY) {
        entry *e = &r->e[r->dirty_head];
        r->dirty_head = e->next_dirty;
        r->ndirty--;
        e->flags &= (uint8_t)~F_DIRTY;
        e->next_dirty = NO_ENTRY;
        uint8_t pend = e->pend;
        e->pend = 0;
        if (pend & PEND_FREE) {
            wait_unlink(r, e);
            retire(r, e);
            drop_entry(r, e);
        } else if ((pend & PEND_MOD) || ((pend & PEND_LOAD) && !e->gpu)) {
            e->retry_at = 0;
            e->flags &= (uint8_t)~(F_FAILED | F_RETRYING);
            wait_push(r, e);
        }
    }
    r->dirty_tail = NO_ENTRY;
    return result;
}

/* ---- prepare -------------------------------------------------------------------------------- */

/* Calls drop_cpu for entry idx, whose resource was just made from `data`. A MODIFIED that
 * reaches the listener while it runs (the callback pumped the depot) is its stub swap. */
static void drop_cpu(dp_render *r, uint32_t idx, const void *data)
{
    dp_handle h = r->e[idx].h;
    r->e[idx].flags |= F_DROPPING;
    r->busy++;
    r->desc.drop_cpu(r->desc.drop_cpu_user, r->dp, h, r->e[idx].type, data);
    r->busy--;
    entry *e = &r->e[idx]; /* a pumped dp_update may have grown the entry array */
    e->flags &= (uint8_t)~F_DROPPING;
    const void *now = dp_get(r->dp, h);
    if (now && now != data)
        e->stub = now;
}

/* Asks the backend for the resource of waiting entry idx from `data` (room for one retired
 * record is reserved). Transient failures (DP_ERR_TIMEOUT, DP_ERR_NOMEM) keep the entry
 * waiting for the next frame and its old resource visible; anything else ends the wait:
 * the old resource is retired, and the entry gets the new one or is FAILED. The callbacks
 * may pump the depot, so the entry is found again by index after each. Returns the upload
 * bytes spent. */
static size_t create_one(dp_render *r, uint32_t idx, const void *data, size_t bytes)
{
    const dp_render_backend *be = &r->desc.backend;
    dp_type_id type = r->e[idx].type;
    /* This create reads the newest data: the LOADED/MODIFIED flags so far are satisfied;
     * those raised while the callbacks run (a pumped dp_update) stay for the next sync. */
    r->e[idx].pend &= (uint8_t)~(PEND_LOAD | PEND_MOD);
    void *gpu = NULL;
    size_t gpu_bytes = 0;
    r->busy++;
    dp_status st = be->create(be->user, type, data, &gpu, &gpu_bytes);
    r->busy--;
    entry *e = &r->e[idx];
    if (st == DP_OK && !gpu) {
        /* NULL cannot be told from "no resource", so it could never be retired: destroy
         * it now (no frame has seen it) and fail the asset. */
        r->created++;
        destroy_gpu(r, type, NULL);
        st = DP_ERR_INVALID;
    }
    if (st == DP_ERR_TIMEOUT || st == DP_ERR_NOMEM) {
        e->retry_at = r->current + 1;
        e->flags |= F_RETRYING;
        e->why = st;
        if (++e->retries == RETRY_WARN)
            dp__log(r->dp, DP_LOG_WARN, "render: asset \"%s\" (type %s) still has no GPU "
                    "resource after %d tries: the backend keeps answering %s",
                    key_or_anon(r->dp, e->h), dp_type_name(r->dp, type), RETRY_WARN,
                    dp_status_str(st));
        return 0;
    }
    e->retries = 0;
    e->flags &= (uint8_t)~F_RETRYING;
    wait_unlink(r, e);
    if (e->gpu) /* the old resource no longer matches the data */
        retire(r, e);
    if (st != DP_OK) {
        e->flags |= F_FAILED;
        e->why = st;
        return bytes;
    }
    e->gpu = gpu;
    e->gpu_bytes = gpu_bytes;
    e->stub = NULL;
    count_live(r, type, gpu_bytes, true);
    r->created++;
    /* Only data the resource was made from may be dropped (a pumped update may have
     * replaced it already; its MODIFIED is pending). */
    if (r->desc.drop_cpu && dp_get(r->dp, e->h) == data)
        drop_cpu(r, idx, data);
    return bytes;
}

dp_status dp_render_prepare(dp_render *r)
{
    if (!r)
        return DP_ERR_INVALID;
    if (!on_owner(r) || r->busy)
        return DP_ERR_WRONG_THREAD;
    if (!r->dp)
        return DP_ERR_STALE; /* orphaned: the depot was destroyed */
    size_t budget = r->desc.upload_bytes_per_frame;
    uint32_t next;
    /* Callbacks cannot change the waiting list (sync and prepare are refused inside them),
     * so `next` stays right across a create. */
    for (uint32_t idx = r->wait_head; idx != NO_ENTRY; idx = next) {
        const entry *e = &r->e[idx];
        next = e->wnext;
        if (r->current < e->retry_at)
            continue; /* the backend asked to be asked again next frame */
        size_t bytes = dp_bytes_of(r->dp, e->h);
        if (budget && r->spent > 0 && (bytes > budget - r->spent || r->spent >= budget))
            break; /* oldest first: the rest wait for the next frame */
        const void *data = dp_get(r->dp, e->h);
        if (!data)
            continue; /* not loaded now; its event will tell */
        if (reserve_retired(r, 1) != DP_OK)
            return DP_ERR_NOMEM;
        r->spent += create_one(r, idx, data, bytes);
    }
    return DP_OK;
}

/* ---- frames --------------------------------------------------------------------------------- */

void *dp_render_get(dp_render *r, dp_handle h)
{
    return dp_render_get_why(r, h, NULL);
}

/* The reason for an asset the layer has no entry for: the depot's state says it. */
static dp_render_why why_without_entry(const dp_render *r, dp_handle h)
{
    switch (dp_state_of(r->dp, h)) {
    case DP_STATE_PENDING:
    case DP_STATE_LOADING:
        return (dp_render_why){DP_RENDER_REASON_LOADING, DP_OK};
    case DP_STATE_FAILED:
        return (dp_render_why){DP_RENDER_REASON_LOAD_FAILED, dp_failure_of(r->dp, h)};
    case DP_STATE_LOADED: {
        dp_type_id type = dp_type_of(r->dp, h);
        if (type == r->link_type || !r->desc.backend.handles(r->desc.backend.user, type))
            return (dp_render_why){DP_RENDER_REASON_UNHANDLED, DP_OK};
        /* Its LOADED reaches the layer at the next sync (or a rescan finds it). */
        return (dp_render_why){DP_RENDER_REASON_PENDING, DP_OK};
    }
    default:
        return (dp_render_why){DP_RENDER_REASON_RETIRED, DP_OK};
    }
}

/* The reason for an entry that is not freed: a failure or a retry wins over waiting (the
 * newest data was tried), waiting over a resource (the resource is older than the data). */
static dp_render_why why_of_entry(const dp_render *r, const entry *e)
{
    if (e->flags & F_FAILED)
        return (dp_render_why){DP_RENDER_REASON_FAILED, e->why};
    bool due = (e->flags & F_WAITING) || (e->pend & PEND_MOD) ||
               ((e->pend & PEND_LOAD) && !e->gpu);
    if (due && (e->flags & F_RETRYING))
        return (dp_render_why){DP_RENDER_REASON_RETRYING, e->why};
    if (due && dp_state_of(r->dp, e->h) == DP_STATE_LOADED)
        return (dp_render_why){DP_RENDER_REASON_PENDING, DP_OK};
    if (e->gpu)
        return (dp_render_why){DP_RENDER_REASON_READY, DP_OK};
    return why_without_entry(r, e->h);
}

void *dp_render_get_why(dp_render *r, dp_handle h, dp_render_why *why)
{
    dp_render_why w = {DP_RENDER_REASON_UNHANDLED, DP_OK};
    void *gpu = NULL;
    if (r && on_owner(r) && r->dp) {
        const entry *e = find(r, h);
        if (e && (e->pend & PEND_FREE)) {
            w.reason = DP_RENDER_REASON_RETIRED; /* retired at the next sync */
        } else if (e) {
            w = why_of_entry(r, e);
            gpu = e->gpu;
        } else {
            w = why_without_entry(r, h);
        }
    }
    if (why)
        *why = w;
    return gpu;
}

dp_status dp_render_frame_done(dp_render *r, uint64_t frame)
{
    if (!r)
        return DP_ERR_INVALID;
    if (!on_owner(r) || r->busy)
        return DP_ERR_WRONG_THREAD;
    if (frame > r->current)
        return DP_ERR_INVALID;
    if (frame > r->done)
        r->done = frame;
    while (r->rhead < r->rn && r->ret[r->rhead].frame <= r->done) {
        retired *t = &r->ret[r->rhead++];
        destroy_gpu(r, t->type, t->gpu);
    }
    if (r->rhead == r->rn)
        r->rhead = r->rn = 0;
    return DP_OK;
}

dp_render_state dp_render_state_of(const dp_render *r, dp_handle h, dp_status *why)
{
    if (why)
        *why = DP_OK;
    if (!r || !on_owner(r) || !r->dp)
        return DP_RENDER_NONE;
    const entry *e = find(r, h);
    if (!e || (e->pend & PEND_FREE))
        return DP_RENDER_NONE;
    if ((e->flags & F_WAITING) || (e->pend & PEND_MOD) || ((e->pend & PEND_LOAD) && !e->gpu))
        return DP_RENDER_WAITING;
    if (e->flags & F_FAILED) {
        if (why)
            *why = e->why;
        return DP_RENDER_FAILED;
    }
    return e->gpu ? DP_RENDER_READY : DP_RENDER_NONE;
}

void dp_render_get_stats(const dp_render *r, dp_type_id type, dp_render_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!r || !on_owner(r))
        return;
    out->live = r->live;
    out->live_bytes = r->live_bytes;
    if (type != 0) {
        out->live = type <= DP__MAX_TYPES ? r->type_live[type] : 0;
        out->live_bytes = type <= DP__MAX_TYPES ? r->type_bytes[type] : 0;
    }
    out->retired = r->rn - r->rhead;
    out->waiting = r->nwaiting;
    out->created = r->created;
    out->destroyed = r->destroyed;
    out->events_lost = r->lost;
}
