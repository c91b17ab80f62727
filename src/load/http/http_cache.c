/* http_cache.c — see http_cache.h; dp_http_cache.
 *
 * Two kinds of entry share the folder, its budget and its eviction order:
 * - A URL the catalog names is kept by content: "c-<16 hex content hash>.dpc" holds the
 *   body alone. It is stored only when the download's hash is the catalog's, and served
 *   only when the file's hash still is (a torn or damaged file is fetched again). It never
 *   goes stale: a changed catalog names a new hash, so a new file.
 * - Any other URL: "<16 hex FNV-1a of the URL>.dpc": "depot-http-cache 1\n", the URL, the
 *   ETag and the body length on a line each, then the body, read back only when its URL and
 *   length check out. Its modification time is when the server last confirmed it (fresh
 *   for fresh_ms).
 * A file is written under a temporary name and renamed into place, so a crash mid-download
 * never leaves a partial body that is served. Its access time is when it was last used
 * (the eviction order). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/catalog.h"
#include "load/http/http_cache.h"
#include "load/http/http_read.h"
#include "os/dirs.h"
#include "os/fs.h"

#define MAGIC "depot-http-cache 1\n"
#define ETAG_CAP 256

struct dp__http_cache {
    char *dir;
    uint64_t max_bytes, fresh_ns;
    int retries;
    long base_ms;
    dp__mutex lock;        /* stores and evictions, one at a time */
    atomic_uint seq;       /* temporary file names */
};

/* ---- entries ----------------------------------------------------------------------------- */

static void entry_path(const dp__http_cache *c, const char *url, char *out, size_t cap)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *s = url; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    snprintf(out, cap, "%s/%016llx.dpc", c->dir, (unsigned long long)h);
}

/* The cached body of url (moved to the start of its buffer) and its ETag; false on a miss
 * or a file that does not check out. */
static bool entry_read(const dp_allocator *a, const char *path, const char *url, char *etag,
                       void **bytes, size_t *len)
{
    void *buf;
    size_t n;
    if (dp__file_read(a, path, 0, NULL, NULL, &buf, &n) != DP_OK)
        return false;
    char *s = buf, *end = s + n;
    size_t ml = strlen(MAGIC), ul = strlen(url);
    char *p = s + ml;
    bool ok = n > ml + ul + 1 && !memcmp(s, MAGIC, ml) && !memcmp(p, url, ul) && p[ul] == '\n';
    char *e = ok ? p + ul + 1 : NULL;
    char *nl = ok ? memchr(e, '\n', (size_t)(end - e)) : NULL;
    char *lenl = nl ? nl + 1 : NULL;
    char *nl2 = lenl ? memchr(lenl, '\n', (size_t)(end - lenl)) : NULL;
    ok = nl2 && (size_t)(nl - e) < ETAG_CAP;
    if (ok) {
        unsigned long long want = strtoull(lenl, NULL, 10);
        char *body = nl2 + 1;
        ok = want == (unsigned long long)(end - body);
        if (ok) {
            memcpy(etag, e, (size_t)(nl - e));
            etag[nl - e] = 0;
            *len = (size_t)want;
            memmove(s, body, *len);
            s[*len] = 0;
            *bytes = s;
        }
    }
    if (!ok)
        dp__free(a, buf);
    return ok;
}

typedef struct scan {
    const dp_allocator *a;
    struct file { char name[64]; uint64_t size, used; } *v;
    size_t n, cap;
    uint64_t total;
} scan;

static void on_file(void *ctx, const char *name, uint64_t size, uint64_t used, uint64_t changed)
{
    (void)changed;
    scan *sc = ctx;
    size_t nl = strlen(name);
    if (nl < 5 || nl >= sizeof sc->v[0].name || strcmp(name + nl - 4, ".dpc") != 0)
        return;
    if (sc->n == sc->cap &&
        dp__grow(sc->a, (void **)&sc->v, &sc->cap, sc->n + 1, sizeof *sc->v) != DP_OK)
        return;
    memcpy(sc->v[sc->n].name, name, nl + 1);
    sc->v[sc->n].size = size;
    sc->v[sc->n++].used = used;
    sc->total += size;
}

static int by_used(const void *x, const void *y)
{
    uint64_t a = ((const struct file *)x)->used, b = ((const struct file *)y)->used;
    return a < b ? -1 : a > b;
}

/* Removes the least recently used entries until the folder is within its budget. */
static void evict(const dp__http_cache *c, const dp_allocator *a)
{
    scan sc = {.a = a};
    dp__dir_files(c->dir, on_file, &sc);
    if (sc.n)
        qsort(sc.v, sc.n, sizeof *sc.v, by_used);
    for (size_t i = 0; i < sc.n && sc.total > c->max_bytes; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", c->dir, sc.v[i].name);
        if (remove(path) == 0)
            sc.total -= sc.v[i].size;
    }
    dp__free(a, sc.v);
}

