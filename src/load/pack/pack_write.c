/* pack_write.c — building a pack (docs/pack-format.md). Entries are kept in memory, each
 * already packed, and written sorted — the data in byte order of the keys (a folder's
 * entries sit together), the index by (hash, key) — so the output depends only on the set
 * of entries and the zstd level, never on the order they were added in. */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCCtx_advanced: zstd allocates through us */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#include "common/alloc.h"
#include "load/pack/pack_format.h"
#include "os/path.h"

typedef struct wentry {
    char *key;
    size_t key_len;
    uint64_t hash, size, checksum;
    unsigned char *data; /* packed */
    size_t packed;
    dp_pack_codec codec;
    uint64_t offset;     /* set when written */
    uint32_t key_off;
} wentry;

struct dp_pack_writer {
    dp_allocator alloc;
    wentry *e;
    size_t n, cap;
};

dp_status dp_pack_writer_new(const dp_allocator *alloc, dp_pack_writer **out)
{
    if (!out)
        return DP_ERR_INVALID;
    dp_allocator a;
    dp__alloc_init(&a, alloc);
    *out = dp__calloc(&a, 1, sizeof **out);
    if (!*out)
        return DP_ERR_NOMEM;
    (*out)->alloc = a;
    return DP_OK;
}

void dp_pack_writer_free(dp_pack_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        dp__free(&w->alloc, w->e[i].key);
        dp__free(&w->alloc, w->e[i].data);
    }
    dp__free(&w->alloc, w->e);
    dp_allocator a = w->alloc;
    dp__free(&a, w);
}

static void *zalloc(void *opaque, size_t size)
{
    return dp__alloc(opaque, size);
}

static void zfree(void *opaque, void *ptr)
{
    dp__free(opaque, ptr);
}

/* Compresses when it gains at least 1/32 and stays within the ratio readers accept;
 * otherwise the entry is stored. Fills e->data, e->packed, e->codec. */
static dp_status pack_bytes(dp_pack_writer *w, wentry *e, const void *bytes, size_t len,
                            int level)
{
    if (level > 0 && len >= 64) {
        size_t bound = ZSTD_compressBound(len);
        unsigned char *z = dp__alloc(&w->alloc, bound);
        ZSTD_customMem mem = {zalloc, zfree, &w->alloc};
        ZSTD_CCtx *c = z ? ZSTD_createCCtx_advanced(mem) : NULL;
        if (!c) {
            dp__free(&w->alloc, z);
            return DP_ERR_NOMEM;
        }
        size_t n = ZSTD_compressCCtx(c, z, bound, bytes, len, level > 19 ? 19 : level);
        ZSTD_freeCCtx(c);
        if (!ZSTD_isError(n) && n <= len - len / 32 && len / DP_PACK_MAX_RATIO <= n) {
            e->data = z;
            e->packed = n;
            e->codec = DP_PACK_ZSTD;
            return DP_OK;
        }
        dp__free(&w->alloc, z);
    }
    e->data = dp__alloc(&w->alloc, len ? len : 1);
    if (!e->data)
        return DP_ERR_NOMEM;
    if (len)
        memcpy(e->data, bytes, len);
    e->packed = len;
    e->codec = DP_PACK_STORED;
    return DP_OK;
}

dp_status dp_pack_writer_add(dp_pack_writer *w, const char *key, const void *bytes, size_t len,
                             int level)
{
    if (!w || !key || (!bytes && len) || strlen(key) > DP_PACK_MAX_KEY ||
        dp__path_check(key) != DP_OK || (uint64_t)len > PK_MAX_SIZE)
        return DP_ERR_INVALID;
    if (w->n == w->cap &&
        dp__grow(&w->alloc, (void **)&w->e, &w->cap, w->n + 1, sizeof *w->e) != DP_OK)
        return DP_ERR_NOMEM;
    wentry e = {.key = dp__strdup(&w->alloc, key), .key_len = strlen(key), .size = len};
    if (!e.key)
        return DP_ERR_NOMEM;
    dp_status st = pack_bytes(w, &e, bytes, len, level);
    if (st != DP_OK) {
        dp__free(&w->alloc, e.key);
        return st;
    }
    e.hash = XXH3_64bits(key, e.key_len);
    e.checksum = XXH3_64bits(len ? bytes : "", len);
    w->e[w->n++] = e;
    return DP_OK;
}

/* ---- writing ------------------------------------------------------------------------------ */

static int by_key(const void *a, const void *b)
{
    return strcmp((*(const wentry *const *)a)->key, (*(const wentry *const *)b)->key);
}

