/* fs.h — reading whole files. OS-specific; a port replaces fs.c. */
#ifndef DEPOT_OS_FS_H
#define DEPOT_OS_FS_H

#include <fcntl.h>

#include "depot/common.h"

/* Asked between chunks of a long read; true stops it with DP_ERR_CANCELLED. */
typedef bool (*dp__stop_fn)(const void *arg);

/* Reads the whole file at absolute path `path` into a buffer allocated with `a` (with one
 * extra NUL byte after the content, not counted in *len). Calls stop(stop_arg) (stop may be
 * NULL) before opening and between chunks. A file larger than `max_bytes` (0 = 1 GiB) is
 * refused.
 * DP_OK; DP_ERR_NOT_FOUND (no such file); DP_ERR_IO (other errors, a directory);
 * DP_ERR_FORMAT (too large); DP_ERR_CANCELLED; DP_ERR_NOMEM. On error nothing is allocated. */
dp_status dp__file_read(const dp_allocator *a, const char *path, size_t max_bytes,
                        dp__stop_fn stop, const void *stop_arg, void **bytes, size_t *len);

/* The flags dp__file_read opens with (O_NONBLOCK: a FIFO does not block the open). */
#define DP__FILE_READ_FLAGS (O_RDONLY | O_CLOEXEC | O_NONBLOCK)

/* dp__file_read of a file already open as `fd` (opened with DP__FILE_READ_FLAGS), which it
 * closes in every case. The same checks (a regular file, the size limit) and results. */
dp_status dp__file_read_fd(const dp_allocator *a, int fd, size_t max_bytes, dp__stop_fn stop,
                           const void *stop_arg, void **bytes, size_t *len);

/* Number of online CPUs, at least 1. */
int dp__cpu_count(void);

#endif
