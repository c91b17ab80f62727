/* demo.c — `depot demo`: a small game session on the example assets.
 *
 * It copies the assets to a temporary folder (so the hot swap edits a copy), creates a
 * depot that watches that folder, a render layer over the OpenGL backend (headless EGL) or
 * a null backend, and a dynamic atlas. Then, scene by scene: loads the scene's bundle in
 * the background while frames go on (a progress line per load phase), puts it in a group,
 * packs its icons into the atlas, counts how many assets it reused from the previous scene,
 * unloads the previous scene, and renders some frames. In scene 2 it rewrites one image on
 * disk and waits for the hot reload to reach the GPU. At the end it unloads everything,
 * checks the counts, prints the leak report, destroys the depot and writes the HTML report.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo_vk.h"
#include "depot/config.h"
#include "tool.h"
#if DP_HAVE_GLRENDER
#include "depot/render_gl.h"
#endif

#define MAX_SCENES 9
#define DEMO_TRACE_EVENTS (1u << 16) /* --trace: the ring (3 MiB) */

static void usage(FILE *f)
{
    fputs("usage: depot demo [--frames N] [--scenes DIR] [--report FILE] [--backend gl|vk|null]\n"
          "                  [--vulkan] [--pack] [--trace FILE]\n"
          "\n"
          "Runs a small game session on the example assets: loads scene 1 (a bundle) in the\n"
          "background, renders frames through the OpenGL backend (headless EGL) or a null\n"
          "backend, switches scenes (reporting the assets reused from the previous scene),\n"
          "hot-swaps an edited image, packs icons into the dynamic atlas, then destroys the\n"
          "depot and checks that nothing leaked.\n"
          "\n"
          "  --frames N        frames rendered per scene once it is loaded (default 60)\n"
          "  --scenes DIR      folder with scene1.bundle, scene2.bundle, ... (default:\n"
          "                    ./examples/assets, then <dir of depot>/../examples/assets)\n"
          "  --report FILE     the HTML report (default depot-report.html)\n"
          "  --backend B       gl (default: falls back to null when no GL is available), vk\n"
          "                    (Vulkan, headless; fails when no Vulkan device) or null\n"
          "  --vulkan          the same as --backend vk\n"
          "  --pack            run from a pack: the assets are packed (depot pack) and mounted,\n"
          "                    and the hot swap drops the edited image into a mod folder\n"
          "                    mounted above the pack\n"
          "  --trace FILE      record the session with the lifetime recorder (the newest\n"
          "                    65,536 events) and write it to FILE as Chrome trace JSON\n"
          "                    (open it in Perfetto or chrome://tracing; ask `depot trace FILE`)\n"
          "\n"
          "Exit codes: 0 ok, 1 a leak or a failed load or step, 2 usage error,\n"
          "3 the assets could not be found or copied, or the report or trace not written.\n",
          f);
}

/* ---- a null render backend: "GPU resources" in plain memory --------------------------------- */

typedef struct null_gpu {
    uint32_t w, h;
} null_gpu;

typedef struct null_backend {
    dp_type_id image, page;
} null_backend;

static bool null_handles(void *user, dp_type_id type)
{
    null_backend *nb = user;
    return type && (type == nb->image || type == nb->page);
}

static dp_status null_create(void *user, dp_type_id type, const void *asset, void **gpu,
                             size_t *gpu_bytes)
{
    const dp_image *img = asset;
    null_gpu *g = malloc(sizeof *g);
    if (!g)
        return DP_ERR_NOMEM;
    g->w = img->width;
    g->h = img->height;
    *gpu = g;
    *gpu_bytes = (size_t)img->width * img->height * 4;
    return DP_OK;
}

static void null_destroy(void *user, dp_type_id type, void *gpu)
{
    free(gpu);
}

/* ---- the session ------------------------------------------------------------------------- */

/* --trace: the recorder's events to path (after the render layer went, so its destroys are
 * in, and before the depot goes). False with a message in err. */
static bool write_trace(dp_depot *dp, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errcap, "--trace %s: %s", path, strerror(errno));
        return false;
    }
    dp_status st = dp_trace_write(dp, f);
    if (fclose(f) != 0 && st == DP_OK)
        st = DP_ERR_IO;
    if (st != DP_OK)
        snprintf(err, errcap, "--trace %s: %s", path, dp_status_str(st));
    return st == DP_OK;
}

typedef struct scene {
    char key[32];
    dp_group group;
    bool loaded;
    tool_hvec regions;  /* atlas regions of its icons, held by the demo */
    tool_graph graph;   /* what it pulled in, when it finished loading */
    bool have_graph;
    size_t loaded_new, reused, freed, held_bytes, gpu_live, load_frames, atlas_regions;
} scene;

