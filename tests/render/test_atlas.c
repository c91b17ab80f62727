/* requires: png */
/* test_atlas.c — the dynamic atlas on the registry (no GPU): regions hold pages, pages die
 * with their last region, original images are never held (the Cocos trap), and occupancy
 * stays bounded through fill / free / refill. One behaviour per test. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/load.h"
#include "depot/render.h"
#include "common/alloc.h"
#include "load/image.h"
#include "load/png/png_codec.h"

typedef struct fixture {
    dp_test_alloc ta;
    dp_depot *dp;
    dp_type_id image;
    dp_atlas *atlas;
} fixture;

static void image_destroy(void *asset, void *user)
{
    dp__image_free(user, asset);
}

static int setup_size(void **state, uint32_t page_size)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    dp_desc d = {.allocator = &f->ta.iface, .workers = 1};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    f->image = dp_builtins(f->dp).image;
    if (!f->image) {
        dp_type t = {.name = "image", .destroy = image_destroy, .user = &f->ta.iface};
        dp_status st = dp_register_type(f->dp, &t, &f->image);
        assert_true(st == DP_OK || st == DP_ERR_EXISTS);
    }
    dp_atlas_desc ad = {.page_size = page_size};
    assert_int_equal(dp_atlas_create(f->dp, &ad, &f->atlas), DP_OK);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_size(state, 64);
}

static int setup_big(void **state)
{
    return setup_size(state, 512);
}

static int teardown(void **state)
{
    fixture *f = *state;
    dp_atlas_destroy(f->atlas);
    dp_destroy(f->dp);
    assert_int_equal(atomic_load(&f->ta.live), 0);
    free(f);
    return 0;
}

/* A w x h image asset filled with one colour (count 1 for the caller). */
static dp_handle image(fixture *f, uint32_t w, uint32_t h, uint8_t shade)
{
    dp_image *img;
    assert_int_equal(dp__image_new(&f->ta.iface, w, h, &img), DP_OK);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        img->pixels[i * 4 + 0] = shade;
        img->pixels[i * 4 + 1] = (uint8_t)(shade + 1);
        img->pixels[i * 4 + 2] = (uint8_t)(shade + 2);
        img->pixels[i * 4 + 3] = 255;
    }
    dp_handle hd;
    assert_int_equal(dp_add(f->dp, f->image, img, sizeof *img + (size_t)w * h * 4, NULL, &hd),
                     DP_OK);
    return hd;
}

static dp_handle place(fixture *f, dp_handle img)
{
    dp_handle r;
    assert_int_equal(dp_atlas_place(f->atlas, img, &r), DP_OK);
    return r;
}

static const dp_atlas_region *region(fixture *f, dp_handle r)
{
    const dp_atlas_region *rg = dp_get(f->dp, r);
    assert_non_null(rg);
    return rg;
}

static void settle(fixture *f)
{
    for (int i = 0; i < 3; i++)
        assert_int_equal(dp_update(f->dp), DP_OK);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_place_copies_pixels_into_a_page_region(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 5, 3, 40);
    dp_handle r = place(f, img);
    const dp_atlas_region *rg = region(f, r);
    assert_int_equal(dp_type_of(f->dp, r), dp_atlas_region_type(f->atlas));
    assert_int_equal(dp_type_of(f->dp, rg->page), dp_atlas_page_type(f->atlas));
    assert_int_equal(rg->w, 5);
    assert_int_equal(rg->h, 3);
    const dp_image *pg = dp_get(f->dp, rg->page);
    assert_int_equal(pg->width, 64);
    for (uint32_t y = 0; y < 3; y++)
        for (uint32_t x = 0; x < 5; x++) {
            const unsigned char *px = &pg->pixels[((rg->y + y) * 64 + rg->x + x) * 4];
            assert_int_equal(px[0], 40);
            assert_int_equal(px[2], 42);
        }
    assert_true(rg->u1 > rg->u0 && rg->v1 > rg->v0);
    assert_true(rg->u1 <= 1.0f && rg->v1 <= 1.0f);
    dp_release(f->dp, r);
    dp_release(f->dp, img);
}

