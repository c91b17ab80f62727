/* watch.c — file change notification with inotify, debounced.
 *
 * inotify watches folders, not files that editors replace: a save by "write a temp file,
 * rename it over the original" gives the original a new inode, which a watch on the file
 * itself would miss. So each folder that holds a watched file gets one inotify watch
 * (reference-counted by the files in it), and events are matched by name against the table
 * of watched files. A change only marks the file and stamps the time; dp__watch_poll reports
 * a file once it has been quiet for the debounce period. inotify does not say when an event
 * happened, so the stamp is the time poll read it: with frequent polling (every frame) that
 * is the time of the write. Watching a file that is already watched changes nothing; one
 * remove stops it.
 *
 * Folders come and go (git checkout, rsync --delete, a clean build step): when a folder's
 * watch dies (IN_IGNORED) or its folder does not exist yet, its files become orphans
 * (wd -1). Poll tries to watch an orphan's folder again, at most every RETRY_NS; once it
 * exists again the file counts as changed (its events while unwatched were lost).
 *
 * Cost: add, remove and an event are O(1) expected in the number of watched files, and a
 * poll looks only at the files changed since (the tables are in watch_table.h; linear scans
 * there made loading 40k files with watch on 2-25x slower than with it off). Only rare
 * events walk every file: a lost folder, orphan adoption, a queue overflow. */
#include "os/watch.h"

#include <errno.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "os/watch_table.h"

/* Events that mean "the content may have changed". IN_MOVED_TO and IN_CREATE catch
 * rename-over saves; IN_ATTRIB catches `touch`. */
#define DP_WATCH_MASK \
    (IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_CREATE | IN_ATTRIB | IN_ONLYDIR)

/* How often poll looks for the folders of orphaned files. */
#define RETRY_NS 100000000u

struct dp__watch {
    dp_allocator a;
    int fd;
    char *root;
    uint64_t debounce_ns;
    dp__wtab t;           /* files, folders, the dirty list (watch_table.h) */
    uint64_t edits;       /* bumped by add/remove, so poll notices edits from its callback */
    size_t norphans;      /* files with wd -1 */
    uint64_t retry_ns;    /* when poll last looked for orphans' folders */
    size_t sweep_at;      /* where the next dp__watch_sweep starts */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

dp_status dp__watch_create(const dp_allocator *a, const char *root_canon, uint32_t debounce_ms,
                           dp__watch **out)
{
    if (out)
        *out = NULL;
    if (!root_canon || !out)
        return DP_ERR_INVALID;
    dp_allocator al;
    dp__alloc_init(&al, a);
    dp__watch *w = dp__calloc(&al, 1, sizeof *w);
    if (!w)
        return DP_ERR_NOMEM;
    w->a = al;
    w->t.a = &w->a;
    w->fd = -1;
    w->debounce_ns = (uint64_t)(debounce_ms ? debounce_ms : 50) * 1000000u;
    w->root = dp__strdup(&al, root_canon);
    if (!w->root) {
        dp__free(&al, w);
        return DP_ERR_NOMEM;
    }
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0) {
        dp_status s = (errno == ENOMEM) ? DP_ERR_NOMEM : DP_ERR_IO;
        dp__free(&al, w->root);
        dp__free(&al, w);
        return s;
    }
    *out = w;
    return DP_OK;
}

/* Drops one reference to the folder watch `wd`, removing the watch with the last one. */
static void dir_unref(dp__watch *w, int wd)
{
    dp__wdir *d = dp__wt_find_dir(&w->t, wd);
    if (!d || --d->refs > 0)
        return;
    inotify_rm_watch(w->fd, wd);
    dp__wt_dir_erase(&w->t, d);
}

/* Watches the folder of `rel` (root + the part before its last slash) and takes a reference
 * on it. DP_OK; DP_ERR_NOT_FOUND (the folder, or one on its way, is missing or a file);
 * DP_ERR_IO; DP_ERR_NOMEM. */
