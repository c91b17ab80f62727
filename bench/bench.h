/* bench.h — shared bits of depot-bench: timing, the BENCH line format, RSS. */
#ifndef DP_BENCH_H
#define DP_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline uint64_t dp_bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Prints one result line: "BENCH <name> <value> <unit>". */
static inline void dp_bench_report(const char *name, double value, const char *unit)
{
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
/* The atlas page allocator (bench_atlas.c), run by dp_bench_render. */
int dp_bench_atlas_alloc(void);

#endif
