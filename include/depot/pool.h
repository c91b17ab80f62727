/** @file pool.h
 * @brief Layer 1, pool: generational handles, reservable from any thread without locks.
 *
 * A dp_pool hands out 64-bit handles (index:32 | generation:32). It is standalone: an ECS can
 * use it for entity ids without the rest of depot.
 *
 * Thread rules: one thread owns the pool (the one that created it, or whoever the program
 * treats as owner; the pool does not check). The owner calls dp_pool_alloc, dp_pool_free,
 * dp_pool_flush and dp_pool_destroy. Any thread may call dp_pool_reserve, dp_pool_alive and
 * dp_pool_stats at any time, also while the owner allocates, frees or the table grows.
 *
 * Slots live in chunks that never move: the first holds 512 slots, each next one twice as
 * many, up to 2^32 slots in all; a chunk is allocated on first use. Each slot is one 64-bit
 * atomic word (generation and 32 user bits) plus, when asked for, a fixed-size payload; the
 * payload is allocated in pages of 512 slots on first use, so it grows with the slots taken,
 * not with the doubling chunks.
 * With the default allocator, chunks of 2 MB or more are 2 MB-aligned and advised as huge
 * pages (Linux), so alive checks over many slots miss the TLB less, and payload pages start
 * on a 64-byte cache line, so a payload of 64 bytes (or a divisor of 64) never straddles two.
 */
#ifndef DEPOT_POOL_H
#define DEPOT_POOL_H

#include "depot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dp_pool dp_pool;

/** @brief Pool settings; a zero-initialised desc is valid (no payload, malloc/free). */
typedef struct dp_pool_desc {
    const dp_allocator *allocator; /**< NULL = malloc/free; copied, must be thread-safe */
    size_t payload_size;           /**< bytes of per-slot payload, 0 = none (max 4096) */
} dp_pool_desc;

/** @brief Counters of a pool, read without locks (a consistent-enough snapshot). */
typedef struct dp_pool_stats {
    uint64_t live;       /**< slots handed out and not yet freed */
    uint64_t capacity;   /**< slots in allocated chunks */
    uint64_t high_water; /**< indices ever taken (fresh ones) */
    uint64_t free_shared;/**< slots on the shared free list (exact below 2^31) */
    uint64_t free_local; /**< slots freed by the owner and not yet published */
    uint64_t retired;    /**< slots whose generation would wrap: never reused */
    uint64_t chunks;     /**< chunks allocated */
    uint64_t bytes;      /**< bytes the pool holds (structure, chunks, payload pages) */
} dp_pool_stats;

/** @brief Creates a pool. Any thread (the caller becomes the owner by convention).
 * @return DP_OK; DP_ERR_INVALID if out is NULL or payload_size > 4096; DP_ERR_NOMEM.
 * On success *out is owned by the caller and freed with dp_pool_destroy. */
dp_status dp_pool_create(const dp_pool_desc *desc, dp_pool **out);

/** @brief Frees the pool, every chunk and every payload page. Owner thread, with no other thread inside any pool
 * call. NULL is ignored. Handles from this pool must not be used afterwards. */
void dp_pool_destroy(dp_pool *pool);

/** @brief Takes a slot and returns its live handle. Owner thread.
 * Reuses the owner's own recent frees first, then the shared free list, then a fresh index.
 * @return DP_OK; DP_ERR_INVALID on NULL arguments; DP_ERR_OVERFLOW when all 2^32 indices are
 * taken or retired; DP_ERR_NOMEM when a new chunk or payload page cannot be allocated. */
dp_status dp_pool_alloc(dp_pool *pool, dp_handle *out);

/** @brief Takes a slot from any thread, lock-free, and returns its live handle.
 *
 * Never takes a lock and never blocks on I/O. It pops the shared free list with one CAS,
 * or takes a fresh index with fetch_add. The only wait is a spin while the owner is
 * publishing a batch of frees, which is a bounded loop of stores. A fresh index in a chunk
 * (or payload page) not yet allocated makes the reserving thread allocate it (through the
 * allocator) and install it with a CAS.
 * @return as dp_pool_alloc. */
dp_status dp_pool_reserve(dp_pool *pool, dp_handle *out);

/** @brief Frees a live slot; its generation moves on, so every copy of `h` goes stale.
 * Owner thread. The slot is kept in an owner-local batch and published to reserving threads
 * in bulk (see dp_pool_flush). A slot whose next generation would wrap is retired instead.
 * @return DP_OK; DP_ERR_STALE if `h` is not alive (stale, double free, null, out of range)
 * and nothing changes; DP_ERR_EXISTS if the slot's user bits are not zero (a layer above
 * still counts references in them) and nothing changes. */
dp_status dp_pool_free(dp_pool *pool, dp_handle h);

/** @brief Publishes the owner's batched frees to the shared free list now. Owner thread.
 * Never needed for correctness; it lets reserving threads reuse slots sooner. */
void dp_pool_flush(dp_pool *pool);

/** @brief True if `h` names a live slot of this pool. Any thread; one atomic load and a
 * compare, inline (see below). The null handle and out-of-range indices are never alive. */
#if defined(__GNUC__) || defined(__clang__)
inline bool dp_pool_alive(const dp_pool *pool, dp_handle h);
#else
bool dp_pool_alive(const dp_pool *pool, dp_handle h);
#endif

/** @brief The payload of slot `h`, or NULL if the pool has no payload or `h` is out of
 * range. Any thread. The pointer stays valid until dp_pool_destroy (chunks never move);
 * whether its contents mean anything is the caller's business (check dp_pool_alive). */
void *dp_pool_payload(const dp_pool *pool, dp_handle h);

/** @brief Fills `out` with the pool's counters. Any thread. */
void dp_pool_get_stats(const dp_pool *pool, dp_pool_stats *out);

/* ---- not API: what the inline dp_pool_alive reads -------------------------------------- */

/* The first member of every dp_pool: chunk k (512 << k slots, from index 512 * (2^k - 1))
 * starts with its slots' 64-bit words, low 32 bits the generation; NULL until the chunk is
 * allocated. The pool installs a chunk with a release CAS and never moves or frees it before
 * dp_pool_destroy. Do not use this struct; it may change in any release. */
struct dp__pool_chunks {
    void *chunk[24];
};

#if defined(__GNUC__) || defined(__clang__)
/* Inline so that an alive check costs what a plain generation array's does: with
 * u = index + 512, the top bit of u names the chunk and the rest is the offset in it. One
 * out-of-line definition is emitted by src/pool/pool.c (C99 inline). */
inline bool dp_pool_alive(const dp_pool *pool, dp_handle h)
{
    uint32_t gen = (uint32_t)(h.bits >> 32);
    if (!pool || !(gen & 1u))
        return false;
    uint64_t u = (uint64_t)(uint32_t)h.bits + 512u;
    unsigned top = 63u ^ (unsigned)__builtin_clzll(u);
    const struct dp__pool_chunks *t = (const struct dp__pool_chunks *)(const void *)pool;
    /* acquire: pairs with the pool's release CAS that installed the (zeroed) chunk. */
    const uint64_t *c = (const uint64_t *)__atomic_load_n(&t->chunk[top - 9u], __ATOMIC_ACQUIRE);
    /* acquire: pairs with the release store that made the slot live, so whatever its maker
     * wrote to the payload before is visible to a caller that sees it alive. */
    return c && (uint32_t)__atomic_load_n(&c[u ^ (1ull << top)], __ATOMIC_ACQUIRE) == gen;
}
#endif

#ifdef __cplusplus
}
#endif
#endif
