/* trace_clock.h — the lifetime recorder's clock: cheap ticks per event, converted to
 * nanoseconds only when the trace is read back.
 *
 * clock_gettime(CLOCK_MONOTONIC) costs 25-65 ns on the project's x86-64 VMs (the vDSO
 * orders its TSC read with rdtscp or lfence and then scales it), more than the recorder's
 * whole per-event budget; an unordered rdtsc costs 8-12 ns. So on x86-64 with an invariant
 * TSC (CPUID 0x80000007 EDX bit 8: constant rate, not stopped in sleep states, the
 * condition under which Linux itself uses the TSC as its clock source) an event stores raw
 * TSC ticks, and the reader maps ticks to nanoseconds by a line through two calibration
 * pairs (ticks, CLOCK_MONOTONIC ns): one taken when the recorder starts, one when it is read.
 * Elsewhere (other CPUs, or a TSC that may drift) ticks are CLOCK_MONOTONIC nanoseconds and
 * the line is the identity. CLOCK_MONOTONIC_COARSE was measured too: 6 ns, but its
 * resolution is the kernel tick (4 ms here), longer than most loads. */
#ifndef DEPOT_ASSET_TRACE_CLOCK_H
#define DEPOT_ASSET_TRACE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <x86intrin.h>
#define DP__TRACE_HAVE_TSC 1
#else
#define DP__TRACE_HAVE_TSC 0
#endif

/* One calibration pair: the same instant in ticks and in CLOCK_MONOTONIC nanoseconds. */
typedef struct dp__tpair {
    uint64_t ticks, ns;
} dp__tpair;

static inline uint64_t dp__trace_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* True if this CPU's TSC runs at a constant rate in every state (invariant TSC). */
static inline bool dp__trace_tsc_usable(void)
{
#if DP__TRACE_HAVE_TSC
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return false;
    __get_cpuid(0x80000007u, &a, &b, &c, &d);
    return (d >> 8) & 1u;
#else
    return false;
#endif
}

/* The recorder's timestamp: TSC ticks when `tsc`, else CLOCK_MONOTONIC nanoseconds. */
static inline uint64_t dp__trace_ticks(bool tsc)
{
#if DP__TRACE_HAVE_TSC
    if (tsc)
        return __rdtsc();
#endif
    (void)tsc;
    return dp__trace_mono_ns();
}

/* A calibration pair. The clock read is bracketed by two tick reads and the tightest of a
 * few tries is kept, so a preemption between the reads cannot skew the pair. */
static inline dp__tpair dp__trace_calibrate(bool tsc)
{
    if (!tsc) {
        uint64_t ns = dp__trace_mono_ns();
        return (dp__tpair){ns, ns};
    }
    dp__tpair best = {0, 0};
    uint64_t width = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t a = dp__trace_ticks(true), ns = dp__trace_mono_ns(), b = dp__trace_ticks(true);
        if (b - a < width) {
            width = b - a;
            best = (dp__tpair){a + (b - a) / 2, ns};
        }
    }
    return best;
}

#endif
