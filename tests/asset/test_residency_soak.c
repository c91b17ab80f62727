/* test_residency_soak.c — soft-held assets cycled through budgets smaller than the working
 * set, from real files: after every dp_update the soft-only bytes stay within the budgets
 * (so held bytes never exceed budget + strong bytes), every asset read back has the bytes of
 * its file (whole, or a demoted "half"'s first half), strong holds never lose data, and the
 * registry checks out; then every allocation over demote and reload fails in turn, leaking
 * nothing and leaving a consistent registry. */
#include "test_residency_common.h"

enum { NBIN = 24, NHALF = 16, STEPS = 400, NSTRONG = 4 };
#define BUDGET 12000        /* all types: about a third of the working set */
#define HALF_BUDGET 5000    /* "half" alone: about a third of its files */

static char dir[256];

static size_t bin_size(int i)
{
    return 200 + (size_t)(i * 397) % 1800;
}

static size_t half_size(int i)
{
    return 300 + (size_t)(i * 211) % 1500;
}

static int setup(void **state)
{
    (void)state;
    dp_test_mkdtemp(dir, sizeof dir);
    write_files(dir, NBIN, "bin", bin_size);
    write_files(dir, NHALF, "half", half_size);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dp_test_rmrf(dir);
    return 0;
}

typedef struct world {
    dp_depot *dp;
    dp_type_id half;
    dp_handle bin[NBIN], hf[NHALF];
    dp_handle strong[NSTRONG]; /* a ring of strong holds (null when empty) */
    int strong_file[NSTRONG];  /* index into bin (>= 0) or -1 - index into hf */
} world;

static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Data of file k (>= 0: bin k; < 0: half -1 - k) matches its file, if there is data. */
static bool data_ok(int k, const void *p)
{
    if (!p)
        return true;
    bool demoted;
    return k >= 0 ? blob_is_file(p, k, bin_size(k)) : half_is_file(p, -1 - k, half_size(-1 - k), &demoted);
}

static dp_handle handle_of(world *w, int k)
{
    return k >= 0 ? w->bin[k] : w->hf[-1 - k];
}

/* The invariants after an update. */
static void check_world(world *w)
{
    dp_stats s;
    assert_int_equal(dp_get_stats(w->dp, &s), DP_OK);
    assert_true(s.soft_bytes <= BUDGET);
    size_t half_soft = 0;
    for (int i = 0; i < NHALF; i++)
        if (dp_count(w->dp, w->hf[i]) == dp_soft_count(w->dp, w->hf[i]))
            half_soft += dp_bytes_of(w->dp, w->hf[i]);
    assert_true(half_soft <= HALF_BUDGET);
    for (int j = 0; j < NSTRONG; j++) {
        if (!w->strong[j].bits)
            continue;
        /* A strong hold had its data when it was taken, and keeps it. */
        assert_int_equal(dp_state_of(w->dp, w->strong[j]), DP_STATE_LOADED);
        const void *p = dp_get(w->dp, w->strong[j]);
        assert_non_null(p);
        assert_true(data_ok(w->strong_file[j], p));
    }
    assert_int_equal(dp_check(w->dp), DP_OK);
}

static void open_world(world *w, const dp_allocator *a)
{
    dp_desc d = {.root = dir, .workers = 2, .allocator = a, .soft_budget_bytes = BUDGET};
    assert_int_equal(dp_create(&d, &w->dp), DP_OK);
    w->half = register_half(w->dp, a);
    assert_int_equal(dp_set_soft_budget(w->dp, w->half, HALF_BUDGET), DP_OK);
    char key[64];
    for (int i = 0; i < NBIN + NHALF; i++) {
        dp_handle *h = i < NBIN ? &w->bin[i] : &w->hf[i - NBIN];
        key_of(key, sizeof key, i < NBIN ? i : i - NBIN, i < NBIN ? "bin" : "half");
        assert_int_equal(dp_load(w->dp, key, h), DP_OK);
        assert_int_equal(dp_wait(w->dp, *h, DP_TEST_WAIT_MS), DP_OK);
        assert_int_equal(dp_retain_soft(w->dp, *h), DP_OK);
        assert_int_equal(dp_release(w->dp, *h), DP_OK);
    }
}

