/* progress.h — the trackers behind dp_progress and dp_group_progress (progress.c): what the
 * registry's files call when something a tracker counts changes. All owner thread; each is
 * one flag test (or one NULL test) when nothing is tracked. */
#ifndef DEPOT_ASSET_PROGRESS_H
#define DEPOT_ASSET_PROGRESS_H

#include "depot/asset.h"

/* h's own state or byte size changed. */
void dp__progress_state(dp_depot *dp, dp_handle h);
/* An edge parent -> child was added (dir +1) or removed (dir -1). */
void dp__progress_edge(dp_depot *dp, dp_handle parent, dp_handle child, int dir);
/* A group gained (+1) or lost (-1; member may be null for "several") a member. */
void dp__progress_group(dp_depot *dp, dp_group g, dp_handle member, int dir);
/* A group is being destroyed: its tracker ends. */
void dp__progress_group_gone(dp_depot *dp, dp_group g);
/* h is being freed; oflags are its owner flags before the free clears them. */
void dp__progress_freed(dp_depot *dp, dp_handle h, uint8_t oflags);
/* dp_destroy: frees every tracker. */
void dp__progress_free(dp_depot *dp);

#endif
