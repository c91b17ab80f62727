/* test_pool.c — the handle pool, one behaviour per test. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "pool/pool_internal.h"

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct fixture {
    dp_test_alloc ta;
    dp_pool *pool;
} fixture;

static fixture *fixture_new(size_t payload)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    dp_pool_desc d = {.allocator = &f->ta.iface, .payload_size = payload};
    assert_int_equal(dp_pool_create(&d, &f->pool), DP_OK);
    return f;
}

/* Destroys the pool and proves that nothing it allocated survives. */
static void fixture_end(fixture *f)
{
    dp_pool_destroy(f->pool);
    assert_int_equal(atomic_load(&f->ta.live), 0);
    assert_int_equal(atomic_load(&f->ta.live_bytes), 0);
    free(f);
}

static dp_pool_stats stats_of(const dp_pool *p)
{
    dp_pool_stats s;
    dp_pool_get_stats(p, &s);
    return s;
}

static void assert_stats_add_up(const dp_pool *p)
{
    dp_pool_stats s = stats_of(p);
    assert_int_equal(s.live + s.free_shared + s.free_local + s.retired, s.high_water);
}

static dp_handle must_alloc(dp_pool *p)
{
    dp_handle h;
    assert_int_equal(dp_pool_alloc(p, &h), DP_OK);
    return h;
}

/* ---- create / destroy ---------------------------------------------------------------------- */

static void test_create_with_null_desc_uses_defaults(void **state)
{
    (void)state;
    dp_pool *p = NULL;
    assert_int_equal(dp_pool_create(NULL, &p), DP_OK);
    assert_non_null(p);
    dp_handle h = must_alloc(p);
    assert_true(dp_pool_alive(p, h));
    assert_null(dp_pool_payload(p, h));
    dp_pool_destroy(p);
}

static void test_create_with_null_out_returns_invalid(void **state)
{
    (void)state;
    assert_int_equal(dp_pool_create(NULL, NULL), DP_ERR_INVALID);
}

static void test_create_with_huge_payload_returns_invalid(void **state)
{
    (void)state;
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_pool *p = (dp_pool *)1;
    dp_pool_desc d = {.allocator = &ta.iface, .payload_size = 4097};
    assert_int_equal(dp_pool_create(&d, &p), DP_ERR_INVALID);
    assert_null(p);
    assert_int_equal(atomic_load(&ta.total), 0);
}

