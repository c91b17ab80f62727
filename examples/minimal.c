/* minimal.c — the smallest complete depot program.
 *
 * It creates a depot, registers a tiny PNG and a sprite manifest as in-memory blobs (so the
 * example needs no files), loads the sprite (which pulls in its image as a dependency),
 * waits for both, reads them, releases the sprite, runs one update to watch both assets be
 * freed, and destroys the depot, printing how many assets leaked (0).
 *
 * Needs the optional PNG (libpng) and JSON (cJSON) parts; without them it says so and exits 0.
 */
#include <stdio.h>
#include <string.h>

#include "depot/depot.h"

/* A 2x2 RGBA PNG: red, green / blue, half-transparent white. 76 bytes, made once with
 * Python's zlib and struct. */
static const unsigned char pixels_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
    0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02,
    0x08, 0x06, 0x00, 0x00, 0x00, 0x72, 0xb6, 0x0d, 0x24, 0x00, 0x00, 0x00,
    0x13, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x0c, 0x81, 0x34, 0x08, 0x34, 0x00, 0x00, 0x49, 0x49, 0x09, 0x78,
    0x9c, 0x51, 0x17, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
};

/* A sprite: the top-right pixel of the image. "./pixels.png" is resolved against the
 * sprite's own folder and source, so it means "mem://pixels.png". */
static const char hero_sprite[] = "{\"image\": \"./pixels.png\", \"rect\": [1, 0, 1, 1]}";

static const char *event_name(dp_event_kind k)
{
    static const char *const names[] = {"LOADED", "LOADED_DEEP", "FAILED",
                                        "MODIFIED", "UNUSED", "FREED"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* Prints the events of the last dp_update. Keys are gone once an asset is freed, so the
 * handle's index is printed instead. */
static void print_events(const dp_depot *dp)
{
    const dp_event *ev;
    size_t n = dp_events(dp, &ev);
    for (size_t i = 0; i < n; i++)
        printf("  event %-11s asset #%u (%s)\n", event_name(ev[i].kind),
               dp_handle_index(ev[i].handle), dp_type_name(dp, ev[i].type));
}

int main(void)
{
    dp_depot *dp;
    /* A zeroed desc is valid: one worker per core, no cache, no hot reload. */
    dp_status st = dp_create(&(dp_desc){.workers = 1}, &dp);
    if (st != DP_OK) {
        fprintf(stderr, "dp_create: %s\n", dp_status_str(st));
        return 1;
    }
    dp_builtin_types bt = dp_builtins(dp);
    if (!bt.image || !bt.sprite) {
        printf("this build has no PNG or JSON support; nothing to show\n");
        dp_destroy(dp);
        return 0;
    }

    /* 1. Register the bytes under mem:// keys (the bytes are copied). */
    dp_mem_add(dp, "pixels.png", pixels_png, sizeof pixels_png);
    dp_mem_add(dp, "hero.sprite", hero_sprite, strlen(hero_sprite));

    /* 2. Load: returns at once with a strong handle; the I/O happens on a worker. */
    dp_handle hero;
    st = dp_load(dp, "mem://hero.sprite", &hero);
    if (st != DP_OK) {
        fprintf(stderr, "dp_load: %s\n", dp_status_str(st));
        dp_destroy(dp);
        return 1;
    }
    printf("dp_load(\"mem://hero.sprite\") -> asset #%u, state %d (PENDING)\n",
           dp_handle_index(hero), (int)dp_state_of(dp, hero));

    /* 3. Wait: pumps dp_update until the sprite and its image are loaded (or 2 s pass). */
    st = dp_wait(dp, hero, 2000);
    if (st != DP_OK) {
        fprintf(stderr, "dp_wait: %s\n", dp_status_str(st));
        dp_release(dp, hero);
        dp_destroy(dp);
        return 1;
    }
    printf("dp_wait -> DP_OK (sprite and image loaded)\n");

    /* 4. Use. The pointers are valid while we hold the sprite, until the next dp_update.
     * sprite->image is a weak view: the sprite's dependency edge holds the image. */
    const dp_sprite *s = dp_get(dp, hero);
    const dp_image *img = dp_get(dp, s->image);
    const unsigned char *px = img->pixels + 4 * (s->y * img->width + s->x);
    printf("sprite rect %u,%u %ux%u of a %ux%u image; its pixel is RGBA(%u,%u,%u,%u)\n",
           s->x, s->y, s->w, s->h, img->width, img->height, px[0], px[1], px[2], px[3]);
    printf("counts: sprite %u (us), image %u (the sprite's edge)\n", dp_count(dp, hero),
           dp_count(dp, s->image));

    /* 5. Release. The sprite is UNUSED now and freed at the next update, which releases
     * the image in the same cascade. */
    dp_release(dp, hero);
    dp_update(dp);
    printf("after dp_release + dp_update:\n");
    print_events(dp);
    printf("sprite state now %d (INVALID): the handle is stale forever\n",
           (int)dp_state_of(dp, hero));

    /* 6. Destroy. The return value is the number of assets still held: leaks. */
    size_t leaks = dp_destroy(dp);
    printf("dp_destroy: %zu leaked assets\n", leaks);
    return leaks == 0 ? 0 : 1;
}
