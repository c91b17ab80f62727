/* pack_read.c — opening a pack and reading its entries (docs/pack-format.md).
 *
 * Everything a pack says is checked before it is used: the header's checksum and bounds,
 * the index and key strings against their checksum, every entry's key, codec, sizes and
 * data range, and the sort order the binary search relies on. Each allocation is bounded
 * by the file's size (an unpacked zstd entry by DP_PACK_MAX_RATIO times its packed bytes),
 * so a lying header cannot make us allocate what the file cannot back. An entry's bytes
 * reach the caller only after its checksum matched. */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createDCtx_advanced: zstd allocates through us */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "common/alloc.h"
#include "load/pack/pack_format.h"
#include "os/file_range.h"

struct dp_pack {
    dp_allocator alloc;
    dp__file file;              /* the open file (fd < 0 for a pack in memory) */
    const unsigned char *mem;   /* or the bytes in memory */
    uint64_t file_size;
    size_t count;
    unsigned char *index;       /* count * PK_ENTRY bytes as in the file */
    char *strings;              /* the key strings, each followed by a NUL */
    uint64_t strings_size;
    uint64_t *hashes;           /* the key hashes, in index order */
    struct slot *table;         /* open addressing over the hashes: lookups in ~2 misses */
    size_t mask;                /* table size - 1 */
};

/* A slot of the lookup table: the hash, the entry (index + 1; 0 = empty) and its key, so
 * that a hit touches the slot and the key string only. */
struct slot {
    uint64_t hash;
    uint32_t index;
    uint32_t key;
};

/* Exactly len bytes at offset, from the file or the memory. */
static dp_status raw_read(const dp_pack *p, uint64_t offset, void *buf, size_t len)
{
    if (offset > p->file_size || len > p->file_size - offset)
        return DP_ERR_FORMAT;
    if (p->mem) {
        if (len)
            memcpy(buf, p->mem + offset, len);
        return DP_OK;
    }
    return dp__file_pread(&p->file, offset, buf, len);
}

static const unsigned char *entry_raw(const dp_pack *p, size_t i)
{
    return p->index + i * PK_ENTRY;
}

/* ---- opening: header, index and strings, entries -------------------------------------- */

static dp_status read_header(dp_pack *p, uint64_t *index_off, uint64_t *strings_off,
                             uint64_t *meta_sum)
{
    unsigned char h[PK_HEADER];
    if (p->file_size < PK_HEADER)
        return DP_ERR_FORMAT;
    dp_status st = raw_read(p, 0, h, sizeof h);
    if (st != DP_OK)
        return st;
    if (memcmp(h + PK_H_MAGIC, PK_MAGIC, 8) != 0 ||
        pk_get(h + PK_H_HEAD_SUM, 8) != XXH3_64bits(h, PK_H_HEAD_SUM) ||
        pk_get(h + PK_H_VERSION, 4) != DP_PACK_VERSION || pk_get(h + PK_H_FLAGS, 4) != 0)
        return DP_ERR_FORMAT;
    uint64_t count = pk_get(h + PK_H_COUNT, 8);
    *index_off = pk_get(h + PK_H_INDEX, 8);
    *strings_off = pk_get(h + PK_H_STRINGS, 8);
    p->strings_size = pk_get(h + PK_H_STRINGS_SIZE, 8);
    *meta_sum = pk_get(h + PK_H_META_SUM, 8);
    uint64_t room = p->file_size;
    /* Both regions inside the file, after the header; the count is bounded by the room for
     * its index, so count * PK_ENTRY cannot overflow. */
    if (*index_off < PK_HEADER || *index_off > room || count > (room - *index_off) / PK_ENTRY ||
        *strings_off < PK_HEADER || *strings_off > room ||
        p->strings_size > room - *strings_off || (count > 0 && p->strings_size == 0))
        return DP_ERR_FORMAT;
    p->count = (size_t)count;
    return DP_OK;
}