static void test_create_out_of_memory_returns_nomem(void **state)
{
    (void)state;
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_test_alloc_fail_at(&ta, 1);
    dp_pool *p = (dp_pool *)1;
    dp_pool_desc d = {.allocator = &ta.iface};
    assert_int_equal(dp_pool_create(&d, &p), DP_ERR_NOMEM);
    assert_null(p);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_destroy_null_is_ignored(void **state)
{
    (void)state;
    dp_pool_destroy(NULL);
}

static void test_destroy_frees_every_chunk(void **state)
{
    (void)state;
    fixture *f = fixture_new(24);
    for (int i = 0; i < 2000; i++)
        must_alloc(f->pool);
    assert_int_equal(stats_of(f->pool).chunks, 3);
    fixture_end(f); /* asserts zero live allocations */
}

/* ---- alloc / reserve ----------------------------------------------------------------------- */

static void test_alloc_gives_live_handle_with_odd_generation(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h = must_alloc(f->pool);
    assert_int_equal(dp_handle_index(h), 0);
    assert_int_equal(dp_handle_gen(h), 1);
    assert_true(dp_pool_alive(f->pool, h));
    fixture_end(f);
}

static void test_alloc_with_null_arguments_returns_invalid(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h = {123};
    assert_int_equal(dp_pool_alloc(NULL, &h), DP_ERR_INVALID);
    assert_true(dp_handle_is_null(h));
    assert_int_equal(dp_pool_alloc(f->pool, NULL), DP_ERR_INVALID);
    assert_int_equal(dp_pool_reserve(NULL, &h), DP_ERR_INVALID);
    assert_int_equal(dp_pool_reserve(f->pool, NULL), DP_ERR_INVALID);
    assert_int_equal(dp__pool_alloc_with(NULL, 1, &h), DP_ERR_INVALID);
    assert_int_equal(dp__pool_reserve_with(NULL, 1, &h), DP_ERR_INVALID);
    fixture_end(f);
}

static void test_alloc_hands_out_distinct_indices(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(dp_handle_index(must_alloc(f->pool)), i);
    assert_int_equal(stats_of(f->pool).live, 1000);
    fixture_end(f);
}

static void test_alloc_reuses_own_recent_free_first(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle a = must_alloc(f->pool);
    must_alloc(f->pool);
    assert_int_equal(dp_pool_free(f->pool, a), DP_OK);
    dp_handle c = must_alloc(f->pool);
    assert_int_equal(dp_handle_index(c), dp_handle_index(a));
    assert_int_equal(dp_handle_gen(c), 3);
    assert_false(dp_pool_alive(f->pool, a));
    assert_true(dp_pool_alive(f->pool, c));
    fixture_end(f);
}

static void test_alloc_takes_shared_list_before_fresh(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle a = must_alloc(f->pool);
    must_alloc(f->pool);
    dp_pool_free(f->pool, a);
    dp_pool_flush(f->pool);
    assert_int_equal(stats_of(f->pool).free_shared, 1);
    dp_handle c = must_alloc(f->pool);
    assert_int_equal(dp_handle_index(c), 0);
    assert_int_equal(stats_of(f->pool).free_shared, 0);
    assert_int_equal(stats_of(f->pool).high_water, 2);
    fixture_end(f);
}

static void test_reserve_gives_live_handle(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h;
    assert_int_equal(dp_pool_reserve(f->pool, &h), DP_OK);
    assert_true(dp_pool_alive(f->pool, h));
    assert_int_equal(stats_of(f->pool).live, 1);
    fixture_end(f);
}

static void test_reserve_does_not_see_unpublished_frees(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle a = must_alloc(f->pool);
    dp_pool_free(f->pool, a);
    dp_handle r;
    assert_int_equal(dp_pool_reserve(f->pool, &r), DP_OK);
    assert_int_equal(dp_handle_index(r), 1); /* fresh: slot 0 is still in the local batch */
    fixture_end(f);
}

static void test_reserve_pops_every_published_free_before_a_fresh_index(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h[3];
    for (int i = 0; i < 3; i++)
        h[i] = must_alloc(f->pool);
    for (int i = 0; i < 3; i++)
        dp_pool_free(f->pool, h[i]);
    dp_pool_flush(f->pool);
    dp_handle r;
    bool seen[3] = {false, false, false};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dp_pool_reserve(f->pool, &r), DP_OK);
        assert_true(dp_handle_index(r) < 3); /* one of the freed slots, each once */
        assert_false(seen[dp_handle_index(r)]);
        seen[dp_handle_index(r)] = true;
        assert_int_equal(dp_handle_gen(r), 3);
        assert_true(dp_pool_alive(f->pool, r));
    }
    assert_int_equal(stats_of(f->pool).free_shared, 0);
    assert_int_equal(dp_pool_reserve(f->pool, &r), DP_OK);
    assert_int_equal(dp_handle_index(r), 3); /* list empty: fresh */
    fixture_end(f);
}

static void test_reserve_with_sets_user_bits(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h;
    assert_int_equal(dp__pool_reserve_with(f->pool, 7, &h), DP_OK);
    uint64_t w = atomic_load(dp__pool_word(f->pool, dp_handle_index(h)));
    assert_int_equal(dp__word_user(w), 7);
    assert_int_equal(dp__word_gen(w), dp_handle_gen(h));
    assert_true(dp_pool_alive(f->pool, h));
    fixture_end(f);
}

static void test_alloc_with_sets_user_bits_on_reused_slot(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle a = must_alloc(f->pool);
    dp_pool_free(f->pool, a);
    dp_handle h;
    assert_int_equal(dp__pool_alloc_with(f->pool, 9, &h), DP_OK);
    assert_int_equal(dp_handle_index(h), dp_handle_index(a));
    uint64_t w = atomic_load(dp__pool_word(f->pool, dp_handle_index(h)));
    assert_int_equal(w, dp__word_make(3, 9));
    fixture_end(f);
}

/* ---- free ---------------------------------------------------------------------------------- */

static void test_free_makes_handle_stale(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h = must_alloc(f->pool);
    assert_int_equal(dp_pool_free(f->pool, h), DP_OK);
    assert_false(dp_pool_alive(f->pool, h));
    dp_pool_stats s = stats_of(f->pool);
    assert_int_equal(s.live, 0);
    assert_int_equal(s.free_local, 1);
    assert_stats_add_up(f->pool);
    fixture_end(f);
}

static void test_double_free_returns_stale_and_changes_nothing(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h = must_alloc(f->pool);
    dp_pool_free(f->pool, h);
    dp_pool_stats before = stats_of(f->pool);
    uint64_t w = atomic_load(dp__pool_word(f->pool, 0));
    assert_int_equal(dp_pool_free(f->pool, h), DP_ERR_STALE);
    dp_pool_stats after = stats_of(f->pool);
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(atomic_load(dp__pool_word(f->pool, 0)), w);
    fixture_end(f);
}

