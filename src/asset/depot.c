/* depot.c — creating and destroying a depot, the per-frame update, the type registry. */
#include <string.h>

#include "asset/asset_internal.h"
#include "asset/failure.h"
#include "asset/log.h"
#include "os/path.h"

bool dp__is_owner(const dp_depot *dp)
{
    return dp__thread_is_self(dp->owner);
}

dp_status dp_create(const dp_desc *desc, dp_depot **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    dp_desc d = desc ? *desc : (dp_desc){0};
    /* A mistyped root used to give a depot on which every load failed with NOT_FOUND. */
    if (dp__path_root_exists(d.root) != DP_OK) {
        dp__log_to(&d.log, DP_LOG_ERROR, "dp_create: root \"%s\" is not an existing folder "
                   "(relative roots start at the current directory)", d.root);
        return DP_ERR_NOT_FOUND;
    }
    dp_allocator a;
    dp__alloc_init(&a, d.allocator);

    dp_depot *dp = dp__calloc(&a, 1, sizeof *dp);
    if (!dp)
        return DP_ERR_NOMEM;
    dp->alloc = a;
    dp->desc = d;
    dp->desc.allocator = &dp->alloc;
    if (dp->desc.collect_budget == 0)
        dp->desc.collect_budget = 4096;
    dp->owner = dp__thread_self();
    atomic_init(&dp->epoch, 1);
    dp__mutex_init(&dp->types_lock);
    dp__mutex_init(&dp->keys_lock);
    dp__mutex_init(&dp->holders_lock);
    dp__mutex_init(&dp->attach_lock);

    dp_status st = DP_ERR_NOMEM;
    if (d.root) {
        dp->root = dp__strdup(&a, d.root);
        if (!dp->root)
            goto fail;
        dp->desc.root = dp->root;
    }
    st = dp_pool_create(&(dp_pool_desc){.allocator = &dp->alloc, .payload_size = sizeof(dp__asset)},
                        &dp->pool);
    if (st != DP_OK)
        goto fail;
    st = dp_pool_create(&(dp_pool_desc){.allocator = &dp->alloc, .payload_size = sizeof(dp__group)},
                        &dp->groups);
    if (st != DP_OK)
        goto fail;
    *out = dp;
    return DP_OK;
fail:
    dp_pool_destroy(dp->groups);
    dp_pool_destroy(dp->pool);
    dp__free(&a, dp->root);
    dp__mutex_destroy(&dp->types_lock);
    dp__mutex_destroy(&dp->keys_lock);
    dp__mutex_destroy(&dp->holders_lock);
    dp__mutex_destroy(&dp->attach_lock);
    dp__free(&a, dp);
    return st;
}

size_t dp_destroy(dp_depot *dp)
{
    if (!dp)
        return 0;
    if (!dp__is_owner(dp))
        return SIZE_MAX;
    dp->destroying = true;
    void *loader = dp__attached_loader(dp);
    if (loader && dp->loader_vt.shutdown)
        dp->loader_vt.shutdown(loader, dp);

    /* Count what callers and groups still hold: a count above what edges explain (without
     * memory for the walk, every held asset counts). */
    size_t held = 0;
    dp__graph g;
    bool walked = dp__graph_build(dp, &g) == DP_OK;
    dp__view v;
    for (dp__live_iter it = dp__live_begin(dp); dp__live_next(dp, &it, &v);) {
        uint32_t i = dp_handle_index(v.h);
        if (v.count > (walked && i < g.n ? g.incoming[i] : 0))
            held++;
    }
    if (walked)
        dp__graph_free(dp, &g);

    /* Free every asset: mark all dying first, so cascades stop at each other. */
    for (dp__live_iter it = dp__any_begin(dp); dp__live_next(dp, &it, &v);) {
        /* Release: a reader that loads DYING with acquire sees the record as the owner left
         * it. */
        atomic_store_explicit(dp__word(dp, v.h), dp__word_make(dp_handle_gen(v.h), DP__DYING),
                              memory_order_release);
    }
    for (dp__live_iter it = dp__any_begin(dp); dp__live_next(dp, &it, &v);) {
        if (!(v.rec->oflags & DP__OF_ZOMBIE))
            dp__free_dying(dp, v.h);
    }
    dp__retire_free(dp);

    if (loader && dp->loader_vt.destroy)
        dp->loader_vt.destroy(loader, dp);

    dp__groups_free(dp);
    dp__keys_free(dp);
    dp__events_free(dp);
    dp__holders_free(dp);
    dp__hvec_free(dp, &dp->waiting);
    dp__hvec_free(dp, &dp->cands);
    dp__hvec_free(dp, &dp->work);
    dp__hvec_free(dp, &dp->work2);
    dp__hvec_free(dp, &dp->unused);
    dp__hvec_free(dp, &dp->zombies);
    dp__hvec_free(dp, &dp->kept_work);
    for (uint32_t t = 1; t <= atomic_load(&dp->ntypes); t++) {
        dp__type *ty = &dp->types[t];
        for (char **e = ty->exts; e && *e; e++)
            dp__free(&dp->alloc, *e);
        dp__free(&dp->alloc, ty->exts);
        dp__free(&dp->alloc, ty->name);
    }
    dp_pool_destroy(dp->groups);
    dp_pool_destroy(dp->pool);
    dp__mutex_destroy(&dp->types_lock);
    dp__mutex_destroy(&dp->keys_lock);
    dp__mutex_destroy(&dp->holders_lock);
    dp__mutex_destroy(&dp->attach_lock);
    dp__failures_free(dp);
    dp__free(&dp->alloc, dp->root);
    dp_allocator a = dp->alloc;
    dp__free(&a, dp);
    return held;
}

