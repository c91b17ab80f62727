/* path_dirs.c — see path_dirs.h. */
#include "os/path_dirs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "os/path.h"

#ifdef O_PATH
#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC) /* no read permission needed */
#else
#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#endif

void dp__path_dirs_init(dp__path_dirs *d)
{
    memset(d, 0, sizeof *d);
    for (int i = 0; i < DP__PATH_DIRS; i++)
        d->slot[i].fd = -1;
}

static void slot_clear(dp__path_dirs *d, int i, const dp_allocator *a)
{
    if (d->slot[i].fd >= 0)
        close(d->slot[i].fd);
    dp__free(a, d->slot[i].rel);
    d->slot[i].rel = NULL;
    d->slot[i].fd = -1;
}

void dp__path_dirs_forget(dp__path_dirs *d, const dp_allocator *a)
{
    /* Every dp_update calls this: a frame that remembered nothing costs one test. */
    unsigned used = d->next < DP__PATH_DIRS ? d->next : DP__PATH_DIRS;
    for (unsigned i = 0; i < used; i++)
        slot_clear(d, (int)i, a);
    d->next = 0;
}

/* The full walk: dp__path_resolve's answer. */
static dp_status resolve(const dp_allocator *a, const char *root, const char *rel)
{
    char *real = NULL;
    dp_status st = dp__path_resolve(a, root, rel, &real);
    dp__free(a, real);
    return st;
}

/* The remembered folder `dir` (len bytes of rel), or -1. */
static int find(const dp__path_dirs *d, const char *dir, size_t len)
{
    for (int i = 0; i < DP__PATH_DIRS; i++)
        if (d->slot[i].rel && d->slot[i].len == len && !memcmp(d->slot[i].rel, dir, len))
            return i;
    return -1;
}

/* Remembers the folder `dir` (len bytes) if its real path is a folder inside root; its slot,
 * or -1 (not inside, missing, not a folder, out of memory: the caller takes the full walk). */
static int remember(dp__path_dirs *d, const dp_allocator *a, const char *root, const char *dir,
                    size_t len)
{
    char joined[PATH_MAX], real[PATH_MAX];
    size_t rn = strlen(root);
    const char *sep = root[rn - 1] == '/' ? "" : "/";
    int n = snprintf(joined, sizeof joined, "%s%s%.*s", root, sep, (int)len, dir);
    if (n < 0 || (size_t)n >= sizeof joined || !realpath(joined, real))
        return -1;
    bool inside = (rn == 1 && root[0] == '/') ||
                  (!strncmp(root, real, rn) && (real[rn] == '\0' || real[rn] == '/'));
    if (!inside)
        return -1;
    char *copy = dp__alloc(a, len + 1);
    if (!copy)
        return -1;
    int fd = open(real, DIR_FLAGS);
    if (fd < 0) {
        dp__free(a, copy);
        return -1;
    }
    memcpy(copy, dir, len);
    copy[len] = '\0';
    int i = (int)(d->next % DP__PATH_DIRS);
    /* Kept below 2 * DP__PATH_DIRS (same slot order): a wrap to 0 would hide used slots. */
    d->next = d->next + 1 < 2 * DP__PATH_DIRS ? d->next + 1 : DP__PATH_DIRS;
    slot_clear(d, i, a);
    d->slot[i].rel = copy;
    d->slot[i].len = len;
    d->slot[i].fd = fd;
    return i;
}

dp_status dp__path_inside(dp__path_dirs *d, const dp_allocator *a, const char *root_canon,
                          const char *rel)
{
    if (!d || !a || !root_canon || root_canon[0] != '/')
        return DP_ERR_INVALID;
    dp_status st = dp__path_check(rel);
    if (st != DP_OK)
        return st;
    return dp__path_inside_checked(d, a, root_canon, rel);
}

dp_status dp__path_inside_checked(dp__path_dirs *d, const dp_allocator *a,
                                  const char *root_canon, const char *rel)
{
    const char *slash = strrchr(rel, '/');
    size_t len = slash ? (size_t)(slash - rel) : 0;
    const char *leaf = slash ? slash + 1 : rel;
    int i = find(d, rel, len);
    if (i < 0)
        i = remember(d, a, root_canon, rel, len);
    if (i < 0)
        return resolve(a, root_canon, rel);
    /* The folder is inside: so is a name in it that is no symlink, or that is missing
     * (dp__path_resolve checks the deepest existing folder then: this one). */
    struct stat sb;
    if (fstatat(d->slot[i].fd, leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0 ? !S_ISLNK(sb.st_mode)
                                                                     : errno == ENOENT)
        return DP_OK;
    return resolve(a, root_canon, rel);
}