static int by_hash(const void *a, const void *b)
{
    const wentry *x = *(const wentry *const *)a, *y = *(const wentry *const *)b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* The file's parts, laid out: data from the header on, then the index, then the strings. */
typedef struct layout {
    wentry **by_key, **by_hash;
    unsigned char head[PK_HEADER];
    unsigned char *index;
    char *strings;
    size_t strings_size;
    uint64_t data_end, index_off;
} layout;

static dp_status lay_out(dp_pack_writer *w, layout *l)
{
    size_t n = w->n;
    l->by_key = dp__calloc(&w->alloc, n ? n : 1, sizeof *l->by_key);
    l->by_hash = dp__calloc(&w->alloc, n ? n : 1, sizeof *l->by_hash);
    l->index = dp__calloc(&w->alloc, n ? n : 1, PK_ENTRY);
    l->strings_size = 0;
    for (size_t i = 0; i < n; i++)
        l->strings_size += w->e[i].key_len + 1;
    l->strings = dp__alloc(&w->alloc, l->strings_size ? l->strings_size : 1);
    if (!l->by_key || !l->by_hash || !l->index || !l->strings)
        return DP_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        l->by_key[i] = l->by_hash[i] = &w->e[i];
    qsort(l->by_key, n, sizeof *l->by_key, by_key);
    qsort(l->by_hash, n, sizeof *l->by_hash, by_hash);
    uint64_t at = PK_HEADER;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && !strcmp(l->by_key[i - 1]->key, l->by_key[i]->key))
            return DP_ERR_EXISTS;
        l->by_key[i]->offset = at;
        at += l->by_key[i]->packed;
    }
    l->data_end = at;
    l->index_off = (at + 7) & ~(uint64_t)7;
    size_t soff = 0;
    for (size_t i = 0; i < n; i++) {
        wentry *e = l->by_hash[i];
        unsigned char *r = l->index + i * PK_ENTRY;
        pk_put(r + PK_E_HASH, e->hash, 8);
        pk_put(r + PK_E_OFFSET, e->offset, 8);
        pk_put(r + PK_E_PACKED, e->packed, 8);
        pk_put(r + PK_E_SIZE, e->size, 8);
        pk_put(r + PK_E_SUM, e->checksum, 8);
        pk_put(r + PK_E_KEY, soff, 4);
        pk_put(r + PK_E_KEY_LEN, e->key_len, 2);
        r[PK_E_CODEC] = (unsigned char)e->codec;
        memcpy(l->strings + soff, e->key, e->key_len + 1);
        soff += e->key_len + 1;
    }
    if (soff > UINT32_MAX)
        return DP_ERR_OVERFLOW;
    XXH3_state_t *x = XXH3_createState();
    if (!x)
        return DP_ERR_NOMEM;
    XXH3_64bits_reset(x);
    XXH3_64bits_update(x, l->index, n * PK_ENTRY);
    XXH3_64bits_update(x, l->strings, l->strings_size);
    uint64_t meta = XXH3_64bits_digest(x);
    XXH3_freeState(x);
    memcpy(l->head + PK_H_MAGIC, PK_MAGIC, 8);
    pk_put(l->head + PK_H_VERSION, DP_PACK_VERSION, 4);
    pk_put(l->head + PK_H_FLAGS, 0, 4);
    pk_put(l->head + PK_H_COUNT, n, 8);
    pk_put(l->head + PK_H_INDEX, l->index_off, 8);
    pk_put(l->head + PK_H_STRINGS, l->index_off + n * PK_ENTRY, 8);
    pk_put(l->head + PK_H_STRINGS_SIZE, l->strings_size, 8);
    pk_put(l->head + PK_H_META_SUM, meta, 8);
    pk_put(l->head + PK_H_HEAD_SUM, XXH3_64bits(l->head, PK_H_HEAD_SUM), 8);
    return DP_OK;
}

static bool write_all(FILE *f, const layout *l, size_t n)
{
    static const unsigned char zeros[8];
    bool ok = fwrite(l->head, 1, PK_HEADER, f) == PK_HEADER;
    for (size_t i = 0; ok && i < n; i++)
        ok = fwrite(l->by_key[i]->data, 1, l->by_key[i]->packed, f) == l->by_key[i]->packed;
    size_t pad = (size_t)(l->index_off - l->data_end);
    ok = ok && fwrite(zeros, 1, pad, f) == pad;
    ok = ok && fwrite(l->index, PK_ENTRY, n, f) == n;
    ok = ok && fwrite(l->strings, 1, l->strings_size, f) == l->strings_size;
    return ok;
}

dp_status dp_pack_writer_save(dp_pack_writer *w, const char *path)
{
    if (!w || !path)
        return DP_ERR_INVALID;
    layout l = {0};
    dp_status st = lay_out(w, &l);
    char *tmp = NULL;
    if (st == DP_OK) {
        size_t pl = strlen(path);
        tmp = dp__alloc(&w->alloc, pl + 5);
        if (tmp) {
            memcpy(tmp, path, pl);
            memcpy(tmp + pl, ".tmp", 5);
        } else {
            st = DP_ERR_NOMEM;
        }
    }
    if (st == DP_OK) {
        FILE *f = fopen(tmp, "wb");
        bool ok = f && write_all(f, &l, w->n);
        if (f && fclose(f) != 0)
            ok = false;
        if (!ok || rename(tmp, path) != 0) {
            remove(tmp);
            st = DP_ERR_IO;
        }
    }
    dp__free(&w->alloc, tmp);
    dp__free(&w->alloc, l.by_key);
    dp__free(&w->alloc, l.by_hash);
    dp__free(&w->alloc, l.index);
    dp__free(&w->alloc, l.strings);
    return st;
}