static void test_region_holds_its_page_and_not_the_image(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 4, 4, 1);
    dp_handle r = place(f, img);
    settle(f);
    assert_int_equal(dp_count(f->dp, region(f, r)->page), 1); /* the region's edge only */
    assert_int_equal(dp_count(f->dp, img), 1);                  /* the caller's only */
    dp_release(f->dp, r);
    dp_release(f->dp, img);
}

static void test_releasing_a_sprite_keeps_the_page_while_other_regions_use_it(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 8, 8, 1);
    dp_handle a = place(f, img), b = place(f, img);
    dp_handle page = region(f, a)->page;
    assert_true(dp_handle_eq(page, region(f, b)->page));
    double before = dp_atlas_occupancy(f->atlas, NULL);
    dp_release(f->dp, a);
    settle(f);
    assert_int_equal(dp_state_of(f->dp, a), DP_STATE_INVALID);
    assert_int_equal(dp_state_of(f->dp, page), DP_STATE_LOADED);
    assert_int_equal(dp_state_of(f->dp, img), DP_STATE_LOADED);
    assert_true(dp_atlas_occupancy(f->atlas, NULL) < before);
    dp_release(f->dp, b);
    dp_release(f->dp, img);
}

static void test_page_is_freed_with_its_last_region(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 8, 8, 1);
    dp_handle a = place(f, img), b = place(f, img);
    dp_handle page = region(f, a)->page;
    dp_release(f->dp, a);
    dp_release(f->dp, b);
    settle(f);
    assert_int_equal(dp_state_of(f->dp, page), DP_STATE_INVALID);
    size_t pages = 9;
    assert_true(dp_atlas_occupancy(f->atlas, &pages) == 0.0);
    assert_int_equal(pages, 0);
    assert_int_equal(dp_state_of(f->dp, img), DP_STATE_LOADED); /* held by the caller */
    dp_release(f->dp, img);
}

static void test_original_image_is_freed_by_its_own_release_only(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 8, 8, 1);
    dp_handle r = place(f, img);
    dp_release(f->dp, img); /* the sprite lives on in the atlas */
    settle(f);
    assert_int_equal(dp_state_of(f->dp, img), DP_STATE_INVALID);
    assert_int_equal(dp_state_of(f->dp, r), DP_STATE_LOADED);
    assert_int_equal(region(f, r)->w, 8);
    dp_release(f->dp, r);
}

static void test_full_page_opens_a_new_page(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 40, 40, 1);
    dp_handle a = place(f, img), b = place(f, img);
    assert_false(dp_handle_eq(region(f, a)->page, region(f, b)->page));
    size_t pages = 0;
    dp_atlas_occupancy(f->atlas, &pages);
    assert_int_equal(pages, 2);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
    dp_release(f->dp, img);
}

static void test_freed_rectangle_is_reused(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 40, 40, 1);
    dp_handle small = image(f, 4, 4, 2);
    dp_handle a = place(f, img), keep = place(f, small);
    dp_handle page = region(f, a)->page;
    dp_release(f->dp, a);
    settle(f);
    dp_handle b = place(f, img);
    assert_true(dp_handle_eq(region(f, b)->page, page)); /* no second page */
    dp_release(f->dp, b);
    dp_release(f->dp, keep);
    dp_release(f->dp, img);
    dp_release(f->dp, small);
}

static void test_place_into_a_used_page_announces_modified(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 4, 4, 1);
    dp_handle a = place(f, img);
    settle(f);
    dp_handle b = place(f, img);
    assert_int_equal(dp_update(f->dp), DP_OK);
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev);
    bool modified = false;
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == DP_EV_MODIFIED && dp_handle_eq(ev[i].handle, region(f, a)->page))
            modified = true;
    assert_true(modified);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
    dp_release(f->dp, img);
}