static void test_free_of_stale_handle_returns_stale(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle old = must_alloc(f->pool);
    dp_pool_free(f->pool, old);
    dp_handle cur = must_alloc(f->pool); /* same slot, next generation */
    assert_int_equal(dp_pool_free(f->pool, old), DP_ERR_STALE);
    assert_true(dp_pool_alive(f->pool, cur));
    assert_int_equal(stats_of(f->pool).live, 1);
    fixture_end(f);
}

static void test_free_of_null_or_out_of_range_handle_returns_stale(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    must_alloc(f->pool);
    assert_int_equal(dp_pool_free(f->pool, DP_NULL_HANDLE), DP_ERR_STALE);
    assert_int_equal(dp_pool_free(f->pool, (dp_handle){(1ull << 32) | 100000u}), DP_ERR_STALE);
    assert_int_equal(dp_pool_free(f->pool, (dp_handle){(1ull << 32) | 0xFFFFFFFFu}), DP_ERR_STALE);
    assert_int_equal(dp_pool_free(f->pool, (dp_handle){2ull << 32}), DP_ERR_STALE); /* even */
    assert_int_equal(dp_pool_free(f->pool, (dp_handle){(1ull << 32) | 1u}), DP_ERR_STALE);
    assert_int_equal(stats_of(f->pool).live, 1);
    fixture_end(f);
}

static void test_free_with_null_pool_returns_invalid(void **state)
{
    (void)state;
    assert_int_equal(dp_pool_free(NULL, (dp_handle){1ull << 32}), DP_ERR_INVALID);
    assert_int_equal(dp__pool_free_expect(NULL, (dp_handle){1ull << 32}, 0), DP_ERR_INVALID);
}

static void test_free_with_nonzero_user_bits_returns_exists(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h;
    assert_int_equal(dp__pool_alloc_with(f->pool, 2, &h), DP_OK);
    assert_int_equal(dp_pool_free(f->pool, h), DP_ERR_EXISTS);
    assert_true(dp_pool_alive(f->pool, h));
    assert_int_equal(stats_of(f->pool).live, 1);
    fixture_end(f);
}

static void test_free_expect_frees_when_user_bits_match(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h;
    assert_int_equal(dp__pool_reserve_with(f->pool, 5, &h), DP_OK);
    assert_int_equal(dp__pool_free_expect(f->pool, h, 4), DP_ERR_EXISTS);
    assert_true(dp_pool_alive(f->pool, h));
    assert_int_equal(dp__pool_free_expect(f->pool, h, 5), DP_OK);
    assert_false(dp_pool_alive(f->pool, h));
    assert_int_equal(atomic_load(dp__pool_word(f->pool, dp_handle_index(h))),
                     dp__word_make(2, 0));
    assert_int_equal(dp__pool_free_expect(f->pool, h, 5), DP_ERR_STALE);
    fixture_end(f);
}

static void test_free_batch_overflow_publishes_half(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    enum { N = 300 };
    dp_handle h[N];
    for (int i = 0; i < N; i++)
        h[i] = must_alloc(f->pool);
    for (int i = 0; i < N; i++)
        assert_int_equal(dp_pool_free(f->pool, h[i]), DP_OK);
    dp_pool_stats s = stats_of(f->pool);
    assert_true(s.free_shared > 0);
    assert_true(s.free_local > 0);
    assert_int_equal(s.free_shared + s.free_local, N);
    assert_stats_add_up(f->pool);
    fixture_end(f);
}

static void test_flush_publishes_every_local_free(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h[10];
    for (int i = 0; i < 10; i++)
        h[i] = must_alloc(f->pool);
    for (int i = 0; i < 10; i++)
        dp_pool_free(f->pool, h[i]);
    dp_pool_flush(f->pool);
    dp_pool_stats s = stats_of(f->pool);
    assert_int_equal(s.free_local, 0);
    assert_int_equal(s.free_shared, 10);
    dp_pool_flush(f->pool); /* nothing left: no-op */
    dp_pool_flush(NULL);
    assert_int_equal(stats_of(f->pool).free_shared, 10);
    fixture_end(f);
}

