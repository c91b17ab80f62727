/* test_residency.c — soft references under byte budgets, with real files: soft-only assets
 * are demoted least recently used first until the budgets hold after every dp_update, come
 * back with identical bytes through the normal load path (MODIFIED), strong references are
 * never demoted, a type's demote callback shrinks before anything is evicted, memory
 * pressure, soft groups, stats and the leak report; a soak through a budget smaller than
 * the working set; and every allocation failing in turn over demote and reload. */
#include <pthread.h>

#include "test_residency_common.h"

enum { NFILES = 8, FILE_BYTES = 1000 };
#define BLOB_BYTES (sizeof(dp_blob) + FILE_BYTES) /* what the blob type reports */

typedef struct fx {
    char dir[256];
    dp_test_alloc ta;
    dp_depot *dp;
    dp_handle h[NFILES];
    dp_type_id half;
} fx;

static size_t fixed_size(int i)
{
    (void)i;
    return FILE_BYTES;
}

static void open_depot(fx *f, dp_desc d)
{
    d.root = f->dir;
    d.workers = 1;
    d.allocator = &f->ta.iface;
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    f->half = register_half(f->dp, &f->ta.iface);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    write_files(f->dir, NFILES, "bin", fixed_size);
    write_files(f->dir, NFILES, "half", fixed_size);
    dp_test_alloc_init(&f->ta);
    open_depot(f, (dp_desc){0});
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_check(f->dp), DP_OK);
    assert_int_equal(dp_destroy(f->dp), 0); /* every test gives back what it holds */
    assert_int_equal(atomic_load(&f->ta.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* Loads file i (ext "bin" or "half"), waits, and leaves only a soft reference on it. */
static dp_handle load_soft(fx *f, int i, const char *ext)
{
    char key[64];
    key_of(key, sizeof key, i, ext);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, key, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_retain_soft(f->dp, h), DP_OK);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    return h;
}

static void load_all_soft(fx *f, const char *ext)
{
    for (int i = 0; i < NFILES; i++)
        f->h[i] = load_soft(f, i, ext);
}

static void release_all_soft(fx *f)
{
    for (int i = 0; i < NFILES; i++)
        assert_int_equal(dp_release_soft(f->dp, f->h[i]), DP_OK);
    dp_update(f->dp);
}

static size_t count_events(fx *f, dp_event_kind kind, dp_handle h)
{
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev), c = 0;
    for (size_t i = 0; i < n; i++)
        c += ev[i].kind == kind && (!h.bits || ev[i].handle.bits == h.bits);
    return c;
}

static dp_stats stats(fx *f)
{
    dp_stats s;
    assert_int_equal(dp_get_stats(f->dp, &s), DP_OK);
    return s;
}

/* Pumps updates until dp_get gives data for h (a soft holder's use asks it back). */
static const void *get_back(fx *f, dp_handle h)
{
    uint64_t until = dp_test_now_ns() + (uint64_t)DP_TEST_WAIT_MS * 1000000u;
    const void *p;
    while (!(p = dp_get(f->dp, h)) && dp_test_now_ns() < until)
        dp_update(f->dp);
    return p;
}

static void test_soft_only_assets_are_evicted_least_recently_used_first(void **state)
{
    fx *f = *state;
    load_all_soft(f, "bin");
    dp_update(f->dp);
    for (int i = NFILES - 1; i >= 0; i--) { /* uses: file 7 first, file 0 last */
        assert_non_null(dp_get(f->dp, f->h[i]));
        dp_update(f->dp);
    }
    assert_int_equal(dp_set_soft_budget(f->dp, 0, 3 * BLOB_BYTES), DP_OK);
    dp_update(f->dp);
    for (int i = 0; i < NFILES; i++) {
        bool kept = i < 3; /* the three most recently used */
        assert_int_equal(dp_state_of(f->dp, f->h[i]), kept ? DP_STATE_LOADED : DP_STATE_EVICTED);
        assert_int_equal(count_events(f, DP_EV_DEMOTED, f->h[i]), kept ? 0 : 1);
        assert_int_equal(dp_bytes_of(f->dp, f->h[i]), kept ? BLOB_BYTES : 0);
        assert_int_equal(dp_count(f->dp, f->h[i]), 1); /* the handle stays valid */
    }
    dp_stats s = stats(f);
    assert_int_equal(s.soft_bytes, 3 * BLOB_BYTES);
    assert_int_equal(s.evicted_total, NFILES - 3);
    assert_int_equal(s.assets_by_state[DP_STATE_EVICTED], NFILES - 3);
    assert_int_equal(dp_check(f->dp), DP_OK);
    release_all_soft(f);
}