typedef struct demo {
    dp_depot *dp;
    dp_render *render;
    dp_atlas *atlas;
#if DP_HAVE_GLRENDER
    dp_gl *gl;
#endif
    null_backend nb;
    demo_vk *vk;           /* --vulkan */
    bool use_gl, tty;
    char backend_name[160];
    dp_builtin_types bt;
    uint64_t frame, done;
    /* counted by the listener */
    size_t freed, modified, failed;
    dp_handle watch;       /* the hot-swapped asset */
    uint64_t watch_modified_frame;
    report_sample *samples;
    size_t nsamples, capsamples;
    report_mark marks[MAX_SCENES + 4];
    size_t nmarks;
    char *dot_text;        /* dp_write_dot with two scenes loaded */
    tool_graph snap;
    size_t snap_scenes;    /* its first roots are scene bundles, the rest atlas regions */
    bool have_snap;
    char hotswap[256];
    const char *trace;     /* --trace FILE, or NULL */
} demo;

static void on_events(void *user, const dp_event *ev, size_t n)
{
    demo *d = user;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].kind == DP_EV_FREED)
            d->freed++;
        else if (ev[i].kind == DP_EV_FAILED)
            d->failed++;
        else if (ev[i].kind == DP_EV_MODIFIED) {
            d->modified++;
            if (dp_handle_eq(ev[i].handle, d->watch) && !d->watch_modified_frame)
                d->watch_modified_frame = d->frame + 1;
        }
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void mark(demo *d, const char *label)
{
    if (d->nmarks < sizeof d->marks / sizeof d->marks[0]) {
        d->marks[d->nmarks].frame = d->frame + 1;
        size_t len = strnlen(label, sizeof d->marks[0].label - 1);
        memcpy(d->marks[d->nmarks].label, label, len);
        d->marks[d->nmarks].label[len] = 0;
        d->nmarks++;
    }
}

/* "Draws" a scene: asks the render layer for the texture of each image and atlas page. */
static void draw(demo *d, scene *s)
{
    if (!s || !s->have_graph)
        return;
    for (size_t i = 0; i < s->graph.n; i++)
        if (dp_type_of(d->dp, s->graph.nodes[i].h) == d->bt.image)
            (void)dp_render_get(d->render, s->graph.nodes[i].h);
    for (size_t i = 0; i < s->regions.n; i++) {
        const dp_atlas_region *reg = dp_get(d->dp, s->regions.v[i]);
        if (reg)
            (void)dp_render_get(d->render, reg->page);
    }
}

/* Tells the render layer which frames the GPU finished; waits when too many are in flight. */
static void gpu_progress(demo *d, bool wait)
{
#if DP_HAVE_GLRENDER
    if (d->use_gl) {
        uint64_t done = dp_gl_frames_completed(d->gl, wait ? 200000000ull : 0);
        if (done > d->done) {
            d->done = done;
            dp_render_frame_done(d->render, done);
        }
        return;
    }
#endif
    if (d->vk) {
        uint64_t done = demo_vk_completed(d->vk, wait);
        if (done > d->done) {
            d->done = done;
            dp_render_frame_done(d->render, done);
        }
        return;
    }
    if (d->frame > d->done) {
        d->done = d->frame; /* the null "GPU" finishes at once */
        dp_render_frame_done(d->render, d->done);
    }
}

/* One frame: update the depot, sync and prepare the render layer, draw, submit. */
static dp_status frame(demo *d, scene *current, scene *other)
{
    dp_status st = dp_update(d->dp);
    if (st != DP_OK)
        return st;
    uint64_t f = d->frame + 1;
    for (int tries = 0; (st = dp_render_sync(d->render, f)) == DP_ERR_OVERFLOW && tries < 50; tries++)
        gpu_progress(d, true);
    if (st != DP_OK && st != DP_ERR_NOMEM)
        return st;
    d->frame = f;
    dp_render_prepare(d->render);
    draw(d, current);
    draw(d, other);
#if DP_HAVE_GLRENDER
    if (d->use_gl)
        dp_gl_frame_submitted(d->gl, f);
#endif
    if (d->vk)
        demo_vk_submit(d->vk, f);
    gpu_progress(d, false);

    dp_stats ds;
    dp_render_stats rs;
    dp_get_stats(d->dp, &ds);
    dp_render_get_stats(d->render, 0, &rs);
    if (d->nsamples == d->capsamples) {
        size_t cap = d->capsamples ? d->capsamples * 2 : 256;
        report_sample *s = realloc(d->samples, cap * sizeof *s);
        if (!s)
            return DP_ERR_NOMEM;
        d->samples = s;
        d->capsamples = cap;
    }
    d->samples[d->nsamples++] = (report_sample){.frame = f, .held_bytes = ds.held_bytes,
                                                .live_assets = ds.live_assets,
                                                .gpu_live = rs.live};
    sleep_ms(3); /* a game loop paces its frames; this keeps the loads visible */
    return DP_OK;
}

/* Counts a scene's closure and its state for the progress line. */
static void progress(demo *d, const scene *s, dp_handle bundle, const char *phase, bool last)
{
    tool_graph g;
    size_t loaded = 0, bytes = 0, n = 0;
    if (tg_build(&g, d->dp, &bundle, 1) == DP_OK) {
        n = g.n;
        for (size_t i = 0; i < g.n; i++) {
            loaded += g.nodes[i].state == DP_STATE_LOADED;
            bytes += g.nodes[i].bytes;
        }
        tg_free(&g);
    }
    char b[32];
    dp_render_stats rs;
    dp_render_get_stats(d->render, 0, &rs);
    printf("%s  %-7s %-22s %3zu/%-3zu assets %10s   %3zu GPU waiting   frame %llu%s",
           d->tty ? "\r" : "", s->key, phase, loaded, n, tool_bytes(bytes, b), rs.waiting,
           (unsigned long long)d->frame, d->tty ? (last ? "\n" : "\033[K") : "\n");
    fflush(stdout);
}

