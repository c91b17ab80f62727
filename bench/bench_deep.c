/* bench_deep.c — the owner's dp_update cost while many loads are pending and a few settle:
 * N assets loaded from mem:// blobs with 2 workers through a "gate" type whose load waits
 * until the benchmark opens the gate for it, so N stay PENDING (or LOADING) while exactly
 * SETTLE per frame finish. A frame: open the gate SETTLE times, wait until those loads went
 * through (and 2 ms for their results to be queued), then dp_update until those
 * SETTLE are LOADED (and, in the flat shape, deep-LOADED); only the dp_update calls are
 * timed, in the owner thread's CPU time (CLOCK_THREAD_CPUTIME_ID: on a loaded machine a wall
 * clock would count preemptions; every update of the frame, the empty ones included).
 * Prints us per frame at N = 10^3, 10^4, 10^5, so a cost that grows with what is pending,
 * not with what settled, shows.
 *
 * Shapes (what depends on the N pending loads; parents are dp_add'ed, so LOADED themselves
 * and deep-PENDING until their loads settle):
 *  - flat: nothing;
 *  - bundle: one bundle depends on all N (each settling load has a pending parent with N
 *    children);
 *  - chain: per 16 loads a chain of 10 assets, the lowest depending on the 16;
 *  - diamond: per 8 loads two assets depending on all 8 and a top depending on both.
 * DEPOT_BENCH_DEEP=flat,chain (a comma list) runs only those shapes. */
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

/* Updates until `want` more events of `kind`; adds the time inside dp_update to *ns. */
static size_t n_updates;

static bool settle(dp_depot *dp, size_t want, dp_event_kind kind, uint64_t *ns)
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
            seen += ev[k].kind == kind;
    }
    return true;
}

enum shape { SHAPE_FLAT, SHAPE_BUNDLE, SHAPE_CHAIN, SHAPE_DIAMOND, SHAPE_COUNT };
static const char *const shape_names[SHAPE_COUNT] = {"flat", "bundle", "chain", "diamond"};

#define CHAIN_GROUP 16u
#define CHAIN_DEPTH 10u
#define DIAMOND_GROUP 8u

/* The parents the shape puts above the n pending loads h[]; their handles go to par[]
 * (released at the end). Returns how many, or SIZE_MAX on failure. */
static size_t make_parents(dp_depot *dp, dp_type_id node, enum shape shape, const dp_handle *h,
                           size_t n, dp_handle *par)
{
    static int node_data;
    size_t np = 0;
    bool ok = true;
#define ADD_PARENT() (ok = ok && dp_add(dp, node, &node_data, 1, NULL, &par[np]) == DP_OK, np++)
    if (shape == SHAPE_BUNDLE) {
        ADD_PARENT();
        for (size_t i = 0; ok && i < n; i++)
            ok = dp_depend(dp, par[0], h[i]) == DP_OK;
    } else if (shape == SHAPE_CHAIN) {
        for (size_t g = 0; ok && g < n; g += CHAIN_GROUP) {
            ADD_PARENT();
            for (size_t i = g; ok && i < n && i < g + CHAIN_GROUP; i++)
                ok = dp_depend(dp, par[np - 1], h[i]) == DP_OK;
            for (uint32_t d = 1; ok && d < CHAIN_DEPTH; d++) {
                ADD_PARENT();
                ok = ok && dp_depend(dp, par[np - 1], par[np - 2]) == DP_OK;
            }
        }
    } else if (shape == SHAPE_DIAMOND) {
        for (size_t g = 0; ok && g < n; g += DIAMOND_GROUP) {
            ADD_PARENT();
            ADD_PARENT();
            for (size_t i = g; ok && i < n && i < g + DIAMOND_GROUP; i++)
                ok = dp_depend(dp, par[np - 2], h[i]) == DP_OK &&
                     dp_depend(dp, par[np - 1], h[i]) == DP_OK;
            ADD_PARENT();
            ok = ok && dp_depend(dp, par[np - 1], par[np - 2]) == DP_OK &&
                 dp_depend(dp, par[np - 1], par[np - 3]) == DP_OK;
        }
    }
#undef ADD_PARENT
    return ok ? np : SIZE_MAX;
}

/* Most parents a shape puts above n loads. */
static size_t max_parents(size_t n)
{
    return 1 + (n / CHAIN_GROUP + 1) * CHAIN_DEPTH + (n / DIAMOND_GROUP + 1) * 3;
}