/* Reads the index and the strings and checks them against the header's checksum. */
static dp_status read_meta(dp_pack *p, uint64_t index_off, uint64_t strings_off,
                           uint64_t meta_sum)
{
    size_t index_size = p->count * PK_ENTRY;
    if (index_size) {
        p->index = dp__alloc(&p->alloc, index_size);
        p->hashes = dp__calloc(&p->alloc, p->count, sizeof *p->hashes);
        if (!p->index || !p->hashes)
            return DP_ERR_NOMEM;
    }
    if (p->strings_size) {
        p->strings = dp__alloc(&p->alloc, (size_t)p->strings_size);
        if (!p->strings)
            return DP_ERR_NOMEM;
    }
    dp_status st = raw_read(p, index_off, p->index, index_size);
    if (st == DP_OK)
        st = raw_read(p, strings_off, p->strings, (size_t)p->strings_size);
    if (st != DP_OK)
        return st;
    XXH3_state_t *x = XXH3_createState();
    if (!x)
        return DP_ERR_NOMEM;
    XXH3_64bits_reset(x);
    XXH3_64bits_update(x, p->index, index_size);
    XXH3_64bits_update(x, p->strings, (size_t)p->strings_size);
    uint64_t sum = XXH3_64bits_digest(x);
    XXH3_freeState(x);
    return sum == meta_sum ? DP_OK : DP_ERR_FORMAT;
}

/* One entry's fields make sense on their own. */
static bool entry_ok(const dp_pack *p, const unsigned char *e)
{
    uint64_t off = pk_get(e + PK_E_OFFSET, 8), packed = pk_get(e + PK_E_PACKED, 8);
    uint64_t size = pk_get(e + PK_E_SIZE, 8), key = pk_get(e + PK_E_KEY, 4);
    uint64_t key_len = pk_get(e + PK_E_KEY_LEN, 2);
    unsigned codec = e[PK_E_CODEC];
    if (e[PK_E_ZERO] != 0 || key_len == 0 || key_len > DP_PACK_MAX_KEY ||
        key >= p->strings_size || key_len >= p->strings_size - key)
        return false;
    const char *k = p->strings + key;
    if (k[key_len] != 0 || memchr(k, 0, (size_t)key_len) != NULL ||
        XXH3_64bits(k, (size_t)key_len) != pk_get(e + PK_E_HASH, 8))
        return false;
    if (off < PK_HEADER || off > p->file_size || packed > p->file_size - off ||
        size > PK_MAX_SIZE)
        return false;
    if (codec == DP_PACK_STORED)
        return packed == size;
    return codec == DP_PACK_ZSTD && packed > 0 && size / DP_PACK_MAX_RATIO <= packed;
}

/* Every entry is sound and the index is sorted by (hash, key) without repeats. */
static dp_status check_entries(dp_pack *p)
{
    for (size_t i = 0; i < p->count; i++) {
        const unsigned char *e = entry_raw(p, i);
        if (!entry_ok(p, e))
            return DP_ERR_FORMAT;
        p->hashes[i] = pk_get(e + PK_E_HASH, 8);
        if (i == 0)
            continue;
        const unsigned char *prev = entry_raw(p, i - 1);
        int order = p->hashes[i - 1] < p->hashes[i] ? -1 : p->hashes[i - 1] > p->hashes[i];
        if (order == 0)
            order = strcmp(p->strings + pk_get(prev + PK_E_KEY, 4),
                           p->strings + pk_get(e + PK_E_KEY, 4));
        if (order >= 0)
            return DP_ERR_FORMAT;
    }
    return DP_OK;
}

/* The lookup table: a power of two at least twice the count (half full at most). It is
 * 32 bytes an entry at most, less than the 48-byte record plus key each entry has in the
 * file, so it is never larger than the file either. */
static dp_status build_table(dp_pack *p)
{
    if (p->count == 0 || p->count >= UINT32_MAX)
        return p->count == 0 ? DP_OK : DP_ERR_FORMAT;
    size_t size = 4;
    while (size < p->count * 2)
        size *= 2;
    p->table = dp__calloc(&p->alloc, size, sizeof *p->table);
    if (!p->table)
        return DP_ERR_NOMEM;
    p->mask = size - 1;
    for (size_t i = 0; i < p->count; i++) {
        size_t at = (size_t)p->hashes[i] & p->mask;
        while (p->table[at].index)
            at = (at + 1) & p->mask;
        p->table[at] = (struct slot){.hash = p->hashes[i], .index = (uint32_t)i + 1,
                                     .key = (uint32_t)pk_get(entry_raw(p, i) + PK_E_KEY, 4)};
    }
    return DP_OK;
}

