/* sources.c — the source registry and the two sources every build has: "file" (rooted at
 * dp_desc.root, escapes refused) and "mem" (blobs the program registers). */
#include <string.h>

#include "depot/config.h"

#include "load/loader.h"
#include "os/fs.h"
#include "os/path.h"

/* ---- file ---------------------------------------------------------------------------------- */

static dp_status file_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                           size_t *len)
{
    dp__loader *L = user;
    if (!L->root)
        return L->root_status == DP_OK ? DP_ERR_NOT_FOUND : L->root_status;
    char *abs;
    /* Resolves symlinks and refuses a path whose real location is outside the root; the
     * file is opened only after that. */
    dp_status st = dp__path_resolve(L->alloc, L->root, path, &abs);
    if (st != DP_OK)
        return st;
    st = dp__file_read(L->alloc, abs, 0, cancel, bytes, len);
    dp__free(L->alloc, abs);
    return st;
}

static void loader_free_bytes(void *user, void *bytes)
{
    dp__loader *L = user;
    dp__free(L->alloc, bytes);
}

/* ---- mem ----------------------------------------------------------------------------------- */

static dp_status mem_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                          size_t *len)
{
    (void)cancel;
    dp__loader *L = user;
    dp_status st = DP_ERR_NOT_FOUND;
    dp__mutex_lock(&L->mem_lock);
    for (dp__mem_blob *b = L->mem; b; b = b->next) {
        if (strcmp(b->path, path) != 0)
            continue;
        void *copy = dp__alloc(L->alloc, b->len + 1);
        if (!copy) {
            st = DP_ERR_NOMEM;
            break;
        }
        if (b->len)
            memcpy(copy, b->bytes, b->len);
        ((char *)copy)[b->len] = 0;
        *bytes = copy;
        *len = b->len;
        st = DP_OK;
        break;
    }
    dp__mutex_unlock(&L->mem_lock);
    return st;
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
    dp__mutex_lock(&L->mem_lock);
    /* Replace an older blob of the same path. */
    for (dp__mem_blob **p = &L->mem; *p; p = &(*p)->next) {
        if (!strcmp((*p)->path, path)) {
            dp__mem_blob *old = *p;
            *p = old->next;
            dp__free(L->alloc, old->path);
            dp__free(L->alloc, old->bytes);
            dp__free(L->alloc, old);
            break;
        }
    }
    b->next = L->mem;
    L->mem = b;
    dp__mutex_unlock(&L->mem_lock);
    return DP_OK;
}

/* ---- registry ------------------------------------------------------------------------------- */

dp_status dp__source_add(dp__loader *L, const dp_source *src)
{
    if (!src || !src->scheme || !src->scheme[0] || !src->read ||
        strlen(src->scheme) >= sizeof L->sources[0].scheme)
        return DP_ERR_INVALID;
    dp_status st = DP_OK;
    dp__mutex_lock(&L->sources_lock);
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
    dp_source file = {.scheme = "file", .read = file_read, .free_bytes = loader_free_bytes, .user = L};
    dp_source mem = {.scheme = "mem", .read = mem_read, .free_bytes = loader_free_bytes, .user = L};
    dp_status st = dp__source_add(L, &file); /* index 0: keys without a scheme */
    if (st == DP_OK)
        st = dp__source_add(L, &mem);
    if (st == DP_OK)
        st = dp__http_sources_register(L);
    return st;
}

void dp__sources_free(dp__loader *L)
{
    int n = atomic_load_explicit(&L->nsources, memory_order_relaxed);
    for (int i = 0; i < n; i++)
        if (L->sources[i].vt.destroy)
            L->sources[i].vt.destroy(L->sources[i].vt.user);
    atomic_store_explicit(&L->nsources, 0, memory_order_relaxed);
    while (L->mem) {
        dp__mem_blob *b = L->mem;
        L->mem = b->next;
        dp__free(L->alloc, b->path);
        dp__free(L->alloc, b->bytes);
        dp__free(L->alloc, b);
    }
}

dp_status dp_register_source(dp_depot *dp, const dp_source *src)
{
    if (!dp || !src)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__loader *L = dp__loader_get(dp);
    if (!L)
        return DP_ERR_NOMEM;
    return dp__source_add(L, src);
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
#endif
