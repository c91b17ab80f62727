/* failure.h — failure details stored per asset (dp_failure): key, source, path and a
 * message, recorded by the load layer on the owner thread when a load fails. The strings are
 * owned by the depot and live at least as long as the asset; a record whose asset died is
 * dropped at the next record or at dp_destroy. Allocation failure records nothing: the
 * asset's status alone remains (dp_failure_of). */
#ifndef DEPOT_ASSET_FAILURE_H
#define DEPOT_ASSET_FAILURE_H

#include "depot/asset.h"

typedef struct dp__failures dp__failures;

/* Records (or replaces) the details of h's failure. Owner thread. Any string may be NULL. */
void dp__failure_record(dp_depot *dp, dp_handle h, const char *source, const char *path,
                        const char *message);

/* Frees every record. Owner thread, at dp_destroy. */
void dp__failures_free(dp_depot *dp);

#endif
