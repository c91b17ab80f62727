/* bench_scale.c — cost per asset as the live set grows (issue 12, section 4), so a step
 * that grows faster than the work shows as a rising per-asset cost, whatever the machine's
 * load does to the absolute numbers. For each size n (10^3 .. 10^6):
 *   load     n mem:// loads of a zero-cost type in flight at once, pumped until every one
 *            is LOADED, released, freed by one update (2 workers): ns per asset,
 *   cascade  a chain of n released at its head, freed by one update: ns per asset,
 *   collect  n assets in rings of 100 released at once, dp_collect_cycles: ns per asset,
 *   check    dp_check over n keyed assets with one edge each: ns per asset,
 * and for watched files (10^3 .. 4*10^4 1-byte files in folders of 1,000):
 *   watch_load      loading n files with watch on / watch off (ratio),
 *   watch_idle      one dp_update with n files watched and nothing changed: ns per update.
 * Lines: "BENCH scale.<what>_<n> <value> <unit>", then <what>_ratio_<max>_vs_1e3 lines. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "depot/asset.h"
#include "depot/diag.h"
#include "depot/load.h"

#define RING 100u
#define SCALE_MAX 1000000u
#define WATCH_MAX 40000u
#define WAIT_NS 600000000000ull /* a run that never settles fails the bench, not the machine */

static int zc_static; /* the data of the assets added directly */

static void die(const char *what)
{
    fprintf(stderr, "bench scale: %s failed\n", what);
    abort();
}

static dp_depot *make(const char *root, bool watch, dp_type_id *type)
{
    dp_desc d = {.root = root, .workers = 2, .watch = watch};
    dp_depot *dp;
    static const char *const ext[] = {"zc", NULL};
    dp_type t = {.name = "zc", .extensions = ext, .load = dp_bench_zc_load, .destroy = dp_bench_zc_destroy};
    if (dp_create(&d, &dp) != DP_OK || dp_register_type(dp, &t, type) != DP_OK)
        die("dp_create");
    return dp;
}

static void end(dp_depot *dp)
{
    if (dp_destroy(dp) != 0)
        die("dp_destroy (assets still held)");
}

/* Updates until n LOADED_DEEP events were seen. */
static void pump(dp_depot *dp, size_t n)
{
    size_t settled = 0;
    uint64_t until = dp_bench_now_ns() + WAIT_NS;
    while (settled < n) {
        if (dp_update(dp) != DP_OK || dp_bench_now_ns() > until)
            die("pump");
        const dp_event *ev;
        size_t ne = dp_events(dp, &ev);
        for (size_t k = 0; k < ne; k++) {
            if (ev[k].kind == DP_EV_FAILED)
                die("a load");
            settled += ev[k].kind == DP_EV_LOADED_DEEP;
        }
    }
}

/* n loads (keys[i]) in flight, pumped, released, freed: ns per asset from the first
 * dp_load to the freeing update. */
static double run_loads(dp_depot *dp, char **keys, size_t n, dp_handle *h)
{
    uint64_t t0 = dp_bench_now_ns();
    for (size_t i = 0; i < n; i++)
        if (dp_load(dp, keys[i], &h[i]) != DP_OK)
            die("dp_load");
    pump(dp, n);
    for (size_t i = 0; i < n; i++)
        dp_release(dp, h[i]);
    dp_update(dp);
    return (double)(dp_bench_now_ns() - t0) / (double)n;
}

