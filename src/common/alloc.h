/* alloc.h — every depot allocation goes through a dp_allocator; these wrap it.
 * An allocator struct is copied into the object that uses it, so callers' structs need not
 * outlive it. */
#ifndef DEPOT_ALLOC_H
#define DEPOT_ALLOC_H

#include <stddef.h>
#include "depot/common.h"

/* Fills `out` with *in, or with malloc/free when in is NULL or incomplete. */
void dp__alloc_init(dp_allocator *out, const dp_allocator *in);
/* True if `a` is the malloc/free pair dp__alloc_init fills in (memory it gives may also come
 * from posix_memalign, since both end in free). */
bool dp__alloc_is_std(const dp_allocator *a);
/* NULL on failure or when size is 0. */
void *dp__alloc(const dp_allocator *a, size_t size);
/* Zeroed; NULL on failure or overflow of n * size. */
void *dp__calloc(const dp_allocator *a, size_t n, size_t size);
/* NULL is ignored. */
void dp__free(const dp_allocator *a, void *p);
/* Grows an array to hold at least `need` elements (doubling); on failure leaves *arr and
 * *cap unchanged and returns DP_ERR_NOMEM (or DP_ERR_OVERFLOW if need is absurd). */
dp_status dp__grow(const dp_allocator *a, void **arr, size_t *cap, size_t need, size_t elem);
/* A copy of a C string, or NULL. */
char *dp__strdup(const dp_allocator *a, const char *s);

#endif
