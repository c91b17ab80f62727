/* mount.c — see mount.h: dp_mount, dp_unmount, and resolving keys through the mounts.
 *
 * A mount is a pack (its entries, read whole and checked) or a folder (files under it, read
 * whole or in ranges with pread, escapes refused, watched for hot reload when dp_desc.watch
 * is set). Each serves through a dp_source vtable of its own, so the reader treats it like
 * any source. */
#include <string.h>

#include "depot/config.h"
#include "depot/pack.h"

#include "load/folder.h"
#include "load/mount.h"
#include "os/path.h"

typedef struct dp__mount {
    atomic_int refs;          /* the sets that hold it */
    dp__loader *L;
    char *name;               /* the path given to dp_mount, for dp_unmount */
    int priority;
    dp_pack *pack;            /* a pack, or NULL for a folder */
    dp__folder folder;        /* a folder: its canonical root in `root` */
    char *root;
    dp__watch *watch;         /* owner thread only; NULL without dp_desc.watch */
    dp_source vt;             /* how the reader reads from it (user = this mount) */
} dp__mount;

struct dp__mount_set {
    atomic_int refs;          /* the table's, and one per read in flight */
    const dp_allocator *alloc;
    size_t n;
    dp__mount *m[];           /* highest priority first; among equals the newest first */
};

struct dp__mounts {
    dp__mutex lock;           /* guards `current` against a worker taking a reference */
    struct dp__mount_set *current; /* written by the owner only, under lock */
};

/* ---- the two kinds ------------------------------------------------------------------------ */

static dp_status pack_source_read(void *user, const char *path, const dp_cancel *cancel,
                                  void **bytes, size_t *len)
{
    dp__mount *m = user;
    size_t i;
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;
    dp_status st = dp_pack_find(m->pack, path, &i);
    if (st == DP_OK)
        st = dp_pack_read(m->pack, i, bytes, len);
    if (st == DP_ERR_FORMAT) /* the only FORMAT of a read: the bytes are not what was packed */
        dp_source_fail(cancel, st, "pack %s: the entry does not unpack to what was packed "
                       "(zstd frame or checksum)", m->name);
    return st;
}

static void pack_source_free(void *user, void *bytes)
{
    dp__mount *m = user;
    dp_pack_free(m->pack, bytes);
}

typedef struct pack_lister {
    const char *folder;
    bool recursive, seen;
    void (*found)(void *ctx, const char *path);
    void *ctx;
} pack_lister;

static void on_pack_key(void *ctx, const char *key)
{
    pack_lister *pl = ctx;
    pl->seen = true;
    if (pl->recursive || dp__path_in_folder(key, pl->folder, false))
        pl->found(pl->ctx, key);
}

static dp_status pack_source_list(void *user, const char *folder, bool recursive,
                                  void (*found)(void *ctx, const char *path), void *ctx)
{
    dp__mount *m = user;
    pack_lister pl = {.folder = folder, .recursive = recursive, .seen = !folder[0],
                      .found = found, .ctx = ctx};
    dp_status st = dp_pack_list(m->pack, folder, on_pack_key, &pl);
    return st != DP_OK ? st : pl.seen ? DP_OK : DP_ERR_NOT_FOUND;
}

static dp_status folder_source_read(void *user, const char *path, const dp_cancel *cancel,
                                    void **bytes, size_t *len)
{
    dp__mount *m = user;
    return dp__folder_read(&m->folder, path, cancel, bytes, len);
}

static void folder_source_free(void *user, void *bytes)
{
    dp__mount *m = user;
    dp__free(m->L->alloc, bytes);
}

static dp_status folder_source_open(void *user, const char *path, const dp_cancel *cancel,
                                    void **file)
{
    dp__mount *m = user;
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;
    return dp__folder_open(&m->folder, path, file);
}

static dp_status folder_source_size(void *user, void *file, uint64_t *size)
{
    (void)user;
    return dp__folder_size(file, size);
}

