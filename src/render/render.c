/* render.c — creating and destroying a render layer, and the link asset through which the
 * layer notices a depot destroyed before it. The layer's design is described in
 * render_internal.h. */
#include "render/render_internal.h"

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
    for (int l = 0; l < LEVELS; l++)
        r->wait_head[l] = r->wait_tail[l] = NO_ENTRY;
    /* Assets loaded before the render layer existed are found by a rescan at the first
     * sync. */
    r->rescan = true;
    r->dp_dropped_seen = dp__events_dropped(dp);
    dp_status st = link_add(r);
    if (st == DP_OK) {
        st = dp_listen(dp, dp__render_on_events, r);
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
    if (!r || !dp__render_on_owner(r) || r->busy)
        return;
    if (r->dp) {
        dp_unlisten(r->dp, dp__render_on_events, r);
        if (r->link) {
            r->link->r = NULL;
            dp_release(r->dp, r->link_h);
        }
    }
    for (size_t i = 0; i < r->ne; i++)
        if (r->e[i].h.bits && r->e[i].gpu)
            dp__render_destroy_gpu(r, r->e[i].type, r->e[i].gpu, r->e[i].h);
    for (size_t i = r->rhead; i < r->rn; i++)
        dp__render_destroy_gpu(r, r->ret[i].type, r->ret[i].gpu, r->ret[i].h);
    dp__free(&r->alloc, r->e);
    dp__free(&r->alloc, r->tab);
    dp__free(&r->alloc, r->ret);
    dp_allocator a = r->alloc;
    dp__free(&a, r);
}
