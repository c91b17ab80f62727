/* path.h — resolving a key's path inside a source root, refusing every escape.
 * OS-specific (POSIX realpath); a port replaces this file's .c. */
#ifndef DEPOT_OS_PATH_H
#define DEPOT_OS_PATH_H

#include "depot/common.h"

/* The canonical absolute form of `root` (NULL or "" = the current directory), which must be
 * an existing directory. *out is allocated with `a`.
 * DP_OK; DP_ERR_NOT_FOUND (no such directory); DP_ERR_INVALID; DP_ERR_NOMEM. */
dp_status dp__path_root(const dp_allocator *a, const char *root, char **out);

/* Whether `root` names an existing directory (NULL or "" = the current directory, which
 * always does). DP_OK; DP_ERR_NOT_FOUND (missing, or not a directory). Allocates nothing. */
dp_status dp__path_root_exists(const char *root);

/* Checks `rel` lexically: not empty, not absolute, no "." or ".." component, no empty
 * component ("a//b"), no backslash, no NUL-free control characters. DP_OK or DP_ERR_INVALID.
 * Does not touch the file system. */
dp_status dp__path_check(const char *rel);

/* Joins `root_canon` (from dp__path_root) and `rel` after dp__path_check, then, if the
 * result exists, resolves symlinks with realpath and requires the real path to stay inside
 * root_canon (a symlink leading out gives DP_ERR_INVALID). A path that does not exist is
 * returned joined (reading it will give DP_ERR_NOT_FOUND). *out allocated with `a`.
 * DP_OK; DP_ERR_INVALID; DP_ERR_NOMEM. Never opens the file. */
dp_status dp__path_resolve(const dp_allocator *a, const char *root_canon, const char *rel,
                           char **out);

/* The canonical root (from dp__path_root) opened as a folder for dp__path_open_beneath, or -1
 * (errno set); closed with dp__path_root_close (which ignores -1). */
int dp__path_root_open(const char *root_canon);
void dp__path_root_close(int root_fd);

/* Opens `rel` (dp__path_check's rules) below the folder open as `root_fd`, with `flags`, the
 * kernel refusing every step that would leave that folder while it resolves the path
 * (Linux openat2 with RESOLVE_BENEATH: no "..", absolute path or symlink leading out, and no
 * race between a check and the open). Stricter than dp__path_resolve: an absolute symlink
 * is refused even when it leads back inside. The descriptor, or -1 with errno set (ENOSYS
 * where the kernel or the OS has no such call, EXDEV for a step out): the caller then
 * resolves the path with dp__path_resolve, which decides. */
int dp__path_open_beneath(int root_fd, const char *rel, int flags);

#endif