static dp_status folder_source_read_at(void *user, void *file, uint64_t offset, void *buf,
                                       size_t len, const dp_cancel *cancel)
{
    (void)user;
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;
    return dp__folder_read_at(file, offset, buf, len);
}

static void folder_source_close(void *user, void *file)
{
    dp__mount *m = user;
    dp__folder_close(&m->folder, file);
}

static dp_status folder_source_list(void *user, const char *folder, bool recursive,
                                    void (*found)(void *ctx, const char *path), void *ctx)
{
    dp__mount *m = user;
    return dp__folder_list(&m->folder, folder, recursive, found, ctx);
}

static bool mount_has(const dp__mount *m, const char *path)
{
    size_t i;
    return m->pack ? dp_pack_find(m->pack, path, &i) == DP_OK : dp__folder_has(&m->folder, path);
}

static void mount_free(dp__mount *m)
{
    const dp_allocator *a = m->L->alloc;
    dp_pack_close(m->pack);
    dp__watch_destroy(m->watch);
    dp__free(a, m->root);
    dp__free(a, m->name);
    dp__free(a, m);
}

static dp_status open_folder(dp__loader *L, dp__mount *m, const char *path)
{
    dp_status st = dp__path_root(L->alloc, path, &m->root);
    if (st != DP_OK)
        return st;
    m->folder = (dp__folder){.alloc = L->alloc, .root = m->root, .missing = DP_OK};
    if (dp__depot_desc(L->dp)->watch &&
        dp__watch_create(L->alloc, m->root, 0, &m->watch) == DP_ERR_NOMEM)
        return DP_ERR_NOMEM; /* without inotify the folder still mounts, unwatched */
    m->vt = (dp_source){.scheme = "file", .read = folder_source_read,
                        .free_bytes = folder_source_free, .user = m,
                        .open = folder_source_open, .size = folder_source_size,
                        .read_at = folder_source_read_at, .close = folder_source_close,
                        .list = folder_source_list};
    return DP_OK;
}

static dp_status mount_new(dp__loader *L, const char *kind, const char *path, int priority,
                           dp__mount **out)
{
    bool pack = !strcmp(kind, "pack");
    if (!pack && strcmp(kind, "file") != 0)
        return DP_ERR_INVALID;
    dp__mount *m = dp__calloc(L->alloc, 1, sizeof *m);
    if (!m)
        return DP_ERR_NOMEM;
    atomic_init(&m->refs, 0);
    m->L = L;
    m->priority = priority;
    m->name = dp__strdup(L->alloc, path);
    dp_status st = m->name ? DP_OK : DP_ERR_NOMEM;
    if (st == DP_OK && pack) {
        st = dp_pack_open(path, L->alloc, &m->pack);
        m->vt = (dp_source){.scheme = "pack", .read = pack_source_read,
                            .free_bytes = pack_source_free, .user = m,
                            .list = pack_source_list};
    } else if (st == DP_OK) {
        st = open_folder(L, m, path);
    }
    if (st != DP_OK) {
        mount_free(m);
        return st;
    }
    *out = m;
    return DP_OK;
}

/* ---- sets ----------------------------------------------------------------------------------- */

/* Drops a reference; the last one frees the set and drops its mounts. A mount's last
 * reference may go on a worker (a read that outlived dp_unmount): by then the owner has
 * destroyed its watcher and no longer looks at it. */
void dp__mounts_drop(struct dp__mount_set *set)
{
    if (!set)
        return;
    /* acq_rel: the last dropper sees every other holder's reads finished before it frees. */
    if (atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < set->n; i++)
        if (atomic_fetch_sub_explicit(&set->m[i]->refs, 1, memory_order_acq_rel) == 1)
            mount_free(set->m[i]);
    dp__free(set->alloc, set);
}

