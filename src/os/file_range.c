/* file_range.c — see file_range.h (POSIX open/fstat/pread). */
#include "os/file_range.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

dp_status dp__file_open(const char *path, dp__file *out)
{
    out->fd = -1;
    out->size = 0;
    if (!path)
        return DP_ERR_INVALID;
    /* O_NONBLOCK keeps open() from waiting on a FIFO; it does not affect regular files. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return DP_ERR_NOT_FOUND;
        return errno == ENOMEM ? DP_ERR_NOMEM : DP_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
        close(fd);
        return DP_ERR_IO;
    }
    out->fd = fd;
    out->size = (uint64_t)st.st_size;
    return DP_OK;
}

dp_status dp__file_pread(const dp__file *f, uint64_t offset, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        if (offset > (uint64_t)INT64_MAX)
            return DP_ERR_FORMAT;
        ssize_t n = pread(f->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return DP_ERR_IO;
        if (n == 0)
            return DP_ERR_FORMAT; /* the file is shorter than the range */
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return DP_OK;
}

void dp__file_close(dp__file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}
