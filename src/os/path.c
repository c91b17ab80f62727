/* path.c — resolving a key's path inside a source root (POSIX realpath).
 *
 * The lexical check refuses every spelling that could climb out of the root; the
 * resolution then follows symlinks with realpath and refuses any real path outside the
 * root. Nothing here opens a file. */
#include "os/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

#include "common/alloc.h"

/* The longest relative path accepted, in bytes (without the terminating NUL). */
#define DP_PATH_MAX_REL 4096

dp_status dp__path_root(const dp_allocator *a, const char *root, char **out)
{
    if (out)
        *out = NULL;
    if (!a || !out)
        return DP_ERR_INVALID;
    if (!root || !*root)
        root = ".";
    char real[PATH_MAX];
    if (!realpath(root, real))
        return (errno == ENOENT || errno == ENOTDIR) ? DP_ERR_NOT_FOUND : DP_ERR_INVALID;
    struct stat st;
    if (stat(real, &st) != 0)
        return DP_ERR_NOT_FOUND;
    if (!S_ISDIR(st.st_mode))
        return DP_ERR_INVALID;
    char *copy = dp__strdup(a, real);
    if (!copy)
        return DP_ERR_NOMEM;
    *out = copy;
    return DP_OK;
}

dp_status dp__path_root_exists(const char *root)
{
    struct stat st;
    if (!root || !*root)
        return DP_OK;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        return DP_ERR_NOT_FOUND;
    return DP_OK;
}

dp_status dp__path_check(const char *rel)
{
    if (!rel || !*rel || rel[0] == '/')
        return DP_ERR_INVALID;
    size_t n = strnlen(rel, DP_PATH_MAX_REL + 1);
    if (n > DP_PATH_MAX_REL)
        return DP_ERR_INVALID;
    /* Walk the components: each must be non-empty and neither "." nor "..". Every byte above
     * '/' but '\\' and DEL is plain (letters, digits, '_'): it takes the short first test, as
     * dp_load checks every new key's path twice (the key, then dp__path_inside). */
    const unsigned char *start = (const unsigned char *)rel;
    for (const unsigned char *p = start;; p++) {
        unsigned char c = *p;
        if (c > '/' && c != '\\' && c != 0x7f)
            continue;
        if (c == '/' || c == '\0') {
            size_t len = (size_t)(p - start);
            if (len == 0)
                return DP_ERR_INVALID;
            if (start[0] == '.' && (len == 1 || (len == 2 && start[1] == '.')))
                return DP_ERR_INVALID;
            if (c == '\0')
                break;
            start = p + 1;
            continue;
        }
        if (c == '\\' || c < 0x20 || c == 0x7f)
            return DP_ERR_INVALID;
    }
    return DP_OK;
}

/* True when the canonical path `real` is `root` itself or lies below it. Both are
 * canonical, so a plain prefix test at a component boundary is enough ("/a/bc" is not
 * inside "/a/b"). */
static bool inside(const char *root, const char *real)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return real[0] == '/';
    return strncmp(root, real, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

/* Joins root and rel with exactly one slash; NULL when out of memory. */
static char *join(const dp_allocator *a, const char *root, const char *rel)
{
    size_t rn = strlen(root), ln = strlen(rel);
    bool slash = !(rn > 0 && root[rn - 1] == '/');
    char *p = dp__alloc(a, rn + (slash ? 1 : 0) + ln + 1);
    if (!p)
        return NULL;
    memcpy(p, root, rn);
    if (slash)
        p[rn++] = '/';
    memcpy(p + rn, rel, ln + 1);
    return p;
}

/* Checks a path that does not resolve (it, or a folder on its way, is missing): the
 * deepest prefix that does exist must resolve inside the root, and no prefix that exists
 * may be a dangling symlink (its target could appear later, anywhere). `path` is
 * modified in place. DP_OK or DP_ERR_INVALID. */
static dp_status check_missing(const char *root, char *path, size_t root_len)
{
    char real[PATH_MAX];
    for (;;) {
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            return DP_ERR_INVALID;
        char *slash = strrchr(path, '/');
        if (!slash || (slash == path && path[1] == '\0') || (size_t)(slash - path) < root_len)
            return DP_ERR_INVALID; /* the root itself no longer resolves */
        *slash = '\0';
        if (slash == path) {
            path[0] = '/';
            path[1] = '\0';
        }
        if (realpath(path, real))
            return inside(root, real) ? DP_OK : DP_ERR_INVALID;
        if (errno != ENOENT && errno != ENOTDIR)
            return DP_ERR_INVALID;
    }
}

dp_status dp__path_resolve(const dp_allocator *a, const char *root_canon, const char *rel,
                           char **out)
{
    if (out)
        *out = NULL;
    if (!a || !root_canon || root_canon[0] != '/' || !out)
        return DP_ERR_INVALID;
    dp_status s = dp__path_check(rel);
    if (s != DP_OK)
        return s;
    char *joined = join(a, root_canon, rel);
    if (!joined)
        return DP_ERR_NOMEM;

    char real[PATH_MAX];
    if (realpath(joined, real)) {
        if (!inside(root_canon, real)) {
            s = DP_ERR_INVALID;
            goto fail;
        }
        /* Hand back the real path: reading it follows no symlink that could have been
         * swapped since this check. */
        char *copy = dp__strdup(a, real);
        if (!copy) {
            s = DP_ERR_NOMEM;
            goto fail;
        }
        dp__free(a, joined);
        *out = copy;
        return DP_OK;
    }
    if (errno != ENOENT && errno != ENOTDIR) {
        s = DP_ERR_INVALID; /* a symlink loop, a name too long, no permission */
        goto fail;
    }
    size_t root_len = strlen(root_canon);
    if (root_len == 1)
        root_len = 0; /* root "/": every prefix down to "/" itself is inside */
    /* check_missing cuts `joined` in place, so check a copy and keep the original. */
    char *probe = dp__strdup(a, joined);
    if (!probe) {
        s = DP_ERR_NOMEM;
        goto fail;
    }
    s = check_missing(root_canon, probe, root_len);
    dp__free(a, probe);
    if (s != DP_OK)
        goto fail;
    *out = joined;
    return DP_OK;

fail:
    dp__free(a, joined);
    return s;
}

int dp__path_root_open(const char *root_canon)
{
#ifdef O_PATH
    return open(root_canon, O_PATH | O_DIRECTORY | O_CLOEXEC);
#else
    return open(root_canon, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#endif
}

void dp__path_root_close(int root_fd)
{
    if (root_fd >= 0)
        close(root_fd);
}

int dp__path_open_beneath(int root_fd, const char *rel, int flags)
{
    if (root_fd < 0 || dp__path_check(rel) != DP_OK) {
        errno = EINVAL;
        return -1;
    }
#if defined(__linux__) && defined(SYS_openat2) && defined(RESOLVE_BENEATH)
    struct open_how how = {.flags = (uint64_t)flags,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
    return (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
#else
    (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}
