/* graph.h — what the diagnostics add to the registry's graph walk (dp__graph_build in
 * asset/registry.h): printable names. Owner thread. */
#ifndef DEPOT_DIAG_GRAPH_H
#define DEPOT_DIAG_GRAPH_H

#include "asset/registry.h"

/* A printable name: the key, or "#index". */
const char *dp__graph_name(const dp_depot *dp, dp_handle h, char *buf, size_t cap);

#endif
