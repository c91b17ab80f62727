/** @file common.h
 * @brief Types shared by every depot layer: status codes, handles, the allocator hook.
 *
 * Nothing here touches state; every declaration may be used from any thread.
 */
#ifndef DEPOT_COMMON_H
#define DEPOT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one list of status codes: X(name, value, meaning). dp_status and dp_status_str are both
 * generated from it, so a code cannot be added without its name. A new code goes at the end
 * with the next negative value. */
#define DP_STATUS_LIST(X) \
    X(DP_OK, 0, "success") \
    X(DP_ERR_NOMEM, -1, "an allocation failed; nothing changed") \
    X(DP_ERR_INVALID, -2, "bad argument, bad key, path outside its root") \
    X(DP_ERR_STALE, -3, "the handle no longer names a live asset or slot") \
    X(DP_ERR_NOT_FOUND, -4, "no such key, file, source or type") \
    X(DP_ERR_IO, -5, "the operating system refused a read") \
    X(DP_ERR_FORMAT, -6, "a loader rejected the bytes") \
    X(DP_ERR_NET, -7, "a network transfer failed") \
    X(DP_ERR_TIMEOUT, -8, "a wait or transfer ran out of time") \
    X(DP_ERR_CANCELLED, -9, "the work was cancelled (asset died, depot destroyed)") \
    X(DP_ERR_UNDERFLOW, -10, "release without a matching acquire") \
    X(DP_ERR_OVERFLOW, -11, "a count or the index space is exhausted") \
    X(DP_ERR_WRONG_THREAD, -12, "an owner-thread-only call from another thread") \
    X(DP_ERR_EXISTS, -13, "the key is already live (dp_add hands that asset back)") \
    X(DP_ERR_UNSUPPORTED, -14, "valid input of a kind this build cannot handle (Basis Universal, an unknown texture format)")
#define DP__STATUS_ENUM(name, value, meaning) name = value,

/** @brief Result of every depot function that can fail. 0 is success, errors are negative.
 *
 * When a function returns an error, its out-parameters are left null/zero and nothing it
 * allocated survives; when a function that takes a callback returns an error, the callback
 * is never called for that request. */
typedef enum dp_status { DP_STATUS_LIST(DP__STATUS_ENUM) } dp_status;
#undef DP__STATUS_ENUM

/** @brief Names a status code ("DP_ERR_STALE"); unknown values give "DP_ERR_UNKNOWN".
 * Any thread. The returned string is static. */
const char *dp_status_str(dp_status s);

/** @brief A generational handle: low 32 bits index, high 32 bits generation.
 *
 * A live slot has an odd generation, so `{0}` (DP_NULL_HANDLE) is never alive. A handle whose
 * slot was freed is "stale" and stays stale forever: generations are never reused. */
typedef struct dp_handle {
    uint64_t bits;
} dp_handle;

/** @brief The null handle; never alive. (C++ has no compound literals: -pedantic refuses them.) */
#ifdef __cplusplus
#define DP_NULL_HANDLE (dp_handle{0})
#else
#define DP_NULL_HANDLE ((dp_handle){0})
#endif

/** @brief Index part of a handle. */
static inline uint32_t dp_handle_index(dp_handle h) { return (uint32_t)h.bits; }
/** @brief Generation part of a handle. */
static inline uint32_t dp_handle_gen(dp_handle h) { return (uint32_t)(h.bits >> 32); }
/** @brief True when two handles are the same bits. */
static inline bool dp_handle_eq(dp_handle a, dp_handle b) { return a.bits == b.bits; }
/** @brief True for the null handle. */
static inline bool dp_handle_is_null(dp_handle h) { return h.bits == 0; }

/** @brief Allocation hooks. Both functions may be called from any thread at once (workers
 * and reserving threads allocate), so they must be thread-safe, as malloc is.
 * `alloc` returns NULL on failure; `free(NULL)` is never called. */
typedef struct dp_allocator {
    void *(*alloc)(size_t size, void *user);
    void (*free)(void *ptr, void *user);
    void *user;
} dp_allocator;

#ifdef __cplusplus
}
#endif
#endif