static dp_status pack_init(dp_pack *p)
{
    uint64_t index_off, strings_off, meta_sum;
    dp_status st = read_header(p, &index_off, &strings_off, &meta_sum);
    if (st == DP_OK)
        st = read_meta(p, index_off, strings_off, meta_sum);
    if (st == DP_OK)
        st = check_entries(p);
    if (st == DP_OK)
        st = build_table(p);
    return st;
}

static dp_status pack_new(const dp_allocator *alloc, dp_pack **out)
{
    dp_allocator a;
    dp__alloc_init(&a, alloc);
    dp_pack *p = dp__calloc(&a, 1, sizeof *p);
    if (!p)
        return DP_ERR_NOMEM;
    p->alloc = a;
    p->file.fd = -1;
    *out = p;
    return DP_OK;
}

static dp_status finish_open(dp_pack *p, dp_pack **out)
{
    dp_status st = pack_init(p);
    if (st != DP_OK) {
        dp_pack_close(p);
        return st;
    }
    *out = p;
    return DP_OK;
}

dp_status dp_pack_open(const char *path, const dp_allocator *alloc, dp_pack **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return DP_ERR_INVALID;
    dp_pack *p;
    dp_status st = pack_new(alloc, &p);
    if (st != DP_OK)
        return st;
    st = dp__file_open(path, &p->file);
    if (st != DP_OK) {
        dp_pack_close(p);
        return st;
    }
    p->file_size = p->file.size;
    return finish_open(p, out);
}

dp_status dp_pack_open_memory(const void *bytes, size_t len, const dp_allocator *alloc,
                              dp_pack **out)
{
    if (out)
        *out = NULL;
    if ((!bytes && len) || !out)
        return DP_ERR_INVALID;
    dp_pack *p;
    dp_status st = pack_new(alloc, &p);
    if (st != DP_OK)
        return st;
    p->mem = bytes ? bytes : (const unsigned char *)"";
    p->file_size = len;
    return finish_open(p, out);
}

void dp_pack_close(dp_pack *p)
{
    if (!p)
        return;
    dp__file_close(&p->file);
    dp__free(&p->alloc, p->index);
    dp__free(&p->alloc, p->strings);
    dp__free(&p->alloc, p->hashes);
    dp__free(&p->alloc, p->table);
    dp_allocator a = p->alloc;
    dp__free(&a, p);
}

/* ---- looking up ------------------------------------------------------------------------ */

size_t dp_pack_count(const dp_pack *p)
{
    return p ? p->count : 0;
}

dp_status dp_pack_entry_at(const dp_pack *p, size_t i, dp_pack_entry *out)
{
    if (!p || !out || i >= p->count)
        return DP_ERR_INVALID;
    const unsigned char *e = entry_raw(p, i);
    *out = (dp_pack_entry){
        .key = p->strings + pk_get(e + PK_E_KEY, 4),
        .key_hash = p->hashes[i],
        .offset = pk_get(e + PK_E_OFFSET, 8),
        .packed_size = pk_get(e + PK_E_PACKED, 8),
        .size = pk_get(e + PK_E_SIZE, 8),
        .checksum = pk_get(e + PK_E_SUM, 8),
        .codec = (dp_pack_codec)e[PK_E_CODEC],
    };
    return DP_OK;
}

dp_status dp_pack_find(const dp_pack *p, const char *key, size_t *index)
{
    if (!p || !key || !index)
        return DP_ERR_INVALID;
    if (p->count == 0)
        return DP_ERR_NOT_FOUND;
    uint64_t h = XXH3_64bits(key, strlen(key));
    for (size_t at = (size_t)h & p->mask; p->table[at].index; at = (at + 1) & p->mask) {
        const struct slot *t = &p->table[at];
        if (t->hash == h && strcmp(p->strings + t->key, key) == 0) {
            *index = t->index - 1;
            return DP_OK;
        }
    }
    return DP_ERR_NOT_FOUND;
}

