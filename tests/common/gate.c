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

dp_status dp_test_bytes_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                             size_t *asset_bytes)
{
    (void)bytes;
    (void)len;
    return dp_test_ctx_result(ctx, 8, asset, asset_bytes);
}

/* Set on the owner before any load of "slow" is queued; the queue hands it to the workers. */
static dp_test_gate *slow_gate;

static dp_status slow_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    (void)bytes;
    (void)len;
    dp_test_gate_block(slow_gate);
    return dp_test_bytes_load(ctx, bytes, len, asset, asset_bytes);
}

dp_status dp_test_slow_register(dp_depot *dp, dp_test_gate *gate, dp_test_alloc *alloc,
                                dp_type_id *out)
{
    static const char *const ext[] = {"slow", NULL};
    slow_gate = gate;
    dp_type t = {.name = "slow", .extensions = ext, .load = slow_load,
                 .destroy = dp_test_alloc_destroy, .user = alloc};
    return dp_register_type(dp, &t, out);
}
