/* atlas.c — the dynamic atlas: small images copied into shared pages, each page an asset
 * ("atlas_page", data starting with a dp_image so a texture backend can upload it) held by
 * its regions ("atlas_region", data starting with a dp_atlas_region), each region an asset
 * with an edge to its page. Releasing a region frees its rectangle; the page goes (GPU
 * texture too, through the render layer's FREED) with its last region. The original image
 * is never held by a region (the Cocos trap: releasing a sprite must not free someone
 * else's texture).
 *
 * Lifetime of the page's memory. A region's destroy frees its rectangle in the page's
 * allocator, so it needs the page struct. The edge makes the page outlive its regions in
 * every ordinary free, but dp_evict of a page and dp_destroy (which destroys live assets in
 * no particular order) do not respect edges, so the page struct counts its users: one for
 * the page asset and one per region; whichever destroy drops the last frees it.
 *
 * The page asset's data is a block of its own (page_data: the dp_image and a pointer to the
 * shared page struct), never the page struct itself: the lifetime sanitizer
 * (dp_desc.debug_lifetimes, on in the ASan build) makes a freed asset's data unreadable until
 * its destroy runs, and a region freed in the same update still reads the page struct in
 * its own destroy (`depot demo` trapped there).
 *
 * The atlas object holds its pages weakly (a list of handles, stale ones skipped and
 * pruned): the atlas never keeps a page alive.
 */
#include <string.h>

#include "asset/registry.h"
#include "common/alloc.h"
#include "common/assert.h"
#include "depot/load.h"
#include "depot/render.h"
#include "render/atlas_alloc.h"

typedef struct page {
    dp_image img;          /* the pixels; page_data copies this header */
    dp__rectpack *pack;
    dp_allocator alloc;
    uint32_t users;        /* the page asset + one per region */
} page;

/* The page asset's data. */
typedef struct page_data {
    dp_image img;          /* first: the asset data is a dp_image (the page's pixels) */
    page *pg;
} page_data;

typedef struct region {
    dp_atlas_region pub;   /* first: the asset data is a dp_atlas_region */
    page *pg;
    dp__rect rect;
} region;

struct dp_atlas {
    dp_depot *dp;
    dp_allocator alloc;
    uint32_t page_size, padding;
    dp_type_id page_type, region_type;
    dp_handle *pages; /* weak */
    size_t npages, cappages;
};

static void page_unref(page *pg)
{
    if (--pg->users > 0)
        return;
    dp_allocator a = pg->alloc;
    dp__rectpack_destroy(pg->pack);
    dp__free(&a, pg->img.pixels);
    dp__free(&a, pg);
}

static void page_destroy(void *data, void *user)
{
    (void)user;
    page_data *pd = data;
    page *pg = pd->pg;
    dp__free(&pg->alloc, pd);
    page_unref(pg);
}

static void region_destroy(void *data, void *user)
{
    (void)user;
    region *rg = data;
    dp_status st = dp__rectpack_free(rg->pg->pack, rg->rect);
    DP__ASSERT(st == DP_OK); /* cannot fail: the rectangle was allocated for this region */
    page *pg = rg->pg;
    dp_allocator a = pg->alloc;
    dp__free(&a, rg);
    page_unref(pg);
}

dp_status dp_atlas_create(dp_depot *dp, const dp_atlas_desc *desc, dp_atlas **out)
{
    if (out)
        *out = NULL;
    if (!dp || !out)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp_atlas_desc d = desc ? *desc : (dp_atlas_desc){0};
    if (d.page_size == 0)
        d.page_size = 2048;
    if (d.padding == 0)
        d.padding = 1;
    if (d.page_size > 16384 || d.padding >= d.page_size)
        return DP_ERR_INVALID;
    dp_type_id pt, rt;
    dp_type tp = {.name = "atlas_page", .destroy = page_destroy};
    dp_type tr = {.name = "atlas_region", .destroy = region_destroy};
    dp_status st = dp_register_type(dp, &tp, &pt);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
    st = dp_register_type(dp, &tr, &rt);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
    dp_atlas *a = dp__calloc(dp__depot_alloc(dp), 1, sizeof *a);
    if (!a)
        return DP_ERR_NOMEM;
    a->dp = dp;
    a->alloc = *dp__depot_alloc(dp);
    a->page_size = d.page_size;
    a->padding = d.padding;
    a->page_type = pt;
    a->region_type = rt;
    *out = a;
    return DP_OK;
}

