/* bench_collect.c — what the cycle collector costs (issue 12, section 3). Owner-thread CPU
 * time (CLOCK_THREAD_CPUTIME_ID), so the shared machine's load disturbs it less than wall
 * time would. Every asset is keyless, 1 byte, destroyed by a no-op.
 *   frame_idle_<n>   one dp_update with a tree of n assets (fan-out 4) held by a group
 *                    through its root, nothing released: median us over FRAMES frames,
 *   frame_root_<n>   the same after one dp_retain + dp_release of the root per frame,
 *   frame_inner_<n>  the same after one dp_retain + dp_release of a child of the root
 *                    (a quarter of the tree hangs below it, held by edges only); with
 *                    _steps, the collector's steps per frame (dp_stats.cycle_steps),
 *   held_ring        a ring of 80,000 whose callers released every member but one, which
 *                    a group holds: the first update (it also takes in the releases), then
 *                    the next 399 (default collect_budget): their total and largest CPU
 *                    time and how many took over 1 ms,
 *   collect_chain_<n>  dp_collect_cycles right after the releases (it takes them in), over a
 *                    chain of n whose head a caller holds, every other member released
 *                    (n candidates, nothing to free): ns per asset,
 *   collect_held_ring  the same over a ring of 200,000, one member held,
 *   collect_ring     the same over a garbage ring of 200,000 (all freed): ns per asset.
 * A size that took over 3 s leaves the larger sizes out (the old collector was quadratic).
 * Lines: "BENCH collect.<what> <value> <unit>". */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "depot/depot.h"

#define FRAMES 101
#define HELD_RING 80000u
#define BIG_RING 200000u
#define CHAIN_MAX 1000000u
#define FANOUT 4u

static int one_byte;

