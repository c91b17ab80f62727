/* folder.h — reading files under a canonical root folder, whole or at offsets, with every
 * escape refused (the root file source and mounted folders share this). */
#ifndef DEPOT_LOAD_FOLDER_H
#define DEPOT_LOAD_FOLDER_H

#include "depot/load.h"

/* A folder: its canonical absolute path (from dp__path_root) and the allocator. */
typedef struct dp__folder {
    const dp_allocator *alloc;
    const char *root; /* NULL: the folder does not exist (`missing` says why) */
    dp_status missing;
    const int *root_fd; /* root open as a folder (dp__path_root_open), or NULL: a whole read
                           tries dp__path_open_beneath with it before resolving the path */
} dp__folder;

/* Whether `path` (already checked lexically) names a regular file inside the folder. */
bool dp__folder_has(const dp__folder *f, const char *path);
/* Reads `path` whole (NUL-terminated; free with dp__free). Errors of dp__file_read, and
 * DP_ERR_INVALID for a path whose real location is outside the root. */
dp_status dp__folder_read(const dp__folder *f, const char *path, const dp_cancel *cancel,
                          void **bytes, size_t *len);
/* Ranged reads: open (an allocated handle), size, read exactly len bytes at offset, close. */
dp_status dp__folder_open(const dp__folder *f, const char *path, void **file);
dp_status dp__folder_size(void *file, uint64_t *size);
dp_status dp__folder_read_at(void *file, uint64_t offset, void *buf, size_t len);
void dp__folder_close(const dp__folder *f, void *file);

/* dp_source.list over the folder: the files directly in `folder` ("" = the root, else a
 * path already checked lexically, no trailing '/') or (recursive) anywhere below it, as
 * paths from the root ("a/b.png"); files whose names no key can hold, names starting with
 * '.' and symbolic links are left out. DP_OK; DP_ERR_NOT_FOUND (no such folder);
 * DP_ERR_INVALID (its real location is outside the root); DP_ERR_IO; DP_ERR_NOMEM. */
dp_status dp__folder_list(const dp__folder *f, const char *folder, bool recursive,
                          void (*found)(void *ctx, const char *path), void *ctx);

/* Fills the ranged-read and listing fields of the root file source (user = the
 * dp__loader). */
void dp__file_source_fill(dp_source *vt);

#endif
