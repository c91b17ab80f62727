/* mount.h — the overlay of mounted packs and folders that keys without a scheme resolve
 * through, highest priority first, before the root folder (dp_mount, dp_unmount).
 *
 * The mounts form an immutable set, replaced as a whole by dp_mount and dp_unmount on the
 * owner thread; a worker takes a reference on the current set for the length of one read,
 * so an unmounted pack is closed only when the last read through it has finished. */
#ifndef DEPOT_LOAD_MOUNT_H
#define DEPOT_LOAD_MOUNT_H

#include "load/loader.h"

struct dp__mount_set;

/* Finds the highest-priority mount that has `path`: DP_OK-like true with its source vtable
 * in *vt and a reference on the set in *hold (drop it with dp__mounts_drop after the read);
 * false when no mount has it (or there are none). Worker threads. */
bool dp__mounts_pick(dp__loader *L, const char *path, dp_source *vt,
                     struct dp__mount_set **hold);
/* Drops a reference from dp__mounts_pick; NULL is ignored. Any thread. */
void dp__mounts_drop(struct dp__mount_set *set);

/* Hot reload: watches `path` in the mounted folder that serves it, if a folder mount does;
 * true when it did (the root watcher is then not asked). Owner thread. */
bool dp__mounts_watch(dp__loader *L, const char *path);
/* Reports changed files of watched mounted folders (their keys are the bare paths). */
void dp__mounts_poll(dp__loader *L, void (*changed)(void *ctx, const char *rel), void *ctx);
/* Lists `folder` (as dp_source.list) in every mount: `found` may get a path more than once
 * (from several mounts). DP_OK when some mount has the folder; DP_ERR_NOT_FOUND when none
 * does (or there are no mounts); else the first mount's error. Any thread. */
dp_status dp__mounts_list(dp__loader *L, const char *folder, bool recursive,
                          void (*found)(void *ctx, const char *path), void *ctx);
/* Frees every mount (after the workers are joined). */
void dp__mounts_free(dp__loader *L);

#endif
