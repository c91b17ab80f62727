/* test_watch.c — inotify change notification with debounce, on real files. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "os/watch.h"

/* Debounce used by most tests: long enough that a burst of writes falls inside it. */
#define DEBOUNCE_MS 60

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct reports {
    int count;
    char last[256];
    uint64_t first_ns;  /* when the first report arrived */
} reports;

typedef struct fixture {
    dp_test_alloc ta;
    char tmp[256];
    dp__watch *w;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    dp_test_mkdtemp(f->tmp, sizeof f->tmp);
    assert_int_equal(dp__watch_create(&f->ta.iface, f->tmp, DEBOUNCE_MS, &f->w), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dp__watch_destroy(f->w);
    assert_int_equal(atomic_load(&f->ta.live), 0);
    dp_test_rmrf(f->tmp);
    free(f);
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void write_rel(const fixture *f, const char *rel, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", f->tmp, rel);
    assert_int_equal(dp_test_write_file(p, text, strlen(text)), 0);
}

static void on_changed(void *ctx, const char *rel)
{
    reports *r = ctx;
    if (r->count++ == 0)
        r->first_ns = dp_test_now_ns();
    snprintf(r->last, sizeof r->last, "%s", rel);
}

/* Polls every few milliseconds for `ms` in total, collecting reports. */
static void poll_for(fixture *f, reports *r, long ms)
{
    uint64_t end = dp_test_now_ns() + (uint64_t)ms * 1000000u;
    while (dp_test_now_ns() < end) {
        dp__watch_poll(f->w, on_changed, r);
        sleep_ms(3);
    }
}

/* Polls until the first report (hang guard DP_TEST_WAIT_MS), then keeps polling a while to
 * catch any second report. */
static void poll_settle(fixture *f, reports *r)
{
    for (uint64_t t0 = dp_test_now_ns(); r->count == 0 && dp_test_waiting(t0);) {
        dp__watch_poll(f->w, on_changed, r);
        sleep_ms(3);
    }
    poll_for(f, r, 4 * DEBOUNCE_MS);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_write_is_reported_once(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "one");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    write_rel(f, "a.txt", "two");
    reports r = {0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.last, "a.txt");
}

static void test_report_waits_for_the_debounce_period(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "one");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    uint64_t t0 = dp_test_now_ns();
    write_rel(f, "a.txt", "two");
    reports r = {0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_true(r.first_ns - t0 >= (uint64_t)DEBOUNCE_MS * 1000000u);
}

static void test_burst_of_writes_is_reported_once(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "zero");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    reports r = {0};
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof text, "version %d", i);
        write_rel(f, "a.txt", text);
        dp__watch_poll(f->w, on_changed, &r); /* polling inside the burst changes nothing */
        sleep_ms(2);
    }
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
}

static void test_rename_over_is_reported_once(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "old");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    write_rel(f, "a.txt.tmp~", "new");
    char from[512], to[512];
    snprintf(from, sizeof from, "%s/a.txt.tmp~", f->tmp);
    snprintf(to, sizeof to, "%s/a.txt", f->tmp);
    assert_int_equal(rename(from, to), 0);
    reports r = {0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.last, "a.txt");
}

static void test_file_created_after_watch_is_reported(void **state)
{
    fixture *f = *state;
    assert_int_equal(dp__watch_add(f->w, "later.txt"), DP_OK);
    write_rel(f, "later.txt", "hi");
    reports r = {0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
}

static void test_unwatched_file_in_same_folder_is_not_reported(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "a");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    write_rel(f, "other.txt", "x");
    write_rel(f, "a.txt.bak", "x");
    reports r = {0};
    poll_for(f, &r, 4 * DEBOUNCE_MS);
    assert_int_equal(r.count, 0);
}

static void test_file_in_subfolder_reported_by_relative_path(void **state)
{
    fixture *f = *state;
    write_rel(f, "sub/deeper/a.txt", "a");
    write_rel(f, "a.txt", "top");
    assert_int_equal(dp__watch_add(f->w, "sub/deeper/a.txt"), DP_OK);
    write_rel(f, "a.txt", "top changed"); /* same name, other folder: not watched */
    write_rel(f, "sub/deeper/a.txt", "b");
    reports r = {0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.last, "sub/deeper/a.txt");
}

