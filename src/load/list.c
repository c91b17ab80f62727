/* list.c — the keys of a folder (dp__source_list): asked of the folder key's source, and for
 * keys without a scheme of every mount and the root folder, then sorted and made unique. */
#include <stdlib.h>
#include <string.h>

#include "load/loader.h"
#include "load/mount.h"
#include "os/path.h"

#define KEY_MAX 4096 /* the longest path a key may have */

bool dp__path_in_folder(const char *path, const char *folder, bool recursive)
{
    size_t fl = strlen(folder);
    const char *rest = path;
    if (fl) {
        if (strncmp(path, folder, fl) != 0 || path[fl] != '/')
            return false;
        rest = path + fl + 1;
    }
    return rest[0] && (recursive || !strchr(rest, '/'));
}

/* What the sources found: the keys, each allocated, before sorting. */
typedef struct found_keys {
    const dp_allocator *a;
    const char *scheme;  /* "mem" for mem://; NULL for keys without a scheme */
    const char *folder;
    bool recursive;
    char **v;
    size_t n, cap;
    size_t bytes;        /* the strings' lengths with their NULs */
    bool nomem;
} found_keys;

static void on_found(void *ctx, const char *path)
{
    found_keys *fk = ctx;
    /* A source may be generous: keep only what the folder holds and a key can name. */
    if (fk->nomem || !dp__path_in_folder(path, fk->folder, fk->recursive) ||
        strlen(path) > KEY_MAX || strchr(path, '#') ||
        (!fk->scheme && dp__path_check(path) != DP_OK))
        return;
    char *key = fk->scheme ? dp__key_join(fk->a, fk->scheme, path) : dp__strdup(fk->a, path);
    if (!key || (fk->n == fk->cap &&
                 dp__grow(fk->a, (void **)&fk->v, &fk->cap, fk->n + 1, sizeof *fk->v) != DP_OK)) {
        dp__free(fk->a, key);
        fk->nomem = true;
        return;
    }
    fk->v[fk->n++] = key;
    fk->bytes += strlen(key) + 1;
}

static int by_string(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Sorts, drops repeats and moves the keys into one block: n pointers, then the strings. */
static dp_status pack_keys(found_keys *fk, char ***keys, size_t *n)
{
    if (fk->n)
        qsort(fk->v, fk->n, sizeof *fk->v, by_string);
    char **out = dp__alloc(fk->a, fk->n * sizeof *out + fk->bytes + 1);
    if (!out)
        return DP_ERR_NOMEM;
    char *s = (char *)(out + fk->n);
    size_t m = 0;
    for (size_t i = 0; i < fk->n; i++) {
        if (m && !strcmp(out[m - 1], fk->v[i]))
            continue;
        size_t l = strlen(fk->v[i]) + 1;
        memcpy(s, fk->v[i], l);
        out[m++] = s;
        s += l;
    }
    *keys = out;
    *n = m;
    return DP_OK;
}

/* Splits the folder key into its source and its folder path (copied into `path` without
 * trailing slashes). DP_OK; DP_ERR_INVALID; DP_ERR_NOT_FOUND (unknown scheme). */
static dp_status parse_folder(dp__loader *L, const char *key, int *source, char *path)
{
    const char *sep = strstr(key, "://"), *slash = strchr(key, '/');
    *source = 0;
    if (sep && (!slash || sep < slash)) {
        size_t sl = (size_t)(sep - key);
        /* Acquire: pairs with dp__source_add's release of nsources; sources 0..n-1 are complete. */
        int n = atomic_load_explicit(&L->nsources, memory_order_acquire), found = -1;
        for (int i = 0; i < n; i++)
            if (strlen(L->sources[i].scheme) == sl && !strncmp(L->sources[i].scheme, key, sl))
                found = i;
        if (found < 0)
            return DP_ERR_NOT_FOUND;
        *source = found;
        key = sep + 3;
    }
    size_t len = strlen(key);
    while (len && key[len - 1] == '/')
        len--;
    if (len > KEY_MAX || memchr(key, '#', len))
        return DP_ERR_INVALID;
    memcpy(path, key, len);
    path[len] = 0;
    return *source == 0 && len && dp__path_check(path) != DP_OK ? DP_ERR_INVALID : DP_OK;
}

/* The status of two listings together: any real error, else found if either found. */
static dp_status merge(dp_status a, dp_status b)
{
    if (a != DP_OK && a != DP_ERR_NOT_FOUND)
        return a;
    if (b != DP_OK && b != DP_ERR_NOT_FOUND)
        return b;
    return a == DP_OK || b == DP_OK ? DP_OK : DP_ERR_NOT_FOUND;
}

dp_status dp__source_list(dp__loader *L, const char *folder, bool recursive, char ***keys,
                          size_t *n)
{
    if (!keys || !n)
        return DP_ERR_INVALID;
    *keys = NULL;
    *n = 0;
    if (!L || !folder)
        return DP_ERR_INVALID;
    char path[KEY_MAX + 1];
    int source;
    dp_status st = parse_folder(L, folder, &source, path);
    if (st != DP_OK)
        return st;
    const dp_source *vt = &L->sources[source].vt;
    if (!vt->list)
        return DP_ERR_UNSUPPORTED;
    found_keys fk = {.a = L->alloc, .scheme = source ? vt->scheme : NULL, .folder = path,
                     .recursive = recursive};
    st = source == 0 ? dp__mounts_list(L, path, recursive, on_found, &fk) : DP_ERR_NOT_FOUND;
    st = merge(st, vt->list(vt->user, path, recursive, on_found, &fk));
    if (st == DP_OK && fk.nomem)
        st = DP_ERR_NOMEM;
    if (st == DP_OK)
        st = pack_keys(&fk, keys, n);
    for (size_t i = 0; i < fk.n; i++)
        dp__free(fk.a, fk.v[i]);
    dp__free(fk.a, fk.v);
    return st;
}
