/* load_api.c — the public entry points of the load layer: dp_load, dp_load_as, dp_reload,
 * key parsing (the waits are in wait.c). */
#include <string.h>

#include "load/catalog.h"
#include "load/loader.h"
#include "os/path.h"

dp_status dp__key_parse(dp__loader *L, const char *key, int *source, size_t *path_off,
                        size_t *label_off)
{
    *source = 0;
    *path_off = 0;
    *label_off = 0;
    if (!key || !key[0])
        return DP_ERR_INVALID;
    /* A scheme is what comes before a "://" that holds the key's first '/'. */
    const char *slash = strchr(key, '/');
    if (slash && slash > key && slash[-1] == ':' && slash[1] == '/') {
        size_t sl = (size_t)(slash - 1 - key);
        /* Acquire: pairs with dp__source_add's release of nsources; sources 0..n-1 are complete. */
        int n = atomic_load_explicit(&L->nsources, memory_order_acquire);
        int found = -1;
        for (int i = 0; i < n; i++)
            if (strlen(L->sources[i].scheme) == sl && !strncmp(L->sources[i].scheme, key, sl))
                found = i;
        if (found < 0)
            return DP_ERR_NOT_FOUND;
        *source = found;
        *path_off = sl + 3;
    }
    const char *path = key + *path_off;
    const char *hash = strchr(path, '#');
    if (hash) {
        if (!hash[1])
            return DP_ERR_INVALID;
        *label_off = (size_t)(hash - key) + 1;
    }
    size_t plen = hash ? (size_t)(hash - path) : strlen(path);
    if (plen == 0 || plen > 4096)
        return DP_ERR_INVALID;
    if (*source == 0) {
        /* The file source: refuse every escape before anything touches the disk. */
        char buf[4097];
        memcpy(buf, path, plen);
        buf[plen] = 0;
        if (dp__path_check(buf) != DP_OK)
            return DP_ERR_INVALID;
    }
    return DP_OK;
}

char *dp__key_join(const dp_allocator *a, const char *scheme, const char *path)
{
    size_t sl = strlen(scheme), pl = strlen(path);
    char *key = dp__alloc(a, sl + 3 + pl + 1);
    if (!key)
        return NULL;
    memcpy(key, scheme, sl);
    memcpy(key + sl, "://", 3);
    memcpy(key + sl + 3, path, pl + 1);
    return key;
}

/* The canonical key: "file://x" and "x" are the same asset, so the scheme of the file source
 * is dropped. Returns a pointer into key. */
static const char *canonical(const char *key, int source, size_t path_off)
{
    return source == 0 ? key + path_off : key;
}

static dp_status load_label(dp__loader *L, const char *key, size_t label_off, dp_type_id type,
                            int level, dp_handle *out, const char *file, int line);

/* A new file-source asset: its path must resolve inside the root, symlinks followed (the
 * lexical check in dp__key_parse cannot see a symlink leading out). Only metadata is read:
 * no file is opened. The worker resolves again before it reads (a link may change). `path`
 * has passed dp__key_parse's lexical check.
 * DP_OK (also when the root itself is missing: the load fails later), DP_ERR_INVALID,
 * DP_ERR_NOMEM. */
static dp_status file_path_inside(dp__loader *L, const char *path, size_t len)
{
    if (!L->root)
        return DP_OK;
    char buf[4097];
    memcpy(buf, path, len);
    buf[len] = 0;
    /* The owner remembers the folders it found inside until its next dp_update: a burst of
     * loads from one folder costs an fstatat each, not a realpath each (os/path_dirs.h). */
    if (dp__is_owner(L->dp))
        return dp__path_inside_checked(&L->dirs, L->alloc, L->root, buf);
    char *real = NULL;
    dp_status st = dp__path_resolve(L->alloc, L->root, buf, &real);
    dp__free(L->alloc, real);
    return st;
}

dp_status dp__load_counted(dp_depot *dp, const char *key, dp_type_id type, dp_handle *out,
                           const char *file, int line)
{
    return dp__load_leveled(dp, key, type, DP_PRIORITY_NORMAL - DP_PRIORITY_LOW, out, file, line);
}

/* A new asset of ckey, PENDING, with its job queued at `level`. The job is made before the
 * asset, so that a failure leaves nothing behind. DP_ERR_EXISTS with *h set when the key
 * became live meanwhile (another thread's load), else dp__create's errors, DP_ERR_NOMEM. */