static void test_every_freed_slot_comes_back_exactly_once(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    enum { N = 1000 };
    dp_handle h[N];
    for (int i = 0; i < N; i++)
        h[i] = must_alloc(f->pool);
    for (int i = 0; i < N; i += 2)
        dp_pool_free(f->pool, h[i]); /* 500 frees: some published, some local */
    static unsigned char seen[N];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < N / 2; i++) {
        dp_handle r;
        if (i % 2)
            assert_int_equal(dp_pool_reserve(f->pool, &r), DP_OK);
        else
            assert_int_equal(dp_pool_alloc(f->pool, &r), DP_OK);
        uint32_t idx = dp_handle_index(r);
        if (idx < N) {
            assert_int_equal(idx % 2, 0);
            assert_int_equal(seen[idx], 0);
            seen[idx] = 1;
        }
    }
    assert_int_equal(stats_of(f->pool).live, N);
    assert_stats_add_up(f->pool);
    fixture_end(f);
}

/* ---- alive / payload / word ----------------------------------------------------------------- */

static void test_null_handle_is_never_alive(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    assert_false(dp_pool_alive(f->pool, DP_NULL_HANDLE));
    must_alloc(f->pool); /* slot 0 live with gen 1: {0} still not alive */
    assert_false(dp_pool_alive(f->pool, DP_NULL_HANDLE));
    fixture_end(f);
}

static void test_alive_with_null_pool_or_bad_handle_is_false(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h = must_alloc(f->pool);
    assert_false(dp_pool_alive(NULL, h));
    assert_false(dp_pool_alive(f->pool, (dp_handle){(1ull << 32) | 0xFFFFFFFFu}));
    assert_false(dp_pool_alive(f->pool, (dp_handle){(1ull << 32) | 5u})); /* never taken */
    assert_false(dp_pool_alive(f->pool, (dp_handle){(3ull << 32)}));      /* wrong gen */
    fixture_end(f);
}

static void test_payload_pointers_are_distinct_aligned_and_stable(void **state)
{
    (void)state;
    fixture *f = fixture_new(24);
    enum { N = 2000 };
    static unsigned char *ptr[N];
    dp_handle h[N];
    for (int i = 0; i < N; i++) {
        h[i] = must_alloc(f->pool);
        ptr[i] = dp_pool_payload(f->pool, h[i]);
        assert_non_null(ptr[i]);
        assert_int_equal((uintptr_t)ptr[i] % 16, 0);
        memset(ptr[i], (int)(i & 0xFF), 24);
    }
    for (int i = 0; i < N; i++) {
        assert_ptr_equal(dp_pool_payload(f->pool, h[i]), ptr[i]); /* stable after growth */
        for (int b = 0; b < 24; b++)
            assert_int_equal(ptr[i][b], i & 0xFF); /* distinct: nobody overwrote it */
    }
    fixture_end(f);
}

static void test_small_payload_is_eight_aligned(void **state)
{
    (void)state;
    fixture *f = fixture_new(3);
    dp_handle a = must_alloc(f->pool), b = must_alloc(f->pool);
    char *pa = dp_pool_payload(f->pool, a), *pb = dp_pool_payload(f->pool, b);
    assert_int_equal((uintptr_t)pa % 8, 0);
    assert_int_equal(pb - pa, 8);
    fixture_end(f);
}

static void test_payload_is_null_without_payload_or_chunk(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_handle h = must_alloc(f->pool);
    assert_null(dp_pool_payload(f->pool, h));
    assert_null(dp_pool_payload(NULL, h));
    fixture_end(f);
    f = fixture_new(16);
    h = must_alloc(f->pool);
    assert_non_null(dp_pool_payload(f->pool, h));
    assert_null(dp_pool_payload(f->pool, (dp_handle){(1ull << 32) | 600u}));
    fixture_end(f);
}

static void test_word_is_null_for_missing_chunk(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    assert_null(dp__pool_word(f->pool, 0));
    must_alloc(f->pool);
    assert_non_null(dp__pool_word(f->pool, 0));
    assert_non_null(dp__pool_word(f->pool, 511));
    assert_null(dp__pool_word(f->pool, 512));
    assert_null(dp__pool_word(NULL, 0));
    assert_int_equal(atomic_load(dp__pool_word(f->pool, 0)), dp__word_make(1, 0));
    assert_int_equal(atomic_load(dp__pool_word(f->pool, 1)), 0); /* never used */
    fixture_end(f);
}

static void test_locate_maps_chunk_boundaries(void **state)
{
    (void)state;
    struct {
        uint32_t index, chunk, offset;
    } cases[] = {
        {0, 0, 0},       {511, 0, 511},   {512, 1, 0},          {1535, 1, 1023},
        {1536, 2, 0},    {3583, 2, 2047}, {3584, 3, 0},         {0xFFFFFDFFu, 22, 0x7FFFFFFFu},
        {0xFFFFFE00u, 23, 0}, {0xFFFFFFFFu, 23, 511},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t k, off;
        dp__pool_locate(cases[i].index, &k, &off);
        assert_int_equal(k, cases[i].chunk);
        assert_int_equal(off, cases[i].offset);
    }
}