/* Stores an entry: with a url, its header first; without, the body alone (by content). */
static void entry_store(dp__http_cache *c, const dp_allocator *a, const char *path,
                        const char *url, const char *etag, const void *bytes, size_t len)
{
    char tmp[4300];
    /* Relaxed: the counter only makes temporary file names unique; nothing is published through
     * it. */
    snprintf(tmp, sizeof tmp, "%s.tmp%u", path,
             atomic_fetch_add_explicit(&c->seq, 1, memory_order_relaxed));
    FILE *f = fopen(tmp, "wb");
    bool ok = f && (!url || fprintf(f, "%s%s\n%s\n%zu\n", MAGIC, url, etag, len) > 0) &&
              fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    /* Best effort: a cache that cannot be written still serves the download. */
    dp__mutex_lock(&c->lock);
    if (!ok || rename(tmp, path) != 0)
        remove(tmp);
    else
        evict(c, a);
    dp__mutex_unlock(&c->lock);
}

/* ---- reading through the cache --------------------------------------------------------- */

/* Waits base * 2^attempt ms, looking at the token every 10 ms; false when cancelled. */
static bool backoff(const dp__http_cache *c, int attempt, const dp_cancel *cancel)
{
    uint64_t ms = (uint64_t)c->base_ms << (attempt < 16 ? attempt : 16);
    for (uint64_t waited = 0; waited < ms; waited += 10) {
        if (dp_cancelled(cancel))
            return false;
        dp__sleep_ms(10);
    }
    return !dp_cancelled(cancel);
}

static dp_status fetch_with_retries(const dp__http_cache *c, const dp_http_desc *cfg,
                                    const dp_allocator *a, const char *url,
                                    const dp_cancel *cancel, const char *if_none_match,
                                    char *etag, bool *not_modified, void **bytes, size_t *len)
{
    for (int attempt = 0;; attempt++) {
        dp_status st = dp__http_fetch(cfg, a, url, cancel, if_none_match, etag, ETAG_CAP,
                                      not_modified, bytes, len);
        if ((st != DP_ERR_NET && st != DP_ERR_TIMEOUT) || attempt >= c->retries)
            return st;
        if (!backoff(c, attempt, cancel))
            return DP_ERR_CANCELLED;
    }
}

/* ---- entries by content ------------------------------------------------------------------ */

/* The cached body of content `want`, if its file is there and still hashes to it; a file
 * that does not is removed (fetched again). */
static bool content_read(dp__http_cache *c, const dp_allocator *a, const char *path,
                         uint64_t want, void **bytes, size_t *len)
{
    uint64_t got;
    if (dp__file_read(a, path, 0, NULL, NULL, bytes, len) != DP_OK)
        return false;
    if (dp__content_hash(*bytes, *len, &got) && got == want) {
        dp__file_mark_used(path);
        return true;
    }
    dp__free(a, *bytes);
    *bytes = NULL;
    dp__mutex_lock(&c->lock);
    remove(path);
    dp__mutex_unlock(&c->lock);
    return false;
}

static dp_status content_fetch(dp__http_cache *c, const dp_http_desc *cfg,
                               const dp_allocator *a, const char *url, uint64_t want,
                               const dp_cancel *cancel, void **bytes, size_t *len)
{
    char path[4200], etag[ETAG_CAP];
    snprintf(path, sizeof path, "%s/c-%016llx.dpc", c->dir, (unsigned long long)want);
    if (content_read(c, a, path, want, bytes, len))
        return DP_OK;
    bool not_modified = false;
    dp_status st = fetch_with_retries(c, cfg, a, url, cancel, NULL, etag, &not_modified, bytes,
                                      len);
    if (st != DP_OK)
        return st;
    uint64_t got = 0;
    if (!dp__content_hash(*bytes, *len, &got) || got != want) {
        dp__free(a, *bytes);
        *bytes = NULL;
        return dp_source_fail(cancel, DP_ERR_FORMAT,
                              "%s: the download's content hash is 0x%016llx, the catalog's "
                              "0x%016llx; not cached", url, (unsigned long long)got,
                              (unsigned long long)want);
    }
    entry_store(c, a, path, NULL, NULL, *bytes, *len);
    return DP_OK;
}

/* ---- entries by URL ------------------------------------------------------------------------ */