static void test_evicted_asset_comes_back_with_identical_bytes_on_a_strong_retain(void **state)
{
    fx *f = *state;
    load_all_soft(f, "bin");
    assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_CRITICAL), DP_OK);
    assert_int_equal(dp_state_of(f->dp, f->h[5]), DP_STATE_EVICTED);
    assert_null(dp_get(f->dp, f->h[5]));
    assert_int_equal(dp_retain(f->dp, f->h[5]), DP_OK);
    bool modified = false;
    uint64_t until = dp_test_now_ns() + (uint64_t)DP_TEST_WAIT_MS * 1000000u;
    while (dp_state_of(f->dp, f->h[5]) != DP_STATE_LOADED && dp_test_now_ns() < until) {
        dp_update(f->dp);
        modified |= count_events(f, DP_EV_MODIFIED, f->h[5]) == 1;
    }
    assert_true(modified);
    assert_true(blob_is_file(dp_get(f->dp, f->h[5]), 5, FILE_BYTES));
    assert_int_equal(stats(f).restored_total, 1);
    assert_int_equal(dp_release(f->dp, f->h[5]), DP_OK);
    release_all_soft(f);
}

static void test_dp_get_of_an_evicted_asset_loads_it_again(void **state)
{
    fx *f = *state;
    load_all_soft(f, "bin");
    assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_CRITICAL), DP_OK);
    assert_true(blob_is_file(get_back(f, f->h[2]), 2, FILE_BYTES));
    assert_int_equal(dp_state_of(f->dp, f->h[3]), DP_STATE_EVICTED); /* nobody asked */
    release_all_soft(f);
}

static void test_dp_wait_and_dp_touch_bring_an_evicted_asset_back(void **state)
{
    fx *f = *state;
    load_all_soft(f, "bin");
    assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_CRITICAL), DP_OK);
    assert_int_equal(dp_wait(f->dp, f->h[1], DP_TEST_WAIT_MS), DP_OK);
    assert_true(blob_is_file(dp_get(f->dp, f->h[1]), 1, FILE_BYTES));
    assert_int_equal(dp_touch(f->dp, f->h[4]), DP_OK);
    assert_true(blob_is_file(get_back(f, f->h[4]), 4, FILE_BYTES));
    release_all_soft(f);
}

static void test_strong_references_are_never_demoted(void **state)
{
    fx *f = *state;
    load_all_soft(f, "bin");
    assert_int_equal(dp_retain(f->dp, f->h[0]), DP_OK); /* soft and strong */
    dp_handle strong;
    assert_int_equal(dp_load(f->dp, "0.half", &strong), DP_OK); /* strong only */
    assert_int_equal(dp_wait(f->dp, strong, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_set_soft_budget(f->dp, 0, 1), DP_OK);
    for (int k = 0; k < 3; k++) {
        dp_update(f->dp);
        assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_CRITICAL), DP_OK);
    }
    assert_true(blob_is_file(dp_get(f->dp, f->h[0]), 0, FILE_BYTES));
    bool demoted = true;
    assert_true(half_is_file(dp_get(f->dp, strong), 0, FILE_BYTES, &demoted));
    assert_false(demoted);
    assert_int_equal(dp_state_of(f->dp, f->h[1]), DP_STATE_EVICTED);
    dp_stats s = stats(f);
    assert_int_equal(s.soft_bytes, 0);
    assert_int_equal(s.held_bytes, BLOB_BYTES + sizeof(half) + FILE_BYTES);
    assert_int_equal(dp_release(f->dp, f->h[0]), DP_OK);
    assert_int_equal(dp_release(f->dp, strong), DP_OK);
    release_all_soft(f);
}