static double scale_load(uint32_t n, dp_handle *h)
{
    dp_type_id type;
    dp_depot *dp = make(NULL, false, &type);
    char **keys = calloc(n, sizeof *keys), buf[64];
    static const char one = 'x';
    for (uint32_t i = 0; keys && i < n; i++) {
        snprintf(buf, sizeof buf, "zc/%07u.zc", i);
        if (dp_mem_add(dp, buf, &one, 1) != DP_OK)
            die("dp_mem_add");
        snprintf(buf, sizeof buf, "mem://zc/%07u.zc", i);
        keys[i] = strdup(buf);
        if (!keys[i])
            die("strdup");
    }
    if (!keys)
        die("calloc");
    double ns = run_loads(dp, keys, n, h);
    for (uint32_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    end(dp);
    return ns;
}

/* n assets, each depending on the one before (keyed if `keys`; in rings of RING, each
 * depending on the next, if `rings`). */
static dp_depot *build(uint32_t n, bool keys, bool rings, dp_handle *h)
{
    dp_type_id type;
    dp_depot *dp = make(NULL, false, &type);
    char key[48];
    for (uint32_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "textures/tiles/tile_%07u.png", i);
        if (dp_add(dp, type, &zc_static, 1, keys ? key : NULL, &h[i]) != DP_OK)
            die("dp_add");
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t base = i - i % RING;
        dp_status st = rings ? dp_depend(dp, h[i], h[base + (i - base + 1) % RING])
                       : i   ? dp_depend(dp, h[i], h[i - 1])
                             : DP_OK;
        if (st != DP_OK)
            die("dp_depend");
    }
    dp_update(dp);
    return dp;
}

static double scale_cascade(uint32_t n, dp_handle *h)
{
    dp_depot *dp = build(n, false, false, h);
    for (uint32_t i = 0; i + 1 < n; i++)
        dp_release(dp, h[i]); /* the chain holds them now */
    uint64_t t0 = dp_bench_now_ns();
    dp_release(dp, h[n - 1]);
    dp_update(dp);
    double ns = (double)(dp_bench_now_ns() - t0) / n;
    if (dp_type_of(dp, h[0]) != 0)
        die("cascade (asset left)");
    end(dp);
    return ns;
}

static double scale_collect(uint32_t n, dp_handle *h)
{
    dp_depot *dp = build(n, false, true, h);
    for (uint32_t i = 0; i < n; i++)
        dp_release(dp, h[i]);
    uint64_t t0 = dp_bench_now_ns();
    if (dp_collect_cycles(dp) != DP_OK)
        die("dp_collect_cycles");
    dp_update(dp);
    double ns = (double)(dp_bench_now_ns() - t0) / n;
    if (dp_type_of(dp, h[0]) != 0 || dp_type_of(dp, h[n - 1]) != 0)
        die("collect (garbage left)");
    end(dp);
    return ns;
}

static double scale_check(uint32_t n, dp_handle *h)
{
    dp_depot *dp = build(n, true, false, h);
    uint64_t t0 = dp_bench_now_ns();
    if (dp_check(dp) != DP_OK)
        die("dp_check");
    double ns = (double)(dp_bench_now_ns() - t0) / n;
    for (uint32_t i = 0; i < n; i++)
        dp_release(dp, h[i]);
    dp_update(dp);
    end(dp);
    return ns;
}

/* n 1-byte files under root, 1,000 a folder; keys[i] their relative paths. */
static char **write_files(const char *root, uint32_t n)
{
    char **keys = calloc(n, sizeof *keys), path[4200];
    if (!keys)
        die("calloc");
    for (uint32_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "d%03u", i / 1000);
        keys[i] = malloc(32);
        if (!keys[i])
            die("malloc");
        snprintf(keys[i], 32, "d%03u/%05u.zc", i / 1000, i);
        if (i % 1000 == 0) {
            snprintf(path, sizeof path, "%s/d%03u", root, i / 1000);
            if (mkdir(path, 0700) != 0)
                die("mkdir");
        }
        snprintf(path, sizeof path, "%s/%s", root, keys[i]);
        FILE *f = fopen(path, "wb");
        if (!f || fputc('x', f) == EOF || fclose(f) != 0)
            die("writing a file");
    }
    return keys;
}

