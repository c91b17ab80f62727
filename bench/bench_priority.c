/* bench_priority.c — priority inversion (issue 14): how long a HIGH load takes to complete
 * while 10,000 LOW loads are queued, against the same load on an idle queue (the baseline,
 * in the same run). One worker; every job is a "spin" load that busy-waits JOB_US (a
 * decode of fixed cost), on 1-byte mem:// blobs. A load completes when its callback
 * returns on the worker (timed there, so the owner's update rhythm is not measured).
 * Lines:
 *   priority.job_us                  the job duration
 *   priority.high_idle_us            a HIGH load on an idle queue (median of RUNS)
 *   priority.high_behind_10k_low_us  a HIGH load with 10,000 LOW loads queued (median)
 *   priority.excess_jobs             (behind - idle) / job: the target is <= 2
 *   priority.same_priority_behind_ms a LOW load behind what is left of the queue: what
 *                                    every load waited before priorities (FIFO) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "depot/asset.h"
#include "depot/load.h"

#define JOB_US 100
#define LOW_LOADS 10000
#define RUNS 21

static _Atomic uint64_t g_done_ns;    /* when the watched load's callback returned */
/* The key being watched: a string of g_keys, never rewritten once published, so that a
 * worker still comparing against the previous key reads a stable string. */
static _Atomic(const char *) g_watch;
static char g_keys[2 * RUNS + 1][64]; /* one per time_load call in this program */
static int g_nkeys;                   /* owner only */
/* The owner sleeps on this until the watched load is done (it must not spin: on a busy
 * 2-core machine a spinning owner takes the worker's core). */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;

static dp_status spin_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    (void)bytes;
    (void)len;
    uint64_t until = dp_bench_now_ns() + JOB_US * 1000ull;
    while (dp_bench_now_ns() < until) {
    }
    static int one = 1;
    *asset = &one;
    *asset_bytes = 1;
    /* Acquire: pairs with the release that published the key's bytes. */
    const char *watch = atomic_load_explicit(&g_watch, memory_order_acquire);
    if (watch && !strcmp(dp_ctx_key(ctx), watch)) {
        uint64_t now = dp_bench_now_ns();
        pthread_mutex_lock(&g_lock);
        /* Release: pairs with time_load's acquire load of the time (g_lock orders it as well). */
        atomic_store_explicit(&g_done_ns, now, memory_order_release);
        pthread_cond_signal(&g_cond);
        pthread_mutex_unlock(&g_lock);
    }
    return DP_OK;
}

static void spin_destroy(void *asset, void *user)
{
    (void)asset;
    (void)user;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Loads `key` at `priority` and returns the ns until its callback returned. */
static uint64_t time_load(dp_depot *dp, const char *key, int priority, dp_handle *out)
{
    if (g_nkeys == (int)(sizeof g_keys / sizeof g_keys[0]))
        abort(); /* more timed loads than g_keys has room for */
    char *slot = g_keys[g_nkeys++];
    snprintf(slot, sizeof g_keys[0], "%s", key);
    /* Relaxed: a reset published by the release store of g_watch below. */
    atomic_store_explicit(&g_done_ns, 0, memory_order_relaxed);
    /* Release: the slot's bytes are complete before a worker can see the pointer. */
    atomic_store_explicit(&g_watch, slot, memory_order_release);
    uint64_t t0 = dp_bench_now_ns();
    if (dp_load_ex(dp, key, &(dp_load_opts){.priority = priority}, out) != DP_OK)
        return 0;
    uint64_t done;
    pthread_mutex_lock(&g_lock);
    while ((done = atomic_load_explicit(&g_done_ns, memory_order_acquire)) == 0)
        pthread_cond_wait(&g_cond, &g_lock);
    pthread_mutex_unlock(&g_lock);
    return done - t0;
}

static uint64_t median_high(dp_depot *dp, const char *prefix, dp_handle *hs)
{
    uint64_t t[RUNS];
    for (int i = 0; i < RUNS; i++) {
        char key[64];
        snprintf(key, sizeof key, "mem://%s%d.spin", prefix, i);
        t[i] = time_load(dp, key, DP_PRIORITY_HIGH, &hs[i]);
    }
    qsort(t, RUNS, sizeof *t, cmp_u64);
    return t[RUNS / 2];
}

int dp_bench_priority(void)
{
    dp_depot *dp;
    if (dp_create(&(dp_desc){.workers = 1}, &dp) != DP_OK)
        return 1;
    static const char *const ext[] = {"spin", NULL};
    dp_type t = {.name = "spin", .extensions = ext, .load = spin_load, .destroy = spin_destroy};
    dp_type_id spin;
    int rc = 1;
    dp_handle *low = calloc(LOW_LOADS, sizeof *low);
    dp_handle idle[RUNS], busy[RUNS], fifo = DP_NULL_HANDLE;
    if (!low || dp_register_type(dp, &t, &spin) != DP_OK)
        goto out;
    /* Every key is its own blob (mem:// reads copy one byte). */
    char key[64];
    for (int i = 0; i < RUNS; i++) {
        snprintf(key, sizeof key, "idle%d.spin", i);
        dp_mem_add(dp, key, "x", 1);
        snprintf(key, sizeof key, "busy%d.spin", i);
        dp_mem_add(dp, key, "x", 1);
    }
    dp_mem_add(dp, "fifo.spin", "x", 1);
    for (int i = 0; i < LOW_LOADS; i++) {
        snprintf(key, sizeof key, "low%d.spin", i);
        dp_mem_add(dp, key, "x", 1);
    }
    uint64_t idle_ns = median_high(dp, "idle", idle);
    for (int i = 0; i < LOW_LOADS; i++) {
        snprintf(key, sizeof key, "mem://low%d.spin", i);
        if (dp_load_ex(dp, key, &(dp_load_opts){.priority = DP_PRIORITY_LOW}, &low[i]) != DP_OK)
            goto out;
    }
    uint64_t busy_ns = median_high(dp, "busy", busy);
    uint64_t fifo_ns = time_load(dp, "mem://fifo.spin", DP_PRIORITY_LOW, &fifo);
    dp_bench_report("priority.job_us", JOB_US, "us");
    dp_bench_report("priority.high_idle_us", (double)idle_ns / 1e3, "us");
    dp_bench_report("priority.high_behind_10k_low_us", (double)busy_ns / 1e3, "us");
    dp_bench_report("priority.excess_jobs",
                    ((double)busy_ns - (double)idle_ns) / (JOB_US * 1e3), "jobs");
    dp_bench_report("priority.same_priority_behind_ms", (double)fifo_ns / 1e6, "ms");
    rc = 0;
out:
    dp_destroy(dp); /* cancels what is still queued; frees every asset */
    free(low);
    return rc;
}
