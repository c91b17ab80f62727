/* test_atlas_alloc.c — the rectangle allocator of an atlas page, one behaviour per test. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/atlas_alloc.h"

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct fixture {
    dp_test_alloc ta;
    dp__rectpack *p;
    uint32_t w, h;
} fixture;

static fixture *fixture_new(uint32_t w, uint32_t h)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    f->w = w;
    f->h = h;
    assert_int_equal(dp__rectpack_create(&f->ta.iface, w, h, &f->p), DP_OK);
    return f;
}

/* Destroys the page and proves that nothing it allocated survives. */
static void fixture_end(fixture *f)
{
    dp__rectpack_destroy(f->p);
    assert_int_equal(atomic_load(&f->ta.live), 0);
    assert_int_equal(atomic_load(&f->ta.live_bytes), 0);
    free(f);
}

static dp__rect must_alloc(dp__rectpack *p, uint32_t w, uint32_t h)
{
    dp__rect r;
    assert_int_equal(dp__rectpack_alloc(p, w, h, &r), DP_OK);
    assert_int_equal(r.w, w);
    assert_int_equal(r.h, h);
    return r;
}

static bool overlap(dp__rect a, dp__rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/* Checks that the live rectangles lie inside the page, never overlap, and that the page's
 * used area and count match them. */
static void assert_consistent(const fixture *f, const dp__rect *live, size_t n)
{
    uint64_t area = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(live[i].x + live[i].w <= f->w);
        assert_true(live[i].y + live[i].h <= f->h);
        area += (uint64_t)live[i].w * live[i].h;
        for (size_t j = i + 1; j < n; j++)
            assert_false(overlap(live[i], live[j]));
    }
    uint32_t count = 0;
    assert_int_equal(dp__rectpack_used(f->p, &count), area);
    assert_int_equal(count, n);
}

/* A deterministic PRNG (xorshift32), so the churn tests replay exactly. */
static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Allocates 16x16 rectangles until the page says OVERFLOW; returns how many fit. */
static size_t fill_16(dp__rectpack *p, dp__rect *out, size_t cap)
{
    size_t n = 0;
    dp__rect r;
    while (n < cap && dp__rectpack_alloc(p, 16, 16, &r) == DP_OK)
        out[n++] = r;
    return n;
}

/* ---- create ---------------------------------------------------------------------------------- */

static void test_create_rejects_zero_size(void **state)
{
    (void)state;
    dp__rectpack *p = (dp__rectpack *)1;
    assert_int_equal(dp__rectpack_create(NULL, 0, 16, &p), DP_ERR_INVALID);
    assert_null(p);
    assert_int_equal(dp__rectpack_create(NULL, 16, 0, &p), DP_ERR_INVALID);
    assert_null(p);
}

static void test_create_with_null_allocator_uses_malloc(void **state)
{
    (void)state;
    dp__rectpack *p = NULL;
    assert_int_equal(dp__rectpack_create(NULL, 64, 64, &p), DP_OK);
    dp__rect r;
    assert_int_equal(dp__rectpack_alloc(p, 8, 8, &r), DP_OK);
    dp__rectpack_destroy(p);
    dp__rectpack_destroy(NULL);
}

static void test_create_fails_cleanly_without_memory(void **state)
{
    (void)state;
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_test_alloc_fail_at(&ta, 1);
    dp__rectpack *p = (dp__rectpack *)1;
    assert_int_equal(dp__rectpack_create(&ta.iface, 64, 64, &p), DP_ERR_NOMEM);
    assert_null(p);
    assert_int_equal(atomic_load(&ta.live), 0);
}

/* ---- alloc ------------------------------------------------------------------------------------ */

static void test_alloc_rejects_invalid_sizes(void **state)
{
    (void)state;
    fixture *f = fixture_new(256, 128);
    dp__rect r = {1, 2, 3, 4};
    assert_int_equal(dp__rectpack_alloc(f->p, 0, 8, &r), DP_ERR_INVALID);
    assert_int_equal(r.w, 0);
    assert_int_equal(dp__rectpack_alloc(f->p, 8, 0, &r), DP_ERR_INVALID);
    assert_int_equal(dp__rectpack_alloc(f->p, 257, 8, &r), DP_ERR_INVALID);
    assert_int_equal(dp__rectpack_alloc(f->p, 8, 129, &r), DP_ERR_INVALID);
    assert_int_equal(dp__rectpack_alloc(f->p, 8, 8, NULL), DP_ERR_INVALID);
    assert_int_equal(dp__rectpack_alloc(NULL, 8, 8, &r), DP_ERR_INVALID);
    assert_int_equal(dp__rectpack_used(f->p, NULL), 0);
    fixture_end(f);
}