static void test_a_type_demote_makes_smaller_copies_before_anything_is_evicted(void **state)
{
    fx *f = *state;
    load_all_soft(f, "half");
    size_t full = sizeof(half) + FILE_BYTES, small = sizeof(half) + FILE_BYTES / 2;
    /* Room for every asset at half size, not more. */
    assert_int_equal(dp_set_soft_budget(f->dp, f->half, NFILES * small + 10), DP_OK);
    dp_update(f->dp);
    size_t shrunk = 0;
    for (int i = 0; i < NFILES; i++) {
        bool demoted = false;
        assert_int_equal(dp_state_of(f->dp, f->h[i]), DP_STATE_LOADED);
        assert_true(half_is_file(dp_get(f->dp, f->h[i]), i, FILE_BYTES, &demoted));
        shrunk += demoted;
        assert_int_equal(dp_bytes_of(f->dp, f->h[i]), demoted ? small : full);
    }
    assert_true(shrunk >= 1);
    dp_stats s = stats(f);
    assert_true(s.soft_bytes <= NFILES * small + 10);
    assert_int_equal(s.demoted_total, shrunk);
    assert_int_equal(s.evicted_total, 0);
    release_all_soft(f);
}

static void test_a_strong_retain_brings_the_full_data_back_after_a_demote(void **state)
{
    fx *f = *state;
    load_all_soft(f, "half");
    size_t small = sizeof(half) + FILE_BYTES / 2;
    assert_int_equal(dp_set_soft_budget(f->dp, f->half, NFILES * small + 10), DP_OK);
    dp_update(f->dp);
    int victim = -1;
    for (int i = 0; i < NFILES && victim < 0; i++)
        if (dp_bytes_of(f->dp, f->h[i]) == small)
            victim = i;
    assert_true(victim >= 0);
    assert_int_equal(dp_retain(f->dp, f->h[victim]), DP_OK);
    bool modified = false, demoted = true;
    uint64_t until = dp_test_now_ns() + (uint64_t)DP_TEST_WAIT_MS * 1000000u;
    while (!modified && dp_test_now_ns() < until) {
        dp_update(f->dp);
        modified = count_events(f, DP_EV_MODIFIED, f->h[victim]) == 1;
    }
    assert_true(modified);
    assert_true(half_is_file(dp_get(f->dp, f->h[victim]), victim, FILE_BYTES, &demoted));
    assert_false(demoted);
    /* Held strongly, it stays whole whatever the budget says. */
    assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_CRITICAL), DP_OK);
    assert_int_equal(dp_bytes_of(f->dp, f->h[victim]), sizeof(half) + FILE_BYTES);
    assert_int_equal(dp_release(f->dp, f->h[victim]), DP_OK);
    release_all_soft(f);
}

static void test_a_per_type_budget_demotes_only_its_type(void **state)
{
    fx *f = *state;
    dp_handle halves[NFILES];
    load_all_soft(f, "bin");
    for (int i = 0; i < NFILES; i++)
        halves[i] = load_soft(f, i, "half");
    assert_int_equal(dp_set_soft_budget(f->dp, dp_builtins(f->dp).blob, 2 * BLOB_BYTES), DP_OK);
    dp_update(f->dp);
    size_t blobs = 0;
    for (int i = 0; i < NFILES; i++) {
        blobs += dp_bytes_of(f->dp, f->h[i]);
        assert_int_equal(dp_state_of(f->dp, halves[i]), DP_STATE_LOADED);
        assert_int_equal(dp_bytes_of(f->dp, halves[i]), sizeof(half) + FILE_BYTES);
    }
    assert_int_equal(blobs, 2 * BLOB_BYTES);
    for (int i = 0; i < NFILES; i++)
        assert_int_equal(dp_release_soft(f->dp, halves[i]), DP_OK);
    release_all_soft(f);
}

static void test_an_asset_its_parents_free_leaves_soft_only_is_demoted_in_that_update(void **state)
{
    fx *f = *state;
    dp_handle child = load_soft(f, 3, "bin");
    half *obj = half_new(&f->ta.iface, "parent", 6);
    dp_handle parent;
    assert_int_equal(dp_add(f->dp, f->half, obj, sizeof *obj + 6, "parent", &parent), DP_OK);
    assert_int_equal(dp_depend(f->dp, parent, child), DP_OK);
    assert_int_equal(dp_set_soft_budget(f->dp, 0, 1), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, child), DP_STATE_LOADED); /* the edge holds it */
    dp_update(f->dp); /* an idle update: nothing to walk */
    assert_int_equal(dp_release(f->dp, parent), DP_OK);
    dp_update(f->dp); /* frees the parent, whose edge was the child's strong count */
    assert_int_equal(dp_state_of(f->dp, parent), DP_STATE_INVALID);
    assert_int_equal(dp_state_of(f->dp, child), DP_STATE_EVICTED);
    assert_int_equal(dp_release_soft(f->dp, child), DP_OK);
    dp_update(f->dp);
}

