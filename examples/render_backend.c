/* render_backend.c — plugging a renderer into depot's render layer.
 *
 * The backend here is a "printing GPU": create and destroy print what they do, and the GPU
 * is pretended to finish frame F when frame F + 2 starts (two frames in flight). Assets are
 * "meshes" made at run time with dp_add (no files needed). The frame loop is the one a real
 * engine runs:
 *
 *     dp_update(dp);                  // loads land, releases free, events are produced
 *     dp_render_frame_done(r, done);  // the GPU finished `done`: destroy what it retired
 *     dp_render_sync(r, frame);       // start `frame`, apply LOADED/MODIFIED/FREED
 *     dp_render_prepare(r);           // create waiting resources within the budget
 *     ... dp_render_get(r, h) for each draw ...
 *
 * What it shows: a modified mesh gets a new resource and the old one is destroyed only once
 * the last frame that could read it is done; a mesh evicted and re-added under the same key
 * in one frame (Bevy #18808) gets a fresh resource while the old one is retired, never
 * leaked; each resource is destroyed exactly once; dp_render_sync refuses a third frame in
 * flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"

/* ---- the asset type: a mesh made at run time ------------------------------------------------ */

typedef struct mesh {
    char name[16];
    int version;
    int vertices;
} mesh;

static void mesh_destroy(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static mesh *mesh_new(const char *name, int version, int vertices)
{
    mesh *m = calloc(1, sizeof *m);
    if (m) {
        snprintf(m->name, sizeof m->name, "%.15s", name);
        m->version = version;
        m->vertices = vertices;
    }
    return m;
}

/* ---- the backend ---------------------------------------------------------------------------- */

typedef struct gpu_buffer {
    int id;
    char what[48];
} gpu_buffer;

typedef struct printing_gpu {
    dp_type_id mesh_type;
    int next_id;
    int live;
} printing_gpu;

static bool gpu_handles(void *user, dp_type_id type)
{
    printing_gpu *g = user;
    return type == g->mesh_type;
}

static dp_status gpu_create(void *user, dp_type_id type, const void *asset, void **out,
                            size_t *out_bytes)
{
    (void)type;
    printing_gpu *g = user;
    const mesh *m = asset;
    gpu_buffer *b = calloc(1, sizeof *b);
    if (!b)
        return DP_ERR_NOMEM;
    b->id = ++g->next_id;
    snprintf(b->what, sizeof b->what, "%s v%d", m->name, m->version);
    g->live++;
    printf("    gpu: create buffer %d (%s, %d vertices)\n", b->id, b->what, m->vertices);
    *out = b;
    *out_bytes = (size_t)m->vertices * 32;
    return DP_OK;
}

static void gpu_destroy(void *user, dp_type_id type, void *res)
{
    (void)type;
    printing_gpu *g = user;
    gpu_buffer *b = res;
    g->live--;
    printf("    gpu: destroy buffer %d (%s)\n", b->id, b->what);
    free(b);
}

/* ---- the frame loop -------------------------------------------------------------------------- */

#define IN_FLIGHT 2

static dp_depot *dp;
static dp_render *r;

/* One frame: update, let the "GPU" finish frame - IN_FLIGHT, start this frame, prepare,
 * and "draw" each mesh in `draw`. */
static void frame(uint64_t f, const dp_handle *draw, size_t ndraw)
{
    printf("frame %llu\n", (unsigned long long)f);
    dp_update(dp);
    if (f > IN_FLIGHT) {
        printf("  GPU finished frame %llu\n", (unsigned long long)(f - IN_FLIGHT));
        dp_render_frame_done(r, f - IN_FLIGHT);
    }
    dp_render_sync(r, f);
    dp_render_prepare(r);
    for (size_t i = 0; i < ndraw; i++) {
        const gpu_buffer *b = dp_render_get(r, draw[i]);
        if (b)
            printf("  draw with buffer %d (%s)\n", b->id, b->what);
        else
            printf("  (asset #%u has no buffer)\n", dp_handle_index(draw[i]));
    }
    dp_render_stats s;
    dp_render_get_stats(r, 0, &s);
    printf("  live %zu, retired (waiting for the GPU) %zu\n", s.live, s.retired);
}

int main(void)
{
    if (dp_create(&(dp_desc){.workers = 1}, &dp) != DP_OK)
        return 1;
    static printing_gpu gpu;
    dp_type mesh_t = {.name = "mesh", .destroy = mesh_destroy}; /* only dp_add'ed: no load */
    if (dp_register_type(dp, &mesh_t, &gpu.mesh_type) != DP_OK)
        return 1;

    dp_render_desc rd = {
        .backend = {.handles = gpu_handles, .create = gpu_create, .destroy = gpu_destroy,
                    .user = &gpu},
        .frames_in_flight = IN_FLIGHT,
    };
    if (dp_render_create(dp, &rd, &r) != DP_OK)
        return 1;

    /* Frame 1: a run-time asset announces LOADED like a loaded one and gets a buffer. */
    dp_handle rock;
    if (dp_add(dp, gpu.mesh_type, mesh_new("rock", 1, 24), sizeof(mesh), "mesh/rock", &rock))
        return 1;
    frame(1, &rock, 1);

    /* Frame 2: the mesh changes. Its old buffer may still be read by frame 1 on the GPU, so
     * it is retired, not destroyed. */
    printf("-- dp_replace(rock): version 2\n");
    dp_replace(dp, rock, mesh_new("rock", 2, 36), sizeof(mesh));
    frame(2, &rock, 1);

    /* Frame 3 would be a third frame in flight if the GPU had not finished frame 1. */
    dp_update(dp);
    dp_status st = dp_render_sync(r, 3);
    printf("-- dp_render_sync(3) before frame 1 is done -> %s\n", dp_status_str(st));

    /* Frame 3, properly: frame 1 done; buffer 1 was retired at frame 2, so it stays. */
    frame(3, &rock, 1);

    /* Frame 4: evict the mesh and add a new one under the same key, between two frames
     * (Bevy #18808). The new asset has a new handle, so a new buffer; the old buffer is
     * retired by the FREED event, and buffer 1 goes because frame 2 is done. */
    printf("-- dp_evict(rock) + dp_add(\"mesh/rock\") in one frame\n");
    dp_evict(dp, rock);
    dp_handle rock2;
    if (dp_add(dp, gpu.mesh_type, mesh_new("rock", 3, 48), sizeof(mesh), "mesh/rock", &rock2))
        return 1;
    frame(4, &rock2, 1);

    /* Frames 5 and 6: release the mesh; its buffer is retired at 5, destroyed after 5. */
    printf("-- dp_release(rock2)\n");
    dp_release(dp, rock2);
    frame(5, NULL, 0);
    frame(6, NULL, 0);
    printf("-- GPU idle: frame_done(6)\n");
    dp_render_frame_done(r, 6);

    dp_render_stats s;
    dp_render_get_stats(r, 0, &s);
    printf("created %zu, destroyed %zu, live on the GPU %d\n", s.created, s.destroyed, gpu.live);
    dp_render_destroy(r); /* before the depot */
    size_t leaks = dp_destroy(dp);
    printf("dp_destroy: %zu leaked assets\n", leaks);
    return leaks == 0 && gpu.live == 0 && s.created == s.destroyed ? 0 : 1;
}