static void close_world(world *w)
{
    for (int j = 0; j < NSTRONG; j++)
        if (w->strong[j].bits)
            assert_int_equal(dp_release(w->dp, w->strong[j]), DP_OK);
    for (int i = 0; i < NBIN; i++)
        assert_int_equal(dp_release_soft(w->dp, w->bin[i]), DP_OK);
    for (int i = 0; i < NHALF; i++)
        assert_int_equal(dp_release_soft(w->dp, w->hf[i]), DP_OK);
    dp_update(w->dp);
    assert_int_equal(dp_destroy(w->dp), 0);
}

/* One step: use a random asset softly (dp_get), or take a strong hold on one (dropping the
 * oldest hold of the ring), then update and check. */
static void step(world *w, size_t *seen, size_t *came_back)
{
    int k = (int)(next_rand() % (NBIN + NHALF));
    k = k < NBIN ? k : -1 - (k - NBIN);
    dp_handle h = handle_of(w, k);
    const void *p = dp_get(w->dp, h);
    assert_true(data_ok(k, p));
    *seen += p != NULL;
    if (next_rand() % 4 == 0) {
        int j = (int)(next_rand() % NSTRONG);
        if (w->strong[j].bits)
            assert_int_equal(dp_release(w->dp, w->strong[j]), DP_OK);
        assert_int_equal(dp_retain(w->dp, h), DP_OK);
        w->strong[j] = h;
        w->strong_file[j] = k;
        if (!p) { /* evicted: the strong hold brings it back, with its file's bytes */
            assert_int_equal(dp_wait(w->dp, h, DP_TEST_WAIT_MS), DP_OK);
            assert_true(data_ok(k, dp_get(w->dp, h)));
            assert_non_null(dp_get(w->dp, h));
            (*came_back)++;
        }
    }
    dp_update(w->dp);
    check_world(w);
}

static void test_soak_keeps_soft_bytes_within_the_budgets_after_every_update(void **state)
{
    (void)state;
    world w = {0};
    open_world(&w, NULL);
    dp_update(w.dp);
    check_world(&w);
    size_t seen = 0, came_back = 0;
    for (int s = 0; s < STEPS; s++)
        step(&w, &seen, &came_back);
    dp_stats st;
    assert_int_equal(dp_get_stats(w.dp, &st), DP_OK);
    print_message("soak: %d steps, %zu reads with data, %zu brought back by a strong hold, "
                  "%zu demoted, %zu evicted, %zu restored\n", STEPS, seen, came_back,
                  st.demoted_total, st.evicted_total, st.restored_total);
    assert_true(st.evicted_total > 0 && st.demoted_total > 0 && came_back > 0);
    close_world(&w);
}

/* Demotion and reload with allocation n failing (and, if all_after, every later one). */
static bool oom_run(long n, int all_after)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    world w = {0};
    open_world(&w, &ta.iface);
    dp_update(w.dp);
    dp_test_alloc_fail_at(&ta, n);
    ta.fail_all_after = all_after;
    /* Demote everything, then ask a few back (strongly, softly, by dp_touch) and let the
     * budget demote again. */
    dp_memory_pressure(w.dp, DP_PRESSURE_CRITICAL);
    dp_retain(w.dp, w.bin[1]);
    dp_get(w.dp, w.hf[2]);
    dp_touch(w.dp, w.bin[3]);
    for (int k = 0; k < 4; k++) {
        dp_update(w.dp);
        dp_memory_pressure(w.dp, DP_PRESSURE_MODERATE);
    }
    dp_wait(w.dp, w.bin[1], all_after ? 50 : DP_TEST_WAIT_MS);
    bool injected = atomic_load(&ta.failed) > 0;
    dp_test_alloc_fail_at(&ta, 0);
    ta.fail_all_after = 0;
    dp_wait(w.dp, w.bin[1], DP_TEST_WAIT_MS); /* (after lasting OOM it may have failed) */
    assert_true(data_ok(1, dp_get(w.dp, w.bin[1])));
    dp_update(w.dp);
    assert_int_equal(dp_check(w.dp), DP_OK);
    assert_int_equal(dp_release(w.dp, w.bin[1]), DP_OK);
    close_world(&w);
    assert_int_equal(atomic_load(&ta.live), 0);
    return injected;
}

static void test_every_allocation_failing_over_demote_and_reload_leaks_nothing(void **state)
{
    (void)state;
    long n = 1;
    while (oom_run(n, 0))
        n++;
    print_message("oom: %ld single failures injected\n", n - 1);
    for (long k = 1; k < n; k += 7)
        oom_run(k, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soak_keeps_soft_bytes_within_the_budgets_after_every_update),
        cmocka_unit_test(test_every_allocation_failing_over_demote_and_reload_leaks_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