/* ---- growth, exhaustion, wrap --------------------------------------------------------------- */

static void test_growth_by_real_allocation_crosses_first_chunk_boundaries(void **state)
{
    (void)state;
    fixture *f = fixture_new(8);
    dp_handle h[3585];
    for (int i = 0; i < 3585; i++)
        h[i] = must_alloc(f->pool);
    uint32_t edges[] = {0, 511, 512, 1535, 1536, 3583, 3584};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        assert_int_equal(dp_handle_index(h[edges[i]]), edges[i]);
        assert_true(dp_pool_alive(f->pool, h[edges[i]]));
        assert_non_null(dp_pool_payload(f->pool, h[edges[i]]));
    }
    dp_pool_stats s = stats_of(f->pool);
    assert_int_equal(s.chunks, 4);
    assert_int_equal(s.capacity, 512 + 1024 + 2048 + 4096);
    fixture_end(f);
}

static void test_growth_reaches_first_index_of_each_chunk_via_hook(void **state)
{
    (void)state;
    /* Chunks 0..14 for real (chunk 14 is 64 MiB of words), then the cut last chunk, 23.
     * Chunks 15..22 (up to 16 GiB each) are only checked through dp__pool_locate. */
    fixture *f = fixture_new(0);
    for (uint32_t k = 1; k <= 14; k++) {
        uint64_t first = ((uint64_t)512 << k) - 512;
        dp__pool_test_set_next_index(f->pool, first - 1);
        dp_handle last_prev = must_alloc(f->pool);
        dp_handle first_k = must_alloc(f->pool);
        assert_int_equal(dp_handle_index(last_prev), first - 1);
        assert_int_equal(dp_handle_index(first_k), first);
        assert_true(dp_pool_alive(f->pool, last_prev));
        assert_true(dp_pool_alive(f->pool, first_k));
        assert_int_equal(stats_of(f->pool).chunks, k + 1);
    }
    /* Chunk 22 would be 16 GiB: make its allocation fail instead of touching it. */
    dp__pool_test_set_next_index(f->pool, 0xFFFFFE00u - 1);
    dp_handle last22, first23;
    dp_test_alloc_fail_at(&f->ta, 1);
    assert_int_equal(dp_pool_reserve(f->pool, &last22), DP_ERR_NOMEM);
    dp_test_alloc_fail_at(&f->ta, 0);
    dp__pool_test_set_next_index(f->pool, 0xFFFFFE00u);
    assert_int_equal(dp_pool_reserve(f->pool, &first23), DP_OK);
    assert_int_equal(dp_handle_index(first23), 0xFFFFFE00u);
    assert_true(dp_pool_alive(f->pool, first23));
    (void)last22;
    fixture_end(f);
}

static void test_last_chunk_is_cut_at_two_to_the_32(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp__pool_test_set_next_index(f->pool, 0xFFFFFFFFu);
    dp_pool_stats before = stats_of(f->pool);
    dp_handle h = must_alloc(f->pool);
    assert_int_equal(dp_handle_index(h), 0xFFFFFFFFu);
    assert_true(dp_pool_alive(f->pool, h));
    assert_int_equal(stats_of(f->pool).capacity - before.capacity, 512);
    assert_int_equal(stats_of(f->pool).bytes - before.bytes, 512 * 8);
    dp_handle none;
    assert_int_equal(dp_pool_alloc(f->pool, &none), DP_ERR_OVERFLOW);
    assert_true(dp_handle_is_null(none));
    fixture_end(f);
}

static void test_last_index_is_retired_on_free(void **state)
{
    (void)state;
    /* The shared list links "index + 1" in 32 bits, so index 2^32-1 is retired, not reused. */
    fixture *f = fixture_new(0);
    dp__pool_test_set_next_index(f->pool, 0xFFFFFFFFu);
    dp_handle h = must_alloc(f->pool);
    assert_int_equal(dp_pool_free(f->pool, h), DP_OK);
    assert_false(dp_pool_alive(f->pool, h));
    dp_pool_stats s = stats_of(f->pool);
    assert_int_equal(s.retired, 1);
    assert_int_equal(s.free_local, 0);
    dp_handle r;
    assert_int_equal(dp_pool_alloc(f->pool, &r), DP_ERR_OVERFLOW);
    fixture_end(f);
}

