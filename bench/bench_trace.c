/* bench_trace.c — the lifetime recorder's cost (dp_desc.trace_events).
 *
 * One asset, one thread, retain + release pairs (each pair records two events when the
 * recorder is on). The baseline is the same loop on a depot with the recorder off, timed in
 * the same run and interleaved with the "on" runs, so both see the same machine. Times are
 * the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), medians of REPS runs: on a shared, loaded
 * machine wall time also counts the time the thread waited for a core.
 *   trace.retain_release_off      ns per pair, recorder off (the baseline)
 *   trace.retain_release_on       ns per pair, recorder on (65,536-event ring, wrapping)
 *   trace.cost_per_event          (on - off) / 2: what one recorded event adds
 *   trace.off_spread              (max - min) / median of the off runs: the noise a cost
 *                                 when off would have to exceed to be seen
 *   trace.write_per_event         dp_trace_write of the full ring to /dev/null, per event
 *   trace.cost_per_event_2threads the same cost with two threads recording at once, each on
 *                                 its own asset (the ring, its head and the clock shared) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "depot/depot.h"

#define PAIRS 500000u
#define REPS 15
#define RING 65536u

static int dummy_data;

static void nop_destroy(void *asset, void *user)
{
    (void)asset, (void)user;
}

static void fail(const char *what)
{
    fprintf(stderr, "bench trace: %s failed\n", what);
    abort();
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static dp_depot *make(uint32_t events, dp_handle h[2])
{
    dp_depot *dp;
    dp_type_id type;
    if (dp_create(&(dp_desc){.trace_events = events}, &dp) != DP_OK)
        fail("dp_create");
    if (dp_register_type(dp, &(dp_type){.name = "bench", .destroy = nop_destroy}, &type) != DP_OK)
        fail("dp_register_type");
    if (dp_add(dp, type, &dummy_data, 1, "bench/one", &h[0]) != DP_OK ||
        dp_add(dp, type, &dummy_data, 1, "bench/two", &h[1]) != DP_OK)
        fail("dp_add");
    dp_update(dp);
    return dp;
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double run_pairs(dp_depot *dp, dp_handle h)
{
    uint64_t bad = 0, t0 = cpu_ns();
    for (uint32_t i = 0; i < PAIRS; i++) {
        bad += dp_retain(dp, h) != DP_OK;
        bad += dp_release(dp, h) != DP_OK;
    }
    uint64_t t1 = cpu_ns();
    if (bad)
        fail("retain/release");
    return (double)(t1 - t0) / PAIRS;
}

typedef struct second {
    dp_depot *dp;
    dp_handle h;
    double ns;
} second;

static void *second_thread(void *arg)
{
    second *s = arg;
    s->ns = run_pairs(s->dp, s->h);
    return NULL;
}

/* Both threads' pairs at once; the mean of their CPU time per pair. */
static double run_two(dp_depot *dp, const dp_handle h[2])
{
    second s = {.dp = dp, .h = h[1]};
    pthread_t t;
    if (pthread_create(&t, NULL, second_thread, &s) != 0)
        fail("pthread_create");
    double mine = run_pairs(dp, h[0]);
    pthread_join(t, NULL);
    return (mine + s.ns) / 2;
}

static double write_cost(dp_depot *dp)
{
    FILE *null = fopen("/dev/null", "w");
    if (!null)
        fail("fopen /dev/null");
    uint64_t t0 = dp_bench_now_ns();
    if (dp_trace_write(dp, null) != DP_OK)
        fail("dp_trace_write");
    uint64_t t1 = dp_bench_now_ns();
    fclose(null);
    return (double)(t1 - t0) / RING;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

int dp_bench_trace(void)
{
    dp_handle hoff[2], hon[2];
    dp_depot *off = make(0, hoff), *on = make(RING, hon);
    run_pairs(off, hoff[0]); /* warm up */
    run_pairs(on, hon[0]);
    double voff[REPS], von[REPS], toff[REPS / 3], ton[REPS / 3];
    for (int i = 0; i < REPS; i++) {
        voff[i] = run_pairs(off, hoff[0]);
        von[i] = run_pairs(on, hon[0]);
    }
    for (int i = 0; i < REPS / 3; i++) {
        toff[i] = run_two(off, hoff);
        ton[i] = run_two(on, hon);
    }
    double wr = write_cost(on);
    double moff = median(voff, REPS), mon = median(von, REPS);
    dp_bench_report("trace.retain_release_off", moff, "ns");
    dp_bench_report("trace.retain_release_on", mon, "ns");
    dp_bench_report("trace.cost_per_event", (mon - moff) / 2, "ns");
    dp_bench_report("trace.off_spread", (voff[REPS - 1] - voff[0]) / moff * 100, "%");
    dp_bench_report("trace.write_per_event", wr, "ns");
    dp_bench_report("trace.cost_per_event_2threads",
                    (median(ton, REPS / 3) - median(toff, REPS / 3)) / 2, "ns");
    for (int i = 0; i < 2; i++) {
        dp_release(off, hoff[i]);
        dp_release(on, hon[i]);
    }
    dp_destroy(off);
    dp_destroy(on);
    return 0;
}