static void test_critical_pressure_also_frees_the_unused_cache(void **state)
{
    fx *f = *state;
    dp_destroy(f->dp);
    open_depot(f, (dp_desc){.keep_unused_bytes = 1 << 20});
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "3.bin", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_update(f->dp);
    assert_int_equal(stats(f).unused_cached_bytes, BLOB_BYTES);
    assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_CRITICAL), DP_OK);
    assert_int_equal(stats(f).unused_cached_bytes, 0);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_INVALID);
}

static void test_bad_levels_and_budgets_are_refused(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_memory_pressure(f->dp, 3), DP_ERR_INVALID);
    assert_int_equal(dp_memory_pressure(f->dp, -1), DP_ERR_INVALID);
    assert_int_equal(dp_memory_pressure(NULL, 1), DP_ERR_INVALID);
    assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_NONE), DP_OK);
    assert_int_equal(dp_set_soft_budget(f->dp, 200, 10), DP_ERR_INVALID);
    assert_int_equal(dp_retain_soft(f->dp, DP_NULL_HANDLE), DP_ERR_STALE);
    assert_int_equal(dp_release_soft(NULL, DP_NULL_HANDLE), DP_ERR_INVALID);
}

static void test_releasing_a_soft_reference_that_is_not_held_underflows(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "1.bin", &h), DP_OK);
    assert_int_equal(dp_release_soft(f->dp, h), DP_ERR_UNDERFLOW);
    assert_int_equal(dp_count(f->dp, h), 1);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_update(f->dp);
}

static void *soft_from_other_thread(void *arg)
{
    fx *f = arg;
    static dp_status st[2];
    st[0] = dp_retain_soft(f->dp, f->h[0]);
    st[1] = dp_release_soft(f->dp, f->h[0]);
    return st;
}

static void test_a_strong_release_of_a_soft_reference_underflows(void **state)
{
    fx *f = *state;
    dp_handle h = load_soft(f, 2, "bin");
    /* Before: the count went to 0 under the soft reference, and the asset was freed at the
     * next update while its soft holder still counted on it. */
    assert_int_equal(dp_release(f->dp, h), DP_ERR_UNDERFLOW);
    assert_int_equal(dp_count(f->dp, h), 1);
    dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_LOADED);
    assert_int_equal(dp_check(f->dp), DP_OK);
    assert_int_equal(dp_release_soft(f->dp, h), DP_OK);
    dp_update(f->dp);
}

static void test_soft_references_are_owner_thread_only(void **state)
{
    fx *f = *state;
    f->h[0] = load_soft(f, 0, "bin");
    pthread_t t;
    void *res;
    assert_int_equal(pthread_create(&t, NULL, soft_from_other_thread, f), 0);
    assert_int_equal(pthread_join(t, &res), 0);
    assert_int_equal(((dp_status *)res)[0], DP_ERR_WRONG_THREAD);
    assert_int_equal(((dp_status *)res)[1], DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_soft_count(f->dp, f->h[0]), 1);
    assert_int_equal(dp_release_soft(f->dp, f->h[0]), DP_OK);
    dp_update(f->dp);
}

static void test_a_soft_group_holds_its_members_softly(void **state)
{
    fx *f = *state;
    dp_group g;
    assert_int_equal(dp_group_create(f->dp, "level", &g), DP_OK);
    assert_int_equal(dp_group_set_soft(f->dp, g, true), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load_into(f->dp, "2.bin", g, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_soft_count(f->dp, h), 1);
    assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_CRITICAL), DP_OK);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_EVICTED);
    assert_int_equal(dp_check(f->dp), DP_OK);
    /* Held strongly from now on: it comes back, and stays. */
    assert_int_equal(dp_group_set_soft(f->dp, g, false), DP_OK);
    assert_int_equal(dp_soft_count(f->dp, h), 0);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_true(blob_is_file(dp_get(f->dp, h), 2, FILE_BYTES));
    assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_CRITICAL), DP_OK);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_LOADED);
    assert_int_equal(dp_group_destroy(f->dp, g), DP_OK);
    dp_update(f->dp);
}

