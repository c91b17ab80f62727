/* dirs.c — see dirs.h (POSIX). */
#include "os/dirs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define WALK_PATH 8192

dp_status dp__dir_make(const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return DP_OK;
    return DP_ERR_IO;
}

static uint64_t ns_of(struct timespec t)
{
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

dp_status dp__dir_files(const char *dir,
                        void (*fn)(void *ctx, const char *name, uint64_t size, uint64_t used_ns,
                                   uint64_t changed_ns),
                        void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? DP_ERR_NOT_FOUND : DP_ERR_IO;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.' ||
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        fn(ctx, e->d_name, (uint64_t)st.st_size, ns_of(st.st_atim), ns_of(st.st_mtim));
    }
    closedir(d);
    return DP_OK;
}

/* Walks the folder at full[0..len) (`rel` is its part after the walk's root, or ""). */
static dp_status walk(char *full, size_t len, size_t rel_at, bool recursive, int depth,
                      void (*fn)(void *ctx, const char *rel), void *ctx)
{
    DIR *d = opendir(full);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR ? DP_ERR_NOT_FOUND : DP_ERR_IO;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        struct stat st;
        if (e->d_name[0] == '.' || len + 1 + nl >= WALK_PATH)
            continue;
        full[len] = '/';
        memcpy(full + len + 1, e->d_name, nl + 1);
        if (lstat(full, &st) != 0) {
            /* removed while walking: skip it */
        } else if (S_ISREG(st.st_mode)) {
            fn(ctx, full + rel_at);
        } else if (S_ISDIR(st.st_mode) && recursive && depth < 64) {
            walk(full, len + 1 + nl, rel_at, recursive, depth + 1, fn, ctx);
        }
        full[len] = 0;
    }
    closedir(d);
    return DP_OK;
}

dp_status dp__dir_walk(const char *dir, bool recursive, void (*fn)(void *ctx, const char *rel),
                       void *ctx)
{
    size_t dl = strlen(dir);
    if (dl + 2 >= WALK_PATH)
        return DP_ERR_NOT_FOUND;
    char full[WALK_PATH];
    memcpy(full, dir, dl + 1);
    /* The callback gets the part after "dir/". */
    return walk(full, dl, dl + 1, recursive, 0, fn, ctx);
}

void dp__file_mark_used(const char *path)
{
    struct timespec t[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    utimensat(AT_FDCWD, path, t, 0);
}

void dp__file_mark_checked(const char *path)
{
    struct timespec t[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    utimensat(AT_FDCWD, path, t, 0);
}

uint64_t dp__file_changed_ns(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? ns_of(st.st_mtim) : 0;
}

uint64_t dp__wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ns_of(ts);
}
