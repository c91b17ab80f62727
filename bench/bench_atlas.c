/* bench_atlas.c — the atlas page's rectangle allocator: cost of an allocate + free pair in
 * a random churn at steady state, and how full a page is under several workloads, because
 * a shelf allocator's occupancy depends on the mix of sizes more than on anything else.
 *
 * Workloads (each on a fresh 2048 x 2048 page, the same seed every run):
 *   uniform   sides 4..64 independently at random (width and height unrelated)
 *   icons     all 32 x 32 (a sprite sheet of equal cells)
 *   glyphs    widths 6..24, heights 16..20 (one font size: near-equal heights)
 *   mixed     90% sides 4..32, 10% sides 96..256 (UI: many small, a few large)
 *   sorted    uniform sizes, but each fill batch placed tallest first (a loader that sorts)
 * For each: the occupancy after the first fill (allocate until 64 attempts in a row fail),
 * after 50 rounds of freeing a random half and refilling, and after 10^5 steady-state
 * pairs (free one random rectangle, place one new one, as a game streaming sprites does).
 *
 * Lines: atlas.alloc_free (ns per allocate + free pair, uniform), and per workload W:
 * atlas.W.first, atlas.W.refill (after the last refill), atlas.W.refill_min (lowest after
 * any refill), atlas.W.churn (after the steady-state pairs), all in percent of the page. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "render/atlas_alloc.h"

int dp_bench_atlas_alloc(void);

enum {
    PAGE = 2048,
    FULL_MISSES = 64, /* a fill stops after this many failed attempts in a row */
    ROUNDS = 50,      /* free half / refill rounds */
    CHURN = 100000,   /* steady-state free one / place one pairs per workload */
    PAIRS = 1000000,  /* timed allocate + free pairs */
    CAP = 1 << 18,    /* live rectangles at most (a page holds ~2.6e5 rectangles of 4 x 4) */
    BATCH = 512,      /* sizes drawn at once for the sorted workload */
};

typedef enum { W_UNIFORM, W_ICONS, W_GLYPHS, W_MIXED, W_SORTED, W_COUNT } workload;

static const char *const names[W_COUNT] = {"uniform", "icons", "glyphs", "mixed", "sorted"};

static uint32_t in(uint64_t *seed, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(dp_bench_rand(seed) % (hi - lo + 1));
}

/* The size of the next rectangle of workload w (W_SORTED draws like W_UNIFORM). */
static void draw(workload w, uint64_t *seed, uint32_t *rw, uint32_t *rh)
{
    switch (w) {
    case W_ICONS:
        *rw = *rh = 32;
        break;
    case W_GLYPHS:
        *rw = in(seed, 6, 24);
        *rh = in(seed, 16, 20);
        break;
    case W_MIXED:
        if (dp_bench_rand(seed) % 10 == 0) {
            *rw = in(seed, 96, 256);
            *rh = in(seed, 96, 256);
        } else {
            *rw = in(seed, 4, 32);
            *rh = in(seed, 4, 32);
        }
        break;
    default:
        *rw = in(seed, 4, 64);
        *rh = in(seed, 4, 64);
        break;
    }
}

typedef struct page {
    dp__rectpack *p;
    dp__rect *live;
    size_t n;
} page;

static bool place(page *pg, uint32_t w, uint32_t h)
{
    dp__rect r;
    if (pg->n >= CAP || dp__rectpack_alloc(pg->p, w, h, &r) != DP_OK)
        return false;
    pg->live[pg->n++] = r;
    return true;
}

static int by_height_desc(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    return (x[1] < y[1]) - (x[1] > y[1]);
}

/* Allocates rectangles of workload w until FULL_MISSES attempts in a row fail. */
static void fill(page *pg, workload w, uint64_t *seed)
{
    uint32_t batch[BATCH][2];
    size_t nb = 0, next = 0;
    for (int misses = 0; misses < FULL_MISSES && pg->n < CAP;) {
        if (w == W_SORTED && next == nb) { /* a new batch, tallest first */
            for (nb = 0; nb < BATCH; nb++)
                draw(w, seed, &batch[nb][0], &batch[nb][1]);
            qsort(batch, nb, sizeof batch[0], by_height_desc);
            next = 0;
        }
        uint32_t rw, rh;
        if (w == W_SORTED) {
            rw = batch[next][0];
            rh = batch[next][1];
            next++;
        } else {
            draw(w, seed, &rw, &rh);
        }
        misses = place(pg, rw, rh) ? 0 : misses + 1;
    }
}

