/* pack_format.h — the on-disk layout of a pack (docs/pack-format.md), shared by the reader
 * and the writer: little-endian fields at fixed offsets. */
#ifndef DEPOT_LOAD_PACK_FORMAT_H
#define DEPOT_LOAD_PACK_FORMAT_H

#include <stdint.h>
#include <string.h>

#include "depot/pack.h"

#define PK_MAGIC "DPAK\r\n\x1a\n"
#define PK_HEADER 64u
#define PK_ENTRY 48u

/* Header fields. */
enum {
    PK_H_MAGIC = 0,        /* 8 bytes */
    PK_H_VERSION = 8,      /* u32 */
    PK_H_FLAGS = 12,       /* u32, 0 */
    PK_H_COUNT = 16,       /* u64 entries */
    PK_H_INDEX = 24,       /* u64 offset of the index (count * 48 bytes) */
    PK_H_STRINGS = 32,     /* u64 offset of the key strings */
    PK_H_STRINGS_SIZE = 40,/* u64 */
    PK_H_META_SUM = 48,    /* u64 XXH3-64 of the index, then the strings */
    PK_H_HEAD_SUM = 56     /* u64 XXH3-64 of header bytes 0..55 */
};

/* Index entry fields. */
enum {
    PK_E_HASH = 0,     /* u64 XXH3-64 of the key */
    PK_E_OFFSET = 8,   /* u64 */
    PK_E_PACKED = 16,  /* u64 */
    PK_E_SIZE = 24,    /* u64 */
    PK_E_SUM = 32,     /* u64 XXH3-64 of the unpacked bytes */
    PK_E_KEY = 40,     /* u32 offset in the strings */
    PK_E_KEY_LEN = 44, /* u16, without the NUL that follows the key */
    PK_E_CODEC = 46,   /* u8 */
    PK_E_ZERO = 47     /* u8, 0 */
};

/* The largest entry, unpacked (as large as a file the file source reads). */
#define PK_MAX_SIZE ((uint64_t)1 << 30)

static inline uint64_t pk_get(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline void pk_put(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

#endif
