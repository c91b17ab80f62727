/* query.c — what the program asks of a render layer: the resource to draw with, an asset's
 * render state, and the layer's statistics. */
#include <string.h>

#include "render/render_internal.h"

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
    if (r && dp__render_on_owner(r) && r->dp) {
        const entry *e = dp__render_find(r, h);
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

dp_render_state dp_render_state_of(const dp_render *r, dp_handle h, dp_status *why)
{
    if (why)
        *why = DP_OK;
    if (!r || !dp__render_on_owner(r) || !r->dp)
        return DP_RENDER_NONE;
    const entry *e = dp__render_find(r, h);
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
    if (!r || !dp__render_on_owner(r))
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
