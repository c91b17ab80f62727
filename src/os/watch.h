/* watch.h — file change notification (inotify on Linux) with debounce.
 * Owned and used by one thread (the depot's owner). OS-specific; a port replaces watch.c. */
#ifndef DEPOT_OS_WATCH_H
#define DEPOT_OS_WATCH_H

#include <stdbool.h>
#include <stddef.h>
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
 * same file twice is fine. A file whose folder does not exist (yet, or any more) is watched
 * from the poll after its folder appears, and is then reported as changed; a folder deleted
 * and made again is watched again the same way. DP_OK; DP_ERR_IO; DP_ERR_NOMEM. */
dp_status dp__watch_add(dp__watch *w, const char *rel);
/* As dp__watch_add, with a tag the caller gets back in dp__watch_sweep (adding a watched
 * file again replaces its tag). */
dp_status dp__watch_add_tagged(dp__watch *w, const char *rel, uint64_t tag);

/* Stops reporting `rel`. */
void dp__watch_remove(dp__watch *w, const char *rel);

/* Looks at up to `budget` files, round robin, and stops watching each for which `keep`
 * returns false. Bounded work per call, so it may run every poll. */
void dp__watch_sweep(dp__watch *w, size_t budget,
                     bool (*keep)(void *ctx, const char *rel, uint64_t tag), void *ctx);

/* Number of watched files. */
size_t dp__watch_count(const dp__watch *w);

/* Table entries looked at so far by lookups (add, remove, an event) and by polls: expected
 * O(1) per add, remove and event, and per poll O(files changed since), whatever the number
 * of files watched. Lets a test assert the cost without timing it. */
uint64_t dp__watch_work(const dp__watch *w);

/* Never blocks: reads pending notifications and calls `changed` once for each watched
 * path whose debounce period has passed. */
void dp__watch_poll(dp__watch *w, void (*changed)(void *ctx, const char *rel), void *ctx);

/* Frees everything; NULL is ignored. */
void dp__watch_destroy(dp__watch *w);

#endif
