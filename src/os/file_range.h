/* file_range.h — an open file read at offsets (pread), for ranged reads and packs.
 * OS-specific (POSIX); a port replaces file_range.c. Several threads may read one open file
 * at once: pread does not move a shared position. */
#ifndef DEPOT_OS_FILE_RANGE_H
#define DEPOT_OS_FILE_RANGE_H

#include <stdint.h>

#include "depot/common.h"

typedef struct dp__file {
    int fd;
    uint64_t size; /* at open */
} dp__file;

/* Opens the regular file at `path` for reading. DP_OK; DP_ERR_NOT_FOUND; DP_ERR_IO (other
 * errors, not a regular file); DP_ERR_NOMEM. */
dp_status dp__file_open(const char *path, dp__file *out);

/* Reads exactly `len` bytes at `offset`, retrying short reads. DP_OK; DP_ERR_FORMAT (the
 * file ends first); DP_ERR_IO. Any thread, concurrently with other reads of the file. */
dp_status dp__file_pread(const dp__file *f, uint64_t offset, void *buf, size_t len);

/* Closes it; a file whose open failed may be passed (nothing happens). */
void dp__file_close(dp__file *f);

#endif
