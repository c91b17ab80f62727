/* folder.c — see folder.h. Every path is resolved with dp__path_resolve (symlinks followed,
 * a real location outside the root refused) before a file is opened. */
#include "load/folder.h"

#include <string.h>

#include "common/alloc.h"
#include "load/loader.h"
#include "os/dirs.h"
#include "os/file_range.h"
#include "os/fs.h"
#include "os/path.h"

static bool job_cancelled(const void *cancel)
{
    return dp_cancelled(cancel);
}

static dp_status resolve(const dp__folder *f, const char *path, char **abs)
{
    if (!f->root)
        return f->missing == DP_OK ? DP_ERR_NOT_FOUND : f->missing;
    return dp__path_resolve(f->alloc, f->root, path, abs);
}

bool dp__folder_has(const dp__folder *f, const char *path)
{
    char *abs;
    if (resolve(f, path, &abs) != DP_OK)
        return false;
    dp__file file;
    bool ok = dp__file_open(abs, &file) == DP_OK;
    dp__file_close(&file);
    dp__free(f->alloc, abs);
    return ok;
}

dp_status dp__folder_read(const dp__folder *f, const char *path, const dp_cancel *cancel,
                          void **bytes, size_t *len)
{
    /* The kernel keeps the open inside the root: one call where realpath and open took a
     * readlink per component (about 2 us a file 8 folders deep). When it refuses or cannot
     * (missing file, absolute symlink, old kernel), the resolve below decides. */
    if (f->root && f->root_fd && !(cancel && dp_cancelled(cancel))) {
        int fd = dp__path_open_beneath(*f->root_fd, path, DP__FILE_READ_FLAGS);
        if (fd >= 0)
            return dp__file_read_fd(f->alloc, fd, 0, job_cancelled, cancel, bytes, len);
    }
    char *abs;
    dp_status st = resolve(f, path, &abs);
    if (st != DP_OK)
        return st;
    st = dp__file_read(f->alloc, abs, 0, job_cancelled, cancel, bytes, len);
    dp__free(f->alloc, abs);
    return st;
}

dp_status dp__folder_open(const dp__folder *f, const char *path, void **file)
{
    char *abs;
    dp_status st = resolve(f, path, &abs);
    if (st != DP_OK)
        return st;
    dp__file *h = dp__alloc(f->alloc, sizeof *h);
    st = h ? dp__file_open(abs, h) : DP_ERR_NOMEM;
    dp__free(f->alloc, abs);
    if (st != DP_OK) {
        dp__free(f->alloc, h);
        return st;
    }
    *file = h;
    return DP_OK;
}

dp_status dp__folder_size(void *file, uint64_t *size)
{
    *size = ((dp__file *)file)->size;
    return DP_OK;
}

dp_status dp__folder_read_at(void *file, uint64_t offset, void *buf, size_t len)
{
    return dp__file_pread(file, offset, buf, len);
}

void dp__folder_close(const dp__folder *f, void *file)
{
    dp__file_close(file);
    dp__free(f->alloc, file);
}

#define KEY_MAX 4096 /* the longest path a key may have */

/* ---- listing ------------------------------------------------------------------------------ */

typedef struct lister {
    void (*found)(void *ctx, const char *path);
    void *ctx;
    size_t plen;          /* "folder/" at the start of buf, or nothing for the root */
    char buf[KEY_MAX + 2];
} lister;

static void on_walk(void *ctx, const char *rel)
{
    lister *l = ctx;
    size_t rl = strlen(rel);
    if (l->plen + rl >= sizeof l->buf)
        return;
    memcpy(l->buf + l->plen, rel, rl + 1);
    if (dp__path_check(l->buf) == DP_OK) /* a name no key can hold is not an asset */
        l->found(l->ctx, l->buf);
}

dp_status dp__folder_list(const dp__folder *f, const char *folder, bool recursive,
                          void (*found)(void *ctx, const char *path), void *ctx)
{
    if (!f->root)
        return f->missing == DP_OK ? DP_ERR_NOT_FOUND : f->missing;
    size_t fl = strlen(folder);
    lister *l = dp__alloc(f->alloc, sizeof *l);
    if (!l)
        return DP_ERR_NOMEM;
    *l = (lister){.found = found, .ctx = ctx, .plen = fl ? fl + 1 : 0};
    char *abs = NULL;
    dp_status st = fl >= KEY_MAX ? DP_ERR_INVALID : DP_OK;
    if (st == DP_OK && fl) {
        memcpy(l->buf, folder, fl);
        l->buf[fl] = '/';
        st = dp__path_resolve(f->alloc, f->root, folder, &abs);
    }
    if (st == DP_OK)
        st = dp__dir_walk(abs ? abs : f->root, recursive, on_walk, l);
    dp__free(f->alloc, abs);
    dp__free(f->alloc, l);
    return st;
}

/* ---- the root file source's ranged reads and listing (user = the loader) ------------------------------ */

static dp__folder root_folder(void *user)
{
    dp__loader *L = user;
    return (dp__folder){.alloc = L->alloc, .root = L->root, .missing = L->root_status};
}

static dp_status root_open(void *user, const char *path, const dp_cancel *cancel, void **file)
{
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;
    dp__folder f = root_folder(user);
    return dp__folder_open(&f, path, file);
}

static dp_status root_size(void *user, void *file, uint64_t *size)
{
    (void)user;
    return dp__folder_size(file, size);
}

static dp_status root_read_at(void *user, void *file, uint64_t offset, void *buf, size_t len,
                              const dp_cancel *cancel)
{
    (void)user;
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;
    return dp__folder_read_at(file, offset, buf, len);
}

static void root_close(void *user, void *file)
{
    dp__folder f = root_folder(user);
    dp__folder_close(&f, file);
}

static dp_status root_list(void *user, const char *folder, bool recursive,
                           void (*found)(void *ctx, const char *path), void *ctx)
{
    dp__folder f = root_folder(user);
    return dp__folder_list(&f, folder, recursive, found, ctx);
}

void dp__file_source_fill(dp_source *vt)
{
    vt->list = root_list;
    vt->open = root_open;
    vt->size = root_size;
    vt->read_at = root_read_at;
    vt->close = root_close;
}
