/* path_dirs.h — a short memory of folders found inside a root, so that checking many new keys
 * of one folder costs one fstatat of the file's name each instead of a realpath (a readlink
 * per component, about 2.5 us for a path 8 folders deep on the reference VM).
 *
 * A folder is remembered by its relative spelling with a descriptor of its real path, opened
 * after realpath found that real path inside the root. A key of a remembered folder is then
 * checked by looking at its last component only: a file or folder that is not a symlink
 * (or a missing name) is inside, as dp__path_resolve would say; a symlink, or anything
 * unexpected, takes dp__path_resolve's full walk. So the answer is dp__path_resolve's,
 * except that a folder on the way swapped for a symlink after it was remembered is not
 * seen: the owner forgets every folder at each dp_update, and the worker resolves the path
 * again before it opens it (docs/loading.md), so such a swap makes the load FAIL with
 * DP_ERR_INVALID, as any swap after dp_load does.
 *
 * Not thread safe: one thread uses it (the depot's owner). OS-specific (POSIX *at calls). */
#ifndef DEPOT_OS_PATH_DIRS_H
#define DEPOT_OS_PATH_DIRS_H

#include <stddef.h>

#include "depot/common.h"

#define DP__PATH_DIRS 8 /* folders remembered at once (round robin) */

typedef struct dp__path_dirs {
    struct {
        char *rel;  /* relative folder ("" = the root itself), NULL = empty slot */
        size_t len;
        int fd;     /* the folder's real path, opened for *at calls */
    } slot[DP__PATH_DIRS];
    unsigned next; /* folders remembered so far; the next takes slot next % DP__PATH_DIRS */
} dp__path_dirs;

/* An empty memory. */
void dp__path_dirs_init(dp__path_dirs *d);
/* Forgets every folder (closes their descriptors). The memory stays usable. */
void dp__path_dirs_forget(dp__path_dirs *d, const dp_allocator *a);

/* Whether `rel` lies inside `root_canon` (from dp__path_root): dp__path_check's lexical
 * rules, then symlinks followed as dp__path_resolve does, through a remembered folder when
 * rel's folder is one (and remembering it when it resolves inside). Metadata only: never
 * opens the file. DP_OK; DP_ERR_INVALID (an escape, a dangling symlink, a symlink loop);
 * DP_ERR_NOMEM. */
dp_status dp__path_inside(dp__path_dirs *d, const dp_allocator *a, const char *root_canon,
                          const char *rel);
/* dp__path_inside for a `rel` that passed dp__path_check already (dp_load checks a key's path
 * before it looks at the disk), with d, a and root_canon valid: the same answers without the
 * second lexical walk. */
dp_status dp__path_inside_checked(dp__path_dirs *d, const dp_allocator *a,
                                  const char *root_canon, const char *rel);

#endif
