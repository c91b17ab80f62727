/* fuzz_ktx2.c — libFuzzer target for depot's KTX 2.0 container parser: any input must give
 * DP_OK with a texture whose every level lies inside its block, or an error status, and
 * never a crash, an out-of-bounds read, a leak or an allocation over the parser's limit.
 * Unlike fuzz_registry this calls the internal decoder (src/load/ktx2/ktx2.h) directly:
 * going through dp_load would spend each run on thread hand-offs instead of the parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "load/ktx2/ktx2.h"

/* Allocations go through malloc, but none may exceed the container limit plus the struct. */
static void *limited_alloc(size_t size, void *user)
{
    (void)user;
    if (size > DP__KTX2_MAX_BYTES + sizeof(dp_texture) + 16)
        abort();
    return malloc(size);
}

static void plain_free(void *p, void *user)
{
    (void)user;
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_allocator a = {limited_alloc, plain_free, NULL};
    dp_texture *t = NULL;
    dp_status st = dp__ktx2_decode(&a, data, size, NULL, &t);
    if (st != DP_OK) {
        if (t)
            abort();
        return 0;
    }
    /* Touch every byte of every level: ASan catches a level outside the block. */
    volatile unsigned sum = 0;
    for (uint32_t i = 0; i < t->levels; i++)
        for (size_t b = 0; b < t->level[i].bytes; b++)
            sum += t->level[i].data[b];
    (void)sum;
    dp__texture_free(&a, t);
    return 0;
}
