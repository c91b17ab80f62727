/* bench_deep.c — the owner's dp_update cost while many loads are pending and a few settle:
 * N assets loaded from mem:// blobs with 2 workers through a "gate" type whose load waits
 * until the benchmark opens the gate for it, so N stay PENDING (or LOADING) while exactly
 * SETTLE per frame finish. A frame: open the gate SETTLE times, wait until those loads went
 * through (and 2 ms for their results to be queued), then dp_update until those
 * SETTLE are deep-LOADED; only the dp_update calls are timed, in the owner thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID: on a loaded machine a wall clock would count preemptions; every
 * update of the frame, the empty ones included). Prints us per frame at N = 10^3, 10^4, 10^5, so a cost
 * that grows with what is pending, not with what settled, shows. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "depot/asset.h"
#include "depot/load.h"
#include "depot/diag.h"

#define SETTLE 10u
#define FRAMES 40u
#define DEEP_WAIT_NS (120ull * 1000000000ull)

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static uint64_t gate_open; /* loads the gate still lets through */
static uint64_t gate_passed; /* loads through the gate */
static int gate_static;

static dp_status gate_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    (void)ctx, (void)bytes, (void)len;
    pthread_mutex_lock(&gate_mu);
    while (gate_open == 0)
        pthread_cond_wait(&gate_cv, &gate_mu);
    gate_open--;
    gate_passed++;
    pthread_mutex_unlock(&gate_mu);
    *asset = &gate_static;
    *asset_bytes = 1;
    return DP_OK;
}

static void gate_destroy(void *asset, void *user)
{
    (void)asset, (void)user;
}

static void gate_add(uint64_t n)
{
    pthread_mutex_lock(&gate_mu);
    gate_open += n;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

/* Opens the gate for SETTLE loads and waits until they went through, plus 2 ms for their
 * results to reach the loader's queue, so that the frame's first update usually applies all
 * of them (the frame's updates are counted and printed). */
static void gate_frame(void)
{
    pthread_mutex_lock(&gate_mu);
    uint64_t want = gate_passed + SETTLE;
    gate_open += SETTLE;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    for (;;) {
        pthread_mutex_lock(&gate_mu);
        bool through = gate_passed >= want;
        pthread_mutex_unlock(&gate_mu);
        if (through)
            break;
        nanosleep(&(struct timespec){0, 100000}, NULL);
    }
    nanosleep(&(struct timespec){0, 2000000}, NULL);
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Updates until `want` more deep-LOADED events; adds the time inside dp_update to *ns. */
static size_t n_updates;

static bool settle(dp_depot *dp, size_t want, uint64_t *ns)
{
    size_t seen = 0;
    uint64_t until = dp_bench_now_ns() + DEEP_WAIT_NS;
    while (seen < want) {
        uint64_t t0 = thread_cpu_ns();
        dp_status st = dp_update(dp);
        *ns += thread_cpu_ns() - t0;
        n_updates++;
        if (st != DP_OK || dp_bench_now_ns() > until)
            return false;
        const dp_event *ev;
        size_t ne = dp_events(dp, &ev);
        for (size_t k = 0; k < ne; k++)
            seen += ev[k].kind == DP_EV_LOADED_DEEP;
    }
    return true;
}

/* us per frame with n pending, 0 on failure. */
static double run_pending(size_t n)
{
    dp_desc desc = {.workers = 2};
    dp_depot *dp;
    if (dp_create(&desc, &dp) != DP_OK)
        return 0;
    static const char *const ext[] = {"gate", NULL};
    dp_type t = {.name = "gate", .extensions = ext, .load = gate_load, .destroy = gate_destroy};
    dp_type_id id;
    dp_handle *h = calloc(n, sizeof *h);
    char key[64];
    static const char one = 'x';
    double us = 0;
    gate_open = 0;
    gate_passed = 0;
    bool ok = h && dp_register_type(dp, &t, &id) == DP_OK;
    (void)dp_builtins(dp);
    for (size_t i = 0; ok && i < n; i++) {
        snprintf(key, sizeof key, "d/%07zu.gate", i);
        ok = dp_mem_add(dp, key, &one, 1) == DP_OK;
        snprintf(key, sizeof key, "mem://d/%07zu.gate", i);
        ok = ok && dp_load(dp, key, &h[i]) == DP_OK;
    }
    uint64_t warm = 0, ns = 0;
    ok = ok && dp_update(dp) == DP_OK;
    gate_frame(); /* one frame untimed: first-use costs */
    ok = ok && settle(dp, SETTLE, &warm);
    n_updates = 0;
    dp_stats stt;
    dp_get_stats(dp, &stt);
    printf("# deep: %zu pending jobs, %zu live before the frames\n", stt.pending_jobs, stt.live_assets);
    for (uint32_t f = 0; ok && f < FRAMES; f++) {
        gate_frame();
        ok = settle(dp, SETTLE, &ns);
    }
    if (ok)
        us = (double)ns / 1e3 / FRAMES;
    printf("# deep: %zu updates in %u frames\n", n_updates, FRAMES);
    gate_add(UINT64_MAX / 2); /* let the rest through so the depot can shut down */
    ok = h && settle(dp, n - (FRAMES + 1) * SETTLE, &warm);
    for (size_t i = 0; h && i < n; i++)
        if (h[i].bits)
            (void)dp_release(dp, h[i]);
    (void)dp_update(dp);
    free(h);
    if (dp_destroy(dp) != 0 || !ok)
        us = 0;
    return us;
}

int dp_bench_deep(void)
{
    static const size_t sizes[] = {1000, 10000, 100000};
    char name[64];
    printf("# deep: dp_update per frame with N loads pending and %u settling (2 workers)\n",
           SETTLE);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        double us = run_pending(sizes[s]);
        if (us <= 0) {
            fprintf(stderr, "depot-bench deep: the run with %zu pending failed\n", sizes[s]);
            return 1;
        }
        snprintf(name, sizeof name, "deep.update_us_%zu_pending_%u_settling", sizes[s], SETTLE);
        dp_bench_report(name, us, "us");
    }
    return 0;
}
