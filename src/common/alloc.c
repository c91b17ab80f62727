/* alloc.c — allocation through the user's hooks. */
#include "common/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *std_alloc(size_t size, void *user)
{
    (void)user;
    return malloc(size);
}

static void std_free(void *ptr, void *user)
{
    (void)user;
    free(ptr);
}

void dp__alloc_init(dp_allocator *out, const dp_allocator *in)
{
    if (in && in->alloc && in->free) {
        *out = *in;
    } else {
        out->alloc = std_alloc;
        out->free = std_free;
        out->user = NULL;
    }
}

bool dp__alloc_is_std(const dp_allocator *a)
{
    return a->alloc == std_alloc && a->free == std_free;
}

void *dp__alloc(const dp_allocator *a, size_t size)
{
    if (size == 0)
        return NULL;
    return a->alloc(size, a->user);
}

void *dp__calloc(const dp_allocator *a, size_t n, size_t size)
{
    if (n == 0 || size == 0 || n > SIZE_MAX / size)
        return NULL;
    void *p = a->alloc(n * size, a->user);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void dp__free(const dp_allocator *a, void *p)
{
    if (p)
        a->free(p, a->user);
}

dp_status dp__grow(const dp_allocator *a, void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return DP_OK;
    size_t ncap = *cap ? *cap : 4;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return DP_ERR_OVERFLOW;
        ncap *= 2;
    }
    void *n = dp__alloc(a, ncap * elem);
    if (!n)
        return DP_ERR_NOMEM;
    if (*arr) {
        memcpy(n, *arr, *cap * elem);
        dp__free(a, *arr);
    }
    *arr = n;
    *cap = ncap;
    return DP_OK;
}

char *dp__strdup(const dp_allocator *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = dp__alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}
