/* sources.c — the source registry and the two sources every build has: "file" (rooted at
 * dp_desc.root, escapes refused) and "mem" (blobs the program registers). */
#include <stddef.h>
#include <string.h>

#include "depot/config.h"

#include "load/folder.h"
#include "load/loader.h"

/* ---- file ---------------------------------------------------------------------------------- */

static dp_status file_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                           size_t *len)
{
    dp__loader *L = user;
    /* Resolves symlinks and refuses a path whose real location is outside the root; the
     * file is opened only after that. */
    dp__folder f = {.alloc = L->alloc, .root = L->root, .missing = L->root_status,
                    .root_fd = L->root_fd >= 0 ? &L->root_fd : NULL};
    return dp__folder_read(&f, path, cancel, bytes, len);
}

static void loader_free_bytes(void *user, void *bytes)
{
    dp__loader *L = user;
    dp__free(L->alloc, bytes);
}

/* ---- mem ----------------------------------------------------------------------------------- */

/* The blobs sit in a chained hash table (FNV-1a of the path), grown to keep about one blob a
 * bucket, so a read is O(1) however many blobs there are. Under mem_lock. */
static uint64_t path_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static dp__mem_blob **mem_slot(dp__loader *L, uint64_t hash, const char *path)
{
    dp__mem_blob **p = &L->mem[hash & (L->mem_nbuckets - 1)];
    while (*p && ((*p)->hash != hash || strcmp((*p)->path, path) != 0))
        p = &(*p)->next;
    return p;
}

/* Doubles the table (or makes the first one). False on NOMEM: the old table stays. */
static bool mem_grow(dp__loader *L)
{
    size_t n = L->mem_nbuckets ? L->mem_nbuckets * 2 : 64;
    dp__mem_blob **t = dp__calloc(L->alloc, n, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < L->mem_nbuckets; i++) {
        while (L->mem[i]) {
            dp__mem_blob *b = L->mem[i];
            L->mem[i] = b->next;
            b->next = t[b->hash & (n - 1)];
            t[b->hash & (n - 1)] = b;
        }
    }
    dp__free(L->alloc, L->mem);
    L->mem = t;
    L->mem_nbuckets = n;
    return true;
}

static dp_status mem_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                          size_t *len)
{
    (void)cancel;
    dp__loader *L = user;
    dp_status st = DP_ERR_NOT_FOUND;
    uint64_t hash = path_hash(path);
    dp__mutex_lock(&L->mem_lock);
    dp__mem_blob *b = L->mem_nbuckets ? *mem_slot(L, hash, path) : NULL;
    if (b) {
        void *copy = dp__alloc(L->alloc, b->len + 1);
        if (!copy) {
            st = DP_ERR_NOMEM;
        } else {
            if (b->len)
                memcpy(copy, b->bytes, b->len);
            ((char *)copy)[b->len] = 0;
            *bytes = copy;
            *len = b->len;
            st = DP_OK;
        }
    }
    dp__mutex_unlock(&L->mem_lock);
    return st;
}

static dp_status mem_list(void *user, const char *folder, bool recursive,
                         void (*found)(void *ctx, const char *path), void *ctx)
{
    dp__loader *L = user;
    bool seen = !folder[0]; /* the folder exists when some blob is under it */
    dp__mutex_lock(&L->mem_lock);
    for (size_t i = 0; i < L->mem_nbuckets; i++)
        for (const dp__mem_blob *b = L->mem[i]; b; b = b->next)
            if (dp__path_in_folder(b->path, folder, true)) {
                seen = true;
                if (recursive || dp__path_in_folder(b->path, folder, false))
                    found(ctx, b->path);
            }
    dp__mutex_unlock(&L->mem_lock);
    return seen ? DP_OK : DP_ERR_NOT_FOUND;
}

dp_status dp_mem_add(dp_depot *dp, const char *path, const void *bytes, size_t len)
{
    if (!dp || !path || !path[0] || (!bytes && len))
        return DP_ERR_INVALID;
    dp__loader *L = dp__loader_get(dp);
    if (!L)
        return DP_ERR_NOMEM;
    dp__mem_blob *b = dp__calloc(L->alloc, 1, sizeof *b);
    if (!b)
        return DP_ERR_NOMEM;
    b->path = dp__strdup(L->alloc, path);
    b->bytes = len ? dp__alloc(L->alloc, len) : NULL;
    if (!b->path || (len && !b->bytes)) {
        dp__free(L->alloc, b->path);
        dp__free(L->alloc, b->bytes);
        dp__free(L->alloc, b);
        return DP_ERR_NOMEM;
    }
    if (len)
        memcpy(b->bytes, bytes, len);
    b->len = len;
    b->hash = path_hash(path);
    dp__mutex_lock(&L->mem_lock);
    if (L->mem_count >= L->mem_nbuckets && !mem_grow(L) && !L->mem_nbuckets) {
        dp__mutex_unlock(&L->mem_lock);
        dp__free(L->alloc, b->path);
        dp__free(L->alloc, b->bytes);
        dp__free(L->alloc, b);
        return DP_ERR_NOMEM; /* no table at all; a full one just gets longer chains */
    }
    /* Replace an older blob of the same path. */
    dp__mem_blob **p = mem_slot(L, b->hash, path);
    dp__mem_blob *old = *p;
    if (old) {
        *p = old->next;
        dp__free(L->alloc, old->path);
        dp__free(L->alloc, old->bytes);
        dp__free(L->alloc, old);
        L->mem_count--;
    }
    dp__mem_blob **head = &L->mem[b->hash & (L->mem_nbuckets - 1)];
    b->next = *head;
    *head = b;
    L->mem_count++;
    dp__mutex_unlock(&L->mem_lock);
    return DP_OK;
}