static void test_exhaustion_returns_overflow_and_leaks_nothing(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp__pool_test_set_limit(f->pool, 10);
    dp_handle h[10], r;
    for (int i = 0; i < 10; i++)
        h[i] = must_alloc(f->pool);
    assert_int_equal(dp_pool_alloc(f->pool, &r), DP_ERR_OVERFLOW);
    assert_true(dp_handle_is_null(r));
    assert_int_equal(dp_pool_reserve(f->pool, &r), DP_ERR_OVERFLOW);
    assert_int_equal(stats_of(f->pool).live, 10);
    assert_int_equal(stats_of(f->pool).high_water, 10);
    /* A freed slot makes room again. */
    dp_pool_free(f->pool, h[3]);
    dp_pool_flush(f->pool);
    assert_int_equal(dp_pool_reserve(f->pool, &r), DP_OK);
    assert_int_equal(dp_handle_index(r), 3);
    assert_int_equal(dp_pool_reserve(f->pool, &r), DP_ERR_OVERFLOW);
    assert_stats_add_up(f->pool);
    fixture_end(f);
}

static void test_generation_wrap_retires_slot(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp__pool_test_set_fresh_gen(f->pool, 0xFFFFFFFEu);
    dp_handle h = must_alloc(f->pool);
    assert_int_equal(dp_handle_gen(h), 0xFFFFFFFFu);
    assert_true(dp_pool_alive(f->pool, h));
    assert_int_equal(dp_pool_free(f->pool, h), DP_OK);
    assert_false(dp_pool_alive(f->pool, h));
    assert_int_equal(dp_pool_free(f->pool, h), DP_ERR_STALE);
    dp_pool_stats s = stats_of(f->pool);
    assert_int_equal(s.retired, 1);
    assert_int_equal(s.free_local, 0);
    dp_pool_flush(f->pool);
    for (int i = 0; i < 600; i++) { /* never handed out again, by alloc or reserve */
        dp_handle r;
        assert_int_equal(i % 2 ? dp_pool_reserve(f->pool, &r) : dp_pool_alloc(f->pool, &r), DP_OK);
        assert_int_not_equal(dp_handle_index(r), dp_handle_index(h));
        assert_false(dp_pool_alive(f->pool, h));
    }
    assert_stats_add_up(f->pool);
    fixture_end(f);
}

static void test_fresh_gen_hook_applies_to_next_fresh_index_only(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp__pool_test_set_fresh_gen(f->pool, 40);
    dp_handle a = must_alloc(f->pool), b = must_alloc(f->pool);
    assert_int_equal(dp_handle_gen(a), 41);
    assert_int_equal(dp_handle_gen(b), 1);
    fixture_end(f);
}

/* ---- out of memory -------------------------------------------------------------------------- */

static void test_alloc_chunk_failure_returns_nomem_and_pool_stays_usable(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_test_alloc_fail_at(&f->ta, 1); /* the first chunk */
    dp_handle h = {42};
    assert_int_equal(dp_pool_alloc(f->pool, &h), DP_ERR_NOMEM);
    assert_true(dp_handle_is_null(h));
    dp_pool_stats s = stats_of(f->pool);
    assert_int_equal(s.chunks, 0);
    assert_int_equal(s.high_water, 0);
    assert_int_equal(s.retired, 0);
    h = must_alloc(f->pool);
    assert_int_equal(dp_handle_index(h), 0); /* the index was given back */
    assert_true(dp_pool_alive(f->pool, h));
    fixture_end(f);
}

static void test_reserve_chunk_failure_returns_nomem_and_pool_stays_usable(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    for (int i = 0; i < 512; i++)
        must_alloc(f->pool);
    dp_test_alloc_fail_at(&f->ta, 1); /* chunk 1 */
    dp_handle h;
    assert_int_equal(dp_pool_reserve(f->pool, &h), DP_ERR_NOMEM);
    assert_true(dp_handle_is_null(h));
    assert_int_equal(stats_of(f->pool).chunks, 1);
    assert_int_equal(dp_pool_reserve(f->pool, &h), DP_OK);
    assert_int_equal(dp_handle_index(h), 512);
    assert_stats_add_up(f->pool);
    fixture_end(f);
}

static void test_each_allocation_failing_in_turn_leaks_nothing(void **state)
{
    (void)state;
    /* SQLite style: fail allocation n for n = 1, 2, ... until a full run succeeds. */
    for (long n = 1; n < 64; n++) {
        dp_test_alloc ta;
        dp_test_alloc_init(&ta);
        dp_test_alloc_fail_at(&ta, n);
        dp_pool *p = NULL;
        dp_pool_desc d = {.allocator = &ta.iface, .payload_size = 16};
        dp_status s = dp_pool_create(&d, &p);
        bool failed = s != DP_OK;
        if (s == DP_OK) {
            for (int i = 0; i < 4000; i++) {
                dp_handle h;
                s = (i % 3) ? dp_pool_reserve(p, &h) : dp_pool_alloc(p, &h);
                if (s != DP_OK) {
                    assert_int_equal(s, DP_ERR_NOMEM);
                    failed = true;
                    continue;
                }
                assert_true(dp_pool_alive(p, h));
                if (i % 5 == 0)
                    assert_int_equal(dp_pool_free(p, h), DP_OK);
            }
            assert_stats_add_up(p);
            dp_pool_destroy(p);
        }
        assert_int_equal(atomic_load(&ta.live), 0);
        if (!failed)
            return; /* every allocation site has been failed once */
    }
    fail_msg("allocation failures never ran out");
}