static void die(const char *what)
{
    fprintf(stderr, "bench collect: %s failed\n", what);
    abort();
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void nop_destroy(void *asset, void *user)
{
    (void)asset;
    (void)user;
}

static dp_depot *make(dp_type_id *type)
{
    dp_depot *dp;
    dp_type t = {.name = "one", .destroy = nop_destroy};
    if (dp_create(&(dp_desc){0}, &dp) != DP_OK || dp_register_type(dp, &t, type) != DP_OK)
        die("dp_create");
    return dp;
}

/* n assets added (each held by the caller's count). */
static void add_n(dp_depot *dp, dp_type_id type, dp_handle *h, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (dp_add(dp, type, &one_byte, 1, NULL, &h[i]) != DP_OK)
            die("dp_add");
}

static void release_from(dp_depot *dp, dp_handle *h, uint32_t from, uint32_t n)
{
    for (uint32_t i = from; i < n; i++)
        if (dp_release(dp, h[i]) != DP_OK)
            die("dp_release");
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t steps(dp_depot *dp)
{
    dp_stats st;
    dp_get_stats(dp, &st);
    return st.cycle_steps;
}

/* Updates until an update takes no collector step (the collections are over). */
static void settle(dp_depot *dp)
{
    size_t before;
    do {
        before = steps(dp);
        if (dp_update(dp) != DP_OK)
            die("dp_update");
    } while (steps(dp) != before);
}

/* Median owner CPU of FRAMES frames, each `poke` retained and released first unless null;
 * *steps: the collector's steps per frame. */
static double frame_us(dp_depot *dp, dp_handle poke, double *steps_per_frame)
{
    uint64_t t[FRAMES];
    size_t s0 = steps(dp);
    for (int f = 0; f < FRAMES; f++) {
        uint64_t t0 = cpu_ns();
        if (poke.bits && (dp_retain(dp, poke) != DP_OK || dp_release(dp, poke) != DP_OK))
            die("retain + release");
        if (dp_update(dp) != DP_OK)
            die("dp_update");
        t[f] = cpu_ns() - t0;
    }
    *steps_per_frame = (double)(steps(dp) - s0) / FRAMES;
    qsort(t, FRAMES, sizeof t[0], cmp_u64);
    return (double)t[FRAMES / 2] / 1e3;
}

static void report(const char *what, uint32_t n, double v, const char *unit)
{
    char name[96];
    snprintf(name, sizeof name, "collect.%s_%u", what, n);
    dp_bench_report(name, v, unit);
}

/* The group-held tree of n: idle, root and inner-node frames. */
static void bench_frames(uint32_t n, dp_handle *h)
{
    dp_type_id type;
    dp_depot *dp = make(&type);
    add_n(dp, type, h, n);
    for (uint32_t i = 1; i < n; i++)
        if (dp_depend(dp, h[(i - 1) / FANOUT], h[i]) != DP_OK)
            die("dp_depend");
    dp_group g;
    if (dp_group_create(dp, "tree", &g) != DP_OK || dp_group_add(dp, g, h[0]) != DP_OK)
        die("dp_group");
    release_from(dp, h, 0, n);
    settle(dp); /* the releases' candidates are collected (all live) */
    double idle_steps, root_steps, inner_steps;
    double idle = frame_us(dp, DP_NULL_HANDLE, &idle_steps);
    double root = frame_us(dp, h[0], &root_steps);
    double inner = frame_us(dp, h[1], &inner_steps);
    report("frame_idle", n, idle, "us");
    report("frame_root", n, root, "us");
    report("frame_inner", n, inner, "us");
    report("frame_root_vs_idle", n, root / idle, "x");
    report("frame_root_steps", n, root_steps, "steps");
    report("frame_inner_steps", n, inner_steps, "steps");
    if (dp_group_destroy(dp, g) != DP_OK)
        die("dp_group_destroy");
    dp_update(dp);
    if (dp_destroy(dp) != 0)
        die("dp_destroy (assets left)");
}

/* A ring of n (each member depends on the next), every caller count dropped but member 0's,
 * which a group takes over when `held`. */
static dp_depot *ring(uint32_t n, dp_handle *h, bool held, dp_group *g)
{
    dp_type_id type;
    dp_depot *dp = make(&type);
    add_n(dp, type, h, n);
    for (uint32_t i = 0; i < n; i++)
        if (dp_depend(dp, h[i], h[(i + 1) % n]) != DP_OK)
            die("dp_depend");
    if (held && (dp_group_create(dp, "ring", g) != DP_OK || dp_group_add(dp, *g, h[0]) != DP_OK))
        die("dp_group");
    dp_update(dp); /* the additions are taken in (deep state) before anything is measured */
    release_from(dp, h, 0, n);
    return dp;
}

static void bench_held_ring(dp_handle *h)
{
    dp_group g;
    dp_depot *dp = ring(HELD_RING, h, true, &g);
    uint64_t total = 0, most = 0, first = 0;
    int busy = 0;
    for (int u = 0; u < 400; u++) {
        uint64_t t0 = cpu_ns();
        dp_update(dp);
        uint64_t t = cpu_ns() - t0;
        if (!u) {
            first = t; /* it also takes in the 80,000 releases */
            continue;
        }
        total += t;
        most = t > most ? t : most;
        busy += t > 1000000u;
    }
    report("held_ring_first_update", HELD_RING, (double)first / 1e6, "ms");
    report("held_ring_next_399_updates_total", HELD_RING, (double)total / 1e6, "ms");
    report("held_ring_largest_of_next_399", HELD_RING, (double)most / 1e6, "ms");
    report("held_ring_updates_over_1ms", HELD_RING, busy, "updates");
    dp_group_destroy(dp, g);
    dp_collect_cycles(dp);
    dp_update(dp);
    if (dp_destroy(dp) != 0)
        die("dp_destroy (ring left)");
}

/* dp_collect_cycles after the releases: ns per asset. */
static double time_collect(dp_depot *dp, uint32_t n)
{
    uint64_t t0 = cpu_ns();
    if (dp_collect_cycles(dp) != DP_OK)
        die("dp_collect_cycles");
    return (double)(cpu_ns() - t0) / n;
}

static double collect_chain(uint32_t n, dp_handle *h)
{
    dp_type_id type;
    dp_depot *dp = make(&type);
    add_n(dp, type, h, n);
    for (uint32_t i = 1; i < n; i++)
        if (dp_depend(dp, h[i - 1], h[i]) != DP_OK)
            die("dp_depend");
    dp_update(dp); /* the additions are taken in before anything is measured */
    release_from(dp, h, 1, n);
    double ns = time_collect(dp, n);
    dp_release(dp, h[0]);
    dp_update(dp);
    if (dp_destroy(dp) != 0)
        die("dp_destroy (chain left)");
    return ns;
}

static void bench_collect_rings(dp_handle *h)
{
    dp_group g;
    dp_depot *dp = ring(BIG_RING, h, true, &g);
    report("collect_held_ring", BIG_RING, time_collect(dp, BIG_RING), "ns");
    dp_group_destroy(dp, g);
    dp_collect_cycles(dp);
    dp_update(dp);
    if (dp_destroy(dp) != 0)
        die("dp_destroy (held ring left)");
    dp = ring(BIG_RING, h, false, &g);
    report("collect_ring", BIG_RING, time_collect(dp, BIG_RING), "ns");
    if (dp_type_of(dp, h[0]) != 0 || dp_type_of(dp, h[BIG_RING - 1]) != 0)
        die("collect_ring (garbage left)");
    if (dp_destroy(dp) != 0)
        die("dp_destroy (garbage ring left)");
}

int dp_bench_collect(void)
{
    dp_handle *h = malloc(CHAIN_MAX * sizeof *h);
    if (!h)
        die("malloc");
    printf("# collect: owner CPU; tree fan-out %u held by a group through its root\n", FANOUT);
    for (uint32_t n = 10000; n <= CHAIN_MAX; n *= 10)
        bench_frames(n, h);
    bench_held_ring(h);
    for (uint32_t n = 10000; n <= CHAIN_MAX; n *= 10) {
        double ns = collect_chain(n, h);
        report("collect_chain", n, ns, "ns");
        if (ns * n > 3e9 && n < CHAIN_MAX) {
            printf("# collect: the chain of %u took over 3 s; larger sizes left out\n", n);
            break;
        }
    }
    bench_collect_rings(h);
    free(h);
    return 0;
}