static void test_full_page_rect_fits_an_empty_page(void **state)
{
    (void)state;
    fixture *f = fixture_new(256, 128);
    dp__rect r = must_alloc(f->p, 256, 128);
    assert_int_equal(r.x, 0);
    assert_int_equal(r.y, 0);
    dp__rect r2;
    assert_int_equal(dp__rectpack_alloc(f->p, 1, 1, &r2), DP_ERR_OVERFLOW);
    fixture_end(f);
}

static void test_fills_page_with_16x16_exactly_then_overflows(void **state)
{
    (void)state;
    fixture *f = fixture_new(256, 256);
    dp__rect live[300];
    size_t n = fill_16(f->p, live, 300);
    assert_int_equal(n, 256);
    assert_consistent(f, live, n);
    assert_int_equal(dp__rectpack_used(f->p, NULL), 256u * 256u);
    dp__rect r;
    assert_int_equal(dp__rectpack_alloc(f->p, 16, 16, &r), DP_ERR_OVERFLOW);
    assert_int_equal(dp__rectpack_alloc(f->p, 1, 1, &r), DP_ERR_OVERFLOW);
    fixture_end(f);
}

static void test_freed_rect_is_reused(void **state)
{
    (void)state;
    fixture *f = fixture_new(256, 256);
    dp__rect live[256];
    assert_int_equal(fill_16(f->p, live, 256), 256);
    dp__rect victim = live[137];
    assert_int_equal(dp__rectpack_free(f->p, victim), DP_OK);
    dp__rect r = must_alloc(f->p, 16, 16);
    assert_memory_equal(&r, &victim, sizeof r);
    fixture_end(f);
}

static void test_freeing_everything_gives_back_the_whole_page(void **state)
{
    (void)state;
    fixture *f = fixture_new(256, 256);
    dp__rect live[256];
    assert_int_equal(fill_16(f->p, live, 256), 256);
    /* Free in a scrambled order, so shelves empty out of order and must merge. */
    for (size_t i = 0; i < 256; i++)
        assert_int_equal(dp__rectpack_free(f->p, live[(i * 97) % 256]), DP_OK);
    uint32_t count = 1;
    assert_int_equal(dp__rectpack_used(f->p, &count), 0);
    assert_int_equal(count, 0);
    dp__rect r = must_alloc(f->p, 256, 256);
    assert_int_equal(r.x, 0);
    assert_int_equal(r.y, 0);
    fixture_end(f);
}