static void test_two_files_in_one_folder_are_reported_separately(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "a");
    write_rel(f, "b.txt", "b");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    assert_int_equal(dp__watch_add(f->w, "b.txt"), DP_OK);
    write_rel(f, "b.txt", "b2");
    reports r = {0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.last, "b.txt");
    write_rel(f, "a.txt", "a2");
    r = (reports){0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.last, "a.txt");
}

static void test_removed_file_is_no_longer_reported(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "a");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    dp__watch_remove(f->w, "a.txt");
    write_rel(f, "a.txt", "changed");
    reports r = {0};
    poll_for(f, &r, 4 * DEBOUNCE_MS);
    assert_int_equal(r.count, 0);
}

static void test_removing_one_file_keeps_its_neighbour_watched(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "a");
    write_rel(f, "b.txt", "b");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    assert_int_equal(dp__watch_add(f->w, "b.txt"), DP_OK);
    dp__watch_remove(f->w, "a.txt");
    write_rel(f, "a.txt", "a2");
    write_rel(f, "b.txt", "b2");
    reports r = {0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.last, "b.txt");
}

static void test_watching_twice_reports_once(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "a");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    write_rel(f, "a.txt", "b");
    reports r = {0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
}

static void test_rewatching_after_remove_reports_again(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "a");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    dp__watch_remove(f->w, "a.txt");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    write_rel(f, "a.txt", "b");
    reports r = {0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
}

static void test_a_file_in_a_folder_made_later_is_reported(void **state)
{
    fixture *f = *state;
    assert_int_equal(dp__watch_add(f->w, "no/such/file.txt"), DP_OK);
    write_rel(f, "plain", "x");
    assert_int_equal(dp__watch_add(f->w, "plain/file.txt"), DP_OK); /* "plain" is a file */
    reports r = {0};
    poll_for(f, &r, 4 * DEBOUNCE_MS);
    assert_int_equal(r.count, 0);
    write_rel(f, "no/such/file.txt", "made");
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.last, "no/such/file.txt");
}

static void test_a_folder_deleted_and_made_again_is_watched_again(void **state)
{
    fixture *f = *state;
    write_rel(f, "sub/a.txt", "one");
    assert_int_equal(dp__watch_add(f->w, "sub/a.txt"), DP_OK);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/sub", f->tmp);
    dp_test_rmrf(sub);
    reports r = {0};
    poll_for(f, &r, 4 * DEBOUNCE_MS); /* the folder's watch dies */
    write_rel(f, "sub/a.txt", "two");
    reports r2 = {0};
    poll_settle(f, &r2);
    assert_true(r2.count >= 1);
    assert_string_equal(r2.last, "sub/a.txt");
    reports r3 = {0};
    write_rel(f, "sub/a.txt", "three");
    poll_settle(f, &r3);
    assert_int_equal(r3.count, 1);
}

static bool keep_not_two(void *ctx, const char *rel, uint64_t tag)
{
    (void)ctx;
    (void)rel;
    return tag != 2;
}

static void test_sweep_stops_watching_what_keep_refuses(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "a");
    write_rel(f, "b.txt", "b");
    write_rel(f, "d/c.txt", "c");
    assert_int_equal(dp__watch_add_tagged(f->w, "a.txt", 1), DP_OK);
    assert_int_equal(dp__watch_add_tagged(f->w, "b.txt", 1), DP_OK);
    assert_int_equal(dp__watch_add_tagged(f->w, "b.txt", 2), DP_OK); /* a new tag */
    assert_int_equal(dp__watch_add_tagged(f->w, "d/c.txt", 2), DP_OK);
    assert_int_equal(dp__watch_count(f->w), 3);
    dp__watch_sweep(f->w, 1, keep_not_two, NULL); /* bounded: one at a time */
    assert_true(dp__watch_count(f->w) >= 2);
    for (int i = 0; i < 4; i++)
        dp__watch_sweep(f->w, 1, keep_not_two, NULL);
    assert_int_equal(dp__watch_count(f->w), 1);
    write_rel(f, "b.txt", "bb");
    write_rel(f, "d/c.txt", "cc");
    write_rel(f, "a.txt", "aa");
    reports r = {0};
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.last, "a.txt");
}

