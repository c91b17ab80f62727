/* bench_trace.c — the lifetime recorder's cost (dp_desc.trace_events).
 *
 * One asset, one thread, retain + release pairs (each pair records two events when the
 * recorder is on). The baseline is the same loop on a depot with the recorder off, timed in
 * the same run and interleaved with the "on" runs, so both see the same machine:
 *   trace.retain_release_off      ns per pair, recorder off (the baseline)
 *   trace.retain_release_on       ns per pair, recorder on (65,536-event ring, wrapping)
 *   trace.cost_per_event          (on - off) / 2: what one recorded event adds
 *   trace.off_spread              (max - min) / median of the off runs: the noise a cost
 *                                 when off would have to exceed to be seen
 *   trace.write_per_event         dp_trace_write of the full ring to /dev/null, per event */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "depot/depot.h"

#define PAIRS 2000000u
#define REPS 7
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

static dp_depot *make(uint32_t events, dp_handle *h)
{
    dp_depot *dp;
    dp_type_id type;
    if (dp_create(&(dp_desc){.trace_events = events}, &dp) != DP_OK)
        fail("dp_create");
    if (dp_register_type(dp, &(dp_type){.name = "bench", .destroy = nop_destroy}, &type) != DP_OK)
        fail("dp_register_type");
    if (dp_add(dp, type, &dummy_data, 1, "bench/one", h) != DP_OK)
        fail("dp_add");
    dp_update(dp);
    return dp;
}

static double run_pairs(dp_depot *dp, dp_handle h)
{
    uint64_t bad = 0, t0 = dp_bench_now_ns();
    for (uint32_t i = 0; i < PAIRS; i++) {
        bad += dp_retain(dp, h) != DP_OK;
        bad += dp_release(dp, h) != DP_OK;
    }
    uint64_t t1 = dp_bench_now_ns();
    if (bad)
        fail("retain/release");
    return (double)(t1 - t0) / PAIRS;
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

int dp_bench_trace(void)
{
    dp_handle hoff, hon;
    dp_depot *off = make(0, &hoff), *on = make(RING, &hon);
    run_pairs(off, hoff); /* warm up */
    run_pairs(on, hon);
    double voff[REPS], von[REPS];
    for (int i = 0; i < REPS; i++) {
        voff[i] = run_pairs(off, hoff);
        von[i] = run_pairs(on, hon);
    }
    double wr = write_cost(on);
    qsort(voff, REPS, sizeof *voff, cmp_double);
    qsort(von, REPS, sizeof *von, cmp_double);
    double moff = voff[REPS / 2], mon = von[REPS / 2];
    dp_bench_report("trace.retain_release_off", moff, "ns");
    dp_bench_report("trace.retain_release_on", mon, "ns");
    dp_bench_report("trace.cost_per_event", (mon - moff) / 2, "ns");
    dp_bench_report("trace.off_spread", (voff[REPS - 1] - voff[0]) / moff * 100, "%");
    dp_bench_report("trace.write_per_event", wr, "ns");
    dp_release(off, hoff);
    dp_release(on, hon);
    dp_destroy(off);
    dp_destroy(on);
    return 0;
}