static void test_mixed_heights_share_nothing(void **state)
{
    (void)state;
    fixture *f = fixture_new(128, 128);
    dp__rect live[64];
    size_t n = 0;
    static const uint32_t sizes[][2] = {{10, 7}, {30, 30}, {5, 5}, {64, 12}, {128, 3},
                                        {1, 1},  {20, 9},  {9, 20}, {33, 17}, {17, 33}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        live[n++] = must_alloc(f->p, sizes[i][0], sizes[i][1]);
    assert_consistent(f, live, n);
    fixture_end(f);
}

/* ---- free ------------------------------------------------------------------------------------- */

static void test_double_free_is_not_found(void **state)
{
    (void)state;
    fixture *f = fixture_new(64, 64);
    dp__rect a = must_alloc(f->p, 8, 8);
    dp__rect b = must_alloc(f->p, 8, 8);
    assert_int_equal(dp__rectpack_free(f->p, a), DP_OK);
    assert_int_equal(dp__rectpack_free(f->p, a), DP_ERR_NOT_FOUND);
    uint32_t count = 0;
    assert_int_equal(dp__rectpack_used(f->p, &count), 64);
    assert_int_equal(count, 1);
    assert_int_equal(dp__rectpack_free(f->p, b), DP_OK);
    assert_int_equal(dp__rectpack_free(f->p, b), DP_ERR_NOT_FOUND);
    fixture_end(f);
}

static void test_foreign_rect_is_not_found(void **state)
{
    (void)state;
    fixture *f = fixture_new(64, 64);
    dp__rect a = must_alloc(f->p, 8, 6);
    dp__rect bad[] = {
        {a.x + 1, a.y, a.w, a.h}, {a.x, a.y + 1, a.w, a.h}, {a.x, a.y, a.w + 1, a.h},
        {a.x, a.y, a.w, a.h - 1}, {a.x + 8, a.y, 8, 6},     {0, 40, 8, 6},
        {0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dp__rectpack_free(f->p, bad[i]), DP_ERR_NOT_FOUND);
    assert_int_equal(dp__rectpack_used(f->p, NULL), 48);
    assert_int_equal(dp__rectpack_free(f->p, a), DP_OK);
    assert_int_equal(dp__rectpack_free(NULL, a), DP_ERR_INVALID);
    fixture_end(f);
}

static void test_free_merges_neighbours_into_a_wide_slot(void **state)
{
    (void)state;
    fixture *f = fixture_new(64, 16);
    dp__rect r[4];
    for (int i = 0; i < 4; i++)
        r[i] = must_alloc(f->p, 16, 16);
    /* Free the middle two: a 32-wide hole must appear. */
    assert_int_equal(dp__rectpack_free(f->p, r[1]), DP_OK);
    assert_int_equal(dp__rectpack_free(f->p, r[2]), DP_OK);
    dp__rect w = must_alloc(f->p, 32, 16);
    assert_int_equal(w.x, 16);
    fixture_end(f);
}

/* ---- churn and occupancy -------------------------------------------------------------------- */

static void test_random_churn_keeps_rects_disjoint_and_counted(void **state)
{
    (void)state;
    fixture *f = fixture_new(256, 256);
    enum { CAP = 1024 };
    dp__rect *live = calloc(CAP, sizeof *live);
    assert_non_null(live);
    size_t n = 0;
    uint32_t seed = 12345;
    for (int op = 0; op < 3000; op++) {
        bool do_free = n > 0 && (n == CAP || next_rand(&seed) % 100 < 45);
        if (do_free) {
            size_t k = next_rand(&seed) % n;
            assert_int_equal(dp__rectpack_free(f->p, live[k]), DP_OK);
            live[k] = live[--n];
        } else {
            uint32_t w = 1 + next_rand(&seed) % 40, h = 1 + next_rand(&seed) % 40;
            dp__rect r;
            dp_status s = dp__rectpack_alloc(f->p, w, h, &r);
            assert_true(s == DP_OK || s == DP_ERR_OVERFLOW);
            if (s == DP_OK)
                live[n++] = r;
        }
        assert_consistent(f, live, n);
    }
    while (n > 0)
        assert_int_equal(dp__rectpack_free(f->p, live[--n]), DP_OK);
    assert_int_equal(dp__rectpack_used(f->p, NULL), 0);
    must_alloc(f->p, 256, 256);
    free(live);
    fixture_end(f);
}

static void test_refill_after_freeing_half_stays_near_first_fill(void **state)
{
    (void)state;
    fixture *f = fixture_new(512, 512);
    enum { CAP = 4096 };
    dp__rect *live = calloc(CAP, sizeof *live);
    assert_non_null(live);
    uint32_t seed = 777;
    /* Rectangles of one size per round keep the count comparable between fills. */
    size_t n = 0;
    dp__rect r;
    while (n < CAP && dp__rectpack_alloc(f->p, 12, 12, &r) == DP_OK)
        live[n++] = r;
    size_t first = n;
    double first_pct = 100.0 * (double)dp__rectpack_used(f->p, NULL) / (512.0 * 512.0);
    size_t worst = first;
    for (int round = 0; round < 20; round++) {
        /* Free a random half. */
        for (size_t k = n / 2; k > 0; k--) {
            size_t i = next_rand(&seed) % n;
            assert_int_equal(dp__rectpack_free(f->p, live[i]), DP_OK);
            live[i] = live[--n];
        }
        while (n < CAP && dp__rectpack_alloc(f->p, 12, 12, &r) == DP_OK)
            live[n++] = r;
        if (n < worst)
            worst = n;
        assert_consistent(f, live, n);
    }
    double pct = 100.0 * (double)dp__rectpack_used(f->p, NULL) / (512.0 * 512.0);
    printf("# occupancy: first fill %zu rects (%.1f%%), worst refill %zu, last %.1f%%\n",
           first, first_pct, worst, pct);
    assert_true(worst * 10 >= first * 9);
    free(live);
    fixture_end(f);
}

static void test_random_sizes_refill_keeps_occupancy_bounded(void **state)
{
    (void)state;
    fixture *f = fixture_new(512, 512);
    enum { CAP = 8192 };
    dp__rect *live = calloc(CAP, sizeof *live);
    assert_non_null(live);
    uint32_t seed = 4242;
    size_t n = 0;
    double first_pct = 0, min_pct = 100;
    for (int round = 0; round < 30; round++) {
        /* Fill until 64 attempts in a row fail. */
        for (int misses = 0; misses < 64 && n < CAP;) {
            dp__rect r;
            uint32_t w = 4 + next_rand(&seed) % 29, h = 4 + next_rand(&seed) % 29;
            if (dp__rectpack_alloc(f->p, w, h, &r) == DP_OK)
                live[n++] = r;
            else
                misses++;
        }
        assert_consistent(f, live, n);
        double pct = 100.0 * (double)dp__rectpack_used(f->p, NULL) / (512.0 * 512.0);
        if (round == 0)
            first_pct = pct;
        if (pct < min_pct)
            min_pct = pct;
        for (size_t k = n / 2; k > 0; k--) {
            size_t i = next_rand(&seed) % n;
            assert_int_equal(dp__rectpack_free(f->p, live[i]), DP_OK);
            live[i] = live[--n];
        }
    }
    printf("# occupancy with random sizes 4..32: first fill %.1f%%, lowest refill %.1f%%\n",
           first_pct, min_pct);
    assert_true(first_pct >= 80.0);
    assert_true(min_pct >= 75.0);
    free(live);
    fixture_end(f);
}

/* ---- out of memory ----------------------------------------------------------------------------- */

/* Makes the nth allocation fail during a scripted sequence of allocs and frees, for every n,
 * and checks that each failed call changed nothing and that nothing leaks. */
static void test_every_failed_allocation_changes_nothing(void **state)
{
    (void)state;
    for (long fail = 1; fail < 200; fail++) {
        dp_test_alloc ta;
        dp_test_alloc_init(&ta);
        dp__rectpack *p = NULL;
        assert_int_equal(dp__rectpack_create(&ta.iface, 128, 128, &p), DP_OK);
        dp_test_alloc_fail_at(&ta, fail);
        dp__rect live[512];
        size_t n = 0;
        uint32_t seed = 99;
        for (int op = 0; op < 400; op++) {
            if (n > 0 && next_rand(&seed) % 3 == 0) {
                size_t k = next_rand(&seed) % n;
                assert_int_equal(dp__rectpack_free(p, live[k]), DP_OK);
                live[k] = live[--n];
                continue;
            }
            uint32_t w = 1 + next_rand(&seed) % 24, h = 1 + next_rand(&seed) % 24;
            uint32_t before_count = 0;
            uint64_t before = dp__rectpack_used(p, &before_count);
            dp__rect r;
            dp_status s = dp__rectpack_alloc(p, w, h, &r);
            if (s == DP_OK) {
                live[n++] = r;
            } else {
                assert_true(s == DP_ERR_NOMEM || s == DP_ERR_OVERFLOW);
                uint32_t after_count = 0;
                assert_int_equal(dp__rectpack_used(p, &after_count), before);
                assert_int_equal(after_count, before_count);
            }
        }
        fixture fx = {.p = p, .w = 128, .h = 128};
        assert_consistent(&fx, live, n);
        while (n > 0)
            assert_int_equal(dp__rectpack_free(p, live[--n]), DP_OK);
        dp__rect whole;
        dp_test_alloc_fail_at(&ta, 0);
        assert_int_equal(dp__rectpack_alloc(p, 128, 128, &whole), DP_OK);
        dp__rectpack_destroy(p);
        assert_int_equal(atomic_load(&ta.live), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_rejects_zero_size),
        cmocka_unit_test(test_create_with_null_allocator_uses_malloc),
        cmocka_unit_test(test_create_fails_cleanly_without_memory),
        cmocka_unit_test(test_alloc_rejects_invalid_sizes),
        cmocka_unit_test(test_full_page_rect_fits_an_empty_page),
        cmocka_unit_test(test_fills_page_with_16x16_exactly_then_overflows),
        cmocka_unit_test(test_freed_rect_is_reused),
        cmocka_unit_test(test_freeing_everything_gives_back_the_whole_page),
        cmocka_unit_test(test_mixed_heights_share_nothing),
        cmocka_unit_test(test_double_free_is_not_found),
        cmocka_unit_test(test_foreign_rect_is_not_found),
        cmocka_unit_test(test_free_merges_neighbours_into_a_wide_slot),
        cmocka_unit_test(test_random_churn_keeps_rects_disjoint_and_counted),
        cmocka_unit_test(test_refill_after_freeing_half_stays_near_first_fill),
        cmocka_unit_test(test_random_sizes_refill_keeps_occupancy_bounded),
        cmocka_unit_test(test_every_failed_allocation_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
