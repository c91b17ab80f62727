/* bench_wait.c — what dp_wait costs the owner thread while one load runs, and how soon it
 * returns once the worker has the result, against the loop dp_wait was before stop 12 (the
 * baseline, rebuilt here from public calls: dp_update, look at the states, sleep 1 ms, the
 * best a wait without a wake-up from the workers does without burning a core) and, for the
 * latency only, a loop of dp_update without sleeping (the floor, at a whole core's cost).
 *   latency  a load of type "wt" sleeps WB_LAT_WORK_US plus a random part of a millisecond
 *            on its worker (so that a 1 ms poll cannot fall into step with it), notes the
 *            time and returns; the owner waits for it; latency = the time the wait returned minus the
 *            noted one (the worker's hand-over, the wake-up and the update that applies it).
 *            WB_LAT_N loads per contender, contenders taking turns load by load; median and
 *            90th percentile.
 *   cpu      a load sleeps WB_CPU_WORK_MS on its worker; the owner thread's CPU
 *            (CLOCK_THREAD_CPUTIME_ID) around the wait, and the dp_update calls made during
 *            it (counted by a dp_listen listener, called at the end of every update). Median
 *            of WB_CPU_N per contender, taking turns.
 *   seq      the other side of the trade: WB_SEQ_N loads of WB_SEQ_WORK_US of CPU each (a
 *            busy loop, like a decode) on one worker, all queued at once, then waited for
 *            one after another, as a loading screen that waits handle by handle does. A
 *            polling loop takes ~1 ms of results an update; dp_wait, woken by each handle's
 *            own result, would wake once per handle, but pauses ~1 ms after its last update
 *            while others are queued (wait.c). Per load: wall time, the process's CPU, the
 *            owner's CPU, updates.
 *            Median of WB_SEQ_REPS per contender, taking turns.
 * Two workers (one in seq); the blobs are 1-byte mem:// keys, one per load, released after it. Every line
 * is "BENCH <name> <value> <unit>". */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "depot/depot.h"

#define WB_LAT_N 300
#define WB_LAT_WORK_US 2000
#define WB_CPU_N 5
#define WB_CPU_WORK_MS 200
#define WB_SEQ_N 1000
#define WB_SEQ_WORK_US 140
#define WB_SEQ_REPS 3
#define WB_WAIT_MS 60000

static _Atomic unsigned work_us;  /* what the next "wt" load sleeps on its worker */
static atomic_bool work_spins;    /* ... or spends in a busy loop instead */
static _Atomic uint64_t done_ns;  /* when the last "wt" load returned its result */
static atomic_int updates;        /* dp_update calls so far (listener) */
static volatile uint64_t sink;

static uint64_t cpu_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
    return cpu_ns(CLOCK_THREAD_CPUTIME_ID);
}

static dp_status wt_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                         size_t *asset_bytes)
{
    uint64_t work_ns = (uint64_t)atomic_load(&work_us) * 1000u;
    if (!atomic_load(&work_spins))
        usleep(atomic_load(&work_us));
    for (uint64_t t0 = thread_cpu_ns(); atomic_load(&work_spins) && thread_cpu_ns() - t0 < work_ns;)
        sink++;
    dp_status st = dp_bench_zc_load(ctx, bytes, len, asset, asset_bytes);
    atomic_store(&done_ns, dp_bench_now_ns());
    return st;
}

static void count_update(void *user, const dp_event *ev, size_t n)
{
    (void)user;
    (void)ev;
    (void)n;
    atomic_fetch_add(&updates, 1);
}

typedef enum contender { C_WAIT, C_POLL, C_SPIN, C_COUNT } contender;
static const char *const names[C_COUNT] = {"dp_wait", "poll1ms", "spin"};

/* The baseline loops: dp_update, look, then sleep 1 ms (poll) or not (spin). */
static bool pump(dp_depot *dp, dp_handle h, bool sleep_between)
{
    uint64_t until = dp_bench_now_ns() + (uint64_t)WB_WAIT_MS * 1000000u;
    for (;;) {
        dp_update(dp);
        dp_state s = dp_state_of(dp, h) == DP_STATE_FAILED ? DP_STATE_FAILED
                                                            : dp_state_deep(dp, h);
        if (s == DP_STATE_LOADED)
            return true;
        if (s != DP_STATE_PENDING || dp_bench_now_ns() > until)
            return false;
        if (sleep_between)
            usleep(1000);
    }
}

