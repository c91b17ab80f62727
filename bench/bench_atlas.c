/* bench_atlas.c — the atlas page's rectangle allocator: cost of an allocate + free pair in
 * a random churn at steady state, and how full a page stays after many rounds of filling,
 * freeing a random half and refilling.
 *
 * Lines: atlas.alloc_free (ns per allocate + free of a random-size rectangle),
 * atlas.occupancy (percent of the page used after the last refill of the churn),
 * atlas.occupancy_first (percent after the first fill, for comparison),
 * atlas.occupancy_min (lowest percent after any refill). */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "render/atlas_alloc.h"

int dp_bench_atlas_alloc(void);

enum {
    PAGE = 2048,
    MIN_SIDE = 4,
    MAX_SIDE = 64,
    FULL_MISSES = 64,  /* a fill stops after this many failed attempts in a row */
    ROUNDS = 50,       /* fill / free half / refill rounds of the occupancy churn */
    PAIRS = 1000000,   /* timed allocate + free pairs */
    CAP = 1 << 16,     /* live rectangles at most (a 2048 page holds ~1e4 of these) */
};

static uint32_t side(uint64_t *seed)
{
    return MIN_SIDE + (uint32_t)(dp_bench_rand(seed) % (MAX_SIDE - MIN_SIDE + 1));
}

/* Allocates random rectangles until FULL_MISSES attempts in a row fail. */
static void fill(dp__rectpack *p, dp__rect *live, size_t *n, uint64_t *seed)
{
    for (int misses = 0; misses < FULL_MISSES && *n < CAP;) {
        dp__rect r;
        if (dp__rectpack_alloc(p, side(seed), side(seed), &r) == DP_OK) {
            live[(*n)++] = r;
            misses = 0;
        } else {
            misses++;
        }
    }
}

/* Frees a random half of the live rectangles. */
static int free_half(dp__rectpack *p, dp__rect *live, size_t *n, uint64_t *seed)
{
    for (size_t k = *n / 2; k > 0; k--) {
        size_t i = (size_t)(dp_bench_rand(seed) % *n);
        if (dp__rectpack_free(p, live[i]) != DP_OK)
            return -1;
        live[i] = live[--*n];
    }
    return 0;
}

static double percent(const dp__rectpack *p)
{
    return 100.0 * (double)dp__rectpack_used(p, NULL) / ((double)PAGE * PAGE);
}

int dp_bench_atlas_alloc(void)
{
    dp__rect *live = malloc(CAP * sizeof *live);
    dp__rectpack *p = NULL;
    if (!live || dp__rectpack_create(NULL, PAGE, PAGE, &p) != DP_OK) {
        free(live);
        fprintf(stderr, "bench atlas: setup failed\n");
        return 1;
    }
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    size_t n = 0;
    int rc = 0;

    /* Occupancy: fill, free a random half, refill, many times. */
    fill(p, live, &n, &seed);
    double first = percent(p), lowest = first, last = first;
    for (int round = 0; round < ROUNDS && rc == 0; round++) {
        rc = free_half(p, live, &n, &seed);
        fill(p, live, &n, &seed);
        last = percent(p);
        if (last < lowest)
            lowest = last;
    }

    /* Steady-state churn from that page: free a random rectangle, place a new random one
     * (trying other sizes when one does not fit, as an atlas would open a new page). */
    uint64_t failed = 0;
    uint64_t t0 = dp_bench_now_ns();
    for (int i = 0; i < PAIRS && rc == 0 && n > 0; i++) {
        size_t k = (size_t)(dp_bench_rand(&seed) % n);
        if (dp__rectpack_free(p, live[k]) != DP_OK)
            rc = -1;
        live[k] = live[--n];
        dp__rect r;
        for (int tries = 0; tries < 8; tries++) {
            if (dp__rectpack_alloc(p, side(&seed), side(&seed), &r) == DP_OK) {
                live[n++] = r;
                break;
            }
            failed++;
        }
    }
    uint64_t t1 = dp_bench_now_ns();
    double churn_pct = percent(p);

    if (rc == 0) {
        dp_bench_report("atlas.alloc_free", (double)(t1 - t0) / PAIRS, "ns");
        dp_bench_report("atlas.occupancy", last, "%");
        dp_bench_report("atlas.occupancy_first", first, "%");
        dp_bench_report("atlas.occupancy_min", lowest, "%");
        dp_bench_report("atlas.occupancy_after_pairs", churn_pct, "%");
        printf("# atlas: %dx%d page, rectangles %d..%d a side, %d rounds, %llu failed placements "
               "in the timed churn\n",
               PAGE, PAGE, MIN_SIDE, MAX_SIDE, ROUNDS, (unsigned long long)failed);
    } else {
        fprintf(stderr, "bench atlas: a free of a live rectangle failed\n");
    }
    dp__rectpack_destroy(p);
    free(live);
    return rc == 0 ? 0 : 1;
}
