/* types.c — the type registry: dp_register_type, lookups by id, name and file extension.
 * Registration is under types_lock; readers on any thread use the published count. */
#include <string.h>

#include "asset/asset_internal.h"
#include "asset/log.h"

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
    /* Acquire: pairs with the release in dp_register_type; entries 1..n are complete
     * (dp_type_find calls this without the lock). */
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

/* The slot of extension ext (len bytes) in the table: the one that holds it, or the empty
 * slot where it would go, or NULL when neither is met (a full table). *type gets the slot's
 * type as read here (0: empty): a reader must use it, not read the slot again, as a type
 * registered meanwhile may fill an empty slot with another extension. Any thread. */
static dp__ext_slot *ext_slot(const dp_depot *dp, const char *ext, size_t len, dp_type_id *type)
{
    dp__ext_slot *tab = ((dp_depot *)dp)->exts;
    size_t i = (size_t)dp__hash_bytes(ext, len);
    for (size_t k = 0; k < DP__EXT_SLOTS; k++, i++) {
        dp__ext_slot *e = &tab[i & (DP__EXT_SLOTS - 1)];
        /* Acquire: pairs with the release in index_extensions; ext and len are written. */
        *type = atomic_load_explicit(&e->type, memory_order_acquire);
        if (!*type || (e->len == len && !memcmp(e->ext, ext, len)))
            return e;
    }
    *type = 0;
    return NULL;
}

/* Enters a new type's extensions in the table (under types_lock, after its id is published,
 * so a reader that finds the type in the table finds it registered). An extension already
 * there keeps its first type; when the table would pass 3/4 full, dp__type_for_path scans
 * the types instead, as it must find every extension. */
static void index_extensions(dp_depot *dp, dp_type_id id)
{
    for (char **e = dp->types[id].exts; *e; e++) {
        size_t len = strlen(*e);
        if (len == 0)
            continue; /* never matches: a path's extension follows a dot */
        dp_type_id had = 0;
        dp__ext_slot *s = dp->nexts < DP__EXT_SLOTS / 4 * 3 ? ext_slot(dp, *e, len, &had) : NULL;
        if (!s) {
            /* Release: a reader that sees the flag scans types whose ids it sees. */
            atomic_store_explicit(&dp->exts_full, true, memory_order_release);
            return;
        }
        if (had)
            continue; /* claimed by an earlier type, which keeps it */
        s->ext = *e;
        s->len = (uint32_t)len;
        /* Release: ext and len are written before a reader can see the slot used. */
        atomic_store_explicit(&s->type, id, memory_order_release);
        dp->nexts++;
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
    /* Relaxed: under types_lock, which every writer of ntypes holds. */
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
    index_extensions(dp, n + 1);
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

/* The first-registered type of the longest extension that `path` (its first plen bytes)
 * ends with after a dot, by looking at every type: for a table that could not take every
 * extension. */
static dp_type_id scan_types(const dp_depot *dp, const char *path, size_t plen)
{
    dp_type_id best = 0;
    size_t best_len = 0;
    /* Acquire: pairs with the release in dp_register_type; entries 1..n are complete. */
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

dp_type_id dp__type_for_path(const dp_depot *dp, const char *path)
{
    size_t plen = strcspn(path, "#");
    /* Acquire: pairs with the release in index_extensions. */
    if (atomic_load_explicit(&((dp_depot *)dp)->exts_full, memory_order_acquire))
        return scan_types(dp, path, plen);
    /* Every tail after a dot is a candidate extension, the longest (first dot) first: the
     * first one the table holds is the longest match, as scan_types finds it. */
    const char *end = path + plen;
    for (const char *p = memchr(path, '.', plen); p;
         p = memchr(p + 1, '.', (size_t)(end - p) - 1)) {
        size_t len = (size_t)(end - p) - 1;
        if (len == 0)
            break; /* a path ending in a dot has no extension */
        dp_type_id t;
        (void)ext_slot(dp, p + 1, len, &t);
        if (t)
            return t;
    }
    return 0;
}

void dp__types_free(dp_depot *dp)
{
    for (uint32_t t = 1; t <= atomic_load(&dp->ntypes); t++) {
        dp__type *ty = &dp->types[t];
        for (char **e = ty->exts; e && *e; e++)
            dp__free(&dp->alloc, *e);
        dp__free(&dp->alloc, ty->exts);
        dp__free(&dp->alloc, ty->name);
    }
}
