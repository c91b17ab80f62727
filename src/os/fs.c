/* fs.c — reading whole files with open/fstat/read (POSIX). */
#include "os/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"

/* Bytes read per read() call; the stop predicate is asked between chunks. */
#define DP_READ_CHUNK ((size_t)64 * 1024)
/* The default and largest size limit: 1 GiB. */
#define DP_READ_MAX_DEFAULT ((size_t)1 << 30)

/* Maps an errno from open() to a status. */
static dp_status open_error(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
        return DP_ERR_NOT_FOUND;
    case ENOMEM:
        return DP_ERR_NOMEM;
    default:
        return DP_ERR_IO;
    }
}

/* Replaces *buf (holding `used` bytes, capacity *cap) with a buffer of capacity `ncap`. */
static dp_status regrow(const dp_allocator *a, unsigned char **buf, size_t *cap, size_t used,
                        size_t ncap)
{
    unsigned char *n = dp__alloc(a, ncap);
    if (!n)
        return DP_ERR_NOMEM;
    if (used)
        memcpy(n, *buf, used);
    dp__free(a, *buf);
    *buf = n;
    *cap = ncap;
    return DP_OK;
}

/* Reads fd to its end into *buf (capacity *cap, *used bytes filled), growing it in chunks
 * up to max_bytes + 1; the buffer stays the caller's, also on failure. DP_OK,
 * DP_ERR_CANCELLED (stop said so), DP_ERR_FORMAT (more than max_bytes), DP_ERR_NOMEM,
 * DP_ERR_IO. */
static dp_status read_to_end(const dp_allocator *a, int fd, size_t max_bytes, dp__stop_fn stop,
                             const void *stop_arg, unsigned char **buf, size_t *cap,
                             size_t *used)
{
    for (;;) {
        if ((stop && stop(stop_arg)))
            return DP_ERR_CANCELLED;
        if (*used == *cap) {
            if (*used > max_bytes)
                return DP_ERR_FORMAT;
            size_t ncap = *cap + (*cap < DP_READ_CHUNK ? DP_READ_CHUNK : *cap);
            if (ncap > max_bytes + 1)
                ncap = max_bytes + 1;
            dp_status s = regrow(a, buf, cap, *used, ncap);
            if (s != DP_OK)
                return s;
        }
        size_t want = *cap - *used;
        if (want > DP_READ_CHUNK)
            want = DP_READ_CHUNK;
        ssize_t got = read(fd, *buf + *used, want);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return errno == ENOMEM ? DP_ERR_NOMEM : DP_ERR_IO;
        }
        if (got == 0)
            return DP_OK;
        *used += (size_t)got;
    }
}

dp_status dp__file_read(const dp_allocator *a, const char *path, size_t max_bytes,
                        dp__stop_fn stop, const void *stop_arg, void **bytes, size_t *len)
{
    if (bytes)
        *bytes = NULL;
    if (len)
        *len = 0;
    if (!a || !path || !bytes || !len)
        return DP_ERR_INVALID;
    if (max_bytes == 0 || max_bytes > DP_READ_MAX_DEFAULT)
        max_bytes = DP_READ_MAX_DEFAULT;
    if ((stop && stop(stop_arg)))
        return DP_ERR_CANCELLED;

    /* O_NONBLOCK keeps open() from waiting on a FIFO; it does not affect regular files. */
    int fd = open(path, DP__FILE_READ_FLAGS);
    if (fd < 0)
        return open_error(errno);
    return dp__file_read_fd(a, fd, max_bytes, stop, stop_arg, bytes, len);
}

dp_status dp__file_read_fd(const dp_allocator *a, int fd, size_t max_bytes, dp__stop_fn stop,
                           const void *stop_arg, void **bytes, size_t *len)
{
    if (bytes)
        *bytes = NULL;
    if (len)
        *len = 0;
    if (!a || fd < 0 || !bytes || !len) {
        if (fd >= 0)
            close(fd);
        return DP_ERR_INVALID;
    }
    if (max_bytes == 0 || max_bytes > DP_READ_MAX_DEFAULT)
        max_bytes = DP_READ_MAX_DEFAULT;
    dp_status s;
    unsigned char *buf = NULL;
    size_t cap = 0, used = 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        s = DP_ERR_IO; /* a directory, a device, a FIFO, a socket */
        goto fail;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max_bytes) {
        s = DP_ERR_FORMAT;
        goto fail;
    }
    /* The size is a hint: the file may grow or shrink while it is read. One extra byte
     * holds the NUL and lets the loop see end-of-file without a second buffer. */
    s = regrow(a, &buf, &cap, 0, (size_t)st.st_size + 1);
    if (s != DP_OK)
        goto fail;

    s = read_to_end(a, fd, max_bytes, stop, stop_arg, &buf, &cap, &used);
    if (s != DP_OK)
        goto fail;
    if (used > max_bytes) {
        s = DP_ERR_FORMAT; /* it grew past the limit while being read */
        goto fail;
    }
    /* The loop grows the buffer before a read whenever it is full, so there is room. */
    buf[used] = '\0';
    close(fd);
    *bytes = buf;
    *len = used;
    return DP_OK;

fail:
    dp__free(a, buf);
    close(fd);
    return s;
}

int dp__cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    if (n > 1024)
        return 1024;
    return (int)n;
}