/* 3,000 files in 30 folders: adding them looks at a few table entries each (was every
 * file watched so far), an idle poll looks at nothing (was every file), and one change
 * costs a few entries however many files are watched. */
static void test_cost_per_file_does_not_grow_with_the_files_watched(void **state)
{
    enum { N = 3000 };
    fixture *f = *state;
    char rel[64];
    for (int i = 0; i < N; i++) {
        snprintf(rel, sizeof rel, "d%02d/f%04d.txt", i / 100, i);
        write_rel(f, rel, "x");
    }
    uint64_t w0 = dp__watch_work(f->w);
    for (int i = 0; i < N; i++) {
        snprintf(rel, sizeof rel, "d%02d/f%04d.txt", i / 100, i);
        assert_int_equal(dp__watch_add(f->w, rel), DP_OK);
    }
    uint64_t w1 = dp__watch_work(f->w);
    assert_true(w1 - w0 < 4 * N);
    reports r = {0};
    dp__watch_poll(f->w, on_changed, &r);
    assert_int_equal(dp__watch_work(f->w), w1); /* nothing changed: nothing looked at */
    write_rel(f, "d17/f1742.txt", "changed");
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.last, "d17/f1742.txt");
    assert_true(dp__watch_work(f->w) - w1 < N / 10); /* one entry per poll while it settles */
    for (int i = 0; i < N; i += 2) { /* removing half keeps the others found */
        snprintf(rel, sizeof rel, "d%02d/f%04d.txt", i / 100, i);
        dp__watch_remove(f->w, rel);
    }
    assert_int_equal(dp__watch_count(f->w), N / 2);
    write_rel(f, "d29/f2999.txt", "changed");
    memset(&r, 0, sizeof r);
    poll_settle(f, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.last, "d29/f2999.txt");
}

static void test_poll_never_blocks(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "a");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    reports r = {0};
    uint64_t t0 = dp_test_now_ns();
    for (int i = 0; i < 100; i++)
        dp__watch_poll(f->w, on_changed, &r);
    /* No change comes: a poll that waited for one would hang here (ctest's timeout), and 100
     * that each waited out a debounce period would take 100 of them. Not a speed bound. */
    assert_true(dp_test_now_ns() - t0 < 100ull * DEBOUNCE_MS * 1000000u);
    assert_int_equal(r.count, 0);
}

/* A callback that stops watching the path it was told about, and counts. */
typedef struct remover {
    fixture *f;
    int count;
} remover;

static void remove_on_change(void *ctx, const char *rel)
{
    remover *rm = ctx;
    rm->count++;
    dp__watch_remove(rm->f->w, rel);
}

static void test_callback_may_remove_paths(void **state)
{
    fixture *f = *state;
    const char *names[] = {"a.txt", "b.txt", "c.txt", "d.txt"};
    for (int i = 0; i < 4; i++) {
        write_rel(f, names[i], "x");
        assert_int_equal(dp__watch_add(f->w, names[i]), DP_OK);
    }
    for (int i = 0; i < 4; i++)
        write_rel(f, names[i], "y");
    remover rm = {f, 0};
    for (uint64_t t0 = dp_test_now_ns(); rm.count < 4 && dp_test_waiting(t0);) {
        dp__watch_poll(f->w, remove_on_change, &rm);
        sleep_ms(3);
    }
    assert_int_equal(rm.count, 4);
    /* Every path was reported once and removed, so nothing more is reported. */
    for (int i = 0; i < 4; i++)
        write_rel(f, names[i], "z");
    reports r = {0};
    poll_for(f, &r, 4 * DEBOUNCE_MS);
    assert_int_equal(r.count, 0);
}

