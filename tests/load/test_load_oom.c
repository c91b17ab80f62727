/* requires: png json */
/* test_load_oom.c — every allocation of a load scenario fails in turn: create a depot, load
 * a bundle of a sprite and images from files, wait, release, update, destroy. Whatever
 * fails (worker threads allocate too), nothing hangs, nothing crashes, nothing leaks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"

#define MAX_RUNS 5000

static char dir[256];

static void put_data(const char *from, const char *to)
{
    char src[512], dst[512], buf[4096];
    snprintf(src, sizeof src, "%s/%s", DP_TEST_DATA, from);
    snprintf(dst, sizeof dst, "%s/%s", dir, to);
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    assert_int_equal(dp_test_write_file(dst, buf, n), 0);
}

static void put_text(const char *to, const char *text)
{
    char dst[512];
    snprintf(dst, sizeof dst, "%s/%s", dir, to);
    assert_int_equal(dp_test_write_file(dst, text, strlen(text)), 0);
}

static int setup(void **state)
{
    (void)state;
    dp_test_mkdtemp(dir, sizeof dir);
    put_data("rgba_4x4.png", "img/a.png");
    put_data("rgb_3x2.png", "img/b.png");
    put_text("hero.sprite", "{\"image\": \"img/a.png\", \"rect\": [0, 0, 2, 2]}");
    put_text("level.bundle", "{\"assets\": [\"hero.sprite\", \"img/a.png\", \"img/b.png\"]}");
    put_text("cyc/a.bundle", "{\"assets\": [\"cyc/b.bundle\", \"img/a.png\"]}");
    put_text("cyc/b.bundle", "{\"assets\": [\"cyc/a.bundle\"]}");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dp_test_rmrf(dir);
    return 0;
}

/* One run with allocation `n` failing (0 = none). Returns whether a failure was injected. */
static bool run_once(long n, int all_after, const char *key, const char *label)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_test_alloc_fail_at(&ta, n);
    ta.fail_all_after = all_after;
    dp_desc d = {.root = dir, .workers = 1, .allocator = &ta.iface};
    dp_depot *dp = NULL;
    dp_status st = dp_create(&d, &dp);
    if (st == DP_OK) {
        dp_handle h;
        st = dp_load(dp, key, &h);
        if (st == DP_OK) {
            /* Under lasting OOM the deep state of a loaded asset cannot be computed (that
             * pass allocates): there a bounded wait may time out. */
            for (uint64_t t0 = dp_test_now_ns(); all_after && dp_test_waiting(t0);) {
                dp_state own = dp_state_of(dp, h);
                if (own == DP_STATE_LOADED || own == DP_STATE_FAILED)
                    break;
                dp_update(dp);
                usleep(1000);
            }
            dp_status w = dp_wait(dp, h, all_after ? 50 : DP_TEST_WAIT_MS);
            if (all_after && w == DP_ERR_TIMEOUT && dp_state_of(dp, h) == DP_STATE_LOADED)
                w = DP_ERR_NOMEM;
            if (w == DP_ERR_TIMEOUT) {
                dp_stats s;
                dp_get_stats(dp, &s);
                print_message("timeout: state %d deep %d pending %zu live %zu\n",
                              dp_state_of(dp, h), dp_state_deep(dp, h), s.pending_jobs,
                              s.live_assets);
            }
            if (w != DP_OK && w != DP_ERR_NOMEM)
                fail_msg("%s, allocation %ld failing: dp_wait gave %s", label, n,
                         dp_status_str(w));
            if (w == DP_OK && n == 0) {
                dp_bundle *b = dp_get(dp, h);
                assert_non_null(b);
            }
            dp_release(dp, h);
        } else if (st != DP_ERR_NOMEM) {
            fail_msg("%s, allocation %ld failing: dp_load gave %s", label, n, dp_status_str(st));
        }
        /* Let running jobs finish and everything unused go. */
        for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
            dp_update(dp);
            dp_collect_cycles(dp);
            dp_stats s;
            dp_get_stats(dp, &s);
            if (s.pending_jobs == 0 && s.live_assets == 0)
                break;
            usleep(500);
        }
        dp_destroy(dp);
    } else {
        assert_int_equal(st, DP_ERR_NOMEM);
        assert_null(dp);
    }
    if (atomic_load(&ta.live) != 0)
        fail_msg("%s, allocation %ld failing: %ld allocations leaked", label, n,
                 (long)atomic_load(&ta.live));
    return atomic_load(&ta.failed) > 0;
}

static void sweep(const char *key, const char *label, int all_after)
{
    assert_false(run_once(0, all_after, key, label));
    long n = 1;
    for (; n < MAX_RUNS; n++)
        if (!run_once(n, all_after, key, label))
            break;
    print_message("%s: %ld allocations failed in turn\n", label, n - 1);
    assert_true(n < MAX_RUNS);
    assert_true(n > 10);
}

static void test_every_failing_allocation_of_a_bundle_load_leaks_nothing(void **state)
{
    (void)state;
    sweep("level.bundle", "bundle", 0);
}

static void test_every_failing_allocation_of_a_bundle_cycle_load_leaks_nothing(void **state)
{
    (void)state;
    sweep("cyc/a.bundle", "cycle", 0);
}

static void test_every_allocation_from_the_nth_on_failing_leaks_nothing(void **state)
{
    (void)state;
    sweep("level.bundle", "bundle, all after", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_failing_allocation_of_a_bundle_load_leaks_nothing),
        cmocka_unit_test(test_every_failing_allocation_of_a_bundle_cycle_load_leaks_nothing),
        cmocka_unit_test(test_every_allocation_from_the_nth_on_failing_leaks_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