/* The scene's icons go to the dynamic atlas: one texture for all of them. An exit code. */
static int place_icons(demo *d, scene *s)
{
    for (size_t i = 0; i < s->graph.n; i++) {
        const tg_node *n = &s->graph.nodes[i];
        if (strncmp(n->key, "img/icons/", 10) != 0 || dp_type_of(d->dp, n->h) != d->bt.image)
            continue;
        dp_handle region;
        dp_status st = dp_atlas_place(d->atlas, n->h, &region);
        if (st != DP_OK) {
            fprintf(stderr, "depot demo: atlas: %s: %s\n", n->key, dp_status_str(st));
            return TOOL_EXIT_FOUND;
        }
        if (!tool_hvec_push(&s->regions, region)) {
            dp_release(d->dp, region);
            fprintf(stderr, "depot demo: out of memory\n");
            return TOOL_EXIT_FOUND;
        }
    }
    return TOOL_EXIT_OK;
}

/* Loads a scene in the background while frames go on; returns when its GPU resources are
 * made (or on failure / timeout). */
static int load_scene(demo *d, scene *s, scene *prev)
{
    dp_handle h;
    dp_status st = dp_load(d->dp, s->key, &h);
    if (st != DP_OK) {
        fprintf(stderr, "depot demo: %s: %s\n", s->key, dp_status_str(st));
        return TOOL_EXIT_FOUND;
    }
    st = dp_group_create(d->dp, s->key, &s->group);
    if (st == DP_OK)
        st = dp_group_add(d->dp, s->group, h);
    dp_release(d->dp, h); /* the group holds the scene now */
    if (st != DP_OK) {
        fprintf(stderr, "depot demo: %s: group: %s\n", s->key, dp_status_str(st));
        return TOOL_EXIT_FOUND;
    }
    s->loaded = true;
    mark(d, s->key);
    const char *last_phase = NULL;
    uint64_t start = d->frame;
    for (int i = 0; i < 3000; i++) {
        st = frame(d, prev, NULL);
        if (st != DP_OK) {
            fprintf(stderr, "depot demo: frame %llu: %s\n", (unsigned long long)d->frame,
                    dp_status_str(st));
            return TOOL_EXIT_FOUND;
        }
        dp_state own = dp_state_of(d->dp, h), deep = dp_state_deep(d->dp, h);
        dp_render_stats rs;
        dp_render_get_stats(d->render, 0, &rs);
        const char *phase = own != DP_STATE_LOADED && own != DP_STATE_FAILED ? "reading manifest"
                          : deep == DP_STATE_PENDING ? "loading dependencies"
                          : deep == DP_STATE_FAILED ? "FAILED"
                          : rs.waiting ? "uploading to GPU" : "ready";
        bool end = deep == DP_STATE_FAILED || !strcmp(phase, "ready");
        if (phase != last_phase || d->tty)
            progress(d, s, h, phase, end);
        last_phase = phase;
        if (deep == DP_STATE_FAILED) {
            char line[2048];
            fprintf(stderr, "depot demo: %s\n", tool_failure_line(d->dp, h, line, sizeof line));
            return TOOL_EXIT_FOUND;
        }
        if (end)
            break;
    }
    if (dp_state_deep(d->dp, h) != DP_STATE_LOADED) {
        fprintf(stderr, "\ndepot demo: %s: still loading after %llu frames\n", s->key,
                (unsigned long long)(d->frame - start));
        return TOOL_EXIT_FOUND;
    }
    s->load_frames = (size_t)(d->frame - start);
    if (tg_build(&s->graph, d->dp, &h, 1) != DP_OK) {
        fprintf(stderr, "depot demo: %s: out of memory walking its graph\n", s->key);
        return TOOL_EXIT_FOUND;
    }
    s->have_graph = true;
    for (size_t i = 0; i < s->graph.n; i++) {
        if (prev && prev->have_graph && tool_hmap_get(&prev->graph.index, s->graph.nodes[i].h, NULL))
            s->reused++;
        else
            s->loaded_new++;
    }
    return place_icons(d, s);
}

static void unload_scene(demo *d, scene *s)
{
    if (!s->loaded)
        return;
    for (size_t i = 0; i < s->regions.n; i++)
        dp_release(d->dp, s->regions.v[i]);
    s->regions.n = 0;
    dp_group_destroy(d->dp, s->group);
    s->loaded = false;
}

