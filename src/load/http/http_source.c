/* http_source.c — the "http" and "https" sources over dp__http_read (libcurl). */
#include <string.h>

#include "load/catalog.h"
#include "load/http/http_cache.h"
#include "load/http/http_read.h"
#include "load/loader.h"

typedef struct http_src {
    dp__loader *L;
    const char *scheme; /* "http" or "https" */
} http_src;

static dp_status http_source_read(void *user, const char *path, const dp_cancel *cancel,
                                  void **bytes, size_t *len)
{
    http_src *s = user;
    dp__loader *L = s->L;
    char *url = dp__key_join(L->alloc, s->scheme, path);
    if (!url)
        return DP_ERR_NOMEM;
    dp__mutex_lock(&L->lock);
    dp_http_desc cfg = L->http;
    dp__mutex_unlock(&L->lock);
    /* Acquire: pairs with the release in dp_http_cache. */
    dp__http_cache *cache = atomic_load_explicit(&L->http_cache, memory_order_acquire);
    uint64_t want; /* the content hash the catalog records for the URL, if it names it */
    bool known = cache && dp__catalog_content_hash(L, url, &want);
    dp_status st = cache ? dp__http_cache_read(cache, &cfg, L->alloc, url, known ? &want : NULL,
                                               cancel, bytes, len)
                         : dp__http_read(&cfg, L->alloc, url, cancel, bytes, len);
    dp__free(L->alloc, url);
    return st;
}

/* ---- ranged reads: a HEAD for the size, a Range request for each read ------------------- */

/* A URL the cache's catalog names is read whole instead, through the cache, so that it is
 * checked against its content hash (a range cannot be); the reads copy from it. */
typedef struct http_file {
    char *url;
    dp_http_desc cfg; /* the settings when the load started */
    void *whole;      /* the checked content, or NULL: Range requests */
    size_t whole_len;
} http_file;

static dp_status http_open(void *user, const char *path, const dp_cancel *cancel, void **file)
{
    http_src *s = user;
    dp__loader *L = s->L;
    http_file *f = dp__calloc(L->alloc, 1, sizeof *f);
    char *url = dp__key_join(L->alloc, s->scheme, path);
    if (!f || !url) {
        dp__free(L->alloc, f);
        dp__free(L->alloc, url);
        return DP_ERR_NOMEM;
    }
    f->url = url;
    dp__mutex_lock(&L->lock);
    f->cfg = L->http;
    dp__mutex_unlock(&L->lock);
    /* Acquire: pairs with the release in dp_http_cache. */
    dp__http_cache *cache = atomic_load_explicit(&L->http_cache, memory_order_acquire);
    uint64_t want;
    if (cache && dp__catalog_content_hash(L, url, &want)) {
        dp_status st = dp__http_cache_read(cache, &f->cfg, L->alloc, url, &want, cancel,
                                           &f->whole, &f->whole_len);
        if (st != DP_OK) {
            dp__free(L->alloc, url);
            dp__free(L->alloc, f);
            return st;
        }
    }
    *file = f;
    return DP_OK;
}

static dp_status http_size(void *user, void *file, uint64_t *size)
{
    (void)user;
    http_file *f = file;
    if (f->whole) {
        *size = f->whole_len;
        return DP_OK;
    }
    return dp__http_size(&f->cfg, f->url, NULL, size);
}

static dp_status http_read_at(void *user, void *file, uint64_t offset, void *buf, size_t len,
                              const dp_cancel *cancel)
{
    (void)user;
    http_file *f = file;
    if (f->whole) { /* the reader checked the range against the size */
        memcpy(buf, (const char *)f->whole + offset, len);
        return DP_OK;
    }
    return dp__http_read_range(&f->cfg, f->url, cancel, offset, buf, len);
}

static void http_close(void *user, void *file)
{
    http_src *s = user;
    http_file *f = file;
    dp__free(s->L->alloc, f->whole);
    dp__free(s->L->alloc, f->url);
    dp__free(s->L->alloc, f);
}

static void http_free_bytes(void *user, void *bytes)
{
    http_src *s = user;
    dp__free(s->L->alloc, bytes);
}

static void http_destroy(void *user)
{
    http_src *s = user;
    if (!strcmp(s->scheme, "http")) {
        /* Both sources share the cache; the first destroyed (dp_destroy, workers joined)
         * frees it. */
        /* Relaxed, here and in the store below: no worker runs any more (see above). */
        dp__http_cache_free(s->L->alloc, atomic_load_explicit(&s->L->http_cache,
                                                               memory_order_relaxed));
        atomic_store_explicit(&s->L->http_cache, NULL, memory_order_relaxed);
    }
    dp__free(s->L->alloc, s);
}

dp_status dp__http_sources_register(dp__loader *L)
{
    static const char *const schemes[] = {"http", "https"};
    for (int i = 0; i < 2; i++) {
        http_src *s = dp__alloc(L->alloc, sizeof *s);
        if (!s)
            return DP_ERR_NOMEM;
        s->L = L;
        s->scheme = schemes[i];
        dp_source src = {.scheme = schemes[i], .read = http_source_read,
                         .free_bytes = http_free_bytes, .destroy = http_destroy, .user = s,
                         .open = http_open, .size = http_size, .read_at = http_read_at,
                         .close = http_close, .load_class = DP_CLASS_NETWORK};
        dp_status st = dp__source_add(L, &src);
        if (st != DP_OK) {
            dp__free(L->alloc, s);
            return st;
        }
    }
    return DP_OK;
}

dp_status dp_http_configure(dp_depot *dp, const dp_http_desc *desc)
{
    if (!dp || !desc || desc->connect_timeout_ms < 0 || desc->total_timeout_ms < 0)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__loader *L = dp__loader_get(dp);
    if (!L)
        return DP_ERR_NOMEM;
    /* Workers copy the settings at the start of each read; a change applies to later reads.
     * The write is under the loader lock so that a concurrent copy sees whole values. */
    dp__mutex_lock(&L->lock);
    L->http = *desc;
    dp__mutex_unlock(&L->lock);
    return DP_OK;
}