/* A new set: `old` without `drop` (may be NULL), with `add` (may be NULL) in its place. */
static struct dp__mount_set *set_make(const dp_allocator *a, const struct dp__mount_set *old,
                                      dp__mount *drop, dp__mount *add)
{
    size_t n = (old ? old->n : 0) + (add != NULL);
    struct dp__mount_set *s = dp__alloc(a, sizeof *s + (n ? n : 1) * sizeof s->m[0]);
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    s->alloc = a;
    s->n = 0;
    for (size_t i = 0; old && i <= old->n; i++) {
        dp__mount *next = i < old->n ? old->m[i] : NULL;
        /* The new mount goes before the first one of equal or lower priority. */
        if (add && (!next || next->priority <= add->priority)) {
            s->m[s->n++] = add;
            add = NULL;
        }
        if (next && next != drop)
            s->m[s->n++] = next;
    }
    if (add)
        s->m[s->n++] = add;
    /* Relaxed: a reference taken by a holder (the current set holds each old mount; the new one
     * is not shared yet); publishing the set orders it, and the acq_rel decrement in
     * dp__mounts_drop orders every use before the free. */
    for (size_t i = 0; i < s->n; i++)
        atomic_fetch_add_explicit(&s->m[i]->refs, 1, memory_order_relaxed);
    return s;
}

/* Publishes a new current set (owner) and drops the table's reference on the old one. */
static void set_publish(struct dp__mounts *ms, struct dp__mount_set *s)
{
    dp__mutex_lock(&ms->lock);
    struct dp__mount_set *old = ms->current;
    ms->current = s;
    dp__mutex_unlock(&ms->lock);
    dp__mounts_drop(old);
}

/* ---- resolving ------------------------------------------------------------------------------ */

/* The current set with a reference taken, or NULL (no mounts). Any thread. */
static struct dp__mount_set *set_take(dp__loader *L)
{
    /* Acquire: pairs with the release in mounts_get; the struct is complete when seen. */
    struct dp__mounts *ms = atomic_load_explicit(&L->mounts, memory_order_acquire);
    if (!ms)
        return NULL;
    dp__mutex_lock(&ms->lock);
    struct dp__mount_set *s = ms->current;
    if (s)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    dp__mutex_unlock(&ms->lock);
    return s;
}

bool dp__mounts_pick(dp__loader *L, const char *path, dp_source *vt,
                     struct dp__mount_set **hold)
{
    *hold = NULL;
    struct dp__mount_set *s = set_take(L);
    if (!s)
        return false;
    for (size_t i = 0; i < s->n; i++) {
        if (mount_has(s->m[i], path)) {
            *vt = s->m[i]->vt;
            *hold = s; /* keeps the mount open until the reader closes */
            return true;
        }
    }
    dp__mounts_drop(s);
    return false;
}

bool dp__mounts_watch(dp__loader *L, const char *path)
{
    struct dp__mount_set *s = set_take(L);
    if (!s)
        return false;
    /* Every watched folder above the one that serves the path watches it too, so a file
     * that appears there (a mod dropped over a pack entry) reloads the asset. */
    bool served = false;
    for (size_t i = 0; i < s->n && !served; i++) {
        if (s->m[i]->watch)
            dp__watch_add(s->m[i]->watch, path); /* best effort: the folder may not exist */
        served = mount_has(s->m[i], path);
    }
    dp__mounts_drop(s);
    return served;
}

void dp__mounts_poll(dp__loader *L, void (*changed)(void *ctx, const char *rel), void *ctx)
{
    struct dp__mount_set *s = set_take(L);
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (s->m[i]->watch)
            dp__watch_poll(s->m[i]->watch, changed, ctx);
    dp__mounts_drop(s);
}