static void test_place_rejects_too_large_images_and_non_images(void **state)
{
    fixture *f = *state;
    dp_handle big = image(f, 64, 8, 1);
    dp_handle r = {42};
    assert_int_equal(dp_atlas_place(f->atlas, big, &r), DP_ERR_INVALID);
    assert_true(dp_handle_is_null(r));
    dp_handle small = image(f, 4, 4, 1);
    dp_handle reg = place(f, small);
    assert_int_equal(dp_atlas_place(f->atlas, reg, &r), DP_ERR_INVALID); /* a region */
    dp_release(f->dp, small);
    settle(f);
    assert_int_equal(dp_atlas_place(f->atlas, small, &r), DP_ERR_STALE);
    dp_release(f->dp, big);
    dp_release(f->dp, reg);
}

static void test_largest_image_is_the_page_size_minus_the_padding(void **state)
{
    fixture *f = *state; /* 64-pixel pages, padding 1 */
    dp_handle wide = image(f, 64, 4, 1), tall = image(f, 4, 64, 1), fits = image(f, 63, 63, 1);
    dp_handle r;
    assert_int_equal(dp_atlas_place(f->atlas, wide, &r), DP_ERR_INVALID);
    assert_int_equal(dp_atlas_place(f->atlas, tall, &r), DP_ERR_INVALID);
    dp_handle reg = place(f, fits);
    const dp_atlas_region *rg = dp_get(f->dp, reg);
    assert_int_equal(rg->w, 63);
    assert_int_equal(rg->h, 63);
    dp_release(f->dp, wide);
    dp_release(f->dp, tall);
    dp_release(f->dp, fits);
    dp_release(f->dp, reg);
}

static void test_depot_destroy_with_live_regions_frees_everything(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 8, 8, 1);
    for (int i = 0; i < 10; i++)
        place(f, img); /* never released: dp_destroy frees pages and regions in any order */
    (void)img;
}

static void test_evicted_page_leaves_its_regions_safe(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 8, 8, 1);
    dp_handle a = place(f, img), b = place(f, img);
    assert_int_equal(dp_evict(f->dp, region(f, a)->page), DP_OK);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
    settle(f);
    dp_handle c = place(f, img); /* the stale page is skipped */
    assert_int_equal(dp_state_of(f->dp, region(f, c)->page), DP_STATE_LOADED);
    dp_release(f->dp, c);
    dp_release(f->dp, img);
}

static void test_fill_free_refill_keeps_occupancy_bounded(void **state)
{
    fixture *f = *state;
    enum { N = 600 };
    dp_handle imgs[8];
    for (int i = 0; i < 8; i++)
        imgs[i] = image(f, 6 + 4 * (uint32_t)i, 4 + 3 * (uint32_t)(7 - i), (uint8_t)i);
    dp_handle live[N];
    uint64_t seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        live[i] = place(f, imgs[(seed >> 33) % 8]);
    }
    size_t first_pages = 0;
    double first = dp_atlas_occupancy(f->atlas, &first_pages);
    double lowest = 100.0, last = 0.0;
    size_t pages = 0;
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < N; i += 2) {
            dp_release(f->dp, live[(i + round) % N]);
            live[(i + round) % N] = DP_NULL_HANDLE;
        }
        settle(f);
        for (int i = 0; i < N; i++) {
            if (!dp_handle_is_null(live[i]))
                continue;
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            live[i] = place(f, imgs[(seed >> 33) % 8]);
        }
        last = dp_atlas_occupancy(f->atlas, &pages);
        if (last < lowest)
            lowest = last;
    }
    printf("# atlas occupancy: first fill %.1f%% on %zu pages; after 10 rounds of free half + "
           "refill %.1f%% on %zu pages (lowest %.1f%%)\n",
           first, first_pages, last, pages, lowest);
    assert_true(pages <= first_pages + 1);
    assert_true(lowest > 0.6 * first);
    for (int i = 0; i < N; i++)
        dp_release(f->dp, live[i]);
    for (int i = 0; i < 8; i++)
        dp_release(f->dp, imgs[i]);
    settle(f);
    dp_atlas_occupancy(f->atlas, &pages);
    assert_int_equal(pages, 0);
}