static dp_status start_load(dp_depot *dp, dp__loader *L, const char *ckey, dp_type_id type,
                            int source, int level, dp_handle *h, const char *file, int line)
{
    dp__job *job = dp__job_new(L, DP_NULL_HANDLE, type, ckey, source);
    if (!job)
        return DP_ERR_NOMEM;
    dp_status st = dp__create(dp, type, DP_STATE_PENDING, NULL, 0, ckey, h, file, line);
    if (st != DP_OK) {
        dp__job_free(L, job);
        return st;
    }
    job->h = *h;
    atomic_store_explicit(&job->level, level, memory_order_relaxed); /* not shared yet */
    if (level != DP_PRIORITY_NORMAL - DP_PRIORITY_LOW) {
        dp__mutex_lock(&L->lock);
        dp__priority_note(L, *h, level, false);
        dp__mutex_unlock(&L->lock);
    }
    dp__loader_enqueue(L, job);
    return DP_OK;
}

/* A load that found h live or cached (its count taken): checks the type, restarts a FAILED
 * asset only this load holds, and raises its priority to `level`. Sets *evicted (count
 * dropped) when h was evicted since it was found: the key is free again, load afresh. */
static dp_status join_found(dp_depot *dp, dp__loader *L, dp_handle h, dp_type_id type,
                            int level, bool *evicted)
{
    dp_type_id have = dp_type_of(dp, h);
    *evicted = have == 0; /* an evicted asset's type reads 0 */
    if (have != type) {
        dp_release(dp, h); /* evicted: this only drops a holder record */
        return DP_ERR_EXISTS;
    }
    /* A FAILED asset that only this dp_load holds (released, not freed yet, or cached) is
     * loaded again, as a fresh dp_load of a freed one would be; the owner starts it at the
     * next dp_update (best effort: on NOMEM it stays FAILED). */
    if (dp_state_of(dp, h) == DP_STATE_FAILED && dp_count(dp, h) == 1)
        dp__loader_retry(L, h);
    if (level > DP_PRIORITY_NORMAL - DP_PRIORITY_LOW) {
        dp__mutex_lock(&L->lock);
        dp__priority_note(L, h, level, true); /* its upload, if still to come, too */
        dp__mutex_unlock(&L->lock);
    }
    dp__priority_raise(L, h, level); /* a queued load of it runs at least this soon */
    return DP_OK;
}

dp_status dp__load_leveled(dp_depot *dp, const char *key, dp_type_id type, int level,
                           dp_handle *out, const char *file, int line)
{
    *out = DP_NULL_HANDLE;
    dp__loader *L = dp__loader_get(dp);
    if (!L)
        return DP_ERR_NOMEM;
    /* "id:0x..." and renamed keys become the current key first (catalog.c). */
    char *current;
    dp_status st = dp__catalog_resolve(L, key, &current);
    if (st != DP_OK || current) {
        if (current)
            st = dp__load_leveled(dp, current, type, level, out, file, line);
        dp__free(L->alloc, current);
        return st;
    }
    int source;
    size_t path_off, label_off;
    st = dp__key_parse(L, key, &source, &path_off, &label_off);
    if (st != DP_OK)
        return st;
    const char *ckey = canonical(key, source, path_off);
    if (label_off)
        return load_label(L, ckey, label_off - (size_t)(ckey - key), type, level, out, file,
                          line);
    if (type == 0) {
        type = dp__type_for_path(dp, key + path_off);
        if (type == 0)
            return DP_ERR_NOT_FOUND;
    } else if (!dp__type_info(dp, type)) {
        return DP_ERR_INVALID;
    }
    dp_handle h;
    bool evicted;
    do {
        /* The fast path: a live or cached asset of this key. */
        if (dp__find(dp, ckey, &h, file, line) != DP_OK) {
            if (source == 0 &&
                (st = file_path_inside(L, key + path_off, strlen(key + path_off))) != DP_OK)
                return st;
            st = start_load(dp, L, ckey, type, source, level, &h, file, line);
            if (st != DP_ERR_EXISTS) {
                if (st == DP_OK)
                    *out = h;
                return st;
            }
        }
        st = join_found(dp, L, h, type, level, &evicted);
    } while (evicted);
    if (st == DP_OK)
        *out = h;
    return st;
}

/* A label found live: its type must be the one asked for. */
static dp_status label_found(dp_depot *dp, dp_handle h, dp_type_id type, dp_handle *out)
{
    if (type && dp_type_of(dp, h) != type) {
        dp_release(dp, h);
        return DP_ERR_EXISTS;
    }
    *out = h;
    return DP_OK;
}

/* "file#label": a placeholder asset; the file's loader emits the label into it. No job: the
 * label's edge to its file is a link the owner adds at the next dp_update. */