void dp_atlas_destroy(dp_atlas *a)
{
    if (!a || !dp__is_owner(a->dp))
        return;
    dp_allocator al = a->alloc;
    dp__free(&al, a->pages);
    dp__free(&al, a);
}

dp_type_id dp_atlas_page_type(const dp_atlas *a)
{
    return a ? a->page_type : 0;
}

dp_type_id dp_atlas_region_type(const dp_atlas *a)
{
    return a ? a->region_type : 0;
}

/* A new empty page asset (count 1 for the caller), listed in the atlas. */
static dp_status new_page(dp_atlas *a, dp_handle *out, page **pgout)
{
    if (a->npages == a->cappages &&
        dp__grow(&a->alloc, (void **)&a->pages, &a->cappages, a->npages + 1,
                 sizeof *a->pages) != DP_OK)
        return DP_ERR_NOMEM;
    page *pg = dp__calloc(&a->alloc, 1, sizeof *pg);
    page_data *pd = dp__calloc(&a->alloc, 1, sizeof *pd);
    if (!pg || !pd) {
        dp__free(&a->alloc, pg);
        dp__free(&a->alloc, pd);
        return DP_ERR_NOMEM;
    }
    pg->alloc = a->alloc;
    pg->users = 1;
    pg->img.width = pg->img.height = a->page_size;
    pg->img.pixels = dp__calloc(&a->alloc, (size_t)a->page_size * a->page_size, 4);
    dp_status st = pg->img.pixels ? dp__rectpack_create(&a->alloc, a->page_size, a->page_size,
                                                        &pg->pack)
                                  : DP_ERR_NOMEM;
    *pd = (page_data){.img = pg->img, .pg = pg};
    if (st == DP_OK)
        st = dp_add(a->dp, a->page_type, pd,
                    sizeof *pd + sizeof *pg + (size_t)a->page_size * a->page_size * 4, NULL, out);
    if (st != DP_OK) {
        dp__free(&a->alloc, pd);
        dp__rectpack_destroy(pg->pack);
        dp__free(&a->alloc, pg->img.pixels);
        dp__free(&a->alloc, pg);
        return st;
    }
    a->pages[a->npages++] = *out;
    *pgout = pg;
    return DP_OK;
}

/* True when `type` is the image type (the built-in one, or one registered as "image"). */
static bool is_image_type(const dp_depot *dp, dp_type_id type)
{
    if (type == 0)
        return false;
    if (type == dp_builtins(dp).image)
        return true;
    const char *name = dp_type_name(dp, type);
    return name && strcmp(name, "image") == 0;
}

/* Finds a live page with room for w x h, pruning stale pages from the list, and takes a
 * count on it. DP_OK with *pg NULL when no page has room; DP_ERR_NOMEM. */
static dp_status find_room(dp_atlas *a, uint32_t w, uint32_t h, dp_handle *ph, page **pg,
                           dp__rect *rect)
{
    dp_depot *dp = a->dp;
    size_t keep = 0;
    for (size_t i = 0; i < a->npages; i++) {
        dp_handle c = a->pages[i];
        if (dp_state_of(dp, c) == DP_STATE_INVALID)
            continue; /* stale: pruned */
        a->pages[keep++] = c;
        if (*pg || dp_upgrade(dp, c) != DP_OK)
            continue;
        const page_data *pd = (dp_get)(dp, c);
        page *cand = pd ? pd->pg : NULL;
        dp_status st = cand ? dp__rectpack_alloc(cand->pack, w, h, rect) : DP_ERR_STALE;
        if (st == DP_OK) {
            *ph = c;
            *pg = cand;
        } else {
            dp_release(dp, c);
            if (st == DP_ERR_NOMEM) {
                for (size_t j = i + 1; j < a->npages; j++)
                    a->pages[keep++] = a->pages[j];
                a->npages = keep;
                return DP_ERR_NOMEM;
            }
        }
    }
    a->npages = keep;
    return DP_OK;
}

/* A page with a w x h rectangle taken, and a count on it: a live one with room, or a new
 * one (*fresh). */