dp_status dp__http_cache_read(dp__http_cache *c, const dp_http_desc *cfg, const dp_allocator *a,
                              const char *url, const uint64_t *want, const dp_cancel *cancel,
                              void **bytes, size_t *len)
{
    if (want)
        return content_fetch(c, cfg, a, url, *want, cancel, bytes, len);
    char path[4200], old_etag[ETAG_CAP] = "", etag[ETAG_CAP] = "";
    entry_path(c, url, path, sizeof path);
    void *cached = NULL;
    size_t cached_len = 0;
    bool have = entry_read(a, path, url, old_etag, &cached, &cached_len);
    if (have && dp__wall_ns() - dp__file_changed_ns(path) < c->fresh_ns) {
        dp__file_mark_used(path); /* fresh: no request at all */
        *bytes = cached;
        *len = cached_len;
        return DP_OK;
    }
    bool not_modified = false;
    dp_status st = fetch_with_retries(c, cfg, a, url, cancel, have ? old_etag : NULL, etag,
                                      &not_modified, bytes, len);
    if (have && (not_modified || st == DP_ERR_NET || st == DP_ERR_TIMEOUT)) {
        /* Confirmed by the server (304), or the server cannot be reached: the copy serves. */
        if (not_modified)
            dp__file_mark_checked(path);
        dp__file_mark_used(path);
        *bytes = cached;
        *len = cached_len;
        return DP_OK;
    }
    dp__free(a, cached);
    if (st == DP_OK)
        entry_store(c, a, path, url, etag, *bytes, *len);
    else if (st == DP_ERR_NOT_FOUND && have)
        remove(path); /* gone from the server: gone from the cache */
    return st;
}

/* ---- setup ----------------------------------------------------------------------------------- */

void dp__http_cache_free(const dp_allocator *a, dp__http_cache *c)
{
    if (!c)
        return;
    dp__mutex_destroy(&c->lock);
    dp__free(a, c->dir);
    dp__free(a, c);
}

/* Leftovers of a crash mid-download: temporary files, never served, removed. */
static void on_leftover(void *ctx, const char *name, uint64_t size, uint64_t used, uint64_t changed)
{
    (void)size;
    (void)used;
    (void)changed;
    const dp__http_cache *c = ctx;
    if (strstr(name, ".dpc.tmp")) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", c->dir, name);
        remove(path);
    }
}

/* Fetches the remote catalog through the cache (by URL: revalidated when stale, the copy
 * served when the server is down) and publishes it. Owner thread, before any http load. */
static dp_status fetch_catalog(dp__loader *L, dp__http_cache *c, const char *url)
{
    uint64_t probe;
    if (!dp__content_hash("", 0, &probe))
        return DP_ERR_UNSUPPORTED; /* no libxxhash: nothing could be checked */
    dp__mutex_lock(&L->lock);
    dp_http_desc cfg = L->http;
    dp__mutex_unlock(&L->lock);
    void *text;
    size_t len;
    dp_status st = dp__http_cache_read(c, &cfg, L->alloc, url, NULL, NULL, &text, &len);
    return st == DP_OK ? dp__catalog_set_remote(L, url, text, len) : st;
}

static bool http_url(const char *s)
{
    return s && (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8)) &&
           strchr(strstr(s, "://") + 3, '/') && strlen(s) < 4000;
}

dp_status dp_http_cache(dp_depot *dp, const dp_http_cache_desc *desc)
{
    if (!dp || !desc || !desc->dir || !desc->dir[0] || strlen(desc->dir) > 3900 ||
        desc->retries < 0 || desc->fresh_ms < 0 || desc->retry_base_ms < 0 ||
        (desc->catalog && !http_url(desc->catalog)))
        return DP_ERR_INVALID;
    dp__loader *L;
    dp_status st = dp__loader_owner(dp, &L);
    if (st != DP_OK)
        return st;
    /* Relaxed: only the owner sets the cache, and this is the owner. */
    if (atomic_load_explicit(&L->http_cache, memory_order_relaxed))
        return DP_ERR_EXISTS;
    if (dp__dir_make(desc->dir) != DP_OK)
        return DP_ERR_IO;
    dp__http_cache *c = dp__calloc(L->alloc, 1, sizeof *c);
    if (!c || !(c->dir = dp__strdup(L->alloc, desc->dir))) {
        dp__free(L->alloc, c);
        return DP_ERR_NOMEM;
    }
    c->max_bytes = desc->max_bytes ? desc->max_bytes : (uint64_t)256 << 20;
    c->fresh_ns = (uint64_t)(desc->fresh_ms ? desc->fresh_ms : 60000) * 1000000u;
    c->retries = desc->retries ? desc->retries : 3;
    c->base_ms = desc->retry_base_ms ? desc->retry_base_ms : 100;
    dp__mutex_init(&c->lock);
    atomic_init(&c->seq, 0);
    dp__dir_files(c->dir, on_leftover, c);
    st = desc->catalog ? fetch_catalog(L, c, desc->catalog) : DP_OK;
    if (st != DP_OK) {
        dp__http_cache_free(L->alloc, c);
        return st;
    }
    /* Release: the cache is complete before a worker can see it. */
    atomic_store_explicit(&L->http_cache, c, memory_order_release);
    return DP_OK;
}
