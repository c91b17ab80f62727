/* folder.c — see folder.h. Every path is resolved with dp__path_resolve (symlinks followed,
 * a real location outside the root refused) before a file is opened. */
#include "load/folder.h"

#include "common/alloc.h"
#include "load/loader.h"
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

/* ---- the root file source's ranged reads (user = the loader) ------------------------------ */

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

void dp__file_source_ranged(dp_source *vt)
{
    vt->open = root_open;
    vt->size = root_size;
    vt->read_at = root_read_at;
    vt->close = root_close;
}