/* ---- stats ------------------------------------------------------------------------------------ */

static void test_stats_count_chunks_capacity_and_bytes(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp_pool_stats s0 = stats_of(f->pool);
    assert_int_equal(s0.chunks, 0);
    assert_true(s0.bytes > 0); /* the pool structure itself */
    must_alloc(f->pool);
    dp_pool_stats s1 = stats_of(f->pool);
    assert_int_equal(s1.chunks, 1);
    assert_int_equal(s1.capacity, 512);
    assert_int_equal(s1.bytes - s0.bytes, 512 * 8);
    assert_int_equal(s1.bytes, (uint64_t)atomic_load(&f->ta.live_bytes));
    fixture_end(f);
}

/* With malloc/free, a chunk of 2 MB or more starts on a 2 MB boundary (so its words can sit
 * on huge pages): chunk 9 (from index 261,632) holds 2^18 slots, 2 MB of words. A user's
 * allocator is used as it is (the fixture's counting allocator sees every chunk byte). */
static void test_large_chunks_of_the_default_allocator_start_on_a_huge_page(void **state)
{
    (void)state;
    dp_pool *p;
    assert_int_equal(dp_pool_create(NULL, &p), DP_OK);
    dp__pool_test_set_next_index(p, 511u * 512u);
    uint64_t before = stats_of(p).bytes;
    dp_handle h = must_alloc(p);
    assert_int_equal(dp_handle_index(h), 511u * 512u);
    uintptr_t chunk = (uintptr_t)dp__pool_word(p, dp_handle_index(h)); /* its first word */
#ifdef __linux__
    assert_int_equal(chunk % ((uintptr_t)2 << 20), 0);
#endif
    assert_int_equal(stats_of(p).bytes - before, (512ull << 9) * 8); /* what it asked for */
    dp_pool_destroy(p);
    fixture *f = fixture_new(0);
    dp__pool_test_set_next_index(f->pool, 511u * 512u);
    must_alloc(f->pool);
    assert_int_equal(stats_of(f->pool).bytes, (uint64_t)atomic_load(&f->ta.live_bytes));
    fixture_end(f);
}

/* The payload grows 512 slots at a time, not a chunk at a time: slot 512 opens chunk 1
 * (1,024 words and 2 page pointers) and only the first of its two payload pages. */
static void test_payload_grows_one_page_of_512_slots_at_a_time(void **state)
{
    (void)state;
    fixture *f = fixture_new(64);
    uint64_t s0 = stats_of(f->pool).bytes;
    for (int i = 0; i < 513; i++)
        must_alloc(f->pool);
    uint64_t chunks = (512 * 8 + 1 * 8) + (1024 * 8 + 2 * 8);
    assert_int_equal(stats_of(f->pool).bytes - s0, chunks + 2 * 512 * 64);
    assert_int_equal(stats_of(f->pool).bytes, (uint64_t)atomic_load(&f->ta.live_bytes));
    fixture_end(f);
}

/* live is derived from the free counts (no counter on the churn path), so walk a slot
 * through every place a free slot can be: the owner's batch, the shared list, retirement. */
static void test_stats_live_counts_handles_through_reuse_publish_pop_and_retire(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    dp__pool_test_set_fresh_gen(f->pool, 0xFFFFFFFEu); /* h[0]: the last generation */
    dp_handle h[10];
    for (int i = 0; i < 10; i++)
        h[i] = must_alloc(f->pool);
    assert_int_equal(dp_pool_free(f->pool, h[0]), DP_OK); /* retired */
    dp_pool_stats s = stats_of(f->pool);
    assert_int_equal(s.retired, 1);
    assert_int_equal(s.live, 9);
    for (int i = 1; i < 4; i++)
        assert_int_equal(dp_pool_free(f->pool, h[i]), DP_OK);
    assert_int_equal(stats_of(f->pool).live, 6);
    h[1] = must_alloc(f->pool); /* from the batch */
    assert_int_equal(stats_of(f->pool).live, 7);
    dp_pool_flush(f->pool);
    assert_int_equal(stats_of(f->pool).live, 7);
    assert_int_equal(dp_pool_reserve(f->pool, &h[2]), DP_OK); /* from the shared list */
    s = stats_of(f->pool);
    assert_int_equal(s.free_shared, 1);
    assert_int_equal(s.live, 8);
    fixture_end(f);
}

