/* bench_render.c — cost of the render layer per resource with a backend that does nothing:
 * dp_add → update → sync → prepare (create) → release → update → sync (retire) →
 * frame_done (destroy), at 10^3 and 10^5 resources, reported per resource with nothing
 * subtracted; the baseline is the same number of direct backend create + destroy calls.
 * Then the atlas allocator's own lines (bench_atlas.c).
 *
 * Lines: render.overhead_1e3, render.overhead_1e5, render.direct_1e5 (ns per resource),
 * then the atlas lines of bench_atlas.c (atlas.alloc_free, atlas.WORKLOAD.first/refill/...). */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "depot/render.h"

typedef struct null_asset {
    uint32_t v;
} null_asset;

static void null_asset_destroy(void *a, void *user)
{
    (void)user;
    free(a);
}

static bool nb_handles(void *user, dp_type_id type)
{
    return type == *(dp_type_id *)user;
}

/* A resource is a non-NULL token; nothing is allocated. */
static dp_status nb_create(void *user, dp_type_id type, const void *asset, void **gpu,
                           size_t *gpu_bytes)
{
    (void)user;
    (void)type;
    *gpu = (void *)asset;
    *gpu_bytes = 1;
    return DP_OK;
}

static volatile size_t nb_sink;

static void nb_destroy(void *user, dp_type_id type, void *gpu)
{
    (void)user;
    (void)type;
    nb_sink += (size_t)gpu;
}

/* ns per resource for one full lifetime round of n resources; -1 on failure. */
static double overhead(size_t n)
{
    dp_depot *dp = NULL;
    dp_desc d = {.workers = 1};
    if (dp_create(&d, &dp) != DP_OK)
        return -1;
    dp_type_id type = 0;
    dp_type t = {.name = "bench_null", .destroy = null_asset_destroy};
    dp_render *r = NULL;
    dp_handle *h = malloc(n * sizeof *h);
    null_asset **data = malloc(n * sizeof *data);
    double result = -1;
    if (!h || !data || dp_register_type(dp, &t, &type) != DP_OK)
        goto out;
    dp_render_desc rd = {.backend = {nb_handles, nb_create, nb_destroy, &type}};
    if (dp_render_create(dp, &rd, &r) != DP_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        data[i] = malloc(sizeof *data[i]);
        if (!data[i])
            goto out;
        data[i]->v = (uint32_t)i;
    }
    uint64_t t0 = dp_bench_now_ns();
    for (size_t i = 0; i < n; i++) {
        if (dp_add(dp, type, data[i], sizeof *data[i], NULL, &h[i]) != DP_OK)
            goto out;
        data[i] = NULL;
    }
    dp_update(dp);
    dp_render_sync(r, 1);
    dp_render_prepare(r);
    dp_render_frame_done(r, 1);
    for (size_t i = 0; i < n; i++)
        dp_release(dp, h[i]);
    dp_update(dp);
    dp_render_sync(r, 2);
    dp_render_prepare(r);
    dp_render_frame_done(r, 2);
    uint64_t t1 = dp_bench_now_ns();
    dp_render_stats s;
    dp_render_get_stats(r, 0, &s);
    if (s.created == n && s.destroyed == n && s.live == 0)
        result = (double)(t1 - t0) / (double)n;
    else
        fprintf(stderr, "bench render: created %zu destroyed %zu live %zu of %zu\n", s.created,
                s.destroyed, s.live, n);
out:
    dp_render_destroy(r);
    if (data)
        for (size_t i = 0; i < n; i++)
            free(data[i]);
    free(data);
    free(h);
    dp_destroy(dp);
    return result;
}

static double direct(size_t n)
{
    dp_type_id type = 1;
    void **gpu = malloc(n * sizeof *gpu);
    null_asset *assets = malloc(n * sizeof *assets);
    if (!gpu || !assets) {
        free(gpu);
        free(assets);
        return -1;
    }
    uint64_t t0 = dp_bench_now_ns();
    for (size_t i = 0; i < n; i++) {
        size_t bytes;
        nb_create(&type, type, &assets[i], &gpu[i], &bytes);
    }
    for (size_t i = 0; i < n; i++)
        nb_destroy(&type, type, gpu[i]);
    uint64_t t1 = dp_bench_now_ns();
    free(gpu);
    free(assets);
    return (double)(t1 - t0) / (double)n;
}

int dp_bench_render(void)
{
    double o3 = overhead(1000), o5 = overhead(100000), d5 = direct(100000);
    if (o3 < 0 || o5 < 0 || d5 < 0) {
        fprintf(stderr, "bench render: setup failed\n");
        return 1;
    }
    dp_bench_report("render.overhead_1e3", o3, "ns");
    dp_bench_report("render.overhead_1e5", o5, "ns");
    dp_bench_report("render.direct_1e5", d5, "ns");
    return dp_bench_atlas_alloc();
}
