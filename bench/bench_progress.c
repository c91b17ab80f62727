/* bench_progress.c — what progress tracking adds to the owner thread per loaded asset
 * (issue 14: target <= 0.5 us). A root asset names PB_N dependencies (mem:// blobs of a
 * zero-cost type); the owner pumps dp_update until the root is deep-loaded, once without a
 * tracker (the baseline) and once with dp_progress asked after the dp_load and after every
 * update, as a loading screen would. The owner's CPU time (CLOCK_THREAD_CPUTIME_ID: the
 * workers' time is not in it) divided by PB_N is reported for both, with the difference.
 * Runs alternate and each side keeps its best of PB_RUNS, so a busy machine inflates both
 * alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "depot/depot.h"

#define PB_N 20000
#define PB_RUNS 5

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "pbroot": names every leaf "mem://pb/<i>.zc" as a dependency. */
static dp_status root_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    (void)bytes;
    (void)len;
    char key[64];
    for (int i = 0; i < PB_N; i++) {
        snprintf(key, sizeof key, "mem://pb/%05d.zc", i);
        dp_handle child;
        dp_status st = dp_ctx_load_dep(ctx, key, &child);
        if (st != DP_OK)
            return st;
    }
    return dp_bench_zc_load(ctx, NULL, 0, asset, asset_bytes);
}

/* One load of the tree; owner CPU ns per leaf, 0 on failure. */
static double run_once(bool track)
{
    dp_depot *dp;
    if (dp_create(&(dp_desc){.workers = 2}, &dp) != DP_OK)
        return 0;
    static const char *const zext[] = {"zc", NULL}, *const rext[] = {"pbroot", NULL};
    dp_type zc = {.name = "zc", .extensions = zext, .load = dp_bench_zc_load,
                  .destroy = dp_bench_zc_destroy};
    dp_type rt = {.name = "pbroot", .extensions = rext, .load = root_load,
                  .destroy = dp_bench_zc_destroy};
    dp_type_id id;
    double ns = 0;
    static const char one = 'x';
    if (dp_register_type(dp, &zc, &id) != DP_OK || dp_register_type(dp, &rt, &id) != DP_OK ||
        dp_mem_add(dp, "pb/root.pbroot", &one, 1) != DP_OK)
        goto out;
    char key[64];
    for (int i = 0; i < PB_N; i++) {
        snprintf(key, sizeof key, "pb/%05d.zc", i);
        if (dp_mem_add(dp, key, &one, 1) != DP_OK)
            goto out;
    }
    uint64_t c0 = thread_cpu_ns();
    dp_handle root;
    dp_progress_info p = {0};
    if (dp_load(dp, "mem://pb/root.pbroot", &root) != DP_OK)
        goto out;
    if (track && dp_progress(dp, root, &p) != DP_OK)
        goto out;
    while (dp_state_deep(dp, root) == DP_STATE_PENDING) {
        if (dp_update(dp) != DP_OK)
            goto out;
        if (track && dp_progress(dp, root, &p) != DP_OK)
            goto out;
    }
    uint64_t c1 = thread_cpu_ns();
    if (dp_state_deep(dp, root) == DP_STATE_LOADED && (!track || p.settled == PB_N + 1))
        ns = (double)(c1 - c0) / PB_N;
    dp_release(dp, root);
out:
    if (dp_destroy(dp) != 0)
        ns = 0;
    return ns;
}

int dp_bench_progress(void)
{
    double off = 0, on = 0;
    for (int r = 0; r < PB_RUNS; r++) {
        double a = run_once(false), b = run_once(true);
        if (a == 0 || b == 0) {
            fprintf(stderr, "bench progress: a load failed\n");
            return 1;
        }
        off = r == 0 || a < off ? a : off;
        on = r == 0 || b < on ? b : on;
    }
    dp_bench_report("progress.owner_cpu_per_asset.untracked", off, "ns");
    dp_bench_report("progress.owner_cpu_per_asset.tracked", on, "ns");
    dp_bench_report("progress.added_owner_cpu_per_asset", on - off, "ns");
    return 0;
}
