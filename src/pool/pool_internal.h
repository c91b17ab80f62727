/* pool_internal.h — what the asset layer (and tests) may use of the pool beyond pool.h.
 *
 * Slot word layout (one _Atomic uint64_t per slot):
 *   bits  0..31  generation: odd = live, even = free (0 = never used)
 *   bits 32..63  user bits while live (the asset layer keeps its strong count there);
 *                while free and on the shared list, the index of the next free slot + 1
 *                (0 = end of list).
 * So the asset layer can move (gen, count) with one CAS, and dp__pool_free_expect is a CAS
 * from (gen, expected user bits) to (gen + 1, 0). dp_pool_free is a load and a plain store,
 * which is right only while no thread but the owner writes a live slot's word: a layer that
 * changes user bits from other threads (the asset layer's counts) frees with
 * dp__pool_free_expect.
 */
#ifndef DEPOT_POOL_INTERNAL_H
#define DEPOT_POOL_INTERNAL_H

#include <stdatomic.h>

#include "depot/pool.h"

#define DP__POOL_FIRST_CHUNK 512u
#define DP__POOL_MAX_CHUNKS 24u            /* chunks 0..23 cover 2^32 slots */
#define DP__POOL_MAX_SLOTS (1ull << 32)

static inline uint32_t dp__word_gen(uint64_t w) { return (uint32_t)w; }
static inline uint32_t dp__word_user(uint64_t w) { return (uint32_t)(w >> 32); }
static inline uint64_t dp__word_make(uint32_t gen, uint32_t user)
{
    return ((uint64_t)user << 32) | gen;
}
/* The handle a slot word names at `index`: a live (odd) generation gives the handle, a free
 * one the null handle. */
static inline dp_handle dp__word_handle(uint64_t w, uint32_t index)
{
    uint32_t gen = dp__word_gen(w);
    return (gen & 1u) ? (dp_handle){((uint64_t)gen << 32) | index} : DP_NULL_HANDLE;
}

/* Chunk and offset of an index: chunk k holds 512 << k slots and starts at 512*(2^k - 1). */
static inline void dp__pool_locate(uint32_t index, uint32_t *chunk, uint32_t *offset)
{
    uint64_t v = ((uint64_t)index >> 9) + 1; /* >= 1 */
    uint32_t k = 63u - (uint32_t)__builtin_clzll(v);
    *chunk = k;
    *offset = (uint32_t)((uint64_t)index - (((uint64_t)DP__POOL_FIRST_CHUNK << k) - DP__POOL_FIRST_CHUNK));
}

/* The atomic word of slot `index` and, in *payload, its payload, with one chunk and one
 * payload-page lookup; NULL (and *payload untouched) if its chunk or its payload page does
 * not exist (an index never handed out). Any thread. The pool must have a payload. */
_Atomic uint64_t *dp__pool_slot(const dp_pool *pool, uint32_t index, void **payload);

/* The atomic word of slot `index`, or NULL if its chunk does not exist. Any thread. */
_Atomic uint64_t *dp__pool_word(const dp_pool *pool, uint32_t index);

/* Like dp_pool_reserve, but the new slot's word starts with `user` in its user bits, so the
 * slot is never visible as live with other user bits. Any thread, lock-free. */
dp_status dp__pool_reserve_with(dp_pool *pool, uint32_t user, dp_handle *out);

/* Like dp_pool_alloc with initial user bits. Owner thread. */
dp_status dp__pool_alloc_with(dp_pool *pool, uint32_t user, dp_handle *out);

/* Frees `h` if its word is exactly (gen(h), expect_user): CAS to (gen + 1, 0), then batches
 * the slot for reuse (or retires it when the generation would wrap). Owner thread.
 * DP_ERR_STALE if the generation differs, DP_ERR_EXISTS if the user bits differ. */
dp_status dp__pool_free_expect(dp_pool *pool, dp_handle h, uint32_t expect_user);

/* Test hooks. Owner thread, before any other thread uses the pool. */
/* Caps the number of indices the pool may hand out (default 2^32), to test exhaustion. */
void dp__pool_test_set_limit(dp_pool *pool, uint64_t limit);
/* Makes the next fresh index `index` (skipping the ones before), to test chunk boundaries
 * without touching every earlier slot. Chunks are still allocated on first use. */
void dp__pool_test_set_next_index(dp_pool *pool, uint64_t index);
/* Sets the (even, free) generation a slot will start from when next taken fresh; used to
 * start a slot near the wrap. Applies to the next fresh index only. */
void dp__pool_test_set_fresh_gen(dp_pool *pool, uint32_t even_gen);

#endif