static dp_status dir_ref(dp__watch *w, const char *rel, int *out)
{
    const char *slash = strrchr(rel, '/');
    size_t rn = strlen(w->root), dn = slash ? (size_t)(slash - rel) : 0;
    char *dir = dp__alloc(&w->a, rn + 1 + dn + 1);
    if (!dir)
        return DP_ERR_NOMEM;
    memcpy(dir, w->root, rn);
    if (dn) {
        if (rn == 0 || w->root[rn - 1] != '/')
            dir[rn++] = '/';
        memcpy(dir + rn, rel, dn);
    }
    dir[rn + dn] = '\0';
    int wd = inotify_add_watch(w->fd, dir, DP_WATCH_MASK);
    int err = errno;
    dp__free(&w->a, dir);
    if (wd < 0) {
        if (err == ENOENT || err == ENOTDIR)
            return DP_ERR_NOT_FOUND;
        return err == ENOMEM ? DP_ERR_NOMEM : DP_ERR_IO;
    }
    /* inotify hands back the same descriptor for a folder it already watches (even when
     * reached by another name), so folders are keyed by descriptor. */
    dp__wdir *d = dp__wt_find_dir(&w->t, wd);
    if (!d) {
        d = dp__wt_dir_slot(&w->t, wd);
        if (!d) {
            inotify_rm_watch(w->fd, wd);
            return DP_ERR_NOMEM;
        }
        *d = (dp__wdir){.wd = wd, .refs = 0};
        w->t.ndirs++;
    }
    d->refs++;
    *out = wd;
    return DP_OK;
}

dp_status dp__watch_add(dp__watch *w, const char *rel)
{
    return dp__watch_add_tagged(w, rel, 0);
}

dp_status dp__watch_add_tagged(dp__watch *w, const char *rel, uint64_t tag)
{
    if (!w || !rel || !*rel)
        return DP_ERR_INVALID;
    dp__wfile *f = dp__wt_find(&w->t, rel);
    if (f) {
        f->tag = tag;
        return DP_OK;
    }
    if (dp__wt_reserve(&w->t, w->t.nfiles + 1) != DP_OK)
        return DP_ERR_NOMEM;
    char *copy = dp__strdup(&w->a, rel);
    if (!copy)
        return DP_ERR_NOMEM;
    int wd = -1;
    dp_status s = dir_ref(w, rel, &wd);
    if (s != DP_OK && s != DP_ERR_NOT_FOUND) {
        dp__free(&w->a, copy);
        return s;
    }
    /* A missing folder makes an orphan: poll watches it once the folder exists. */
    w->norphans += wd < 0;
    const char *last = strrchr(copy, '/');
    dp__wfile nf = {.rel = copy, .name = last ? last + 1 : copy, .wd = wd, .tag = tag};
    dp__wt_push(&w->t, &nf);
    w->edits++;
    return DP_OK;
}

/* Forgets files[i] (its folder reference goes with it); the last file moves to i. */
static void remove_at(dp__watch *w, size_t i)
{
    int wd = w->t.files[i].wd;
    if (wd < 0)
        w->norphans--;
    dp__free(&w->a, w->t.files[i].rel);
    dp__wt_remove_at(&w->t, (uint32_t)i);
    if (wd >= 0)
        dir_unref(w, wd);
    w->edits++;
}

void dp__watch_remove(dp__watch *w, const char *rel)
{
    if (!w || !rel)
        return;
    dp__wfile *f = dp__wt_find(&w->t, rel);
    if (f)
        remove_at(w, (size_t)(f - w->t.files));
}

size_t dp__watch_count(const dp__watch *w)
{
    return w ? w->t.nfiles : 0;
}

uint64_t dp__watch_work(const dp__watch *w)
{
    return w ? w->t.work : 0;
}

