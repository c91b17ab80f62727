/* atlas_alloc.c — a shelf allocator for one atlas page, with freeing.
 *
 * The page is cut into horizontal shelves, stacked from y = 0 downwards; below the last
 * shelf lies untouched space. Each shelf holds a row of slots sorted by x that covers its
 * whole width: a slot is either a live rectangle (h > 0) or free space (h == 0).
 *
 * Placing a rectangle picks the shelf whose height wastes the least (best fit), and within
 * it the narrowest free slot that fits. When no shelf fits closely enough, a new shelf is
 * cut, either from an empty shelf (split in two) or from the untouched space below.
 *
 * Freeing marks the slot free and merges it with free neighbours, so a shelf's free space
 * is never split into more pieces than its live rectangles separate. A shelf that becomes
 * empty merges with empty shelves above and below it, and the last shelf, once empty,
 * returns to the untouched space. After every rectangle is freed the page is one free area
 * again, which bounds fragmentation: it only comes from live rectangles.
 *
 * The slots double as the record of live rectangles, so a double free or a rectangle that
 * was never handed out is detected (an exact x, y, w, h match is required).
 *
 * Costs: placing scans the shelves and the slots of candidate shelves; freeing is a binary
 * search for the shelf and for the slot. Both are linear in the worst case, which is fine
 * for the few hundred shelves of a 2048 x 2048 page.
 */
#include "render/atlas_alloc.h"

#include <string.h>

#include "common/alloc.h"

/* Shelves are cut to a multiple of this height, so rectangles of nearly equal heights
 * share shelves. */
#define SHELF_ALIGN 4u

typedef struct slot {
    uint32_t x, w;
    uint32_t h; /* height of the live rectangle, 0 for free space */
} slot;

typedef struct shelf {
    uint32_t y, h;
    uint32_t max_free; /* width of the widest free slot */
    slot *slots;
    size_t count, cap;
} shelf;

struct dp__rectpack {
    dp_allocator alloc;
    uint32_t width, height;
    uint32_t top; /* y where the untouched space starts: the bottom of the last shelf */
    shelf *shelves; /* sorted by y, contiguous from 0 to top */
    size_t count, cap;
    uint64_t used;
    uint32_t live;
};

/* ---- shelves ---------------------------------------------------------------------------- */

static bool shelf_is_empty(const shelf *s)
{
    return s->count == 1 && s->slots[0].h == 0;
}

/* Makes an empty shelf (one free slot spanning the page) with room for `cap` slots. */
static dp_status shelf_init(const dp_allocator *a, shelf *s, uint32_t y, uint32_t h,
                            uint32_t width, size_t cap)
{
    s->slots = dp__calloc(a, cap, sizeof *s->slots);
    if (!s->slots)
        return DP_ERR_NOMEM;
    s->y = y;
    s->h = h;
    s->max_free = width;
    s->slots[0] = (slot){.x = 0, .w = width, .h = 0};
    s->count = 1;
    s->cap = cap;
    return DP_OK;
}

static void shelf_remove(dp__rectpack *p, size_t i)
{
    dp__free(&p->alloc, p->shelves[i].slots);
    memmove(&p->shelves[i], &p->shelves[i + 1], (p->count - i - 1) * sizeof *p->shelves);
    p->count--;
}

/* The index of the shelf starting at y, or p->count. */
static size_t shelf_find(const dp__rectpack *p, uint32_t y)
{
    size_t lo = 0, hi = p->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->shelves[mid].y < y)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->count && p->shelves[lo].y == y ? lo : p->count;
}

/* The narrowest free slot of width >= w in a shelf, or s->count. */
static size_t slot_best(const shelf *s, uint32_t w)
{
    size_t best = s->count;
    if (s->max_free < w)
        return best;
    for (size_t i = 0; i < s->count; i++) {
        const slot *sl = &s->slots[i];
        if (sl->h == 0 && sl->w >= w && (best == s->count || sl->w < s->slots[best].w)) {
            best = i;
            if (sl->w == w)
                break;
        }
    }
    return best;
}

/* Places w x h at the left of free slot `i` of shelf `s`; the rest of the slot stays free.
 * The caller has made room for one more slot. */
static dp__rect slot_take(dp__rectpack *p, shelf *s, size_t i, uint32_t w, uint32_t h)
{
    slot *sl = &s->slots[i];
    if (sl->w > w) {
        memmove(&s->slots[i + 2], &s->slots[i + 1], (s->count - i - 1) * sizeof *s->slots);
        s->slots[i + 1] = (slot){.x = sl->x + w, .w = sl->w - w, .h = 0};
        s->count++;
    }
    uint32_t was = sl->w;
    sl->w = w;
    sl->h = h;
    if (was == s->max_free) {
        /* The widest free slot may be gone: find the new widest. */
        s->max_free = 0;
        for (size_t k = 0; k < s->count; k++)
            if (s->slots[k].h == 0 && s->slots[k].w > s->max_free)
                s->max_free = s->slots[k].w;
    }
    p->used += (uint64_t)w * h;
    p->live++;
    return (dp__rect){.x = sl->x, .y = s->y, .w = w, .h = h};
}

