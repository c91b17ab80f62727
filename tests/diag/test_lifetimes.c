/* test_lifetimes.c — the lifetime sanitizer (dp_desc.debug_lifetimes): a dp_get pointer kept
 * past its data's free, evict, replace or cascade is caught when used, and the report names
 * the asset's key, the update in which the data left, why, and where it was last acquired.
 * Under AddressSanitizer the read traps (each case runs in a forked child whose stderr the
 * test reads: an expected-failure test); without it the write is found by the fill-pattern
 * check when the data leaves the quarantine. The quarantine itself changes no count, event
 * or stat, and dp_destroy frees everything in it. In the ASan build the sanitizer is on by
 * default (a zero desc arms it); DP_LIFETIMES_OFF and DEPOT_DEBUG_LIFETIMES turn it off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "depot/depot.h"
#include "asset_fixture.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

enum { KEEP = 3 }; /* updates the quarantine keeps data */
static uint32_t scene_keep = KEEP; /* the scene's dp_desc.debug_lifetimes */

/* ---- a stale-pointer scenario and how the report is collected ----------------------------- */

typedef struct scene {
    fixture *f;
    volatile obj *stale; /* the dp_get pointer the scenario kept too long */
} scene;

/* Builds a depot with the sanitizer on, runs `make_stale` (which leaves s->stale pointing at
 * data that left its asset), then uses the pointer: a read under ASan (traps), a write
 * otherwise (found when the quarantine lets the data go). */
static void run_scene(void (*make_stale)(scene *s), dp_test_logbook *book)
{
    scene s = {0};
    dp_desc d = {.debug_lifetimes = scene_keep, .track_holders = true};
    if (book)
        d.log = (dp_log){dp_test_log_record, book};
    setup_desc((void **)&s.f, d);
    make_stale(&s);
#ifdef UNDER_ASAN
    printf("read %d\n", s.stale->id); /* must trap before this prints */
#else
    s.stale->id = 12345;
    for (uint32_t i = 0; i < dp_debug_lifetimes(s.f->dp) + 1; i++)
        dp_update(s.f->dp);
#endif
    teardown((void **)&s.f);
}

/* The report for a scenario: ASan's and depot's lines from a forked child, or the last
 * log-hook message. The caller frees it. */
