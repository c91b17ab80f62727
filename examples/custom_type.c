/* custom_type.c — an asset type of your own, with dependencies.
 *
 * A "material" is a small text format (extension .mat):
 *
 *     shader  lit
 *     texture ./brick.png
 *     texture ./brick_normal.png
 *
 * Its load callback runs on a worker thread: it parses the text and names each texture
 * with dp_ctx_load_dep, which reserves the texture from that thread and starts loading it
 * in parallel; the material gets a dependency edge (one strong count) to each. The example
 * shows
 *   - the events of each update (LOADED for each asset, LOADED_DEEP once everything a
 *     material needs is there), seen both through dp_events and through a listener;
 *   - deep state: a material naming a missing texture is itself LOADED, but its deep state
 *     is FAILED, and dp_wait reports why (DP_ERR_NOT_FOUND);
 *   - releasing the material frees its textures in the same update (a cascade).
 * Textures are the built-in "image" type, so this example needs libpng; the blobs live in
 * memory (mem://), so it needs no files.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "depot/depot.h"

/* ---- the type ------------------------------------------------------------------------------ */

#define MAX_TEXTURES 4

typedef struct material {
    char shader[32];
    int ntextures;
    dp_handle textures[MAX_TEXTURES]; /* weak views: the edges hold the counts */
} material;

/* Worker thread. `bytes` is the whole file (not NUL-terminated). On error nothing may be
 * left allocated; dependencies already named are given back by the depot. */
static dp_status material_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                               size_t *asset_bytes)
{
    /* A type may allocate however it likes, as long as it is thread-safe (load runs on
     * workers) and destroy undoes it. dp_ctx_allocator(ctx) gives the depot's own hooks;
     * this type uses calloc/free. */
    material *m = calloc(1, sizeof *m);
    if (!m)
        return DP_ERR_NOMEM;

    const char *p = bytes, *end = p + len;
    dp_status st = DP_OK;
    while (p < end && st == DP_OK) {
        /* One line: a word, spaces, a value. */
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        char line[256];
        size_t n = (size_t)(eol - p) < sizeof line - 1 ? (size_t)(eol - p) : sizeof line - 1;
        memcpy(line, p, n);
        line[n] = 0;
        p = eol + 1;

        char word[16], value[200];
        if (line[0] == 0 || line[0] == '#')
            continue;
        if (sscanf(line, "%15s %199s", word, value) != 2) {
            st = DP_ERR_FORMAT;
        } else if (!strcmp(word, "shader")) {
            size_t vl = strlen(value);
            if (vl >= sizeof m->shader)
                vl = sizeof m->shader - 1;
            memcpy(m->shader, value, vl);
            m->shader[vl] = 0;
        } else if (!strcmp(word, "texture") && m->ntextures < MAX_TEXTURES) {
            /* Reserves the child (or finds it live or cached) without waiting for the owner
             * thread; the edge is recorded when this result is applied in dp_update. */
            st = dp_ctx_load_dep(ctx, value, &m->textures[m->ntextures]);
            if (st == DP_OK)
                m->ntextures++;
        } else {
            st = DP_ERR_FORMAT;
        }
    }
    if (st != DP_OK) {
        free(m);
        return st;
    }
    *asset = m;
    *asset_bytes = sizeof *m;
    return DP_OK;
}