dp_status dp_update(dp_depot *dp)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;

    /* A new epoch: retired data whose frame is over and that no read guard may see dies. */
    dp__retire_advance(dp);

    dp->cascade_now = true;
    void *loader = dp__attached_loader(dp);
    if (loader && dp->loader_vt.update)
        dp->loader_vt.update(loader, dp);

    dp__drain_attention(dp);
    dp__deep_update(dp);
    dp__process_unused(dp);
    dp__trim_cache(dp, dp->desc.keep_unused_bytes);
    dp__collect(dp, dp->desc.collect_budget);
    dp->cascade_now = false;
    dp_pool_flush(dp->pool);
    dp__events_publish(dp);
    return DP_OK;
}

/* ---- types --------------------------------------------------------------------------------- */

const dp__type *dp__type_get(const dp_depot *dp, dp_type_id id)
{
    /* Acquire: pairs with the release in dp_register_type; the entry is complete. */
    uint32_t n = atomic_load_explicit(&((dp_depot *)dp)->ntypes, memory_order_acquire);
    if (id == 0 || id > n)
        return NULL;
    return &dp->types[id];
}

static dp_type_id find_type_locked(const dp_depot *dp, const char *name)
{
    uint32_t n = atomic_load_explicit(&((dp_depot *)dp)->ntypes, memory_order_acquire);
    for (uint32_t i = 1; i <= n; i++)
        if (!strcmp(dp->types[i].name, name))
            return i;
    return 0;
}

/* An extension an earlier type already claims keeps loading as that type (the first
 * registration wins in dp__type_for_path): say so, it is never what the caller meant. */
static void warn_shadowed_extensions(const dp_depot *dp, dp_type_id id)
{
    if (!dp->desc.log.fn)
        return;
    for (char **e = dp->types[id].exts; *e; e++) {
        for (dp_type_id i = 1; i < id; i++) {
            for (char **o = dp->types[i].exts; o && *o; o++) {
                if (!strcmp(*e, *o))
                    dp__log(dp, DP_LOG_WARN, "type \"%s\": extension \"%s\" is already "
                            "claimed by type \"%s\", which keeps loading *.%s files",
                            dp->types[id].name, *e, dp->types[i].name, *e);
            }
        }
    }
}

dp_status dp_register_type(dp_depot *dp, const dp_type *type, dp_type_id *out)
{
    if (out)
        *out = 0;
    if (!dp || !type || !out || !type->name || !type->name[0] || !type->destroy)
        return DP_ERR_INVALID;
    dp_status st = DP_OK;
    dp__mutex_lock(&dp->types_lock);
    dp_type_id existing = find_type_locked(dp, type->name);
    uint32_t n = atomic_load_explicit(&dp->ntypes, memory_order_relaxed);
    if (existing) {
        *out = existing;
        st = DP_ERR_EXISTS;
        goto done;
    }
    if (n >= DP__MAX_TYPES) {
        st = DP_ERR_OVERFLOW;
        goto done;
    }
    dp__type *t = &dp->types[n + 1];
    memset(t, 0, sizeof *t);
    size_t next = 0;
    for (const char *const *e = type->extensions; e && *e; e++)
        next++;
    t->name = dp__strdup(&dp->alloc, type->name);
    t->exts = dp__calloc(&dp->alloc, next + 1, sizeof(char *));
    if (!t->name || !t->exts)
        goto nomem;
    for (size_t i = 0; i < next; i++) {
        t->exts[i] = dp__strdup(&dp->alloc, type->extensions[i]);
        if (!t->exts[i])
            goto nomem;
    }
    t->t = *type;
    t->t.name = t->name;
    t->t.extensions = (const char *const *)t->exts;
    /* Release: the entry is complete before readers can see its id. */
    atomic_store_explicit(&dp->ntypes, n + 1, memory_order_release);
    *out = n + 1;
    dp__mutex_unlock(&dp->types_lock);
    warn_shadowed_extensions(dp, n + 1);
    return DP_OK;
nomem:
    for (char **e = t->exts; e && *e; e++)
        dp__free(&dp->alloc, *e);
    dp__free(&dp->alloc, t->exts);
    dp__free(&dp->alloc, t->name);
    memset(t, 0, sizeof *t);
    st = DP_ERR_NOMEM;
done:
    dp__mutex_unlock(&dp->types_lock);
    return st;
}

dp_status dp_type_find(const dp_depot *dp, const char *name, dp_type_id *out)
{
    if (out)
        *out = 0;
    if (!dp || !name || !out)
        return DP_ERR_INVALID;
    dp_type_id id = find_type_locked(dp, name);
    if (!id)
        return DP_ERR_NOT_FOUND;
    *out = id;
    return DP_OK;
}

const char *dp_type_name(const dp_depot *dp, dp_type_id type)
{
    const dp__type *t = dp ? dp__type_get(dp, type) : NULL;
    return t ? t->name : NULL;
}

dp_type_id dp__type_for_path(const dp_depot *dp, const char *path)
{
    size_t plen = strlen(path);
    const char *hash = strchr(path, '#');
    if (hash)
        plen = (size_t)(hash - path);
    dp_type_id best = 0;
    size_t best_len = 0;
    uint32_t n = atomic_load_explicit(&((dp_depot *)dp)->ntypes, memory_order_acquire);
    for (uint32_t i = 1; i <= n; i++) {
        for (char **e = dp->types[i].exts; e && *e; e++) {
            size_t el = strlen(*e);
            if (el + 1 > plen || el <= best_len)
                continue;
            const char *tail = path + plen - el;
            if (tail[-1] == '.' && !strncmp(tail, *e, el)) {
                best = i;
                best_len = el;
            }
        }
    }
    return best;
}