/* us per frame with n pending under `shape`, 0 on failure. */
static double run_pending(size_t n, enum shape shape)
{
    dp_desc desc = {.workers = 2};
    dp_depot *dp;
    if (dp_create(&desc, &dp) != DP_OK)
        return 0;
    static const char *const ext[] = {"gate", NULL};
    dp_type t = {.name = "gate", .extensions = ext, .load = gate_load, .destroy = gate_destroy};
    dp_type tn = {.name = "node", .destroy = gate_destroy};
    dp_type_id id, node;
    dp_handle *h = calloc(n, sizeof *h);
    dp_handle *par = calloc(max_parents(n), sizeof *par);
    size_t np = 0;
    char key[64];
    static const char one = 'x';
    double us = 0;
    gate_open = 0;
    gate_passed = 0;
    bool ok = h && par && dp_register_type(dp, &t, &id) == DP_OK &&
              dp_register_type(dp, &tn, &node) == DP_OK;
    (void)dp_builtins(dp);
    for (size_t i = 0; ok && i < n; i++) {
        snprintf(key, sizeof key, "d/%07zu.gate", i);
        ok = dp_mem_add(dp, key, &one, 1) == DP_OK;
        snprintf(key, sizeof key, "mem://d/%07zu.gate", i);
        ok = ok && dp_load(dp, key, &h[i]) == DP_OK;
    }
    if (ok) {
        np = make_parents(dp, node, shape, h, n, par);
        ok = np != SIZE_MAX;
        np = ok ? np : 0;
    }
    dp_event_kind kind = shape == SHAPE_FLAT ? DP_EV_LOADED_DEEP : DP_EV_LOADED;
    uint64_t warm = 0, ns = 0;
    ok = ok && dp_update(dp) == DP_OK;
    gate_frame(); /* one frame untimed: first-use costs */
    ok = ok && settle(dp, SETTLE, kind, &warm);
    n_updates = 0;
    dp_stats stt;
    dp_get_stats(dp, &stt);
    printf("# deep %s: %zu pending jobs, %zu live before the frames\n", shape_names[shape],
           stt.pending_jobs, stt.live_assets);
    for (uint32_t f = 0; ok && f < FRAMES; f++) {
        gate_frame();
        ok = settle(dp, SETTLE, kind, &ns);
    }
    if (ok)
        us = (double)ns / 1e3 / FRAMES;
    printf("# deep %s: %zu updates in %u frames\n", shape_names[shape], n_updates, FRAMES);
    gate_add(UINT64_MAX / 2); /* let the rest through so the depot can shut down */
    ok = h && settle(dp, n - (FRAMES + 1) * SETTLE, DP_EV_LOADED, &warm);
    for (size_t i = 0; h && i < n; i++)
        if (h[i].bits)
            (void)dp_release(dp, h[i]);
    for (size_t i = 0; i < np; i++)
        (void)dp_release(dp, par[i]);
    (void)dp_update(dp);
    free(h);
    free(par);
    if (dp_destroy(dp) != 0 || !ok)
        us = 0;
    return us;
}

/* True if the shape is in DEPOT_BENCH_DEEP (a comma list), or that is unset. */
static bool shape_wanted(enum shape shape)
{
    const char *want = getenv("DEPOT_BENCH_DEEP");
    if (!want || !*want)
        return true;
    size_t len = strlen(shape_names[shape]);
    for (const char *p = want; (p = strstr(p, shape_names[shape])) != NULL; p += len)
        if ((p == want || p[-1] == ',') && (p[len] == '\0' || p[len] == ','))
            return true;
    return false;
}

int dp_bench_deep(void)
{
    static const size_t sizes[] = {1000, 10000, 100000};
    char name[80];
    printf("# deep: dp_update per frame with N loads pending and %u settling (2 workers)\n",
           SETTLE);
    for (int s = 0; s < SHAPE_COUNT; s++) {
        if (!shape_wanted((enum shape)s))
            continue;
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            double us = run_pending(sizes[z], (enum shape)s);
            if (us <= 0) {
                fprintf(stderr, "depot-bench deep: %s with %zu pending failed\n", shape_names[s],
                        sizes[z]);
                return 1;
            }
            if (s == SHAPE_FLAT)
                snprintf(name, sizeof name, "deep.update_us_%zu_pending_%u_settling", sizes[z],
                         SETTLE);
            else
                snprintf(name, sizeof name, "deep.%s.update_us_%zu_pending_%u_settling",
                         shape_names[s], sizes[z], SETTLE);
            dp_bench_report(name, us, "us");
        }
    }
    return 0;
}
