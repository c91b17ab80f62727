/* quarantine.h — the lifetime sanitizer (dp_desc.debug_lifetimes): asset data that left the
 * registry (freed, evicted, replaced by a reload) waits here for a number of updates before
 * its type's destroy runs, poisoned, so that a read through a stale dp_get pointer is caught
 * and named. src/asset's free and retire paths hand data over through dp__data_dispose;
 * everything else about the quarantine is private to quarantine.c. Owner thread throughout,
 * except the sanitizer's report hook, which runs on whichever thread trapped. */
#ifndef DEPOT_ASSET_QUARANTINE_H
#define DEPOT_ASSET_QUARANTINE_H

#include <stdint.h>

#include "depot/asset.h"

/* Why data left its asset; the report names it. */
enum dp__why {
    DP__WHY_RELEASED, /* its count reached 0 and the next update freed it */
    DP__WHY_CASCADE,  /* its last count was an edge of an asset freed in the same update */
    DP__WHY_CACHE,    /* the unused cache let it go (budget, or dp_release_unused) */
    DP__WHY_CYCLE,    /* cyclic garbage */
    DP__WHY_EVICTED,  /* dp_evict */
    DP__WHY_RELOADED, /* a reload swapped new data in */
    DP__WHY_REPLACED, /* dp_replace swapped new data in */
    DP__WHY_RESIDENCY, /* a soft budget dropped or demoted it (residency.c) */
    DP__WHY_DESTROY   /* dp_destroy (never quarantined: reported only) */
};

/* The updates the quarantine keeps data for a depot made with `d` (0 = off): d's
 * debug_lifetimes if set (DP_LIFETIMES_OFF = 0), else DEPOT_DEBUG_LIFETIMES from the
 * environment, else the build's default (DP_LIFETIMES_DEFAULT in the ASan build). dp_create. */
uint32_t dp__lifetimes_setting(const dp_desc *d);

/* What the report says about one datum: made when the data leaves its asset. */
typedef struct dp__qlabel dp__qlabel;

/* A label for data of asset h (key may be NULL) leaving for `why`, with the update number
 * and h's last recorded acquire site. NULL when debug_lifetimes is off or on NOMEM (the data
 * is then destroyed as without the option). Owner thread. */
dp__qlabel *dp__quarantine_label(dp_depot *dp, dp_handle h, const char *key, uint8_t why);
/* Destroys `data` through its type now, or, given a label, quarantines it (the label moves
 * in). Owner thread. */
void dp__data_dispose(dp_depot *dp, dp_type_id type, void *data, dp__qlabel *label);
/* Frees a label that was not used. */
void dp__quarantine_unlabel(dp_depot *dp, dp__qlabel *label);
/* Start of dp_update: data quarantined debug_lifetimes updates ago is checked and destroyed. */
void dp__quarantine_advance(dp_depot *dp);
/* dp_destroy: checks and destroys everything quarantined. */
void dp__quarantine_free(dp_depot *dp);

#endif
