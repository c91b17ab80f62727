/* catalog.h — stable ids and redirects (dp_catalog_load, and the http cache's remote
 * catalog): "id:0x..." keys and renamed keys resolve to the current key before anything
 * else looks at them, and the http cache checks downloads against the content hashes. */
#ifndef DEPOT_LOAD_CATALOG_H
#define DEPOT_LOAD_CATALOG_H

#include "load/loader.h"

/* If `key` is "id:0x<hex>" or a file key the catalog redirects (a label after '#' is kept),
 * *out gets the key to load instead (allocated with L->alloc); otherwise *out is NULL.
 * DP_OK; DP_ERR_INVALID (a malformed id, a redirect loop); DP_ERR_NOT_FOUND (an id no
 * catalog names, or "id:" keys without a catalog); DP_ERR_NOMEM. Any thread. */
dp_status dp__catalog_resolve(dp__loader *L, const char *key, char **out);

/* Publishes the remote catalog fetched from `url` (dp_http_cache_desc.catalog): `text`
 * (len bytes, NUL-terminated, from L->alloc) is taken in every case. Its keys are paths
 * under the URL's folder. DP_OK; DP_ERR_FORMAT; DP_ERR_INVALID (a URL without a folder);
 * DP_ERR_NOMEM. Owner thread. */
dp_status dp__catalog_set_remote(dp__loader *L, const char *url, void *text, size_t len);

/* The content hash (XXH3-64) a catalog records for `key` (a local catalog's key, or a URL
 * under the remote catalog's folder): true with *hash, or false. Any thread. */
bool dp__catalog_content_hash(dp__loader *L, const char *key, uint64_t *hash);

/* XXH3-64 of the bytes, the content hash catalogs record: true with *out, or false in a
 * build without libxxhash (pack/content_hash.c, pack_none.c). */
bool dp__content_hash(const void *bytes, size_t len, uint64_t *out);

/* Frees the catalog and every one it replaced (dp_destroy, workers joined). */
void dp__catalog_free(dp__loader *L);

#endif
