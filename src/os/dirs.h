/* dirs.h — the few folder operations the http disk cache and folder listing need: make a
 * folder, list its files with size and last-use time, walk a tree, mark a file used.
 * OS-specific (POSIX); a port replaces dirs.c. */
#ifndef DEPOT_OS_DIRS_H
#define DEPOT_OS_DIRS_H

#include <stdbool.h>
#include <stdint.h>

#include "depot/common.h"

/* Makes the folder (one level) if it does not exist. DP_OK; DP_ERR_IO. */
dp_status dp__dir_make(const char *path);

/* Calls fn for each regular file in `dir` (not below it): its name, size, last use
 * (access time, nanoseconds) and last change (modification time, nanoseconds). DP_OK;
 * DP_ERR_NOT_FOUND; DP_ERR_IO. */
dp_status dp__dir_files(const char *dir,
                        void (*fn)(void *ctx, const char *name, uint64_t size, uint64_t used_ns,
                                   uint64_t changed_ns),
                        void *ctx);

/* Calls fn with the path (relative to `dir`, '/'-separated) of each regular file in `dir`,
 * and with `recursive` of each one in the folders below it. Names starting with '.' are
 * skipped, symbolic links are neither listed nor followed (a walk never leaves `dir`), and
 * folders nest at most 64 deep. Unordered. DP_OK; DP_ERR_NOT_FOUND (`dir` is missing or
 * not a folder); DP_ERR_IO. Allocates nothing. */
dp_status dp__dir_walk(const char *dir, bool recursive, void (*fn)(void *ctx, const char *rel),
                       void *ctx);

/* Sets a file's access time to now (its modification time stays): "used". */
void dp__file_mark_used(const char *path);
/* Sets a file's modification time to now: "checked". */
void dp__file_mark_checked(const char *path);
/* Modification time of a file in nanoseconds; 0 if it does not exist. */
uint64_t dp__file_changed_ns(const char *path);
/* The realtime clock in nanoseconds (file times are on it). */
uint64_t dp__wall_ns(void);

#endif
