/* fs.h — reading whole files. OS-specific; a port replaces fs.c. */
#ifndef DEPOT_OS_FS_H
#define DEPOT_OS_FS_H

#include "depot/common.h"

struct dp_cancel;

/* Reads the whole file at absolute path `path` into a buffer allocated with `a` (with one
 * extra NUL byte after the content, not counted in *len). Polls `cancel` (may be NULL)
 * between chunks. A file larger than `max_bytes` (0 = 1 GiB) is refused.
 * DP_OK; DP_ERR_NOT_FOUND (no such file); DP_ERR_IO (other errors, a directory);
 * DP_ERR_FORMAT (too large); DP_ERR_CANCELLED; DP_ERR_NOMEM. On error nothing is allocated. */
dp_status dp__file_read(const dp_allocator *a, const char *path, size_t max_bytes,
                        const struct dp_cancel *cancel, void **bytes, size_t *len);

/* Number of online CPUs, at least 1. */
int dp__cpu_count(void);

#endif