dp_status dp__mounts_list(dp__loader *L, const char *folder, bool recursive,
                          void (*found)(void *ctx, const char *path), void *ctx)
{
    struct dp__mount_set *s = set_take(L);
    dp_status result = DP_ERR_NOT_FOUND;
    for (size_t i = 0; s && i < s->n; i++) {
        const dp_source *vt = &s->m[i]->vt;
        dp_status st = vt->list(vt->user, folder, recursive, found, ctx);
        if (st != DP_ERR_NOT_FOUND && (result == DP_OK || result == DP_ERR_NOT_FOUND))
            result = st; /* the first real error wins over every success */
    }
    dp__mounts_drop(s);
    return result;
}

void dp__mounts_free(dp__loader *L)
{
    /* Relaxed, here and in the store below: dp_destroy, after the workers were joined. */
    struct dp__mounts *ms = atomic_load_explicit(&L->mounts, memory_order_relaxed);
    if (!ms)
        return;
    dp__mounts_drop(ms->current); /* the workers are joined: this is the last reference */
    dp__mutex_destroy(&ms->lock);
    dp__free(L->alloc, ms);
    atomic_store_explicit(&L->mounts, NULL, memory_order_relaxed); /* relaxed: as above */
}

/* ---- dp_mount, dp_unmount ------------------------------------------------------------------ */

static struct dp__mounts *mounts_get(dp__loader *L)
{
    /* Relaxed: only the owner stores the mounts, and this is the owner. */
    struct dp__mounts *ms = atomic_load_explicit(&L->mounts, memory_order_relaxed);
    if (ms)
        return ms; /* only the owner creates it, and we are the owner */
    ms = dp__calloc(L->alloc, 1, sizeof *ms);
    if (!ms)
        return NULL;
    dp__mutex_init(&ms->lock);
    /* Release: the lock is initialised before a worker can see the struct. */
    atomic_store_explicit(&L->mounts, ms, memory_order_release);
    return ms;
}

static dp__mount *find_mount(const struct dp__mount_set *s, const char *path)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (!strcmp(s->m[i]->name, path))
            return s->m[i];
    return NULL;
}

dp_status dp_mount(dp_depot *dp, const char *kind, const char *path, int priority)
{
    if (!dp || !kind || !path || !path[0])
        return DP_ERR_INVALID;
#if !DP_HAVE_PACK
    if (!strcmp(kind, "pack"))
        return dp__is_owner(dp) ? DP_ERR_NOT_FOUND : DP_ERR_WRONG_THREAD;
#endif
    dp__loader *L;
    dp_status st = dp__loader_owner(dp, &L);
    if (st != DP_OK)
        return st;
    struct dp__mounts *ms = mounts_get(L);
    if (!ms)
        return DP_ERR_NOMEM;
    if (find_mount(ms->current, path))
        return DP_ERR_EXISTS;
    dp__mount *m;
    st = mount_new(L, kind, path, priority, &m);
    if (st != DP_OK)
        return st;
    struct dp__mount_set *s = set_make(L->alloc, ms->current, NULL, m);
    if (!s) {
        mount_free(m);
        return DP_ERR_NOMEM;
    }
    set_publish(ms, s);
    return DP_OK;
}

dp_status dp_unmount(dp_depot *dp, const char *path)
{
    if (!dp || !path)
        return DP_ERR_INVALID;
    dp__loader *L;
    dp_status st = dp__loader_owner(dp, &L);
    if (st != DP_OK)
        return st;
    /* Relaxed: only the owner stores the mounts, and this is the owner. */
    struct dp__mounts *ms = atomic_load_explicit(&L->mounts, memory_order_relaxed);
    dp__mount *m = ms ? find_mount(ms->current, path) : NULL;
    if (!m)
        return DP_ERR_NOT_FOUND;
    struct dp__mount_set *s = set_make(L->alloc, ms->current, m, NULL);
    if (!s)
        return DP_ERR_NOMEM;
    /* The watcher is the owner's: it goes now; the mount itself (the open pack) when the
     * last read through it has finished. */
    dp__watch_destroy(m->watch);
    m->watch = NULL;
    set_publish(ms, s);
    return DP_OK;
}
