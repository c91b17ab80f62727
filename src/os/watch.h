/* watch.h — file change notification (inotify on Linux) with debounce.
 * Owned and used by one thread (the depot's owner). OS-specific; a port replaces watch.c. */
#ifndef DEPOT_OS_WATCH_H
#define DEPOT_OS_WATCH_H

#include <stdint.h>

#include "depot/common.h"

typedef struct dp__watch dp__watch;

/* Creates a watcher for files under `root_canon`. A path is reported once it has been
 * quiet for `debounce_ms` after its last change (0 = 50 ms), so several writes in quick
 * succession give one report. Editors that save by writing a temp file and renaming it
 * over the original are seen as a change of the original.
 * DP_OK; DP_ERR_IO (inotify unavailable); DP_ERR_NOMEM. */
dp_status dp__watch_create(const dp_allocator *a, const char *root_canon, uint32_t debounce_ms,
                           dp__watch **out);

/* Starts watching the file `rel` (relative to the root, already checked). Watching the
 * same file twice is fine. DP_OK; DP_ERR_IO; DP_ERR_NOT_FOUND (its folder does not exist);
 * DP_ERR_NOMEM. */
dp_status dp__watch_add(dp__watch *w, const char *rel);

/* Stops reporting `rel`. */
void dp__watch_remove(dp__watch *w, const char *rel);

/* Never blocks: reads pending notifications and calls `changed` once for each watched
 * path whose debounce period has passed. */
void dp__watch_poll(dp__watch *w, void (*changed)(void *ctx, const char *rel), void *ctx);

/* Frees everything; NULL is ignored. */
void dp__watch_destroy(dp__watch *w);

#endif