void dp__watch_sweep(dp__watch *w, size_t budget,
                     bool (*keep)(void *ctx, const char *rel, uint64_t tag), void *ctx)
{
    if (!w || !keep)
        return;
    for (size_t n = 0; n < budget && w->t.nfiles; n++) {
        if (w->sweep_at >= w->t.nfiles)
            w->sweep_at = 0;
        dp__wfile *f = &w->t.files[w->sweep_at];
        if (keep(ctx, f->rel, f->tag))
            w->sweep_at++;
        else
            remove_at(w, w->sweep_at); /* the last entry moved here: look at it next */
    }
}

/* A folder's watch died (deleted, moved away, unmounted): its files become orphans. */
static void dir_lost(dp__watch *w, int wd)
{
    dp__wdir *d = dp__wt_find_dir(&w->t, wd);
    if (!d)
        return;
    dp__wt_dir_erase(&w->t, d);
    for (uint32_t i = 0; i < w->t.nfiles; i++) {
        if (w->t.files[i].wd == wd) {
            dp__wt_set_wd(&w->t, i, -1);
            w->norphans++;
        }
    }
}

/* Watches the folders of orphans that exist again; each such file counts as changed now. */
static void adopt_orphans(dp__watch *w, uint64_t now)
{
    if (!w->norphans || now - w->retry_ns < RETRY_NS)
        return;
    w->retry_ns = now;
    for (uint32_t i = 0; i < w->t.nfiles; i++) {
        int wd = -1;
        if (w->t.files[i].wd >= 0 || dir_ref(w, w->t.files[i].rel, &wd) != DP_OK)
            continue;
        dp__wt_set_wd(&w->t, i, wd);
        w->norphans--;
        dp__wt_set_dirty(&w->t, i, now);
    }
}

/* Reads every pending inotify event without blocking and marks the files they name. */
static void drain(dp__watch *w)
{
    _Alignas(struct inotify_event) char buf[8192];
    for (;;) {
        ssize_t n = read(w->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* EAGAIN: nothing more pending */
        uint64_t now = now_ns();
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                dp__wt_mark(&w->t, -1, NULL, now); /* events were lost: assume everything changed */
                continue;
            }
            if (ev->mask & IN_IGNORED) {
                /* The folder went away (or was unwatched): its descriptor is dead. Its
                 * files wait, as orphans, for the folder to come back. */
                dir_lost(w, ev->wd);
                continue;
            }
            if (ev->len == 0 || (ev->mask & IN_ISDIR))
                continue;
            dp__wt_mark(&w->t, ev->wd, ev->name, now);
        }
    }
}

void dp__watch_poll(dp__watch *w, void (*changed)(void *ctx, const char *rel), void *ctx)
{
    if (!w)
        return;
    drain(w);
    uint64_t now = now_ns();
    adopt_orphans(w, now);
    /* Only dirty files are looked at. A callback may add or remove files, which moves
     * entries around; after such an edit the scan restarts. A reported file leaves the
     * dirty list before its callback, so none is reported twice. */
    for (size_t k = 0; k < w->t.ndirty;) {
        uint32_t i = w->t.dirtyv[k];
        w->t.work++;
        if (now - w->t.files[i].last_ns < w->debounce_ns) {
            k++;
            continue;
        }
        dp__wt_clear_dirty(&w->t, i); /* the last dirty file moved to k: looked at next */
        if (!changed)
            continue;
        uint64_t edits = w->edits;
        changed(ctx, w->t.files[i].rel);
        if (w->edits != edits)
            k = 0;
    }
}

void dp__watch_destroy(dp__watch *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->t.nfiles; i++)
        dp__free(&w->a, w->t.files[i].rel);
    dp__wt_free(&w->t);
    if (w->fd >= 0)
        close(w->fd);
    dp__free(&w->a, w->root);
    dp_allocator a = w->a; /* the watcher holds its own allocator: copy it out first */
    dp__free(&a, w);
}
