/* bench.h — shared bits of depot-bench: timing, the BENCH line format, RSS. */
#ifndef DP_BENCH_H
#define DP_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "depot/asset.h"

static inline uint64_t dp_bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The 1-minute load average read at the start of the run (main.c), -1 if unknown. A ratio
 * taken on a loaded machine says so on its own line. */
extern double dp_bench_loadavg;

/* Reads the 1-minute load average from /proc/loadavg; -1 if unknown. */
static inline double dp_bench_read_loadavg(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l = -1;
    if (!f)
        return -1;
    if (fscanf(f, "%lf", &l) != 1)
        l = -1;
    fclose(f);
    return l;
}

/* Prints one result line: "BENCH <name> <value> <unit>"; a ratio (unit "x") gets the load
 * average of the run's start as a fourth field, "load=<loadavg>". */
static inline void dp_bench_report(const char *name, double value, const char *unit)
{
    if (unit[0] == 'x' && unit[1] == '\0')
        printf("BENCH %s %.2f %s load=%.2f\n", name, value, unit, dp_bench_loadavg);
    else
        printf("BENCH %s %.2f %s\n", name, value, unit);
    fflush(stdout);
}

/* Resident set size of this process in bytes (from /proc/self/statm), 0 if unknown. */
static inline uint64_t dp_bench_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, rss = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &rss) != 2)
        rss = 0;
    fclose(f);
    return (uint64_t)rss * 4096u;
}

/* A small fast PRNG (xorshift64*), so benchmarks do not measure rand(). */
static inline uint64_t dp_bench_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Each layer's benchmark; returns 0 on success. A layer not built yet has a stub that
 * prints a note and returns 0. */
int dp_bench_pool(void);
int dp_bench_asset(void);
int dp_bench_formats(void);
int dp_bench_load(void);
int dp_bench_render(void);
/* The render layer over the Vulkan backend vs direct Vulkan (bench_vk.c). */
int dp_bench_vk(void);
/* Pack files: index lookups, PNGs from a pack vs loose (bench_pack.c). */
int dp_bench_pack(void);
/* The zero-cost type of the load benchmarks (bench_load.c): every asset is one static int,
 * 1 byte; destroy does nothing. */
dp_status dp_bench_zc_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes);
void dp_bench_zc_destroy(void *asset, void *user);
/* Owner CPU that progress tracking adds per loaded asset (bench_progress.c). */
int dp_bench_progress(void);
/* Per-asset cost as the live set grows 10^3 .. 10^6 (bench_scale.c). */
int dp_bench_scale(void);
/* Every PNG under the absolute folders dirs[0..ndirs): depot with 2 workers vs 2 plain
 * threads, owner CPU per file, pixels checked (bench_real.c). */
int dp_bench_real(int ndirs, char **dirs);
/* dp_update with 10^3..10^5 loads pending and 10 settling per frame (bench_deep.c). */
int dp_bench_deep(void);
/* A HIGH load behind 10,000 queued LOW loads vs on an idle queue (bench_priority.c). */
int dp_bench_priority(void);
int dp_bench_trace(void);
/* The cycle collector: frame cost over a held tree, held rings, dp_collect_cycles (bench_collect.c). */
int dp_bench_collect(void);
/* dp_wait's owner CPU and wake-up latency against a 1 ms polling loop (bench_wait.c). */
int dp_bench_wait(void);
/* The atlas page allocator (bench_atlas.c), run by dp_bench_render. */
int dp_bench_atlas_alloc(void);

#endif