/* Ensures shelf `s` can take one more slot (a split). */
static dp_status shelf_reserve(const dp_allocator *a, shelf *s)
{
    return dp__grow(a, (void **)&s->slots, &s->cap, s->count + 1, sizeof *s->slots);
}

/* ---- create / destroy -------------------------------------------------------------------- */

dp_status dp__rectpack_create(const dp_allocator *a, uint32_t width, uint32_t height,
                              dp__rectpack **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    if (width == 0 || height == 0)
        return DP_ERR_INVALID;
    dp_allocator al;
    dp__alloc_init(&al, a);
    dp__rectpack *p = dp__calloc(&al, 1, sizeof *p);
    if (!p)
        return DP_ERR_NOMEM;
    p->alloc = al;
    p->width = width;
    p->height = height;
    *out = p;
    return DP_OK;
}

void dp__rectpack_destroy(dp__rectpack *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++)
        dp__free(&p->alloc, p->shelves[i].slots);
    dp__free(&p->alloc, p->shelves);
    dp__free(&p->alloc, p);
}

/* ---- alloc ---------------------------------------------------------------------------------- */

/* The non-empty shelf that fits w x h with the least wasted height (at most max_h tall),
 * or p->count. *slot_out gets the slot to use. */
static size_t best_shelf(const dp__rectpack *p, uint32_t w, uint32_t h, uint32_t max_h,
                         size_t *slot_out)
{
    size_t best = p->count;
    for (size_t i = 0; i < p->count; i++) {
        const shelf *s = &p->shelves[i];
        if (s->h < h || s->h > max_h || s->max_free < w || shelf_is_empty(s))
            continue;
        if (best != p->count && s->h >= p->shelves[best].h)
            continue;
        size_t k = slot_best(s, w);
        if (k == s->count)
            continue;
        best = i;
        *slot_out = k;
        if (s->h == h)
            break;
    }
    return best;
}

/* The shortest empty shelf at least h tall, or p->count. */
static size_t best_empty_shelf(const dp__rectpack *p, uint32_t h)
{
    size_t best = p->count;
    for (size_t i = 0; i < p->count; i++) {
        const shelf *s = &p->shelves[i];
        if (s->h >= h && shelf_is_empty(s) && (best == p->count || s->h < p->shelves[best].h))
            best = i;
    }
    return best;
}

/* Cuts a shelf of height sh from empty shelf `i` (the rest becomes an empty shelf below
 * it) and places w x h in it. Nothing changes on failure. */
static dp_status place_in_empty(dp__rectpack *p, size_t i, uint32_t sh, uint32_t w,
                                uint32_t h, dp__rect *out)
{
    shelf *s = &p->shelves[i];
    if (s->h > sh) {
        /* Reserve everything first: a slot for the split, a shelf entry, the rest shelf. */
        if (shelf_reserve(&p->alloc, s) != DP_OK)
            return DP_ERR_NOMEM;
        if (dp__grow(&p->alloc, (void **)&p->shelves, &p->cap, p->count + 1,
                     sizeof *p->shelves) != DP_OK)
            return DP_ERR_NOMEM;
        s = &p->shelves[i];
        shelf rest;
        if (shelf_init(&p->alloc, &rest, s->y + sh, s->h - sh, p->width, 2) != DP_OK)
            return DP_ERR_NOMEM;
        memmove(&p->shelves[i + 2], &p->shelves[i + 1], (p->count - i - 1) * sizeof *p->shelves);
        p->shelves[i + 1] = rest;
        p->count++;
        s->h = sh;
    } else if (shelf_reserve(&p->alloc, s) != DP_OK) {
        return DP_ERR_NOMEM;
    }
    *out = slot_take(p, s, 0, w, h);
    return DP_OK;
}

/* Cuts a new shelf of height sh from the untouched space and places w x h in it. */
static dp_status place_below(dp__rectpack *p, uint32_t sh, uint32_t w, uint32_t h,
                             dp__rect *out)
{
    if (dp__grow(&p->alloc, (void **)&p->shelves, &p->cap, p->count + 1,
                 sizeof *p->shelves) != DP_OK)
        return DP_ERR_NOMEM;
    shelf s;
    if (shelf_init(&p->alloc, &s, p->top, sh, p->width, 4) != DP_OK)
        return DP_ERR_NOMEM;
    p->shelves[p->count++] = s;
    p->top += sh;
    *out = slot_take(p, &p->shelves[p->count - 1], 0, w, h);
    return DP_OK;
}