static char *report_of(void (*make_stale)(scene *s))
{
#ifdef UNDER_ASAN
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 2);
        dup2(fd[1], 1);
        close(fd[0]);
        run_scene(make_stale, NULL);
        _exit(0); /* no trap: the parent sees status 0 */
    }
    close(fd[1]);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while ((got = read(fd[0], buf + n, cap - 1 - n)) > 0)
        n += (size_t)got;
    buf[n] = 0;
    close(fd[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* it trapped */
    if (!strstr(buf, "use-after-poison"))
        fail_msg("no ASan report in:\n%s", buf);
    return buf;
#else
    dp_test_logbook book = {0};
    run_scene(make_stale, &book);
    assert_int_equal(book.n, 1);
    assert_int_equal(book.level, DP_LOG_ERROR);
    return strdup(book.last);
#endif
}

/* ---- scenarios ----------------------------------------------------------------------------- */

static void released_after_its_count(scene *s)
{
    dp_handle h = add(s->f, "level/crate.obj");
    dp_update(s->f->dp);          /* update 1 */
    dp_retain(s->f->dp, h);       /* the site the report names as the last acquire */
    s->stale = dp_get(s->f->dp, h);
    dp_release(s->f->dp, h);
    dp_release(s->f->dp, h);
    dp_update(s->f->dp);          /* update 2 frees it */
}

static void evicted_under_its_holder(scene *s)
{
    dp_handle h = add(s->f, "level/barrel.obj");
    s->stale = dp_get(s->f->dp, h);
    dp_evict(s->f->dp, h);
    dp_update(s->f->dp);          /* update 1: the frame rule's grace ends */
    dp_update(s->f->dp);          /* update 2: retired data goes to the quarantine */
}

static void replaced_by_new_data(scene *s)
{
    dp_handle h = add(s->f, "ui/font.obj");
    s->stale = dp_get(s->f->dp, h);
    dp_replace(s->f->dp, h, mk(s->f), 16);
    for (int i = 0; i < 2; i++)
        dp_update(s->f->dp);
    dp_release(s->f->dp, h);
}

static void freed_by_its_parents_free(scene *s)
{
    dp_handle parent = add(s->f, "scene.obj"), child = add(s->f, "scene/tree.obj");
    dp_depend(s->f->dp, parent, child);
    dp_release(s->f->dp, child);
    s->stale = dp_get(s->f->dp, child);
    dp_release(s->f->dp, parent);
    dp_update(s->f->dp);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_a_kept_pointer_used_after_release_names_key_update_and_last_acquire(void **state)
{
    (void)state;
    char *r = report_of(released_after_its_count);
    assert_non_null(strstr(r, "\"level/crate.obj\" (type obj)"));
    assert_non_null(strstr(r, "update 2 (released)"));
    assert_non_null(strstr(r, "last acquired at " __FILE__));
    free(r);
}

static void test_a_pointer_used_after_evict_is_reported_as_evicted(void **state)
{
    (void)state;
    char *r = report_of(evicted_under_its_holder);
    assert_non_null(strstr(r, "\"level/barrel.obj\""));
    assert_non_null(strstr(r, "update 0 (evicted)"));
    free(r);
}

static void test_a_pointer_to_replaced_data_is_reported_as_replaced(void **state)
{
    (void)state;
    char *r = report_of(replaced_by_new_data);
    assert_non_null(strstr(r, "\"ui/font.obj\""));
    assert_non_null(strstr(r, "(replaced)"));
    free(r);
}

static void test_a_child_freed_with_its_parent_is_reported_as_cascade(void **state)
{
    (void)state;
    char *r = report_of(freed_by_its_parents_free);
    assert_non_null(strstr(r, "\"scene/tree.obj\""));
    assert_non_null(strstr(r, "update 1 (cascade)"));
    free(r);
}

/* Runs one scene of loads, releases, edges, a cycle and an evict, and appends what every
 * update showed (events, stats) to a text. */
static char *observe(bool sanitizer, int *destroyed_after_scene)
{
    fixture *f;
    setup_desc((void **)&f, (dp_desc){.debug_lifetimes = sanitizer ? KEEP : DP_LIFETIMES_OFF,
                                      .keep_unused_bytes = 16});
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    dp_handle a = add(f, "a"), b = add(f, "b"), c = add(f, "c"), d = add(f, "d");
    dp_depend(f->dp, a, b);
    dp_depend(f->dp, b, a);
    dp_depend(f->dp, c, d);
    for (int step = 0; step < 6; step++) {
        if (step == 1)
            dp_release(f->dp, a), dp_release(f->dp, b);
        if (step == 2)
            dp_release(f->dp, d), dp_release(f->dp, c);
        if (step == 3)
            dp_evict(f->dp, add(f, "e"));
        dp_update(f->dp);
        const dp_event *ev;
        size_t n = dp_events(f->dp, &ev);
        for (size_t i = 0; i < n; i++)
            fprintf(m, "%d:%u ", ev[i].kind, dp_handle_index(ev[i].handle));
        dp_stats st;
        dp_get_stats(f->dp, &st);
        fprintf(m, "| live %zu unused %zu held %zu cached %zu freed %zu cycles %zu edges %zu\n",
                st.live_assets, st.unused_assets, st.held_bytes, st.unused_cached_bytes,
                st.freed_total, st.cycles_collected, st.edges);
    }
    fclose(m);
    *destroyed_after_scene = f->destroyed;
    teardown((void **)&f); /* every object destroyed once, no allocation left */
    return text;
}

static void test_the_quarantine_changes_no_event_or_stat_and_dp_destroy_empties_it(void **state)
{
    (void)state;
    int plain_destroyed, guarded_destroyed;
    char *plain = observe(false, &plain_destroyed);
    char *guarded = observe(true, &guarded_destroyed);
    assert_string_equal(guarded, plain);
    assert_true(plain_destroyed >= 3);
    assert_true(guarded_destroyed < plain_destroyed); /* the last frees are still held */
    free(plain);
    free(guarded);
}

static void test_quarantined_data_is_destroyed_after_the_set_number_of_updates(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "k");
    dp_release(f->dp, h);
    dp_update(f->dp); /* freed here, quarantined */
    for (int i = 1; i < KEEP; i++) {
        dp_update(f->dp);
        assert_int_equal(f->destroyed, 0);
    }
    dp_update(f->dp);
    assert_int_equal(f->destroyed, 1);
}

/* ---- the setting: on by default in the ASan build, off on request ------------------------- */

static uint32_t setting_of(dp_desc d)
{
    dp_depot *dp;
    assert_int_equal(dp_create(&d, &dp), DP_OK);
    uint32_t n = dp_debug_lifetimes(dp);
    assert_int_equal(dp_destroy(dp), 0);
    return n;
}

static void test_a_zero_desc_arms_the_sanitizer_in_the_asan_build_only(void **state)
{
    (void)state;
    unsetenv("DEPOT_DEBUG_LIFETIMES");
#ifdef UNDER_ASAN
    assert_int_equal(setting_of((dp_desc){0}), DP_LIFETIMES_DEFAULT);
#else
    assert_int_equal(setting_of((dp_desc){0}), 0);
#endif
    assert_int_equal(setting_of((dp_desc){.debug_lifetimes = 7}), 7);
}

static void test_dp_lifetimes_off_turns_it_off_whatever_the_environment(void **state)
{
    (void)state;
    setenv("DEPOT_DEBUG_LIFETIMES", "5", 1);
    assert_int_equal(setting_of((dp_desc){.debug_lifetimes = DP_LIFETIMES_OFF}), 0);
    unsetenv("DEPOT_DEBUG_LIFETIMES");
    assert_int_equal(setting_of((dp_desc){.debug_lifetimes = DP_LIFETIMES_OFF}), 0);
}

static void test_the_environment_sets_the_default_and_a_desc_value_wins(void **state)
{
    (void)state;
    setenv("DEPOT_DEBUG_LIFETIMES", "0", 1);
    assert_int_equal(setting_of((dp_desc){0}), 0); /* the ASan build's default turned off */
    setenv("DEPOT_DEBUG_LIFETIMES", "9", 1);
    assert_int_equal(setting_of((dp_desc){0}), 9);
    assert_int_equal(setting_of((dp_desc){.debug_lifetimes = 2}), 2);
    unsetenv("DEPOT_DEBUG_LIFETIMES");
}

static void test_a_bad_environment_value_is_logged_and_the_default_applies(void **state)
{
    (void)state;
    uint32_t dflt = setting_of((dp_desc){0});
    dp_test_logbook book = {0};
    setenv("DEPOT_DEBUG_LIFETIMES", "lots", 1);
    assert_int_equal(setting_of((dp_desc){.log = {dp_test_log_record, &book}}), dflt);
    unsetenv("DEPOT_DEBUG_LIFETIMES");
    assert_int_equal(book.n, 1);
    assert_int_equal(book.level, DP_LOG_WARN);
    assert_non_null(strstr(book.last, "DEPOT_DEBUG_LIFETIMES=\"lots\""));
}

/* The ASan build's default arms the trap: a depot made from a zero desc catches the stale
 * read too (so every test in the ASan suite runs with it armed). */
static void test_the_default_trap_catches_a_stale_read_in_the_asan_build(void **state)
{
    (void)state;
#ifdef UNDER_ASAN
    unsetenv("DEPOT_DEBUG_LIFETIMES");
    scene_keep = 0;
    char *r = report_of(released_after_its_count);
    scene_keep = KEEP;
    assert_non_null(strstr(r, "\"level/crate.obj\" (type obj)"));
    assert_non_null(strstr(r, "update 2 (released)"));
    free(r);
#else
    skip(); /* off by default outside the ASan build: nothing to catch */
#endif
}

static int setup_keep(void **state) { return setup_desc(state, (dp_desc){.debug_lifetimes = KEEP}); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_kept_pointer_used_after_release_names_key_update_and_last_acquire),
        cmocka_unit_test(test_a_pointer_used_after_evict_is_reported_as_evicted),
        cmocka_unit_test(test_a_pointer_to_replaced_data_is_reported_as_replaced),
        cmocka_unit_test(test_a_child_freed_with_its_parent_is_reported_as_cascade),
        cmocka_unit_test(test_the_quarantine_changes_no_event_or_stat_and_dp_destroy_empties_it),
        cmocka_unit_test_setup_teardown(test_quarantined_data_is_destroyed_after_the_set_number_of_updates,
                                        setup_keep, teardown),
        cmocka_unit_test(test_a_zero_desc_arms_the_sanitizer_in_the_asan_build_only),
        cmocka_unit_test(test_dp_lifetimes_off_turns_it_off_whatever_the_environment),
        cmocka_unit_test(test_the_environment_sets_the_default_and_a_desc_value_wins),
        cmocka_unit_test(test_a_bad_environment_value_is_logged_and_the_default_applies),
        cmocka_unit_test(test_the_default_trap_catches_a_stale_read_in_the_asan_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