static void remove_files(const char *root, char **keys, uint32_t n)
{
    char path[4200];
    for (uint32_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", root, keys[i]);
        unlink(path);
        if (i % 1000 == 999 || i == n - 1) {
            snprintf(path, sizeof path, "%s/d%03u", root, i / 1000);
            rmdir(path);
        }
        free(keys[i]);
    }
    free(keys);
}

/* Loading n files with watch on and off (ns per file), and one idle update with n files
 * watched (ns). */
static void scale_watch(const char *root, uint32_t n, dp_handle *h, double out[3])
{
    char **keys = write_files(root, n);
    for (int on = 0; on < 2; on++) {
        dp_type_id type;
        dp_depot *dp = make(root, on, &type);
        (void)dp_builtins(dp);
        uint64_t t0 = dp_bench_now_ns();
        for (uint32_t i = 0; i < n; i++)
            if (dp_load(dp, keys[i], &h[i]) != DP_OK)
                die("dp_load (file)");
        pump(dp, n);
        out[on] = (double)(dp_bench_now_ns() - t0) / n;
        if (on) {
            dp_update(dp);
            uint64_t t1 = dp_bench_now_ns();
            for (int k = 0; k < 10; k++)
                dp_update(dp);
            out[2] = (double)(dp_bench_now_ns() - t1) / 10;
        }
        for (uint32_t i = 0; i < n; i++)
            dp_release(dp, h[i]);
        dp_update(dp);
        end(dp);
    }
    remove_files(root, keys, n);
}

static void report(const char *what, uint32_t n, double v, const char *unit)
{
    char name[96];
    snprintf(name, sizeof name, "scale.%s_%u", what, n);
    dp_bench_report(name, v, unit);
}

int dp_bench_scale(void)
{
    dp_handle *h = malloc(SCALE_MAX * sizeof *h);
    if (!h)
        die("malloc");
    static const char *const what[] = {"load", "cascade", "collect", "check"};
    double (*const run[])(uint32_t, dp_handle *) = {scale_load, scale_cascade, scale_collect,
                                                    scale_check};
    printf("# scale: ns per asset at each live-set size (n = 10^3 .. 10^6)\n");
    for (int w = 0; w < 4; w++) {
        double first = 0, last = 0;
        uint32_t n = 1000;
        for (; n <= SCALE_MAX; n *= 10) {
            uint64_t t0 = dp_bench_now_ns();
            last = run[w](n, h);
            if (n == 1000)
                first = last;
            report(what[w], n, last, "ns");
            if (dp_bench_now_ns() - t0 > 3000000000ull && n < SCALE_MAX) {
                printf("# scale: %s at %u took over 3 s; larger sizes left out\n", what[w], n);
                break;
            }
        }
        char name[96];
        uint32_t top = n > SCALE_MAX ? SCALE_MAX : n;
        snprintf(name, sizeof name, "scale.%s_ratio_%u_vs_1000", what[w], top);
        dp_bench_report(name, last / first, "x");
    }
    char root[] = "/tmp/depot-bench-scale-XXXXXX";
    if (!mkdtemp(root))
        die("mkdtemp");
    printf("# scale: watched files (1-byte, 1,000 a folder): load ns per file, watch on / off\n");
    static const uint32_t wn[] = {1000, 10000, WATCH_MAX};
    double idle0 = 0;
    for (int s = 0; s < 3; s++) {
        double v[3];
        scale_watch(root, wn[s], h, v);
        report("watch_load_off", wn[s], v[0], "ns");
        report("watch_load_on", wn[s], v[1], "ns");
        report("watch_idle_update", wn[s], v[2], "ns");
        char name[96];
        snprintf(name, sizeof name, "scale.watch_on_vs_off_%u", wn[s]);
        dp_bench_report(name, v[1] / v[0], "x");
        if (!s)
            idle0 = v[2];
        else if (s == 2)
            dp_bench_report("scale.watch_idle_update_ratio_40000_vs_1000", v[2] / idle0, "x");
    }
    rmdir(root);
    free(h);
    return 0;
}
