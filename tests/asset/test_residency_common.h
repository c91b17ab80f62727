/* test_residency_common.h — what the residency tests share: files of known bytes in a temp
 * folder, loaded as "blob" (*.bin) or as "half" (*.half, a type whose demote keeps the first
 * half of the bytes), and checks of an asset's data against its file. */
#ifndef TEST_RESIDENCY_COMMON_H
#define TEST_RESIDENCY_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"


/* The "half" type's data: `size` bytes that follow. */
typedef struct half {
    size_t size;
    unsigned char bytes[];
} half;

/* Through `a` (the depot's allocator, so that failure injection reaches the type too), or
 * malloc when a is NULL (the depot's default). */
static inline half *half_new(const dp_allocator *a, const void *bytes, size_t len)
{
    half *h = a ? a->alloc(sizeof *h + len, a->user) : malloc(sizeof *h + len);
    if (!h)
        return NULL;
    h->size = len;
    memcpy(h->bytes, bytes, len);
    return h;
}

static inline dp_status half_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    half *h = half_new(dp_ctx_allocator(ctx), bytes, len);
    if (!h)
        return DP_ERR_NOMEM;
    *asset = h;
    *asset_bytes = sizeof *h + len;
    return DP_OK;
}

static inline void half_destroy(void *asset, void *user)
{
    const dp_allocator *a = user;
    if (a)
        a->free(asset, a->user);
    else
        free(asset);
}

/* Keeps the first half: the "drop the top mip levels" of this test type. */
static inline dp_status half_demote(void *asset, void *user, void **smaller, size_t *smaller_bytes)
{
    const half *h = asset;
    half *s = half_new(user, h->bytes, h->size / 2);
    if (!s)
        return DP_ERR_NOMEM;
    *smaller = s;
    *smaller_bytes = sizeof *s + s->size;
    return DP_OK;
}

/* `a`: the allocator the depot was created with (NULL: none given). */
static inline dp_type_id register_half(dp_depot *dp, const dp_allocator *a)
{
    static const char *const ext[] = {"half", NULL};
    dp_type t = {.name = "half", .extensions = ext, .load = half_load,
                 .destroy = half_destroy, .demote = half_demote, .user = (void *)a};
    dp_type_id id = 0;
    assert_int_equal(dp_register_type(dp, &t, &id), DP_OK);
    return id;
}

/* Byte j of file i. */
static inline unsigned char file_byte(int i, size_t j)
{
    return (unsigned char)((size_t)i * 31u + j * 7u + (j >> 8));
}

/* Writes `n` files <dir>/<i>.<ext> of sizes size_of(i). */
static inline void write_files(const char *dir, int n, const char *ext, size_t (*size_of)(int))
{
    for (int i = 0; i < n; i++) {
        size_t len = size_of(i);
        unsigned char *b = malloc(len);
        assert_non_null(b);
        for (size_t j = 0; j < len; j++)
            b[j] = file_byte(i, j);
        char path[512];
        snprintf(path, sizeof path, "%s/%d.%s", dir, i, ext);
        assert_int_equal(dp_test_write_file(path, b, len), 0);
        free(b);
    }
}

static inline void key_of(char *buf, size_t cap, int i, const char *ext)
{
    snprintf(buf, cap, "%d.%s", i, ext);
}

/* True if data (a dp_blob or a half, `whole` bytes expected) holds file i's first `len`
 * bytes exactly, where len is whole (or, for a demoted half, whole / 2). */
static inline bool bytes_match(int i, const unsigned char *bytes, size_t len)
{
    for (size_t j = 0; j < len; j++)
        if (bytes[j] != file_byte(i, j))
            return false;
    return true;
}

static inline bool blob_is_file(const void *data, int i, size_t whole)
{
    const dp_blob *b = data;
    return b && b->size == whole && bytes_match(i, b->bytes, whole);
}

static inline bool half_is_file(const void *data, int i, size_t whole, bool *demoted)
{
    const half *h = data;
    if (!h)
        return false;
    *demoted = h->size != whole;
    return (h->size == whole || h->size == whole / 2) && bytes_match(i, h->bytes, h->size);
}

#endif