/* Rewrites img/ui.png in the temporary copy and waits for the new texture. */
static int hot_swap(demo *d, const char *tmp, scene *s)
{
    char from[PATH_MAX + 32], to[PATH_MAX + 32], err[PATH_MAX + 128];
    snprintf(from, sizeof from, "%s/edits/ui.png", tmp);
    snprintf(to, sizeof to, "%s/img/ui.png", tmp);
    if (!tool_is_file(from) || dp_find(d->dp, "img/ui.png", &d->watch) != DP_OK) {
        snprintf(d->hotswap, sizeof d->hotswap, "skipped (no edits/ui.png or img/ui.png)");
        printf("  hot swap: %s\n", d->hotswap);
        return TOOL_EXIT_OK;
    }
    dp_render_stats before;
    dp_render_get_stats(d->render, 0, &before);
    mark(d, "hot swap");
    uint64_t start = d->frame;
    if (!tool_copy_file(from, to, err, sizeof err)) {
        fprintf(stderr, "depot demo: hot swap: %s\n", err);
        dp_release(d->dp, d->watch);
        return TOOL_EXIT_IO;
    }
    bool reloaded_by_hand = false;
    for (int i = 0; i < 2000; i++) {
        if (frame(d, s, NULL) != DP_OK)
            break;
        dp_render_stats rs;
        dp_render_get_stats(d->render, 0, &rs);
        if (d->watch_modified_frame && rs.created > before.created && !rs.waiting)
            break;
        if (!d->watch_modified_frame && !reloaded_by_hand && d->frame - start > 300) {
            dp_reload(d->dp, d->watch); /* no inotify event came: reload by hand */
            reloaded_by_hand = true;
        }
    }
    dp_render_stats after;
    dp_render_get_stats(d->render, 0, &after);
    int rc = TOOL_EXIT_OK;
    if (d->watch_modified_frame) {
        snprintf(d->hotswap, sizeof d->hotswap,
                 "img/ui.png rewritten on disk at frame %llu; %s reloaded it (MODIFIED at frame "
                 "%llu); new texture made, old one retired (%zu GPU resources created so far)",
                 (unsigned long long)start, reloaded_by_hand ? "dp_reload" : "the file watcher",
                 (unsigned long long)d->watch_modified_frame, after.created);
    } else {
        snprintf(d->hotswap, sizeof d->hotswap, "img/ui.png rewritten, but no MODIFIED event came");
        rc = TOOL_EXIT_FOUND;
    }
    printf("  hot swap: %s\n", d->hotswap);
    dp_release(d->dp, d->watch);
    return rc;
}

static bool find_scenes(const char *given, char *out, size_t cap, char *tried, size_t tried_cap)
{
    char exe[PATH_MAX - 32], cand[2][PATH_MAX];
    size_t n = 0;
    if (given) {
        snprintf(cand[n++], sizeof cand[0], "%s", given);
    } else {
        snprintf(cand[n++], sizeof cand[0], "examples/assets");
        if (tool_exe_dir(exe, sizeof exe))
            snprintf(cand[n++], sizeof cand[0], "%s/../examples/assets", exe);
    }
    tried[0] = 0;
    for (size_t i = 0; i < n; i++) {
        char probe[2 * PATH_MAX + 64];
        snprintf(probe, sizeof probe, "%s/scene1.bundle", cand[i]);
        if (tool_is_file(probe) && realpath(cand[i], out) && strlen(out) < cap)
            return true;
        if (tried[0])
            strncat(tried, ", ", tried_cap - strlen(tried) - 1);
        strncat(tried, cand[i], tried_cap - strlen(tried) - 1);
    }
    return false;
}

static void print_table(const scene *sc, size_t n, const demo *d, size_t end_freed)
{
    char b[32];
    printf("\n  %-14s %7s %7s %7s %11s %9s %8s\n", "scene", "loaded", "reused", "freed",
           "held", "GPU live", "frames");
    for (size_t i = 0; i < n; i++)
        printf("  %-14s %7zu %7zu %7zu %11s %9zu %8zu\n", sc[i].key, sc[i].loaded_new,
               sc[i].reused, sc[i].freed, tool_bytes(sc[i].held_bytes, b), sc[i].gpu_live,
               sc[i].load_frames);
    printf("  %-14s %7s %7s %7zu %11s %9s %8s\n", "(unload all)", "", "", end_freed, "", "", "");
    printf("  loaded: new assets the scene pulled in; reused: already live from the previous\n"
           "  scene; freed: assets freed while it ran (the previous scene's leftovers);\n"
           "  held and GPU live: at the end of the scene; frames: frames its load took.\n");
    (void)d;
}

