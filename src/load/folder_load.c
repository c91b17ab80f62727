/* folder_load.c — dp_load_folder: every file of a folder, from any source that can list
 * (dp__source_list: the root folder and the mounts for keys without a scheme, mem://, a
 * custom source with `list`), loaded into a group. Owner thread. */
#include <string.h>

#include "load/loader.h"

/* Whether the file name at the end of key ends in ".<ext>" for one of exts (NULL: all). */
static bool wanted(const char *key, const char *const *exts)
{
    if (!exts)
        return true;
    const char *slash = strrchr(key, '/');
    const char *name = slash ? slash + 1 : key;
    size_t nl = strlen(name);
    for (; *exts; exts++) {
        size_t el = strlen(*exts);
        if (el && nl > el + 1 && name[nl - el - 1] == '.' && !strcmp(name + nl - el, *exts))
            return true;
    }
    return false;
}

/* Loads one listed key into the group: counts it loaded or skipped. DP_OK, or an error that
 * stops the folder load (NOMEM, OVERFLOW, INVALID options). */
static dp_status load_one(dp_depot *dp, const char *key, const dp_load_opts *lo,
                          dp_folder_result *out)
{
    dp_handle h;
    dp_status st = dp_load_ex_at(dp, key, lo, &h, "(folder load)", 0);
    if (st == DP_OK || st == DP_ERR_EXISTS) { /* EXISTS: in the group already */
        out->loaded++;
        return DP_OK;
    }
    if (st == DP_ERR_NOT_FOUND) { /* no type claims its extension */
        out->skipped++;
        return DP_OK;
    }
    return st;
}

dp_status dp_load_folder(dp_depot *dp, const char *folder, const dp_folder_opts *opts,
                         dp_folder_result *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!dp || !folder || !out)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__loader *L = dp__loader_get(dp);
    if (!L)
        return DP_ERR_NOMEM;
    dp_folder_opts o = opts ? *opts : (dp_folder_opts){0};
    dp_load_opts lo = o.load ? *o.load : (dp_load_opts){0};
    if (lo.group.bits && !dp__group_alive(dp, lo.group))
        return DP_ERR_STALE;
    char **keys;
    size_t n;
    dp_status st = dp__source_list(L, folder, o.recursive, &keys, &n);
    if (st != DP_OK)
        return st;
    bool made = !lo.group.bits;
    if (made && (st = dp_group_create(dp, folder, &lo.group)) != DP_OK)
        goto out;
    for (size_t i = 0; i < n && st == DP_OK; i++) {
        if (!wanted(keys[i], o.extensions))
            out->skipped++;
        else
            st = load_one(dp, keys[i], &lo, out);
    }
    if (st != DP_OK) {
        if (made)
            dp_group_destroy(dp, lo.group);
        memset(out, 0, sizeof *out);
        goto out;
    }
    out->group = lo.group;
out:
    dp__free(L->alloc, keys);
    return st;
}