/* One load of a fresh key waited for by contender c; false on a failure. */
static bool one(dp_depot *dp, int serial, contender c, uint64_t *latency, uint64_t *cpu,
                int *nupdates)
{
    char key[64];
    snprintf(key, sizeof key, "mem://wb/%d.wt", serial);
    static const char one_byte = 'x';
    dp_handle h;
    if (dp_mem_add(dp, key + 6, &one_byte, 1) != DP_OK || dp_load(dp, key, &h) != DP_OK)
        return false;
    int u0 = atomic_load(&updates);
    uint64_t c0 = thread_cpu_ns();
    bool ok = c == C_WAIT ? dp_wait(dp, h, WB_WAIT_MS) == DP_OK : pump(dp, h, c == C_POLL);
    uint64_t back = dp_bench_now_ns();
    *cpu = thread_cpu_ns() - c0;
    *nupdates = atomic_load(&updates) - u0;
    *latency = back - atomic_load(&done_ns);
    ok = dp_release(dp, h) == DP_OK && ok;
    dp_update(dp);
    return ok;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The q-th quantile (0..1) of v[0..n), sorting v. */
static uint64_t quantile(uint64_t *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    return v[(int)(q * (n - 1))];
}

static dp_depot *make_depot(int workers)
{
    dp_depot *dp;
    if (dp_create(&(dp_desc){.workers = workers}, &dp) != DP_OK)
        return NULL;
    static const char *const ext[] = {"wt", NULL};
    dp_type t = {.name = "wt", .extensions = ext, .load = wt_load,
                 .destroy = dp_bench_zc_destroy};
    dp_type_id id;
    if (dp_register_type(dp, &t, &id) != DP_OK || dp_listen(dp, count_update, NULL) != DP_OK) {
        dp_destroy(dp);
        return NULL;
    }
    return dp;
}

static bool latency_runs(dp_depot *dp, int *serial)
{
    static uint64_t lat[C_COUNT][WB_LAT_N];
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < WB_LAT_N; i++) {
        for (int c = 0; c < C_COUNT; c++) {
            atomic_store(&work_us, WB_LAT_WORK_US + (unsigned)(dp_bench_rand(&seed) % 1000u));
            uint64_t cpu;
            int nu;
            if (!one(dp, (*serial)++, (contender)c, &lat[c][i], &cpu, &nu))
                return false;
        }
    }
    char name[96];
    for (int c = 0; c < C_COUNT; c++) {
        snprintf(name, sizeof name, "wait.latency.%s.median", names[c]);
        dp_bench_report(name, (double)quantile(lat[c], WB_LAT_N, 0.5) / 1000.0, "us");
        snprintf(name, sizeof name, "wait.latency.%s.p90", names[c]);
        dp_bench_report(name, (double)quantile(lat[c], WB_LAT_N, 0.9) / 1000.0, "us");
    }
    uint64_t w = quantile(lat[C_WAIT], WB_LAT_N, 0.5), p = quantile(lat[C_POLL], WB_LAT_N, 0.5);
    dp_bench_report("wait.latency.poll1ms_over_dp_wait", w ? (double)p / (double)w : 0, "x");
    return true;
}

static bool cpu_runs(dp_depot *dp, int *serial)
{
    uint64_t cpu[2][WB_CPU_N], nup[2][WB_CPU_N];
    atomic_store(&work_us, WB_CPU_WORK_MS * 1000u);
    for (int i = 0; i < WB_CPU_N; i++) {
        for (int c = 0; c < 2; c++) {
            uint64_t lat;
            int nu;
            if (!one(dp, (*serial)++, (contender)c, &lat, &cpu[c][i], &nu))
                return false;
            nup[c][i] = (uint64_t)nu;
        }
    }
    char name[96];
    for (int c = 0; c < 2; c++) {
        snprintf(name, sizeof name, "wait.cpu_%dms.%s", WB_CPU_WORK_MS, names[c]);
        dp_bench_report(name, (double)quantile(cpu[c], WB_CPU_N, 0.5) / 1000.0, "us");
        snprintf(name, sizeof name, "wait.updates_%dms.%s", WB_CPU_WORK_MS, names[c]);
        dp_bench_report(name, (double)quantile(nup[c], WB_CPU_N, 0.5), "updates");
    }
    uint64_t w = quantile(cpu[C_WAIT], WB_CPU_N, 0.5), p = quantile(cpu[C_POLL], WB_CPU_N, 0.5);
    dp_bench_report("wait.cpu.poll1ms_over_dp_wait", w ? (double)p / (double)w : 0, "x");
    return true;
}

