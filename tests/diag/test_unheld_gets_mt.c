/* test_unheld_gets_mt.c — dp_get without a count (track_holders): a dp_get by a thread that
 * holds no count on the asset is reported per call site (dp_report_unheld_gets) and logged
 * once per site; a thread that holds its own count, or the owner reading an asset a group or
 * an edge keeps, is not reported. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "asset_fixture.h"
#include "testutil.h"

static int setup_tracking(void **state)
{
    return setup_desc(state, (dp_desc){.track_holders = true});
}

static void free_obj(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static char *report(fixture *f, size_t *sites)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    *sites = dp_report_unheld_gets(f->dp, m);
    fclose(m);
    return buf;
}

typedef struct reader {
    fixture *f;
    dp_handle h;
    bool retain_first;
    int line;
    const void *got;
} reader;

static void *read_main(void *arg)
{
    reader *r = arg;
    if (r->retain_first)
        dp_retain(r->f->dp, r->h);
    r->line = __LINE__ + 1;
    r->got = dp_get(r->f->dp, r->h);
    if (r->retain_first)
        dp_release(r->f->dp, r->h);
    return NULL;
}

static void read_on_thread(reader *r)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, read_main, r), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_non_null(r->got);
}

static void test_a_thread_reading_what_only_the_owner_holds_is_reported_with_its_site(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "level/a");
    reader r = {.f = f, .h = h};
    read_on_thread(&r);
    size_t sites;
    char *text = report(f, &sites);
    char want[400];
    snprintf(want, sizeof want, "%s:%d: 1 dp_get call without a count held by the calling "
             "thread (updates 0..0, another thread), first on asset #%u", __FILE__, r.line,
             dp_handle_index(h));
    assert_int_equal(sites, 1);
    if (!strstr(text, want))
        fail_msg("'%s' not in '%s'", want, text);
    free(text);
    dp_release(f->dp, h);
}

static void test_a_thread_that_holds_its_own_count_is_not_reported(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "level/a");
    reader r = {.f = f, .h = h, .retain_first = true};
    read_on_thread(&r);
    assert_non_null(dp_get(f->dp, h)); /* the owner holds its dp_add count */
    size_t sites;
    char *text = report(f, &sites);
    assert_int_equal(sites, 0);
    assert_string_equal(text, "");
    free(text);
    dp_release(f->dp, h);
}

static void test_the_owner_reading_what_a_group_or_an_edge_keeps_is_not_reported(void **state)
{
    fixture *f = *state;
    dp_handle grouped = add(f, "member"), parent = add(f, "parent"), child = add(f, "child");
    dp_group g;
    assert_int_equal(dp_group_create(f->dp, "scene", &g), DP_OK);
    assert_int_equal(dp_group_add(f->dp, g, grouped), DP_OK);
    assert_int_equal(dp_depend(f->dp, parent, child), DP_OK);
    dp_release(f->dp, grouped);
    dp_release(f->dp, child);
    assert_non_null(dp_get(f->dp, grouped));
    assert_non_null(dp_get(f->dp, child));
    size_t sites;
    free(report(f, &sites));
    assert_int_equal(sites, 0);
    dp_group_destroy(f->dp, g);
    dp_release(f->dp, parent);
}

static void test_repeated_gets_count_per_site_and_log_once(void **state)
{
    (void)state;
    dp_test_logbook book = {0};
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.track_holders = true,
                                          .log = {dp_test_log_record, &book}}, &dp), DP_OK);
    dp_type_id type;
    assert_int_equal(dp_register_type(dp, &(dp_type){.name = "obj", .destroy = free_obj}, &type),
                     DP_OK);
    dp_handle h;
    assert_int_equal(dp_add(dp, type, calloc(1, 4), 4, "held/elsewhere", &h), DP_OK);
    dp_release(dp, h); /* count 0: alive until the next update, held by nobody */
    int line = 0;
    for (int i = 0; i < 3; i++) {
        line = __LINE__ + 1;
        assert_non_null(dp_get(dp, h));
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_int_equal(dp_report_unheld_gets(dp, m), 1);
    fclose(m);
    char want[400];
    snprintf(want, sizeof want, "%s:%d: 3 dp_get calls", __FILE__, line);
    assert_non_null(strstr(buf, want));
    assert_non_null(strstr(buf, "owner thread), first on \"held/elsewhere\""));
    assert_int_equal(book.n, 1);
    assert_int_equal(book.level, DP_LOG_WARN);
    snprintf(want, sizeof want, "dp_get at %s:%d", __FILE__, line);
    assert_non_null(strstr(book.last, want));
    free(buf);
    dp_update(dp);
    assert_int_equal(dp_destroy(dp), 0);
}

static void test_without_holder_tracking_nothing_is_recorded(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "a");
    reader r = {.f = f, .h = h};
    read_on_thread(&r);
    size_t sites;
    free(report(f, &sites));
    assert_int_equal(sites, 0);
    dp_release(f->dp, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_thread_reading_what_only_the_owner_holds_is_reported_with_its_site, setup_tracking, teardown),
        cmocka_unit_test_setup_teardown(test_a_thread_that_holds_its_own_count_is_not_reported, setup_tracking, teardown),
        cmocka_unit_test_setup_teardown(test_the_owner_reading_what_a_group_or_an_edge_keeps_is_not_reported, setup_tracking, teardown),
        cmocka_unit_test(test_repeated_gets_count_per_site_and_log_once),
        cmocka_unit_test_setup_teardown(test_without_holder_tracking_nothing_is_recorded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
