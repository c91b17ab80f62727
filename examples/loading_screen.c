/* loading_screen.c — a loading screen: a level's folder loads in the background at low
 * priority while the screen's own picture jumps the queue, a progress bar follows the
 * level's whole dependency closure, a completion callback says when each part is ready,
 * and dp_pending names what the level still waits for.
 *
 * Everything is in memory (mem:// blobs), so the example needs no files and no optional
 * parts: "tile" assets of a small custom type; the level folder also holds a "room" that
 * names tiles as its dependencies, and a README the filter leaves out.
 *
 * Frame by frame it prints the bar; with one worker the splash (asked for last, at
 * DP_PRIORITY_IMMEDIATE) is ready before most of the level, which was asked for first.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "depot/depot.h"

#define TILES 40

/* "tile": a checksum of its bytes stands for real decoding work. A "room" is a tile whose
 * content lists other tiles, one key per line: it depends on them. */
typedef struct tile {
    unsigned sum;
} tile;

static dp_status tile_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    const char *p = bytes, *end = p + len;
    unsigned sum = 0;
    for (int round = 0; round < 2000; round++) /* some work per tile */
        for (size_t i = 0; i < len; i++)
            sum = sum * 31u + (unsigned char)p[i];
    while (p < end && !strncmp(p, "mem://", 6)) { /* a room: each line names a tile */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        char key[64];
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n >= sizeof key)
            return DP_ERR_FORMAT;
        memcpy(key, p, n);
        key[n] = '\0';
        dp_handle child;
        dp_status st = dp_ctx_load_dep(ctx, key, &child);
        if (st != DP_OK)
            return st;
        p += n + (nl ? 1 : 0);
    }
    tile *t = malloc(sizeof *t);
    if (!t)
        return DP_ERR_NOMEM;
    t->sum = sum;
    *asset = t;
    *asset_bytes = sizeof *t;
    return DP_OK;
}

static void tile_destroy(void *asset, void *user)
{
    (void)user;
    free(asset);
}

/* Completion: called on this (the owner) thread inside dp_update, once per request. */
static void on_ready(void *user, dp_handle h, dp_status status)
{
    (void)h;
    printf("  ready: %s (%s)\n", (const char *)user, dp_status_str(status));
}

static void draw_bar(const dp_progress_info *p)
{
    char bar[41];
    unsigned filled = p->total ? 40u * p->settled / p->total : 0;
    for (unsigned i = 0; i < 40; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[40] = '\0';
    printf("  [%s] %u/%u assets, %u failed, %llu bytes\n", bar, p->settled, p->total, p->failed,
           (unsigned long long)p->bytes_loaded);
}

static int add_assets(dp_depot *dp)
{
    char path[64], text[256];
    for (int i = 0; i < TILES; i++) {
        snprintf(path, sizeof path, "level/tile%02d.tile", i);
        snprintf(text, sizeof text, "tile %d of the level", i);
        if (dp_mem_add(dp, path, text, strlen(text)) != DP_OK)
            return -1;
    }
    static const char room[] = "mem://shared/wall.tile\nmem://shared/floor.tile";
    static const char readme[] = "not an asset: the extension filter leaves it out";
    static const char splash[] = "the loading screen's own picture";
    if (dp_mem_add(dp, "level/room.tile", room, sizeof room - 1) != DP_OK ||
        dp_mem_add(dp, "shared/wall.tile", "wall", 4) != DP_OK ||
        dp_mem_add(dp, "shared/floor.tile", "floor", 5) != DP_OK ||
        dp_mem_add(dp, "level/README.txt", readme, sizeof readme - 1) != DP_OK ||
        dp_mem_add(dp, "ui/splash.tile", splash, sizeof splash - 1) != DP_OK)
        return -1;
    return 0;
}

int main(void)
{
    dp_depot *dp;
    if (dp_create(&(dp_desc){.workers = 1}, &dp) != DP_OK)
        return 1;
    static const char *const exts[] = {"tile", NULL};
    dp_type t = {.name = "tile", .extensions = exts, .load = tile_load, .destroy = tile_destroy};
    dp_type_id tid;
    int rc = 1;
    dp_group level = {0};
    dp_handle splash = DP_NULL_HANDLE;
    if (dp_register_type(dp, &t, &tid) != DP_OK || add_assets(dp) != 0)
        goto out;

    /* The level first, at low priority: every .tile under mem://level into a new group. */
    dp_load_opts low = {.priority = DP_PRIORITY_LOW};
    dp_folder_result folder;
    dp_status st = dp_load_folder(dp, "mem://level", &(dp_folder_opts){.extensions = exts,
                                                                        .load = &low},
                                  &folder);
    if (st != DP_OK) {
        fprintf(stderr, "dp_load_folder: %s\n", dp_status_str(st));
        goto out;
    }
    level = folder.group;
    printf("level: %u files queued, %u skipped (not .tile)\n", folder.loaded, folder.skipped);

    /* Then the splash, asked for last but needed first. */
    dp_load_opts now = {.priority = DP_PRIORITY_IMMEDIATE, .on_done = on_ready,
                        .on_done_user = "splash"};
    if (dp_load_ex(dp, "mem://ui/splash.tile", &now, &splash) != DP_OK)
        goto out;

    for (int frame = 0; frame < 100000; frame++) {
        nanosleep(&(struct timespec){0, 1000000}, NULL); /* a frame's other work */
        dp_update(dp);
        dp_progress_info p;
        if (dp_group_progress(dp, level, &p) != DP_OK)
            goto out;
        if (frame % 8 == 0 || p.done) {
            printf("frame %d:\n", frame);
            draw_bar(&p);
            dp_pending_info stuck[1];
            size_t n;
            if (!p.done && dp_pending(dp, level, stuck, 1, &n) == DP_OK && n > 0)
                printf("  waiting longest: %s (%llu ms)\n", stuck[0].key,
                       (unsigned long long)stuck[0].pending_ms);
        }
        if (p.done && dp_state_deep(dp, splash) != DP_STATE_PENDING) {
            rc = p.failed == 0 && p.total == TILES + 3 ? 0 : 1;
            break;
        }
    }
out:
    if (level.bits)
        dp_group_destroy(dp, level);
    if (splash.bits)
        dp_release(dp, splash);
    size_t leaked = dp_destroy(dp);
    printf("leaked: %zu\n", leaked);
    return rc == 0 && leaked == 0 ? 0 : 1;
}