/* Owner thread, exactly once per material that reached the depot. */
static void material_destroy(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static void sleep_1ms(void)
{
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
}

/* ---- printing -------------------------------------------------------------------------------- */

static const char *event_name(dp_event_kind k)
{
    static const char *const names[] = {"LOADED", "LOADED_DEEP", "FAILED",
                                        "MODIFIED", "UNUSED", "FREED"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static void print_events(const dp_depot *dp, const char *when)
{
    const dp_event *ev;
    size_t n = dp_events(dp, &ev);
    for (size_t i = 0; i < n; i++) {
        /* A freed asset has no key any more; print its slot index then. */
        const char *key = dp_key_of(dp, ev[i].handle);
        char slot[32];
        snprintf(slot, sizeof slot, "#%u", dp_handle_index(ev[i].handle));
        printf("  [%s] %-11s %-8s %-24s %s\n", when, event_name(ev[i].kind),
               dp_type_name(dp, ev[i].type), key ? key : slot,
               ev[i].status ? dp_status_str(ev[i].status) : "");
    }
}

/* A listener sees every update's batch, also updates run inside dp_wait. */
typedef struct tally {
    size_t loaded, deep, failed, freed;
} tally;

static void count_events(void *user, const dp_event *ev, size_t n)
{
    tally *t = user;
    for (size_t i = 0; i < n; i++) {
        t->loaded += ev[i].kind == DP_EV_LOADED;
        t->deep += ev[i].kind == DP_EV_LOADED_DEEP;
        t->failed += ev[i].kind == DP_EV_FAILED;
        t->freed += ev[i].kind == DP_EV_FREED;
    }
}

/* Pumps updates until `h` settles, printing each update's events. */
static dp_state pump(dp_depot *dp, dp_handle h, const char *name)
{
    for (int i = 0; i < 2000; i++) {
        dp_update(dp);
        print_events(dp, name);
        dp_state s = dp_state_deep(dp, h);
        if (s == DP_STATE_LOADED || s == DP_STATE_FAILED)
            return s;
        /* A real game would render a frame here (dp_wait runs the same loop, with a
         * 1 ms sleep between updates). */
        sleep_1ms();
    }
    return DP_STATE_PENDING;
}

/* A 1x1 opaque white PNG (68 bytes, made with Python's zlib and struct). */
static const unsigned char white_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78,
    0xda, 0x63, 0xf8, 0x0f, 0x04, 0x00, 0x09, 0xfb, 0x03, 0xfd, 0x68, 0xfa, 0x1c, 0xcc,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

int main(void)
{
    dp_depot *dp;
    if (dp_create(&(dp_desc){.workers = 2}, &dp) != DP_OK)
        return 1;
    if (!dp_builtins(dp).image) {
        printf("this build has no PNG support; nothing to show\n");
        dp_destroy(dp);
        return 0;
    }

    /* Register the type: its name, the extensions that select it in dp_load, load and
     * destroy. Any thread may register; ids are never reused. */
    static const char *const mat_ext[] = {"mat", NULL};
    dp_type_id mat_type;
    dp_type mat = {.name = "material", .extensions = mat_ext, .load = material_load,
                   .destroy = material_destroy, .user = NULL};
    dp_status st = dp_register_type(dp, &mat, &mat_type);
    if (st != DP_OK) {
        fprintf(stderr, "dp_register_type: %s\n", dp_status_str(st));
        dp_destroy(dp);
        return 1;
    }

    tally t = {0};
    dp_listen(dp, count_events, &t);

    static const char brick_mat[] = "shader lit\ntexture ./brick.png\ntexture ./brick_n.png\n";
    static const char broken_mat[] = "shader lit\ntexture ./brick.png\ntexture ./missing.png\n";
    dp_mem_add(dp, "mats/brick.mat", brick_mat, strlen(brick_mat));
    dp_mem_add(dp, "mats/broken.mat", broken_mat, strlen(broken_mat));
    dp_mem_add(dp, "mats/brick.png", white_png, sizeof white_png);
    dp_mem_add(dp, "mats/brick_n.png", white_png, sizeof white_png);

    /* ---- a material whose textures all load ---- */
    printf("loading mem://mats/brick.mat\n");
    dp_handle brick;
    if (dp_load(dp, "mem://mats/brick.mat", &brick) != DP_OK)
        return 1;
    if (pump(dp, brick, "brick") != DP_STATE_LOADED)
        return 1;
    const material *m = dp_get(dp, brick);
    printf("brick.mat: shader '%s', %d textures", m->shader, m->ntextures);
    for (int i = 0; i < m->ntextures; i++)
        printf(", %s (count %u)", dp_key_of(dp, m->textures[i]), dp_count(dp, m->textures[i]));
    printf("\n");

    /* ---- a material with a missing texture: deep state FAILED ---- */
    printf("loading mem://mats/broken.mat (its second texture does not exist)\n");
    dp_handle broken;
    if (dp_load(dp, "mem://mats/broken.mat", &broken) != DP_OK)
        return 1;
    /* dp_wait returns the status of the first failed dependency. */
    st = dp_wait(dp, broken, 2000);
    print_events(dp, "broken");
    printf("broken.mat: own state %s, deep state %s, dp_wait -> %s\n",
           dp_state_of(dp, broken) == DP_STATE_LOADED ? "LOADED" : "not loaded",
           dp_state_deep(dp, broken) == DP_STATE_FAILED ? "FAILED" : "not failed",
           dp_status_str(st));
    printf("brick.png is shared: count %u (one edge from each material)\n",
           dp_count(dp, m->textures[0]));

    /* ---- release both: each material's edges go with it (a cascade) ---- */
    dp_release(dp, brick);
    dp_release(dp, broken);
    dp_update(dp);
    print_events(dp, "release");

    dp_stats stats;
    dp_get_stats(dp, &stats);
    printf("listener saw %zu LOADED, %zu LOADED_DEEP, %zu FAILED, %zu FREED; live assets now %zu\n",
           t.loaded, t.deep, t.failed, t.freed, stats.live_assets);
    dp_unlisten(dp, count_events, &t);
    size_t leaks = dp_destroy(dp);
    printf("dp_destroy: %zu leaked assets\n", leaks);
    return leaks == 0 && st == DP_ERR_NOT_FOUND ? 0 : 1;
}
