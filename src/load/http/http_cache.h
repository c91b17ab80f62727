/* http_cache.h — the http source's disk cache (dp_http_cache): whole responses kept in a
 * folder, by the catalog's content hash (checked, never stale) or by URL (served while
 * fresh, revalidated with If-None-Match when stale, served stale when the server cannot be
 * reached), trimmed to a byte budget least recently used first. */
#ifndef DEPOT_LOAD_HTTP_CACHE_H
#define DEPOT_LOAD_HTTP_CACHE_H

#include "load/loader.h"

typedef struct dp__http_cache dp__http_cache;

/* Reads `url` through the cache (retrying failed transfers with exponential backoff).
 * With `want` (the catalog's content hash of the URL), by content: a cached copy that
 * hashes to *want is served with no request, a download that does not is DP_ERR_FORMAT
 * (said with dp_source_fail) and is not stored. Without, by URL: a network failure or
 * timeout with a cached copy serves the copy. Errors as dp__http_read. Worker threads,
 * concurrently (and the owner, for the catalog). */
dp_status dp__http_cache_read(dp__http_cache *c, const dp_http_desc *cfg, const dp_allocator *a,
                              const char *url, const uint64_t *want, const dp_cancel *cancel,
                              void **bytes, size_t *len);

/* Frees the cache (dp_destroy, workers joined); NULL is ignored. */
void dp__http_cache_free(const dp_allocator *a, dp__http_cache *c);

#endif