/* One seq run of contender c (C_WAIT or C_POLL) on a fresh one-worker depot: per load,
 * out[0] wall, out[1] process CPU, out[2] owner CPU (ns), out[3] updates. */
static bool seq_once(contender c, uint64_t out[4])
{
    static dp_handle h[WB_SEQ_N];
    static const char one_byte = 'x';
    dp_depot *dp = make_depot(1);
    bool ok = dp != NULL;
    char key[64];
    for (int i = 0; ok && i < WB_SEQ_N; i++) {
        snprintf(key, sizeof key, "mem://seq/%d.wt", i);
        ok = dp_mem_add(dp, key + 6, &one_byte, 1) == DP_OK;
    }
    int u0 = atomic_load(&updates);
    uint64_t w0 = dp_bench_now_ns(), p0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID), o0 = thread_cpu_ns();
    int n = 0;
    for (; ok && n < WB_SEQ_N; n++) {
        snprintf(key, sizeof key, "mem://seq/%d.wt", n);
        ok = dp_load(dp, key, &h[n]) == DP_OK;
    }
    for (int i = 0; ok && i < n; i++)
        ok = c == C_WAIT ? dp_wait(dp, h[i], WB_WAIT_MS) == DP_OK : pump(dp, h[i], true);
    out[0] = (dp_bench_now_ns() - w0) / WB_SEQ_N;
    out[1] = (cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - p0) / WB_SEQ_N;
    out[2] = (thread_cpu_ns() - o0) / WB_SEQ_N;
    out[3] = (uint64_t)(atomic_load(&updates) - u0) * 100u / WB_SEQ_N; /* hundredths */
    for (int i = 0; i < n; i++)
        dp_release(dp, h[i]);
    if (dp)
        dp_destroy(dp);
    return ok;
}

static bool seq_runs(void)
{
    static const char *const what[4] = {"wall", "process_cpu", "owner_cpu", "updates"};
    uint64_t v[2][4][WB_SEQ_REPS];
    atomic_store(&work_us, WB_SEQ_WORK_US);
    atomic_store(&work_spins, true);
    for (int r = 0; r < WB_SEQ_REPS; r++) {
        for (int c = 0; c < 2; c++) {
            uint64_t out[4];
            if (!seq_once((contender)c, out))
                return false;
            for (int k = 0; k < 4; k++)
                v[c][k][r] = out[k];
        }
    }
    atomic_store(&work_spins, false);
    char name[96];
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "wait.seq_%dus.%s.%s_per_load", WB_SEQ_WORK_US,
                     names[c], what[k]);
            double q = (double)quantile(v[c][k], WB_SEQ_REPS, 0.5);
            dp_bench_report(name, k == 3 ? q / 100.0 : q / 1000.0, k == 3 ? "updates" : "us");
        }
    }
    uint64_t w = quantile(v[C_WAIT][1], WB_SEQ_REPS, 0.5);
    uint64_t p = quantile(v[C_POLL][1], WB_SEQ_REPS, 0.5);
    dp_bench_report("wait.seq.process_cpu.dp_wait_over_poll1ms", p ? (double)w / (double)p : 0,
                    "x");
    return true;
}

int dp_bench_wait(void)
{
    dp_depot *dp = make_depot(2);
    if (!dp) {
        fprintf(stderr, "depot-bench wait: setup failed\n");
        return 1;
    }
    int serial = 0;
    bool ok = latency_runs(dp, &serial) && cpu_runs(dp, &serial);
    dp_destroy(dp);
    ok = ok && seq_runs();
    if (!ok)
        fprintf(stderr, "depot-bench wait: a load failed\n");
    return ok ? 0 : 1;
}
