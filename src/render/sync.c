/* sync.c — the render layer's listener (it only marks entries dirty) and dp_render_sync,
 * which applies what the events said and rescans the depot after lost events. */
#include <string.h>

#include "render/render_internal.h"

void dp__render_on_events(void *user, const dp_event *ev, size_t n)
{
    dp_render *r = user;
    for (size_t i = 0; i < n; i++) {
        dp_handle h = ev[i].handle;
        entry *e;
        switch (ev[i].kind) {
        case DP_EV_LOADED:
        case DP_EV_MODIFIED:
            e = dp__render_find(r, h);
            if (!e) {
                if (ev[i].type == r->link_type ||
                    !r->desc.backend.handles(r->desc.backend.user, ev[i].type))
                    break;
                e = dp__render_add_entry(r, h, ev[i].type);
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
                e->stub = (dp_get)(r->dp, h);
                break;
            } else {
                if (e->stub) {
                    if (dp_get(r->dp, h) == e->stub)
                        break; /* our own swap to the stub: the resource is current */
                    e->stub = NULL; /* the program replaced the stub: a real change */
                }
                e->pend |= PEND_MOD;
            }
            dp__render_mark_dirty(r, e);
            break;
        case DP_EV_FREED:
            e = dp__render_find(r, h);
            if (e) {
                e->pend |= PEND_FREE;
                dp__render_mark_dirty(r, e);
            }
            break;
        default:
            break;
        }
    }
}

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
            dp__render_mark_dirty(r, e);
        } else if (full && !(e->stub && (dp_get)(r->dp, e->h) == e->stub)) {
            e->pend |= PEND_MOD;
            dp__render_mark_dirty(r, e);
        }
    }
    dp__view v;
    for (dp__live_iter it = dp__live_begin(r->dp); dp__live_next(r->dp, &it, &v);) {
        dp_handle h = v.h;
        if (dp__render_find(r, h) || dp_state_of(r->dp, h) != DP_STATE_LOADED)
            continue;
        dp_type_id type = dp_type_of(r->dp, h);
        if (!type || type == r->link_type ||
            !r->desc.backend.handles(r->desc.backend.user, type))
            continue;
        entry *e = dp__render_add_entry(r, h, type);
        if (!e)
            return DP_ERR_NOMEM;
        e->pend |= PEND_LOAD;
        dp__render_mark_dirty(r, e);
    }
    return DP_OK;
}

dp_status dp_render_sync(dp_render *r, uint64_t frame)
{
    dp_status st = dp__render_usable(r);
    if (st != DP_OK)
        return st;
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
    if (dp__render_reserve_retired(r, r->ndirty) != DP_OK)
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
            dp__render_wait_unlink(r, e);
            dp__render_retire(r, e);
            dp__render_drop_entry(r, e);
        } else if ((pend & PEND_MOD) || ((pend & PEND_LOAD) && !e->gpu)) {
            e->retry_at = 0;
            e->flags &= (uint8_t)~(F_FAILED | F_RETRYING);
            dp__render_wait_push(r, e);
        }
    }
    r->dirty_tail = NO_ENTRY;
    return result;
}
