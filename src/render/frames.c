/* frames.c — resources and their retirement: live totals, the retired FIFO sorted by frame,
 * and destroying what a finished frame can no longer read (dp_render_frame_done). */
#include <string.h>

#include "render/render_internal.h"

void dp__render_count_live(dp_render *r, dp_type_id type, size_t bytes, bool add)
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
dp_status dp__render_reserve_retired(dp_render *r, size_t more)
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
void dp__render_retire(dp_render *r, entry *e)
{
    if (!e->gpu)
        return;
    dp__render_count_live(r, e->type, e->gpu_bytes, false);
    r->ret[r->rn++] = (retired){.h = e->h, .gpu = e->gpu, .bytes = e->gpu_bytes,
                                .frame = r->current, .type = e->type};
    dp__trace_note(r->dp, DP__T_RENDER_RETIRE, e->h, r->current);
    e->gpu = NULL;
    e->gpu_bytes = 0;
    e->stub = NULL;
}

void dp__render_destroy_gpu(dp_render *r, dp_type_id type, void *gpu, dp_handle h)
{
    r->busy++;
    r->desc.backend.destroy(r->desc.backend.user, type, gpu);
    r->busy--;
    r->destroyed++;
    if (h.bits)
        dp__trace_note(r->dp, DP__T_RENDER_DESTROY, h, r->current);
}

dp_status dp_render_frame_done(dp_render *r, uint64_t frame)
{
    if (!r)
        return DP_ERR_INVALID;
    if (!dp__render_on_owner(r) || r->busy)
        return DP_ERR_WRONG_THREAD;
    if (frame > r->current)
        return DP_ERR_INVALID;
    if (frame > r->done)
        r->done = frame;
    while (r->rhead < r->rn && r->ret[r->rhead].frame <= r->done) {
        retired *t = &r->ret[r->rhead++];
        dp__render_destroy_gpu(r, t->type, t->gpu, t->h);
    }
    if (r->rhead == r->rn)
        r->rhead = r->rn = 0;
    return DP_OK;
}