static void test_stats_with_null_pool_are_zero(void **state)
{
    (void)state;
    dp_pool_stats s;
    memset(&s, 0xAB, sizeof s);
    dp_pool_get_stats(NULL, &s);
    assert_int_equal(s.live, 0);
    assert_int_equal(s.bytes, 0);
    dp_pool_get_stats(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_with_null_desc_uses_defaults),
        cmocka_unit_test(test_create_with_null_out_returns_invalid),
        cmocka_unit_test(test_create_with_huge_payload_returns_invalid),
        cmocka_unit_test(test_create_out_of_memory_returns_nomem),
        cmocka_unit_test(test_destroy_null_is_ignored),
        cmocka_unit_test(test_destroy_frees_every_chunk),
        cmocka_unit_test(test_alloc_gives_live_handle_with_odd_generation),
        cmocka_unit_test(test_alloc_with_null_arguments_returns_invalid),
        cmocka_unit_test(test_alloc_hands_out_distinct_indices),
        cmocka_unit_test(test_alloc_reuses_own_recent_free_first),
        cmocka_unit_test(test_alloc_takes_shared_list_before_fresh),
        cmocka_unit_test(test_reserve_gives_live_handle),
        cmocka_unit_test(test_reserve_does_not_see_unpublished_frees),
        cmocka_unit_test(test_reserve_pops_every_published_free_before_a_fresh_index),
        cmocka_unit_test(test_reserve_with_sets_user_bits),
        cmocka_unit_test(test_alloc_with_sets_user_bits_on_reused_slot),
        cmocka_unit_test(test_free_makes_handle_stale),
        cmocka_unit_test(test_double_free_returns_stale_and_changes_nothing),
        cmocka_unit_test(test_free_of_stale_handle_returns_stale),
        cmocka_unit_test(test_free_of_null_or_out_of_range_handle_returns_stale),
        cmocka_unit_test(test_free_with_null_pool_returns_invalid),
        cmocka_unit_test(test_free_with_nonzero_user_bits_returns_exists),
        cmocka_unit_test(test_free_expect_frees_when_user_bits_match),
        cmocka_unit_test(test_free_batch_overflow_publishes_half),
        cmocka_unit_test(test_flush_publishes_every_local_free),
        cmocka_unit_test(test_every_freed_slot_comes_back_exactly_once),
        cmocka_unit_test(test_null_handle_is_never_alive),
        cmocka_unit_test(test_alive_with_null_pool_or_bad_handle_is_false),
        cmocka_unit_test(test_payload_pointers_are_distinct_aligned_and_stable),
        cmocka_unit_test(test_small_payload_is_eight_aligned),
        cmocka_unit_test(test_payload_is_null_without_payload_or_chunk),
        cmocka_unit_test(test_word_is_null_for_missing_chunk),
        cmocka_unit_test(test_locate_maps_chunk_boundaries),
        cmocka_unit_test(test_growth_by_real_allocation_crosses_first_chunk_boundaries),
        cmocka_unit_test(test_growth_reaches_first_index_of_each_chunk_via_hook),
        cmocka_unit_test(test_last_chunk_is_cut_at_two_to_the_32),
        cmocka_unit_test(test_last_index_is_retired_on_free),
        cmocka_unit_test(test_exhaustion_returns_overflow_and_leaks_nothing),
        cmocka_unit_test(test_generation_wrap_retires_slot),
        cmocka_unit_test(test_fresh_gen_hook_applies_to_next_fresh_index_only),
        cmocka_unit_test(test_alloc_chunk_failure_returns_nomem_and_pool_stays_usable),
        cmocka_unit_test(test_reserve_chunk_failure_returns_nomem_and_pool_stays_usable),
        cmocka_unit_test(test_each_allocation_failing_in_turn_leaks_nothing),
        cmocka_unit_test(test_stats_count_chunks_capacity_and_bytes),
        cmocka_unit_test(test_large_chunks_of_the_default_allocator_start_on_a_huge_page),
        cmocka_unit_test(test_payload_grows_one_page_of_512_slots_at_a_time),
        cmocka_unit_test(test_stats_live_counts_handles_through_reuse_publish_pop_and_retire),
        cmocka_unit_test(test_stats_with_null_pool_are_zero),
    };
    return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
