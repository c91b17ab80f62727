/* catalog.h — stable ids and redirects (dp_catalog_load): "id:0x..." keys and renamed keys
 * resolve to the current key before anything else looks at them. */
#ifndef DEPOT_LOAD_CATALOG_H
#define DEPOT_LOAD_CATALOG_H

#include "load/loader.h"

/* If `key` is "id:0x<hex>" or a file key the catalog redirects (a label after '#' is kept),
 * *out gets the key to load instead (allocated with L->alloc); otherwise *out is NULL.
 * DP_OK; DP_ERR_INVALID (a malformed id, a redirect loop); DP_ERR_NOT_FOUND (an id no
 * catalog names, or "id:" keys without a catalog); DP_ERR_NOMEM. Any thread. */
dp_status dp__catalog_resolve(dp__loader *L, const char *key, char **out);

/* Frees the catalog and every one it replaced (dp_destroy, workers joined). */
void dp__catalog_free(dp__loader *L);

#endif