/* ---- reading ----------------------------------------------------------------------------- */

static void *zalloc(void *opaque, size_t size)
{
    return dp__alloc(opaque, size);
}

static void zfree(void *opaque, void *ptr)
{
    dp__free(opaque, ptr);
}

/* Unpacks one zstd frame of exactly `size` bytes into out (size + 1 bytes). */
static dp_status unzstd(const dp_pack *p, const void *packed, size_t packed_size, void *out,
                        size_t size)
{
    unsigned long long declared = ZSTD_getFrameContentSize(packed, packed_size);
    if (declared != size)
        return DP_ERR_FORMAT; /* the frame says another size, or is not a frame */
    ZSTD_customMem mem = {zalloc, zfree, (void *)&p->alloc};
    ZSTD_DCtx *d = ZSTD_createDCtx_advanced(mem);
    if (!d)
        return DP_ERR_NOMEM;
    size_t n = ZSTD_decompressDCtx(d, out, size, packed, packed_size);
    ZSTD_freeDCtx(d);
    if (ZSTD_isError(n))
        return ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation ? DP_ERR_NOMEM
                                                                      : DP_ERR_FORMAT;
    return n == size ? DP_OK : DP_ERR_FORMAT;
}

dp_status dp_pack_read(const dp_pack *p, size_t index, void **bytes, size_t *len)
{
    if (bytes)
        *bytes = NULL;
    if (len)
        *len = 0;
    dp_pack_entry e;
    if (!bytes || !len || dp_pack_entry_at(p, index, &e) != DP_OK)
        return DP_ERR_INVALID;
    /* Bounded when the pack was opened: packed within the file, size by the ratio. */
    size_t size = (size_t)e.size, packed = (size_t)e.packed_size;
    unsigned char *out = dp__alloc(&p->alloc, size + 1);
    if (!out)
        return DP_ERR_NOMEM;
    dp_status st;
    if (e.codec == DP_PACK_STORED) {
        st = raw_read(p, e.offset, out, size);
    } else {
        void *in = dp__alloc(&p->alloc, packed);
        st = in ? raw_read(p, e.offset, in, packed) : DP_ERR_NOMEM;
        if (st == DP_OK)
            st = unzstd(p, in, packed, out, size);
        dp__free(&p->alloc, in);
    }
    if (st == DP_OK && XXH3_64bits(out, size) != e.checksum)
        st = DP_ERR_FORMAT; /* never hand out bytes that are not what was packed */
    if (st != DP_OK) {
        dp__free(&p->alloc, out);
        return st;
    }
    out[size] = 0;
    *bytes = out;
    *len = size;
    return DP_OK;
}

void dp_pack_free(const dp_pack *p, void *bytes)
{
    if (p && bytes)
        dp__free(&p->alloc, bytes);
}

/* ---- listing ------------------------------------------------------------------------------- */

static int by_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

dp_status dp_pack_list(const dp_pack *p, const char *folder,
                       void (*fn)(void *user, const char *key), void *user)
{
    if (!p || !fn)
        return DP_ERR_INVALID;
    size_t flen = folder ? strlen(folder) : 0;
    while (flen && folder[flen - 1] == '/')
        flen--;
    if (p->count == 0)
        return DP_OK;
    const char **keys = dp__calloc(&p->alloc, p->count, sizeof *keys);
    if (!keys)
        return DP_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < p->count; i++) {
        const char *k = p->strings + pk_get(entry_raw(p, i) + PK_E_KEY, 4);
        if (flen == 0 || (strncmp(k, folder, flen) == 0 && k[flen] == '/'))
            keys[n++] = k;
    }
    qsort(keys, n, sizeof *keys, by_key);
    for (size_t i = 0; i < n; i++)
        fn(user, keys[i]);
    dp__free(&p->alloc, keys);
    return DP_OK;
}