static dp_status load_label(dp__loader *L, const char *key, size_t label_off, dp_type_id type,
                            int level, dp_handle *out, const char *file, int line)
{
    dp_depot *dp = L->dp;
    size_t plen = label_off - 1;
    char *parent_key = dp__alloc(L->alloc, plen + 1);
    if (!parent_key)
        return DP_ERR_NOMEM;
    memcpy(parent_key, key, plen);
    parent_key[plen] = 0;
    dp_handle h, parent;
    dp_status st;
    if (dp__find(dp, key, &h, file, line) == DP_OK) {
        st = label_found(dp, h, type, out);
        goto out;
    }
    /* Until the file emits the label, a placeholder not forced to a type stands in with the
     * file's type. */
    dp_type_id stand_in = type ? type : dp__type_for_path(dp, parent_key);
    if (stand_in == 0) {
        st = DP_ERR_NOT_FOUND;
        goto out;
    }
    if (!strstr(parent_key, "://") && (st = file_path_inside(L, parent_key, plen)) != DP_OK)
        goto out; /* refused before a placeholder exists */
    /* The placeholder is made and its link queued under label_lock, before the file's job
     * can emit into it: a worker that finds the placeholder finds its forced type too. */
    dp__mutex_lock(&L->label_lock);
    st = dp__create(dp, stand_in, DP_STATE_PENDING, NULL, 0, key, &h, file, line);
    if (st == DP_OK) {
        st = dp__load_leveled(dp, parent_key, 0, level, &parent, dp__site_load, 0);
        if (st == DP_OK)
            st = dp__loader_link(L, h, parent, type);
        if (st != DP_OK)
            dp_release(dp, h); /* the placeholder goes at the next update */
        else
            *out = h;
    }
    dp__mutex_unlock(&L->label_lock);
    if (st == DP_ERR_EXISTS)
        st = label_found(dp, h, type, out);
out:
    dp__free(L->alloc, parent_key);
    return st;
}

dp_status dp_load_at(dp_depot *dp, const char *key, dp_handle *out, const char *file, int line)
{
    if (out)
        *out = DP_NULL_HANDLE;
    if (!dp || !key || !out)
        return DP_ERR_INVALID;
    return dp__load_counted(dp, key, 0, out, file, line);
}

dp_status (dp_load)(dp_depot *dp, const char *key, dp_handle *out)
{
    return dp_load_at(dp, key, out, "(unknown)", 0);
}

dp_status dp_load_as_at(dp_depot *dp, const char *key, dp_type_id type, dp_handle *out,
                        const char *file, int line)
{
    if (out)
        *out = DP_NULL_HANDLE;
    if (!dp || !key || !out || type == 0)
        return DP_ERR_INVALID;
    return dp__load_counted(dp, key, type, out, file, line);
}

dp_status (dp_load_as)(dp_depot *dp, const char *key, dp_type_id type, dp_handle *out)
{
    return dp_load_as_at(dp, key, type, out, "(unknown)", 0);
}

/* Whether h can be loaded again through its key: keyed, unlabelled, of a type that loads,
 * with a source; *source gets the source's index. */
static bool restartable(dp__loader *L, dp_handle h, int *source)
{
    dp_depot *dp = L->dp;
    const char *key = dp_key_of(dp, h);
    const dp_type *t = dp__type_info(dp, dp_type_of(dp, h));
    size_t path_off, label_off;
    return key && t && t->load && !strchr(key, '#') &&
           dp__key_parse(L, key, source, &path_off, &label_off) == DP_OK;
}

bool dp__loader_reloadable(void *self, dp_depot *dp, dp_handle h)
{
    (void)dp;
    int source;
    return restartable(self, h, &source);
}

dp_status dp__loader_reload_lost(void *self, dp_depot *dp, dp_handle h)
{
    (void)dp;
    return dp__loader_restart(self, h, true);
}

dp_status dp__loader_restart(dp__loader *L, dp_handle h, bool reload)
{
    dp_depot *dp = L->dp;
    int source;
    if (!restartable(L, h, &source))
        return DP_ERR_INVALID;
    const char *key = dp_key_of(dp, h);
    dp_type_id type = dp_type_of(dp, h);
    dp__job *job = dp__job_new(L, h, type, key, source);
    if (!job)
        return DP_ERR_NOMEM;
    job->reload = reload;
    dp__loader_supersede(L, h);
    dp__loader_enqueue(L, job);
    return DP_OK;
}

dp_status dp_reload(dp_depot *dp, dp_handle h)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    const char *key = dp_key_of(dp, h);
    if (!dp_count(dp, h) && !key)
        return DP_ERR_STALE;
    if (dp_state_of(dp, h) == DP_STATE_INVALID)
        return DP_ERR_STALE;
    dp__loader *L = dp__loader_get(dp);
    if (!L)
        return DP_ERR_NOMEM;
    return dp__loader_restart(L, h, true);
}

dp_builtin_types dp_builtins(const dp_depot *dp)
{
    dp_builtin_types none = {0};
    if (!dp)
        return none;
    dp__loader *L = dp__loader_get((dp_depot *)dp);
    return L ? L->builtins : none;
}
