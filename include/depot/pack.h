/** @file pack.h
 * @brief Layer 3, load: pack files — many assets in one file, each stored or
 * zstd-compressed, found through a sorted index of 64-bit key hashes and checked against an
 * xxHash checksum when read (docs/pack-format.md). A program usually just mounts a pack
 * (dp_mount in load.h); these functions read and write packs directly (the `depot pack`
 * tool, tests, a game's own patcher).
 *
 * Thread rules: a dp_pack is immutable once open; any number of threads may find, read and
 * list at once (reads use pread). A dp_pack_writer belongs to one thread at a time.
 * Hostile input: a corrupt, truncated or lying pack gives DP_ERR_FORMAT, never a crash, and
 * no allocation is larger than the pack file (a compressed entry's declared size is bounded
 * by DP_PACK_MAX_RATIO times its packed size). Without libzstd and libxxhash at build time
 * every function returns DP_ERR_NOT_FOUND.
 */
#ifndef DEPOT_PACK_H
#define DEPOT_PACK_H

#include "depot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Version of the format this build reads and writes. */
#define DP_PACK_VERSION 1u
/** @brief The largest size an entry may unpack to relative to its packed size. */
#define DP_PACK_MAX_RATIO 128u
/** @brief The longest key, in bytes. */
#define DP_PACK_MAX_KEY 4096u

/** @brief How an entry's bytes are kept. */
typedef enum dp_pack_codec {
    DP_PACK_STORED = 0, /**< as they are */
    DP_PACK_ZSTD = 1    /**< one zstd frame */
} dp_pack_codec;

typedef struct dp_pack dp_pack;

/** @brief One entry of the index. */
typedef struct dp_pack_entry {
    const char *key;       /**< NUL-terminated; lives as long as the pack */
    uint64_t key_hash;     /**< XXH3-64 of the key */
    uint64_t offset;       /**< of the packed bytes in the file */
    uint64_t packed_size;  /**< bytes in the file */
    uint64_t size;         /**< bytes once unpacked */
    uint64_t checksum;     /**< XXH3-64 of the unpacked bytes */
    dp_pack_codec codec;
} dp_pack_entry;

/** @brief Opens the pack file at `path` (an OS path) and checks its header and index.
 * `alloc` (NULL = malloc) is copied. Any thread.
 * @return DP_OK; DP_ERR_NOT_FOUND (no such file); DP_ERR_IO; DP_ERR_FORMAT (not a pack, a
 * newer version, or any inconsistency: see docs/pack-format.md); DP_ERR_NOMEM. On error
 * *out is NULL. */
dp_status dp_pack_open(const char *path, const dp_allocator *alloc, dp_pack **out);

/** @brief As dp_pack_open, over `len` bytes in memory that must outlive the pack (not
 * copied). */
dp_status dp_pack_open_memory(const void *bytes, size_t len, const dp_allocator *alloc,
                              dp_pack **out);

/** @brief Closes a pack; NULL is ignored. No other call on it may be running. */
void dp_pack_close(dp_pack *pack);

/** @brief Number of entries. Any thread. */
size_t dp_pack_count(const dp_pack *pack);

/** @brief Entry `index` (0 .. count-1, in index order). Any thread.
 * @return DP_OK; DP_ERR_INVALID (NULL, index out of range). */
dp_status dp_pack_entry_at(const dp_pack *pack, size_t index, dp_pack_entry *out);

/** @brief Finds the entry of `key` (binary search over the key hashes). Any thread.
 * @return DP_OK; DP_ERR_NOT_FOUND; DP_ERR_INVALID. */
dp_status dp_pack_find(const dp_pack *pack, const char *key, size_t *index);

/** @brief Reads entry `index` whole, unpacked and checked against its checksum, into a
 * buffer from the pack's allocator (one NUL byte after it, not counted in *len); free it
 * with dp_pack_free. Any thread, concurrently.
 * @return DP_OK; DP_ERR_FORMAT (checksum mismatch, bad zstd frame, size disagrees);
 * DP_ERR_IO; DP_ERR_NOMEM; DP_ERR_INVALID. On error nothing is allocated. */
dp_status dp_pack_read(const dp_pack *pack, size_t index, void **bytes, size_t *len);

/** @brief Frees a buffer from dp_pack_read; NULL is ignored. */
void dp_pack_free(const dp_pack *pack, void *bytes);

/** @brief Calls fn for every key under `folder` ("" or NULL: every key; "a/b" or "a/b/":
 * keys starting with "a/b/"), in byte order of the keys. Any thread.
 * @return DP_OK; DP_ERR_NOMEM; DP_ERR_INVALID. */
dp_status dp_pack_list(const dp_pack *pack, const char *folder,
                       void (*fn)(void *user, const char *key), void *user);

/** @brief A pack being built: entries are added in any order and written sorted, so the
 * same entries give the same bytes. */
typedef struct dp_pack_writer dp_pack_writer;

/** @brief A new writer; `alloc` (NULL = malloc) is copied.
 * @return DP_OK; DP_ERR_NOMEM; DP_ERR_INVALID. */
dp_status dp_pack_writer_new(const dp_allocator *alloc, dp_pack_writer **out);

/** @brief Adds an entry (the bytes are copied). `level` 1..19 is the zstd level to try;
 * the entry is compressed only when that saves at least 1/32 of its size (and stays within
 * DP_PACK_MAX_RATIO), else stored; `level` <= 0 always stores.
 * A key added twice is found when saving (DP_ERR_EXISTS from dp_pack_writer_save).
 * @return DP_OK; DP_ERR_INVALID (NULL, empty or too long key, a key with "\\", a leading
 * "/", or "." or ".." parts, an entry over 1 GiB); DP_ERR_NOMEM. */
dp_status dp_pack_writer_add(dp_pack_writer *w, const char *key, const void *bytes, size_t len,
                             int level);

/** @brief Writes the pack to `path` (through a temporary file renamed over it, so a reader
 * never sees half a pack). The writer stays usable.
 * @return DP_OK; DP_ERR_EXISTS (a key added twice: nothing written); DP_ERR_IO;
 * DP_ERR_NOMEM. */
dp_status dp_pack_writer_save(dp_pack_writer *w, const char *path);

/** @brief Frees a writer; NULL is ignored. */
void dp_pack_writer_free(dp_pack_writer *w);

#ifdef __cplusplus
}
#endif
#endif
