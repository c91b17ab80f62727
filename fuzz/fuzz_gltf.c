/* fuzz_gltf.c — libFuzzer target for depot's glTF 2.0 reader (JSON and .glb): any input
 * must give DP_OK with a document whose every accessor lies inside its embedded buffer (or
 * names an external one), every index inside its array and node tree acyclic, or an error
 * status; never a crash, an out-of-bounds read, a leak, a hang or an allocation larger
 * than the input allows. Like fuzz_ktx2 it calls the internal parser
 * (src/load/gltf/gltf.h) directly, not dp_load. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "load/gltf/gltf.h"

static size_t input_size;

/* The arena and the embedded block are bounded by the input: no allocation may be larger
 * than a few times the input plus an arena chunk. */
static void *limited_alloc(size_t size, void *user)
{
    (void)user;
    if (size > 8 * input_size + 65536)
        abort();
    return malloc(size);
}

static void plain_free(void *p, void *user)
{
    (void)user;
    free(p);
}

/* Reads every byte of every embedded accessor (ASan catches one outside the block) and
 * walks each root's tree (a cycle would never end: libFuzzer's -timeout catches it). */
static void touch(const dp__gltf_doc *d)
{
    volatile unsigned sum = 0;
    for (uint32_t i = 0; i < d->naccessors; i++) {
        const dp__gltf_accessor *a = &d->accessors[i];
        const dp__gltf_buffer *b = &d->buffers[a->buffer];
        if (!b->embedded)
            continue;
        uint64_t span = (uint64_t)(a->pub.count - 1) * a->pub.stride + a->pub.element_bytes;
        if (a->pub.offset + span > b->length)
            abort();
        sum += b->embedded[a->pub.offset] + b->embedded[a->pub.offset + span - 1];
    }
    for (uint32_t i = 0; i < d->nnodes; i++) {
        uint32_t steps = 0;
        for (int32_t n = (int32_t)i; n >= 0; n = d->nodes[n].parent)
            if (++steps > d->nnodes)
                abort(); /* a parent chain longer than the nodes: a cycle got through */
        for (uint32_t k = 0; k < d->nodes[i].child_count; k++)
            if (d->nodes[i].children[k] >= d->nnodes)
                abort();
    }
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input_size = size;
    dp_allocator a = {limited_alloc, plain_free, NULL};
    dp__gltf_doc *d = NULL;
    char why[256];
    dp_status st = dp__gltf_parse(&a, data, size, &d, why, sizeof why);
    if (st != DP_OK) {
        if (d)
            abort();
        return 0;
    }
    touch(d);
    dp__gltf_doc_free(d);
    return 0;
}
