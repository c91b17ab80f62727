/* fuzz_pack.c — libFuzzer target for the pack reader (index and entry reading).
 *
 * The input is a pack file. It is opened twice: as it is, and with its header and index
 * checksums recomputed, so that mutations get past the checksums to the structural checks
 * behind them. For every pack that opens:
 *  - each entry's key finds that same entry (the index is sorted and its keys unique);
 *  - each read gives DP_OK with exactly the declared size, DP_ERR_FORMAT or DP_ERR_NOMEM,
 *    and on error leaves nothing allocated;
 *  - listing every key gives each key once;
 *  - after closing, no allocation is live.
 * Any violation abort()s, so the fuzzer reports it; ASan/UBSan catch the rest. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "depot/pack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                          \
    do {                                                                                  \
        if (!(c)) {                                                                       \
            fprintf(stderr, "fuzz_pack: %s (line %d)\n", #c, __LINE__);                   \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static atomic_long live;

static void *fz_alloc(size_t n, void *user)
{
    (void)user;
    void *p = malloc(n);
    if (p)
        atomic_fetch_add(&live, 1);
    return p;
}

static void fz_free(void *p, void *user)
{
    (void)user;
    atomic_fetch_sub(&live, 1);
    free(p);
}

static const dp_allocator fz_allocator = {fz_alloc, fz_free, NULL};

static void count_key(void *user, const char *key)
{
    (void)key;
    (*(size_t *)user)++;
}

static void check_pack(const uint8_t *b, size_t n)
{
    dp_pack *p = NULL;
    dp_status st = dp_pack_open_memory(b, n, &fz_allocator, &p);
    CHECK(st == DP_OK || st == DP_ERR_FORMAT);
    if (st == DP_OK) {
        size_t count = dp_pack_count(p);
        for (size_t i = 0; i < count; i++) {
            dp_pack_entry e;
            CHECK(dp_pack_entry_at(p, i, &e) == DP_OK);
            size_t found = (size_t)-1;
            CHECK(dp_pack_find(p, e.key, &found) == DP_OK && found == i);
            void *bytes = (void *)1;
            size_t len = 1;
            st = dp_pack_read(p, i, &bytes, &len);
            CHECK(st == DP_OK || st == DP_ERR_FORMAT);
            if (st == DP_OK)
                CHECK(len == e.size && XXH3_64bits(bytes, len) == e.checksum);
            else
                CHECK(bytes == NULL && len == 0);
            dp_pack_free(p, bytes);
        }
        size_t listed = 0;
        CHECK(dp_pack_list(p, "", count_key, &listed) == DP_OK && listed == count);
        dp_pack_close(p);
    } else {
        CHECK(p == NULL);
    }
    CHECK(atomic_load(&live) == 0);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Recomputes the index checksum (when the regions it covers are inside the input) and the
 * header checksum (docs/pack-format.md). */
static void repair(uint8_t *b, size_t n)
{
    uint64_t count = get64(b + 16), index = get64(b + 24), strings = get64(b + 32);
    uint64_t ssize = get64(b + 40);
    if (index <= n && count <= (n - index) / 48 && strings <= n && ssize <= n - strings) {
        XXH3_state_t *x = XXH3_createState();
        if (x) {
            XXH3_64bits_reset(x);
            XXH3_64bits_update(x, b + index, (size_t)count * 48);
            XXH3_64bits_update(x, b + strings, (size_t)ssize);
            put64(b + 48, XXH3_64bits_digest(x));
            XXH3_freeState(x);
        }
    }
    put64(b + 56, XXH3_64bits(b, 56));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_pack(data, size);
    if (size >= 64) {
        uint8_t *copy = malloc(size);
        if (!copy)
            return 0;
        memcpy(copy, data, size);
        repair(copy, size);
        check_pack(copy, size);
        free(copy);
    }
    return 0;
}
