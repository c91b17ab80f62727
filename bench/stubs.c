/* stubs.c — weak stand-ins for layers whose benchmark is not written yet. A real
 * bench_<layer>.c defines the strong symbol and replaces the stub at link time. */
#include <stdio.h>

#include "bench.h"

#define DP_BENCH_STUB(layer)                                                                \
    __attribute__((weak)) int dp_bench_##layer(void)                                        \
    {                                                                                       \
        printf("# depot-bench: no %s benchmark in this build\n", #layer);                   \
        return 0;                                                                           \
    }

DP_BENCH_STUB(pool)
DP_BENCH_STUB(asset)
DP_BENCH_STUB(load)
DP_BENCH_STUB(render)