static dp_status take_room(dp_atlas *a, uint32_t w, uint32_t h, dp_handle *ph, page **pg,
                           dp__rect *rect, bool *fresh)
{
    *fresh = false;
    dp_status st = find_room(a, w, h, ph, pg, rect);
    if (st != DP_OK || *pg)
        return st;
    st = new_page(a, ph, pg);
    if (st != DP_OK)
        return st;
    *fresh = true;
    st = dp__rectpack_alloc((*pg)->pack, w, h, rect);
    if (st != DP_OK)
        dp_release(a->dp, *ph); /* the empty page goes at the next update */
    return st;
}

/* The region asset of `rect` on page pg (ph), for an image of the given size. DP_OK, or
 * DP_ERR_NOMEM / dp_add's error with nothing made. */
static dp_status add_region(dp_atlas *a, dp_handle ph, page *pg, dp__rect rect,
                            const dp_image *img, dp_handle *rh)
{
    region *rg = dp__calloc(&a->alloc, 1, sizeof *rg);
    if (!rg)
        return DP_ERR_NOMEM;
    float ps = (float)a->page_size;
    rg->pub = (dp_atlas_region){.page = ph, .x = rect.x, .y = rect.y, .w = img->width,
                                .h = img->height, .u0 = (float)rect.x / ps,
                                .v0 = (float)rect.y / ps,
                                .u1 = (float)(rect.x + img->width) / ps,
                                .v1 = (float)(rect.y + img->height) / ps};
    rg->pg = pg;
    rg->rect = rect;
    pg->users++;
    dp_status st = dp_add(a->dp, a->region_type, rg, sizeof *rg, NULL, rh);
    if (st != DP_OK) {
        pg->users--;
        dp__free(&a->alloc, rg);
    }
    return st;
}

dp_status dp_atlas_place(dp_atlas *a, dp_handle image, dp_handle *out)
{
    if (out)
        *out = DP_NULL_HANDLE;
    if (!a || !out)
        return DP_ERR_INVALID;
    dp_depot *dp = a->dp;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    if (dp_state_of(dp, image) == DP_STATE_INVALID)
        return DP_ERR_STALE;
    const dp_image *img = (dp_get)(dp, image);
    if (!img || !is_image_type(dp, dp_type_of(dp, image)) || !img->pixels || img->width == 0 ||
        img->height == 0 || img->width > a->page_size - a->padding ||
        img->height > a->page_size - a->padding)
        return DP_ERR_INVALID;
    uint32_t w = img->width + a->padding, h = img->height + a->padding;

    /* Find a live page with room (or make one); take a count on it while we work. */
    dp_handle ph = DP_NULL_HANDLE;
    page *pg = NULL;
    dp__rect rect;
    bool fresh;
    dp_status st = take_room(a, w, h, &ph, &pg, &rect, &fresh);
    if (st != DP_OK)
        return st;

    /* Copy the pixels, rows top to bottom, at the rectangle's corner. */
    for (uint32_t y = 0; y < img->height; y++)
        memcpy(pg->img.pixels + (((size_t)rect.y + y) * a->page_size + rect.x) * 4,
               img->pixels + (size_t)y * img->width * 4, (size_t)img->width * 4);

    dp_handle rh = DP_NULL_HANDLE;
    st = add_region(a, ph, pg, rect, img, &rh);
    if (st != DP_OK) {
        dp_status freed = dp__rectpack_free(pg->pack, rect);
        DP__ASSERT(freed == DP_OK); /* cannot fail: the rectangle was allocated just above */
        dp_release(dp, ph);
        return st;
    }
    /* From here the region owns its rectangle: releasing it undoes everything. */
    st = dp_depend(dp, rh, ph);
    if (st == DP_OK && !fresh)
        st = dp_touch(dp, ph); /* a fresh page announces LOADED with the pixels in */
    dp_release(dp, ph); /* our working count; the edge holds the page now */
    if (st != DP_OK) {
        dp_release(dp, rh);
        return st;
    }
    *out = rh;
    return DP_OK;
}

double dp_atlas_occupancy(const dp_atlas *a, size_t *pages)
{
    if (pages)
        *pages = 0;
    if (!a || !dp__is_owner(a->dp))
        return 0.0;
    uint64_t used = 0;
    size_t n = 0;
    for (size_t i = 0; i < a->npages; i++) {
        const page_data *pd = (dp_get)(a->dp, a->pages[i]);
        if (!pd)
            continue;
        used += dp__rectpack_used(pd->pg->pack, NULL);
        n++;
    }
    if (pages)
        *pages = n;
    if (n == 0)
        return 0.0;
    return 100.0 * (double)used / ((double)a->page_size * a->page_size * (double)n);
}
