/* watch_table.h — the file watcher's bookkeeping (private to src/os/watch*.c): every lookup,
 * insert and removal is O(1) expected in the number of watched files.
 *  - files: a dense array (the round-robin sweep walks it), indexed by two chained hash
 *    tables, one by relative path (add, remove), one by (folder watch, name) (an event);
 *  - the dirty list: the files changed and not yet reported, so a poll looks at only those;
 *  - folders: an open-addressing table by inotify watch descriptor.
 * `work` counts the entries looked at, for tests that assert the cost without timing. */
#ifndef DEPOT_OS_WATCH_TABLE_H
#define DEPOT_OS_WATCH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/alloc.h"

/* One inotify watch on a folder, shared by the watched files inside it; wd -1 marks an
 * empty entry of the folder table. */
typedef struct dp__wdir {
    int wd;
    size_t refs;
} dp__wdir;

/* One watched file. `name` points into `rel`, after its last slash. */
typedef struct dp__wfile {
    char *rel;
    const char *name;
    int wd;               /* -1: an orphan, its folder is not watched (yet) */
    uint64_t tag;         /* the caller's (the loader: the asset's handle) */
    bool dirty;           /* changed and not yet reported (then on the dirty list) */
    uint64_t last_ns;     /* time of the latest change */
    uint64_t hrel, hev;   /* hashes of rel and of (wd, name) */
    uint32_t nrel, nev;   /* next file in the same bucket of each table; UINT32_MAX ends */
    uint32_t dpos;        /* place on the dirty list; UINT32_MAX when not dirty */
} dp__wfile;

typedef struct dp__wtab {
    const dp_allocator *a;
    dp__wfile *files;
    size_t nfiles, capfiles;
    uint32_t *brel, *bev; /* chain heads by hrel / hev; nbuckets a power of two >= nfiles */
    size_t nbuckets;
    uint32_t *dirtyv;     /* indices of the dirty files; capacity >= nfiles, never grows in poll */
    size_t ndirty, capdirty;
    dp__wdir *dirs;       /* open addressing by wd; capdirs a power of two, at most half full */
    size_t ndirs, capdirs;
    uint64_t work;        /* entries looked at by lookups and polls */
} dp__wtab;

/* Room for `need` files (arrays, hash tables, dirty list). DP_OK or DP_ERR_NOMEM. */
dp_status dp__wt_reserve(dp__wtab *t, size_t need);
/* The file watched as rel, or NULL. */
dp__wfile *dp__wt_find(dp__wtab *t, const char *rel);
/* Appends a copy of *f (rel, name, wd, tag set; the rest is filled in); room reserved. */
void dp__wt_push(dp__wtab *t, const dp__wfile *f);
/* Forgets files[i] (rel is the caller's to free first); the last file moves to i. */
void dp__wt_remove_at(dp__wtab *t, uint32_t i);
/* Moves files[i] to folder watch wd (-1: an orphan). */
void dp__wt_set_wd(dp__wtab *t, uint32_t i, int wd);
/* Marks files[i] changed at `now` (on the dirty list) / takes it off the dirty list. */
void dp__wt_set_dirty(dp__wtab *t, uint32_t i, uint64_t now);
void dp__wt_clear_dirty(dp__wtab *t, uint32_t i);
/* Marks every file in folder wd named name (every file at all when wd is -1) changed. */
void dp__wt_mark(dp__wtab *t, int wd, const char *name, uint64_t now);
/* The folder entry of wd, or NULL. */
dp__wdir *dp__wt_find_dir(dp__wtab *t, int wd);
/* The empty entry where wd (not in the table) goes, growing the table; NULL on NOMEM. */
dp__wdir *dp__wt_dir_slot(dp__wtab *t, int wd);
/* Empties entry d, shifting back the entries after it that probed past it. */
void dp__wt_dir_erase(dp__wtab *t, dp__wdir *d);
/* Frees the tables (not the files' rel strings). */
void dp__wt_free(dp__wtab *t);

#endif