/* Frees the rectangle at index k. */
static int free_at(page *pg, size_t k)
{
    if (dp__rectpack_free(pg->p, pg->live[k]) != DP_OK)
        return -1;
    pg->live[k] = pg->live[--pg->n];
    return 0;
}

static double percent(const page *pg)
{
    return 100.0 * (double)dp__rectpack_used(pg->p, NULL) / ((double)PAGE * PAGE);
}

/* Runs workload w's occupancy measurements and reports them. 0, or -1 on a failed free. */
static int occupancy(page *pg, workload w)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull + (uint64_t)w;
    fill(pg, w, &seed);
    double first = percent(pg), lowest = first, last = first;
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t k = pg->n / 2; k > 0; k--)
            if (free_at(pg, (size_t)(dp_bench_rand(&seed) % pg->n)) != 0)
                return -1;
        fill(pg, w, &seed);
        last = percent(pg);
        lowest = last < lowest ? last : lowest;
    }
    /* Steady state: free one, place one (up to 8 sizes tried, as an atlas would then open
     * a new page). */
    for (int i = 0; i < CHURN && pg->n > 0; i++) {
        if (free_at(pg, (size_t)(dp_bench_rand(&seed) % pg->n)) != 0)
            return -1;
        for (int tries = 0; tries < 8; tries++) {
            uint32_t rw, rh;
            draw(w == W_SORTED ? W_UNIFORM : w, &seed, &rw, &rh);
            if (place(pg, rw, rh))
                break;
        }
    }
    char line[64];
    const double v[4] = {first, last, lowest, percent(pg)};
    const char *what[4] = {"first", "refill", "refill_min", "churn"};
    for (int i = 0; i < 4; i++) {
        snprintf(line, sizeof line, "atlas.%s.%s", names[w], what[i]);
        dp_bench_report(line, v[i], "%");
    }
    return 0;
}

/* Times PAIRS free-one / place-one pairs of the uniform workload on a filled page. */
static int timed_pairs(page *pg)
{
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    fill(pg, W_UNIFORM, &seed);
    uint64_t t0 = dp_bench_now_ns();
    for (int i = 0; i < PAIRS && pg->n > 0; i++) {
        if (free_at(pg, (size_t)(dp_bench_rand(&seed) % pg->n)) != 0)
            return -1;
        for (int tries = 0; tries < 8; tries++) {
            uint32_t rw, rh;
            draw(W_UNIFORM, &seed, &rw, &rh);
            if (place(pg, rw, rh))
                break;
        }
    }
    dp_bench_report("atlas.alloc_free", (double)(dp_bench_now_ns() - t0) / PAIRS, "ns");
    return 0;
}

int dp_bench_atlas_alloc(void)
{
    page pg = {.live = malloc(CAP * sizeof(dp__rect))};
    int rc = pg.live ? 0 : -1;
    for (int w = -1; w < W_COUNT && rc == 0; w++) {
        pg.n = 0;
        if (dp__rectpack_create(NULL, PAGE, PAGE, &pg.p) != DP_OK) {
            rc = -1;
            break;
        }
        rc = w < 0 ? timed_pairs(&pg) : occupancy(&pg, (workload)w);
        dp__rectpack_destroy(pg.p);
    }
    if (rc == 0)
        printf("# atlas: %dx%d page; first fill, %d free-half/refill rounds, %d steady-state "
               "pairs per workload\n", PAGE, PAGE, ROUNDS, CHURN);
    else
        fprintf(stderr, "bench atlas: setup failed or a free of a live rectangle failed\n");
    free(pg.live);
    return rc == 0 ? 0 : 1;
}
