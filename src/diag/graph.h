/* graph.h — what the diagnostics need to walk the registry: live assets, their incoming
 * edge and group counts (slots are walked with dp__live_at). Owner thread. */
#ifndef DEPOT_DIAG_GRAPH_H
#define DEPOT_DIAG_GRAPH_H

#include "asset/asset_internal.h"

typedef struct dp__graph {
    uint64_t n;          /* slots scanned (pool high water) */
    uint32_t *incoming;  /* per slot: edges from live parents */
    uint32_t *grouped;   /* per slot: group memberships */
} dp__graph;

/* Counts incoming edges and group memberships of every live asset. DP_OK or NOMEM. */
dp_status dp__graph_build(const dp_depot *dp, dp__graph *g);
void dp__graph_free(const dp_depot *dp, dp__graph *g);
/* A printable name: the key, or "#index". */
const char *dp__graph_name(const dp_depot *dp, dp_handle h, char *buf, size_t cap);

#endif