static bool write_report(const demo *d, const scene *sc, size_t n, const char *path,
                         size_t leaks, size_t leaked_at_destroy, dp_status check,
                         size_t end_freed, char *err, size_t errcap)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return false;
    }
    char b[32], sub[256];
    snprintf(sub, sizeof sub, "depot demo: %zu scenes, %llu frames, %s", n,
             (unsigned long long)d->frame, d->backend_name);
    report_begin(f, "depot demo report", sub);
    bool clean = !leaks && !leaked_at_destroy && check == DP_OK;
    size_t peak = 0;
    for (size_t i = 0; i < d->nsamples; i++)
        if (d->samples[i].held_bytes > peak)
            peak = d->samples[i].held_bytes;
    fprintf(f, "<section id=\"summary\"><h2>Summary</h2><div class=\"stats\">"
               "<div class=\"stat\"><b>%zu</b><span>scenes</span></div>"
               "<div class=\"stat\"><b>%llu</b><span>frames</span></div>"
               "<div class=\"stat\"><b>%s</b><span>peak held bytes</span></div>"
               "<div class=\"stat\"><b>%zu</b><span>assets freed</span></div>"
               "<div class=\"stat\"><b>%zu</b><span>MODIFIED events</span></div>"
               "<div class=\"stat %s\"><b>%s</b><span>leak check</span></div></div>\n"
               "<p>Render backend: ",
            n, (unsigned long long)d->frame, tool_bytes(peak, b), d->freed, d->modified,
            clean ? "good" : "bad", clean ? "clean" : "LEAKS");
    report_escape(f, d->backend_name);
    fputs(".<br>Hot swap: ", f);
    report_escape(f, d->hotswap);
    fprintf(f, ".<br>Leak check: dp_report_leaks listed %zu held assets, dp_destroy found %zu, "
               "dp_check said %s.</p></section>\n",
            leaks, leaked_at_destroy, dp_status_str(check));
    fputs("<section id=\"scenes-section\"><h2>Scenes</h2><table id=\"scenes\"><thead><tr>"
          "<th>scene</th><th class=\"num\">loaded</th><th class=\"num\">reused from previous"
          "</th><th class=\"num\">freed</th><th class=\"num\">held bytes</th>"
          "<th class=\"num\">GPU live</th><th class=\"num\">atlas regions</th>"
          "<th class=\"num\">load frames</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "<tr><td><code>%s</code></td><td class=\"num\">%zu</td><td class=\"num\">%zu"
                   "</td><td class=\"num\">%zu</td><td class=\"num\">%s</td><td class=\"num\">"
                   "%zu</td><td class=\"num\">%zu</td><td class=\"num\">%zu</td></tr>\n",
                sc[i].key, sc[i].loaded_new, sc[i].reused, sc[i].freed,
                tool_bytes(sc[i].held_bytes, b), sc[i].gpu_live, sc[i].atlas_regions,
                sc[i].load_frames);
    fprintf(f, "<tr><td>(unload all)</td><td></td><td></td><td class=\"num\">%zu</td><td></td>"
               "<td></td><td></td><td></td></tr>\n</tbody></table></section>\n", end_freed);
    report_chart(f, d->samples, d->nsamples, d->marks, d->nmarks);
    if (d->have_snap) {
        fputs("<p style=\"margin:-8px 0 12px;color:#66708a\">The graph below was taken when "
              "the second scene had finished loading and the first was still held: the "
              "shared assets have thick orange borders.</p>\n", f);
        report_graph(f, d->dot_text, &d->snap, NULL, 0);
        report_biggest(f, &d->snap, d->snap_scenes, 8);
    }
    report_end(f);
    bool ok = !ferror(f);
    if (fclose(f) != 0)
        ok = false;
    if (!ok)
        snprintf(err, errcap, "%s: write error", path);
    return ok;
}

/* Takes the graph with the previous and the current scene both held. */
static void snapshot(demo *d, const scene *prev, const scene *cur)
{
    tool_hvec roots = {0};
    if (prev->have_graph)
        tool_hvec_push(&roots, prev->graph.nodes[prev->graph.roots[0]].h);
    if (prev != cur)
        tool_hvec_push(&roots, cur->graph.nodes[cur->graph.roots[0]].h);
    d->snap_scenes = roots.n;
    for (size_t i = 0; i < cur->regions.n; i++)
        tool_hvec_push(&roots, cur->regions.v[i]);
    for (size_t i = 0; prev != cur && i < prev->regions.n; i++)
        tool_hvec_push(&roots, prev->regions.v[i]);
    if (roots.n && tg_build(&d->snap, d->dp, roots.v, roots.n) == DP_OK)
        d->have_snap = true;
    tool_hvec_free(&roots);
    size_t len = 0;
    FILE *mem = open_memstream(&d->dot_text, &len);
    if (mem) {
        if (dp_write_dot(d->dp, mem) != DP_OK) {
            fclose(mem);
            free(d->dot_text);
            d->dot_text = NULL;
        } else {
            fclose(mem);
        }
    }
}

/* --pack: the working copy is packed into <tmp>.dpk (mounted at priority 0) and then
 * emptied but for edits/ and an empty img/, and mounted above the pack as a mod folder: every
 * asset comes from the pack, and the hot swap drops img/ui.png over the pack's entry, which
 * the mod folder's watcher sees. */
static bool pack_setup(const char *tmp, char *pack, size_t cap, char *err, size_t errcap)
{
    size_t files;
    snprintf(pack, cap, "%s.dpk", tmp);
    if (!tool_pack_folder(tmp, pack, 9, &files, err, errcap))
        return false;
    DIR *dir = opendir(tmp);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
        char sub[PATH_MAX + 256];
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "edits") ||
            snprintf(sub, sizeof sub, "%s/%s", tmp, e->d_name) >= (int)sizeof sub ||
            lstat(sub, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            tool_remove_tree(sub);
        else
            unlink(sub);
    }
    if (dir)
        closedir(dir);
    char img[PATH_MAX + 8];
    snprintf(img, sizeof img, "%s/img", tmp);
    mkdir(img, 0777);
    printf("  --pack: %zu files packed into %s (priority 0); %s mounted above it (priority 10) "
           "as a mod folder\n", files, pack, tmp);
    return true;
}

