/* gate.h — what the gated load tests share: a gate that a loader or source thread blocks at
 * until the test opens it (the test first waits until the thread got there), a loader
 * result allocated with the context's allocator, and a type destroy that frees through a
 * counting allocator. */
#ifndef DP_TEST_GATE_H
#define DP_TEST_GATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "depot/depot.h"
#include "testutil.h"

typedef struct dp_test_gate {
    atomic_int reached; /* a thread got to the gate */
    atomic_int open;
} dp_test_gate;

/* The blocked thread's side: marks the gate reached, then waits until it is open. */
void dp_test_gate_block(dp_test_gate *g);
/* Waits up to ms for a thread to reach the gate; true if one did. */
bool dp_test_gate_wait_reached(dp_test_gate *g, long ms);
void dp_test_gate_open(dp_test_gate *g);

/* A loader's result: `size` zeroed bytes from the context's allocator (DP_ERR_NOMEM). */
dp_status dp_test_ctx_result(dp_load_ctx *ctx, size_t size, void **asset, size_t *asset_bytes);
/* A dp_type load that ignores its bytes and gives 8 zeroed bytes (dp_test_ctx_result). */
dp_status dp_test_bytes_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                             size_t *asset_bytes);
/* A dp_type destroy whose user is the dp_test_alloc the asset came from. */
void dp_test_alloc_destroy(void *asset, void *user);

/* Registers the gated type "slow" (extension "slow") on dp: its load blocks at `gate`
 * (dp_test_gate_block), then gives 8 zeroed bytes from the context's allocator; its destroy
 * frees through `alloc`. One gate per process: the last call's (register before loading).
 * DP_OK or dp_register_type's error. */
dp_status dp_test_slow_register(dp_depot *dp, dp_test_gate *gate, dp_test_alloc *alloc,
                                dp_type_id *out);

#endif
