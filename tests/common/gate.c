/* gate.c — see gate.h. */
#include "gate.h"

#include <string.h>
#include <unistd.h>

#include "testutil.h"

void dp_test_gate_block(dp_test_gate *g)
{
    atomic_store(&g->reached, 1);
    while (!atomic_load(&g->open))
        usleep(1000);
}

bool dp_test_gate_wait_reached(dp_test_gate *g, long ms)
{
    uint64_t t0 = dp_test_now_ns();
    while (!atomic_load(&g->reached) && dp_test_now_ns() - t0 < (uint64_t)ms * 1000000u)
        usleep(1000);
    return atomic_load(&g->reached);
}

void dp_test_gate_open(dp_test_gate *g)
{
    atomic_store(&g->open, 1);
}

dp_status dp_test_ctx_result(dp_load_ctx *ctx, size_t size, void **asset, size_t *asset_bytes)
{
    const dp_allocator *a = dp_ctx_allocator(ctx);
    void *p = a->alloc(size, a->user);
    if (!p)
        return DP_ERR_NOMEM;
    memset(p, 0, size);
    *asset = p;
    *asset_bytes = size;
    return DP_OK;
}

void dp_test_alloc_destroy(void *asset, void *user)
{
    dp_test_alloc *a = user;
    a->iface.free(asset, a->iface.user);
}