/* The command line. */
typedef struct demo_opts {
    unsigned long frames;
    const char *scenes, *report, *backend, *trace;
    bool use_pack;
} demo_opts;

/* What the end of a run found, for the last lines and the report. */
typedef struct demo_end {
    size_t leaks, leaked, end_freed;
    dp_status check;
} demo_end;

#define DEMO_GO (-1) /* parse_args: run the demo */

/* Reads the options into *o. DEMO_GO, or the exit code (--help, a usage error). */
static int parse_args(int argc, char **argv, demo_opts *o)
{
    *o = (demo_opts){.frames = 60, .report = "depot-report.html", .backend = "gl"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_is_help(a)) {
            usage(stdout);
            return TOOL_EXIT_OK;
        }
        if (!strcmp(a, "--vulkan")) {
            o->backend = "vk";
            continue;
        }
        if (!strcmp(a, "--pack")) {
            o->use_pack = true;
            continue;
        }
        bool takes = !strcmp(a, "--frames") || !strcmp(a, "--scenes") || !strcmp(a, "--report") ||
                     !strcmp(a, "--backend") || !strcmp(a, "--trace");
        if (!takes) {
            fprintf(stderr, "depot demo: unknown argument '%s'\nrun 'depot demo --help' for usage\n", a);
            return TOOL_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "depot demo: %s needs a value\n", a);
            return TOOL_EXIT_USAGE;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--frames")) {
            if (!tool_parse_count(v, &o->frames) || o->frames < 1 || o->frames > 100000) {
                fprintf(stderr, "depot demo: --frames wants a count from 1 to 100000, not '%s'\n", v);
                return TOOL_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--scenes")) {
            o->scenes = v;
        } else if (!strcmp(a, "--report")) {
            o->report = v;
        } else if (!strcmp(a, "--trace")) {
            o->trace = v;
        } else if (strcmp(v, "gl") && strcmp(v, "vk") && strcmp(v, "null")) {
            fprintf(stderr, "depot demo: --backend is gl, vk or null, not '%s'\n", v);
            return TOOL_EXIT_USAGE;
        } else {
            o->backend = v;
        }
    }
    return DEMO_GO;
}

/* Copies the assets from src into the working folder tmp, names the scenes found there and,
 * with --pack, packs the copy (pack gets the pack's path). An exit code. */
static int working_copy(const char *src, const char *tmp, scene *sc, size_t *nscenes,
                        bool use_pack, char *pack, size_t packcap)
{
    char err[2 * PATH_MAX];
    if (!tool_copy_tree(src, tmp, err, sizeof err)) {
        fprintf(stderr, "depot demo: copying the assets: %s\n", err);
        return TOOL_EXIT_IO;
    }
    for (size_t i = 0; i < MAX_SCENES; i++) {
        char probe[PATH_MAX + 32];
        snprintf(probe, sizeof probe, "%s/scene%zu.bundle", tmp, i + 1);
        if (!tool_is_file(probe))
            break;
        snprintf(sc[i].key, sizeof sc[i].key, "scene%zu.bundle", i + 1);
        (*nscenes)++;
    }
    printf("depot demo: %zu scenes from %s (working copy %s)\n", *nscenes, src, tmp);
    if (use_pack && !pack_setup(tmp, pack, packcap, err, sizeof err)) {
        fprintf(stderr, "depot demo: --pack: %s\n", err);
        return TOOL_EXIT_IO;
    }
    return TOOL_EXIT_OK;
}

/* The depot over the working folder (the pack and the folder mounted with --pack), its
 * listener and the atlas. An exit code. */
static int open_depot(demo *d, const char *tmp, bool use_pack, const char *pack)
{
    dp_status st = dp_create(&(dp_desc){.root = tmp, .track_holders = true, .watch = true,
                                        .trace_events = d->trace ? DEMO_TRACE_EVENTS : 0},
                             &d->dp);
    if (st != DP_OK) {
        fprintf(stderr, "depot demo: dp_create: %s\n", dp_status_str(st));
        return TOOL_EXIT_FOUND;
    }
    if (use_pack && ((st = dp_mount(d->dp, "pack", pack, 0)) != DP_OK ||
                     (st = dp_mount(d->dp, "file", tmp, 10)) != DP_OK)) {
        fprintf(stderr, "depot demo: dp_mount: %s\n", dp_status_str(st));
        return TOOL_EXIT_FOUND;
    }
    d->bt = dp_builtins(d->dp);
    if (!d->bt.image || !d->bt.bundle || !d->bt.sprite) {
        fprintf(stderr, "depot demo: this build has no image or bundle type (libpng and cJSON "
                        "are needed)\n");
        return TOOL_EXIT_FOUND;
    }
    dp_listen(d->dp, on_events, d);
    st = dp_atlas_create(d->dp, &(dp_atlas_desc){.page_size = 128}, &d->atlas);
    if (st != DP_OK) {
        fprintf(stderr, "depot demo: dp_atlas_create: %s\n", dp_status_str(st));
        return TOOL_EXIT_FOUND;
    }
    return TOOL_EXIT_OK;
}