/* ---- registry ------------------------------------------------------------------------------- */

dp_status dp__source_add(dp__loader *L, const dp_source *src)
{
    if (!src || !src->scheme || !src->scheme[0] || !src->read ||
        strlen(src->scheme) >= sizeof L->sources[0].scheme || src->load_class < 0 ||
        src->load_class >= DP_CLASS_COUNT)
        return DP_ERR_INVALID;
    dp_status st = DP_OK;
    dp__mutex_lock(&L->sources_lock);
    /* Relaxed: under sources_lock, which every writer of nsources holds. */
    int n = atomic_load_explicit(&L->nsources, memory_order_relaxed);
    for (int i = 0; i < n; i++)
        if (!strcmp(L->sources[i].scheme, src->scheme))
            st = DP_ERR_EXISTS;
    if (st == DP_OK && n == DP__MAX_SOURCES)
        st = DP_ERR_OVERFLOW;
    if (st == DP_OK) {
        L->sources[n].vt = *src;
        strcpy(L->sources[n].scheme, src->scheme);
        L->sources[n].vt.scheme = L->sources[n].scheme;
        /* Release: the slot is complete before a parser can see it. */
        atomic_store_explicit(&L->nsources, n + 1, memory_order_release);
    }
    dp__mutex_unlock(&L->sources_lock);
    return st;
}

dp_status dp__sources_init(dp__loader *L)
{
    dp_source file = {.scheme = "file", .read = file_read, .free_bytes = loader_free_bytes, .user = L,
                      .load_class = DP_CLASS_DISK};
    dp_source mem = {.scheme = "mem", .read = mem_read, .free_bytes = loader_free_bytes, .user = L,
                     .load_class = DP_CLASS_MEMORY,
                     .list = mem_list};
    dp__file_source_fill(&file); /* pread, listing */
    dp_status st = dp__source_add(L, &file); /* index 0: keys without a scheme */
    if (st == DP_OK)
        st = dp__source_add(L, &mem);
    if (st == DP_OK)
        st = dp__http_sources_register(L);
    return st;
}

void dp__sources_free(dp__loader *L)
{
    /* Relaxed, here and in the store below: dp_destroy, after the workers were joined. */
    int n = atomic_load_explicit(&L->nsources, memory_order_relaxed);
    for (int i = 0; i < n; i++)
        if (L->sources[i].vt.destroy)
            L->sources[i].vt.destroy(L->sources[i].vt.user);
    /* Relaxed: dp_destroy, as above. */
    atomic_store_explicit(&L->nsources, 0, memory_order_relaxed);
    for (size_t i = 0; i < L->mem_nbuckets; i++) {
        while (L->mem[i]) {
            dp__mem_blob *b = L->mem[i];
            L->mem[i] = b->next;
            dp__free(L->alloc, b->path);
            dp__free(L->alloc, b->bytes);
            dp__free(L->alloc, b);
        }
    }
    dp__free(L->alloc, L->mem);
    L->mem = NULL;
    L->mem_nbuckets = L->mem_count = 0;
}

dp_status dp_register_source_sized(dp_depot *dp, const dp_source *src, size_t src_size)
{
    if (!dp || !src || src_size < offsetof(dp_source, open))
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    /* Only the fields the caller's struct has are read; the rest stay NULL. */
    dp_source copy = {0};
    memcpy(&copy, src, src_size < sizeof copy ? src_size : sizeof copy);
    int ranged = !!copy.open + !!copy.size + !!copy.read_at + !!copy.close;
    if (ranged != 0 && ranged != 4)
        return DP_ERR_INVALID;
    dp__loader *L = dp__loader_get(dp);
    if (!L)
        return DP_ERR_NOMEM;
    return dp__source_add(L, &copy);
}

/* The first version of the struct ended at `user`. */
dp_status (dp_register_source)(dp_depot *dp, const dp_source *src)
{
    return dp_register_source_sized(dp, src, offsetof(dp_source, open));
}

#if !DP_HAVE_CURL
dp_status dp__http_sources_register(dp__loader *L)
{
    (void)L;
    return DP_OK;
}

dp_status dp_http_configure(dp_depot *dp, const dp_http_desc *desc)
{
    (void)dp;
    (void)desc;
    return DP_ERR_NOT_FOUND;
}

dp_status dp_http_cache(dp_depot *dp, const dp_http_cache_desc *desc)
{
    (void)dp;
    (void)desc;
    return DP_ERR_NOT_FOUND;
}
#endif