dp_status dp__rectpack_alloc(dp__rectpack *p, uint32_t w, uint32_t h, dp__rect *out)
{
    if (out)
        *out = (dp__rect){0};
    if (!p || !out || w == 0 || h == 0 || w > p->width || h > p->height)
        return DP_ERR_INVALID;

    /* The height a new shelf gets: rounded up, unless only the exact height still fits. */
    uint32_t sh = (h + SHELF_ALIGN - 1) / SHELF_ALIGN * SHELF_ALIGN;
    if (sh > p->height)
        sh = h;
    /* A shelf is a close fit when it wastes at most a quarter of the rectangle's height
     * beyond the rounding. */
    uint32_t close = sh + h / 4;

    /* 1. A shelf in use that fits closely. */
    size_t k = 0;
    size_t i = best_shelf(p, w, h, close, &k);
    if (i < p->count) {
        if (shelf_reserve(&p->alloc, &p->shelves[i]) != DP_OK)
            return DP_ERR_NOMEM;
        *out = slot_take(p, &p->shelves[i], k, w, h);
        return DP_OK;
    }
    /* 2. A new shelf cut from an empty one, or from the untouched space. */
    for (int pass = 0; pass < 2; pass++) {
        uint32_t want = pass == 0 ? sh : h;
        i = best_empty_shelf(p, want);
        if (i < p->count)
            return place_in_empty(p, i, want, w, h, out);
        if (p->height - p->top >= want)
            return place_below(p, want, w, h, out);
    }
    /* 3. Any shelf in use with room, however much height it wastes. */
    i = best_shelf(p, w, h, UINT32_MAX, &k);
    if (i < p->count) {
        if (shelf_reserve(&p->alloc, &p->shelves[i]) != DP_OK)
            return DP_ERR_NOMEM;
        *out = slot_take(p, &p->shelves[i], k, w, h);
        return DP_OK;
    }
    return DP_ERR_OVERFLOW;
}

/* ---- free ------------------------------------------------------------------------------------ */

/* Merges empty shelf `i` with empty neighbours, and returns the last shelf, when empty, to
 * the untouched space. */
static void shelf_release(dp__rectpack *p, size_t i)
{
    if (i + 1 < p->count && shelf_is_empty(&p->shelves[i + 1])) {
        p->shelves[i].h += p->shelves[i + 1].h;
        shelf_remove(p, i + 1);
    }
    if (i > 0 && shelf_is_empty(&p->shelves[i - 1])) {
        p->shelves[i - 1].h += p->shelves[i].h;
        shelf_remove(p, i);
        i--;
    }
    if (i + 1 == p->count) {
        p->top = p->shelves[i].y;
        shelf_remove(p, i);
    }
    if (p->count == 0) {
        /* Give the shelf array back too, so an empty page holds no memory but itself. */
        dp__free(&p->alloc, p->shelves);
        p->shelves = NULL;
        p->cap = 0;
    }
}

dp_status dp__rectpack_free(dp__rectpack *p, dp__rect r)
{
    if (!p)
        return DP_ERR_INVALID;
    size_t i = shelf_find(p, r.y);
    if (i == p->count)
        return DP_ERR_NOT_FOUND;
    shelf *s = &p->shelves[i];
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->slots[mid].x < r.x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == s->count || s->slots[lo].x != r.x || s->slots[lo].w != r.w ||
        s->slots[lo].h == 0 || s->slots[lo].h != r.h)
        return DP_ERR_NOT_FOUND;

    p->used -= (uint64_t)r.w * r.h;
    p->live--;
    s->slots[lo].h = 0;
    /* Merge with the free neighbour on the right, then on the left. */
    if (lo + 1 < s->count && s->slots[lo + 1].h == 0) {
        s->slots[lo].w += s->slots[lo + 1].w;
        memmove(&s->slots[lo + 1], &s->slots[lo + 2], (s->count - lo - 2) * sizeof *s->slots);
        s->count--;
    }
    if (lo > 0 && s->slots[lo - 1].h == 0) {
        s->slots[lo - 1].w += s->slots[lo].w;
        memmove(&s->slots[lo], &s->slots[lo + 1], (s->count - lo - 1) * sizeof *s->slots);
        s->count--;
        lo--;
    }
    if (s->slots[lo].w > s->max_free)
        s->max_free = s->slots[lo].w;
    if (shelf_is_empty(s))
        shelf_release(p, i);
    return DP_OK;
}

uint64_t dp__rectpack_used(const dp__rectpack *p, uint32_t *count)
{
    if (count)
        *count = p ? p->live : 0;
    return p ? p->used : 0;
}