static void test_destroy_frees_everything(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "a");
    write_rel(f, "s/b.txt", "b");
    write_rel(f, "s/t/c.txt", "c");
    assert_int_equal(dp__watch_add(f->w, "a.txt"), DP_OK);
    assert_int_equal(dp__watch_add(f->w, "s/b.txt"), DP_OK);
    assert_int_equal(dp__watch_add(f->w, "s/t/c.txt"), DP_OK);
    write_rel(f, "s/b.txt", "changed, not yet reported");
    assert_true(atomic_load(&f->ta.live) > 0);
    dp__watch_destroy(f->w);
    f->w = NULL;
    assert_int_equal(atomic_load(&f->ta.live), 0);
    dp__watch_destroy(NULL); /* ignored */
}

static void test_create_and_add_out_of_memory_leak_nothing(void **state)
{
    fixture *f = *state;
    write_rel(f, "a.txt", "a");
    write_rel(f, "s/b.txt", "b");
    dp__watch_destroy(f->w);
    f->w = NULL;
    for (long n = 1;; n++) {
        assert_true(n < 100);
        dp_test_alloc_fail_at(&f->ta, n);
        dp__watch *w = NULL;
        dp_status s = dp__watch_create(&f->ta.iface, f->tmp, DEBOUNCE_MS, &w);
        if (s == DP_OK)
            s = dp__watch_add(w, "a.txt");
        if (s == DP_OK)
            s = dp__watch_add(w, "s/b.txt");
        dp_test_alloc_fail_at(&f->ta, 0);
        if (s != DP_OK) {
            assert_int_equal(s, DP_ERR_NOMEM);
        } else {
            /* Everything succeeded: the watcher works. */
            write_rel(f, "s/b.txt", "b2");
            f->w = w;
            reports r = {0};
            poll_settle(f, &r);
            f->w = NULL;
            assert_int_equal(r.count, 1);
            assert_string_equal(r.last, "s/b.txt");
        }
        dp__watch_destroy(w);
        assert_int_equal(atomic_load(&f->ta.live), 0);
        if (s == DP_OK)
            break;
    }
}

static void test_null_args(void **state)
{
    fixture *f = *state;
    dp__watch *w = (dp__watch *)0x1;
    assert_int_equal(dp__watch_create(&f->ta.iface, NULL, 0, &w), DP_ERR_INVALID);
    assert_null(w);
    assert_int_equal(dp__watch_create(&f->ta.iface, f->tmp, 0, NULL), DP_ERR_INVALID);
    assert_int_equal(dp__watch_add(NULL, "a.txt"), DP_ERR_INVALID);
    assert_int_equal(dp__watch_add(f->w, NULL), DP_ERR_INVALID);
    dp__watch_remove(NULL, "a.txt");
    dp__watch_remove(f->w, NULL);
    dp__watch_remove(f->w, "never-added");
    dp__watch_poll(NULL, on_changed, NULL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_write_is_reported_once),
        T(test_report_waits_for_the_debounce_period),
        T(test_burst_of_writes_is_reported_once),
        T(test_rename_over_is_reported_once),
        T(test_file_created_after_watch_is_reported),
        T(test_unwatched_file_in_same_folder_is_not_reported),
        T(test_file_in_subfolder_reported_by_relative_path),
        T(test_two_files_in_one_folder_are_reported_separately),
        T(test_removed_file_is_no_longer_reported),
        T(test_removing_one_file_keeps_its_neighbour_watched),
        T(test_watching_twice_reports_once),
        T(test_rewatching_after_remove_reports_again),
        T(test_a_file_in_a_folder_made_later_is_reported),
        T(test_a_folder_deleted_and_made_again_is_watched_again),
        T(test_sweep_stops_watching_what_keep_refuses),
        T(test_cost_per_file_does_not_grow_with_the_files_watched),
        T(test_poll_never_blocks),
        T(test_callback_may_remove_paths),
        T(test_destroy_frees_everything),
        T(test_create_and_add_out_of_memory_leak_nothing),
        T(test_null_args),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