static void test_stats_and_the_leak_report_tell_soft_from_strong_holders(void **state)
{
    fx *f = *state;
    dp_destroy(f->dp);
    open_depot(f, (dp_desc){.track_holders = true});
    dp_handle h = load_soft(f, 4, "bin");
    assert_int_equal(dp_retain(f->dp, h), DP_OK);
    dp_update(f->dp);
    dp_stats s = stats(f);
    assert_int_equal(s.soft_refs, 1);
    assert_int_equal(s.soft_assets, 0); /* a strong count holds it too */
    dp_holder hs[4];
    assert_int_equal(dp_holders(f->dp, h, hs, 4), 2);
    assert_true(hs[0].soft != hs[1].soft);
    char text[2048] = {0};
    FILE *out = fmemopen(text, sizeof text - 1, "w");
    assert_int_equal(dp_report_leaks(f->dp, out), 1);
    fclose(out);
    assert_non_null(strstr(text, "1 of them soft"));
    assert_non_null(strstr(text, "held softly at"));
    assert_int_equal(dp_check(f->dp), DP_OK);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_update(f->dp);
    s = stats(f);
    assert_int_equal(s.soft_assets, 1);
    assert_int_equal(s.soft_bytes, BLOB_BYTES);
    assert_int_equal(dp_release_soft(f->dp, h), DP_OK);
    dp_update(f->dp);
}

static void test_dp_load_soft_hands_back_a_soft_reference(void **state)
{
    fx *f = *state;
    dp_destroy(f->dp);
    open_depot(f, (dp_desc){.track_holders = true});
    dp_handle h;
    assert_int_equal(dp_load_ex(f->dp, "6.bin", &(dp_load_opts){.flags = DP_LOAD_SOFT}, &h), DP_OK);
    assert_int_equal(dp_count(f->dp, h), 1);
    assert_int_equal(dp_soft_count(f->dp, h), 1);
    dp_holder hs[2];
    assert_int_equal(dp_holders(f->dp, h, hs, 2), 1);
    assert_true(hs[0].soft);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_memory_pressure(f->dp, DP_PRESSURE_CRITICAL), DP_OK);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_EVICTED);
    assert_int_equal(dp_check(f->dp), DP_OK);
    assert_int_equal(dp_release_soft(f->dp, h), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_INVALID);
}

static void *load_soft_off_owner(void *arg)
{
    fx *f = arg;
    static dp_status st;
    dp_handle h;
    st = dp_load_ex(f->dp, "1.bin", &(dp_load_opts){.flags = DP_LOAD_SOFT}, &h);
    return &st;
}

static void test_dp_load_soft_is_refused_with_a_group_or_off_the_owner_thread(void **state)
{
    fx *f = *state;
    dp_group g;
    assert_int_equal(dp_group_create(f->dp, "g", &g), DP_OK);
    dp_handle h = {1};
    dp_load_opts both = {.flags = DP_LOAD_SOFT, .group = g};
    assert_int_equal(dp_load_ex(f->dp, "1.bin", &both, &h), DP_ERR_INVALID);
    assert_int_equal(h.bits, 0);
    pthread_t t;
    void *res;
    assert_int_equal(pthread_create(&t, NULL, load_soft_off_owner, f), 0);
    assert_int_equal(pthread_join(t, &res), 0);
    assert_int_equal(*(dp_status *)res, DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_group_destroy(f->dp, g), DP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_soft_only_assets_are_evicted_least_recently_used_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evicted_asset_comes_back_with_identical_bytes_on_a_strong_retain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dp_get_of_an_evicted_asset_loads_it_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dp_wait_and_dp_touch_bring_an_evicted_asset_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strong_references_are_never_demoted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_type_demote_makes_smaller_copies_before_anything_is_evicted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_strong_retain_brings_the_full_data_back_after_a_demote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_per_type_budget_demotes_only_its_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_asset_its_parents_free_leaves_soft_only_is_demoted_in_that_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_critical_pressure_also_frees_the_unused_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_levels_and_budgets_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_releasing_a_soft_reference_that_is_not_held_underflows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_strong_release_of_a_soft_reference_underflows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_soft_references_are_owner_thread_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_soft_group_holds_its_members_softly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_and_the_leak_report_tell_soft_from_strong_holders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dp_load_soft_hands_back_a_soft_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dp_load_soft_is_refused_with_a_group_or_off_the_owner_thread, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