static void test_place_fails_cleanly_without_memory(void **state)
{
    fixture *f = *state;
    dp_handle img = image(f, 8, 8, 1);
    dp_handle keep = place(f, img);
    /* Warm up: the page's allocator keeps the capacity a placement grew. */
    dp_release(f->dp, place(f, img));
    settle(f);
    for (long n = 1; n <= 12; n++) {
        long before = atomic_load(&f->ta.live);
        dp_test_alloc_fail_at(&f->ta, n);
        dp_handle r;
        dp_status st = dp_atlas_place(f->atlas, img, &r);
        dp_test_alloc_fail_at(&f->ta, 0);
        if (st == DP_OK)
            dp_release(f->dp, r);
        else
            assert_int_equal(st, DP_ERR_NOMEM);
        settle(f);
        /* Capacity the registry or the page allocator grew may stay; a lost region or
         * page would show at teardown, where every byte must be back. */
        assert_true(atomic_load(&f->ta.live) <= before + 2);
    }
    size_t pages = 0;
    dp_atlas_occupancy(f->atlas, &pages);
    assert_int_equal(pages, 1);
    dp_release(f->dp, keep);
    dp_release(f->dp, img);
}

/* The lifetime sanitizer keeps a freed page's data in quarantine, unreadable, while regions
 * freed in the same update are destroyed: a region's destroy must not read the page's asset
 * data (it did, and `depot demo` trapped in the ASan build). Plain malloc throughout, so
 * that the quarantine guards every block (the counting allocator's header hides them). */
static void test_regions_and_their_page_pass_the_lifetime_quarantine(void **state)
{
    (void)state;
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.workers = 1, .debug_lifetimes = 2}, &dp), DP_OK);
    dp_atlas *atlas;
    assert_int_equal(dp_atlas_create(dp, &(dp_atlas_desc){.page_size = 64}, &atlas), DP_OK);
    dp_allocator plain;
    dp__alloc_init(&plain, NULL);
    dp_image *img;
    assert_int_equal(dp__image_new(&plain, 8, 8, &img), DP_OK);
    dp_handle ih, a, b;
    assert_int_equal(dp_add(dp, dp_builtins(dp).image, img, sizeof *img + 8 * 8 * 4, NULL, &ih),
                     DP_OK);
    assert_int_equal(dp_atlas_place(atlas, ih, &a), DP_OK);
    assert_int_equal(dp_atlas_place(atlas, ih, &b), DP_OK);
    dp_release(dp, a);
    dp_release(dp, b);
    dp_release(dp, ih);
    for (int i = 0; i < 4; i++) /* freed, quarantined for 2 updates, destroyed */
        assert_int_equal(dp_update(dp), DP_OK);
    size_t pages = 9;
    dp_atlas_occupancy(atlas, &pages);
    assert_int_equal(pages, 0);
    dp_atlas_destroy(atlas);
    assert_int_equal(dp_destroy(dp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_place_copies_pixels_into_a_page_region),
        T(test_region_holds_its_page_and_not_the_image),
        T(test_releasing_a_sprite_keeps_the_page_while_other_regions_use_it),
        T(test_page_is_freed_with_its_last_region),
        T(test_original_image_is_freed_by_its_own_release_only),
        T(test_full_page_opens_a_new_page),
        T(test_freed_rectangle_is_reused),
        T(test_place_into_a_used_page_announces_modified),
        T(test_place_rejects_too_large_images_and_non_images),
        T(test_largest_image_is_the_page_size_minus_the_padding),
        T(test_depot_destroy_with_live_regions_frees_everything),
        T(test_evicted_page_leaves_its_regions_safe),
        cmocka_unit_test_setup_teardown(test_fill_free_refill_keeps_occupancy_bounded, setup_big,
                                        teardown),
        T(test_place_fails_cleanly_without_memory),
#undef T
        cmocka_unit_test(test_regions_and_their_page_pass_the_lifetime_quarantine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