/* The render layer over the backend asked for: OpenGL (falling back to the null backend
 * when there is none), Vulkan (no fallback), or null. An exit code. */
static int start_render(demo *d, const char *backend)
{
    dp_render_desc rd = {.frames_in_flight = 2, .upload_bytes_per_frame = 16 * 1024};
    char why[256] = "built without EGL/OpenGL";
    dp_status st;
#if DP_HAVE_GLRENDER
    if (!strcmp(backend, "gl")) {
        st = dp_gl_create_ex(NULL, &d->gl, why, sizeof why);
        if (st == DP_OK) {
            d->use_gl = true;
            dp_gl_set_types(d->gl, d->bt.image, dp_atlas_page_type(d->atlas));
            rd.backend = dp_gl_backend(d->gl);
            snprintf(d->backend_name, sizeof d->backend_name,
                     "OpenGL 3.3 via headless EGL (%.100s)", dp_gl_renderer(d->gl));
        }
    }
#endif
    if (!strcmp(backend, "vk")) {
#if DP_HAVE_VULKAN
        d->vk = demo_vk_start(d->bt.image, dp_atlas_page_type(d->atlas), &rd.backend,
                              d->backend_name, sizeof d->backend_name, why, sizeof why);
#else
        snprintf(why, sizeof why, "built without Vulkan (libvulkan-dev)");
#endif
        if (!d->vk) {
            fprintf(stderr, "depot demo: --vulkan: %s\n", why);
            return TOOL_EXIT_FOUND;
        }
    }
    if (!strcmp(backend, "null"))
        snprintf(why, sizeof why, "--backend null");
    if (!d->use_gl && !d->vk) {
        d->nb = (null_backend){.image = d->bt.image, .page = dp_atlas_page_type(d->atlas)};
        rd.backend = (dp_render_backend){.handles = null_handles, .create = null_create,
                                         .destroy = null_destroy, .user = &d->nb};
        snprintf(d->backend_name, sizeof d->backend_name, "null backend (no GPU: %.120s)", why);
    }
    printf("render: %s\n", d->backend_name);
    st = dp_render_create(d->dp, &rd, &d->render);
    if (st != DP_OK) {
        fprintf(stderr, "depot demo: dp_render_create: %s\n", dp_status_str(st));
        return TOOL_EXIT_FOUND;
    }
    return TOOL_EXIT_OK;
}

/* Scene i of n: loads it, snapshots and hot-swaps in the second one, unloads the previous
 * one, renders `frames` frames and records its numbers. An exit code. */
static int run_scene(demo *d, scene *sc, size_t i, size_t nscenes, unsigned long frames,
                     const char *tmp)
{
    scene *prev = i ? &sc[i - 1] : NULL;
    size_t freed_before = d->freed;
    printf("%s:\n", sc[i].key);
    int rc = load_scene(d, &sc[i], prev);
    if (rc != TOOL_EXIT_OK)
        return rc;
    printf("  %zu assets: %zu loaded, %zu reused from the previous scene; %zu icons in the "
           "atlas\n", sc[i].graph.n, sc[i].loaded_new, sc[i].reused, sc[i].regions.n);
    if (i == 1 || nscenes == 1)
        snapshot(d, prev ? prev : &sc[i], &sc[i]);
    if (prev)
        unload_scene(d, prev);
    if (i == 1 || (nscenes == 1))
        rc = hot_swap(d, tmp, &sc[i]);
    for (unsigned long k = 0; k < frames && rc == TOOL_EXIT_OK; k++)
        if (frame(d, &sc[i], NULL) != DP_OK)
            rc = TOOL_EXIT_FOUND;
    dp_stats ds;
    dp_render_stats rs;
    dp_get_stats(d->dp, &ds);
    dp_render_get_stats(d->render, 0, &rs);
    sc[i].held_bytes = ds.held_bytes;
    sc[i].gpu_live = rs.live;
    sc[i].freed = d->freed - freed_before;
    sc[i].atlas_regions = sc[i].regions.n;
    /* Every image of the scene must have its texture by now. */
    size_t missing = 0;
    for (size_t k = 0; k < sc[i].graph.n; k++) {
        const tg_node *n = &sc[i].graph.nodes[k];
        if (dp_type_of(d->dp, n->h) == d->bt.image && !dp_render_get(d->render, n->h)) {
            fprintf(stderr, "depot demo: %s: %s has no GPU resource after %lu frames\n",
                    sc[i].key, n->key, frames);
            missing++;
        }
    }
    if (missing && rc == TOOL_EXIT_OK)
        rc = TOOL_EXIT_FOUND;
    size_t pages = 0;
    double occ = dp_atlas_occupancy(d->atlas, &pages);
    printf("  %lu frames rendered; atlas: %zu page(s), %.1f%% used\n", frames, pages, occ);
    return rc;
}

/* Unloads everything, lets the GPU finish, checks the counts and prints the table. */
static void unload_all(demo *d, scene *sc, size_t nscenes, demo_end *end)
{
    mark(d, "unload");
    size_t freed_before = d->freed;
    for (size_t i = 0; i < nscenes; i++)
        unload_scene(d, &sc[i]);
    for (int k = 0; k < 8; k++)
        frame(d, NULL, NULL);
    end->end_freed = d->freed - freed_before;
    end->check = dp_check(d->dp);
    print_table(sc, nscenes, d, end->end_freed);
}

/* Destroys the atlas, the render layer, the backends and (after the leak report, when the
 * run went well) the depot. Returns rc, or TOOL_EXIT_FOUND for a leak or validation
 * message found on the way. */
static int shut_down(demo *d, scene *sc, int rc, demo_end *end)
{
    if (d->atlas)
        dp_atlas_destroy(d->atlas);
#if DP_HAVE_GLRENDER
    if (d->gl && d->render)
        dp_gl_frames_completed(d->gl, 1000000000ull);
#endif
    demo_vk_idle(d->vk);
    if (d->render)
        dp_render_destroy(d->render);
#if DP_HAVE_GLRENDER
    if (d->gl)
        dp_gl_destroy(d->gl);
#endif
    if (d->vk) {
        size_t msgs = demo_vk_finish(d->vk);
        printf("vulkan: %zu validation message(s) at device destruction and before\n", msgs);
        if (msgs && rc == TOOL_EXIT_OK)
            rc = TOOL_EXIT_FOUND;
    }
    for (size_t i = 0; i < MAX_SCENES; i++) {
        if (sc[i].have_graph)
            tg_free(&sc[i].graph);
        tool_hvec_free(&sc[i].regions);
    }
    if (d->dp && d->trace) {
        char err[PATH_MAX + 64];
        if (!write_trace(d->dp, d->trace, err, sizeof err)) {
            fprintf(stderr, "depot demo: %s\n", err);
            if (rc == TOOL_EXIT_OK)
                rc = TOOL_EXIT_IO;
        } else {
            printf("trace: %s\n", d->trace);
        }
    }
    if (d->dp) {
        if (rc == TOOL_EXIT_OK) {
            printf("\nleak check:\n");
            end->leaks = dp_report_leaks(d->dp, stdout);
        }
        end->leaked = dp_destroy(d->dp);
        if (rc == TOOL_EXIT_OK) {
            printf("  dp_check: %s; dp_report_leaks: %zu held; dp_destroy: %zu leaked -> %s\n",
                   dp_status_str(end->check), end->leaks, end->leaked,
                   !end->leaks && !end->leaked && end->check == DP_OK ? "clean" : "LEAK");
            if (end->leaks || end->leaked || end->check != DP_OK)
                rc = TOOL_EXIT_FOUND;
        }
    }
    return rc;
}

int tool_demo(int argc, char **argv)
{
    demo_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != DEMO_GO)
        return rc;
    char src[PATH_MAX], tried[3 * PATH_MAX + 64];
    if (!find_scenes(o.scenes, src, sizeof src, tried, sizeof tried)) {
        fprintf(stderr, "depot demo: no scene1.bundle found; looked in: %s (pass --scenes DIR)\n",
                tried);
        return TOOL_EXIT_IO;
    }

    demo d = {.tty = isatty(STDOUT_FILENO) != 0, .trace = o.trace};
    scene sc[MAX_SCENES];
    memset(sc, 0, sizeof sc);
    size_t nscenes = 0;
    demo_end end = {.check = DP_OK};
    char err[2 * PATH_MAX], tmp[PATH_MAX], pack[PATH_MAX + 8] = "";
    const char *tmpdir = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/depot-demo-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "depot demo: %s: %s\n", tmp, strerror(errno));
        return TOOL_EXIT_IO;
    }
    rc = working_copy(src, tmp, sc, &nscenes, o.use_pack, pack, sizeof pack);
    if (rc == TOOL_EXIT_OK)
        rc = open_depot(&d, tmp, o.use_pack, pack);
    if (rc == TOOL_EXIT_OK)
        rc = start_render(&d, o.backend);
    if (rc == TOOL_EXIT_OK) {
        for (size_t i = 0; i < nscenes && rc == TOOL_EXIT_OK; i++)
            rc = run_scene(&d, sc, i, nscenes, o.frames, tmp);
        unload_all(&d, sc, nscenes, &end);
    }
    rc = shut_down(&d, sc, rc, &end);
    if (nscenes && d.nsamples) {
        if (!write_report(&d, sc, nscenes, o.report, end.leaks, end.leaked, end.check,
                          end.end_freed, err, sizeof err)) {
            fprintf(stderr, "depot demo: %s\n", err);
            if (rc == TOOL_EXIT_OK)
                rc = TOOL_EXIT_IO;
        } else {
            printf("report: %s\n", o.report);
        }
    }
    if (d.have_snap)
        tg_free(&d.snap);
    free(d.dot_text);
    free(d.samples);
    tool_remove_tree(tmp);
    if (pack[0])
        remove(pack);
    return rc;
}
