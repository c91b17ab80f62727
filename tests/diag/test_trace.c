/* requires: json */
/* test_trace.c — the lifetime recorder (dp_desc.trace_events) and `depot trace`: the trace
 * is Chrome trace-event JSON (parsed with cJSON) whose update begin/end pairs balance and
 * which holds the recorded acquires with their call sites and updates, a load as one complete
 * event, and the newest events when the ring is full; `depot trace` finds the acquire a test
 * leaks on purpose at a known update, who held a key at an update, and the longest load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "asset/registry.h" /* dp__update_number: the update the leak happens in */
#include "depot/depot.h"
#include "testutil.h"
#include "trace_json.h"

typedef struct scene {
    char dir[256];
    char trace[300];
    int leak_line;
    unsigned leak_update;
} scene;

static dp_depot *make(uint32_t events, const char *root)
{
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.trace_events = events, .track_holders = true,
                                          .workers = 1, .root = root}, &dp), DP_OK);
    return dp;
}

/* Loads data.bin, adds two assets, leaks one count of level/a two updates later (its number
 * goes to s->leak_update), frees level/b, and writes the trace to s->trace. */
static void record_scene(scene *s)
{
    dp_test_mkdtemp(s->dir, sizeof s->dir);
    char path[300];
    snprintf(path, sizeof path, "%s/data.bin", s->dir);
    assert_int_equal(dp_test_write_file(path, "0123456789", 10), 0);
    dp_depot *dp = make(4096, s->dir);
    dp_handle file, a, b;
    assert_int_equal(dp_load(dp, "data.bin", &file), DP_OK);
    assert_int_equal(dp_wait(dp, file, DP_TEST_WAIT_MS), DP_OK);
    dp_type_id blob;
    assert_int_equal(dp_type_find(dp, "blob", &blob), DP_OK);
    assert_int_equal(dp_add(dp, blob, calloc(1, sizeof(dp_blob)), 1, "level/a", &a), DP_OK);
    assert_int_equal(dp_add(dp, blob, calloc(1, sizeof(dp_blob)), 1, "level/b", &b), DP_OK);
    dp_update(dp);
    dp_update(dp);
    s->leak_update = (unsigned)dp__update_number(dp);
    s->leak_line = __LINE__ + 1;
    dp_retain(dp, a); /* the leak: never released */
    dp_release(dp, b);
    dp_update(dp);    /* frees level/b */
    dp_release(dp, a);
    dp_release(dp, file);
    dp_update(dp);
    snprintf(s->trace, sizeof s->trace, "%s/trace.json", s->dir);
    FILE *f = fopen(s->trace, "w");
    assert_non_null(f);
    assert_int_equal(dp_trace_write(dp, f), DP_OK);
    fclose(f);
    assert_int_equal(dp_destroy(dp), 1); /* level/a leaked */
}

static void finish(scene *s)
{
    if (!getenv("DP_KEEP_TRACE"))
        dp_test_rmrf(s->dir);
}

static void test_the_trace_is_json_with_balanced_updates_and_the_acquire_sites(void **state)
{
    (void)state;
    scene s;
    record_scene(&s);
    cJSON *doc = dp_test_json_file(s.trace);
    const cJSON *events = cJSON_GetObjectItem(doc, "traceEvents");
    assert_true(cJSON_IsArray(events));
    dp_test_assert_balanced(events);
    char site[400];
    snprintf(site, sizeof site, "%s:%d", __FILE__, s.leak_line);
    int leak = 0, freed_b = 0, updates = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        const char *name = cJSON_GetObjectItem(e, "name")->valuestring;
        updates += !strcmp(dp_test_ev_str(e, "ph"), "B") && !strcmp(name, "dp_update");
        if (!strcmp(name, "acquire") && !strcmp(dp_test_arg_str(e, "key"), "level/a") &&
            !strcmp(dp_test_arg_str(e, "site"), site) &&
            dp_test_arg_num(e, "update") == s.leak_update && dp_test_arg_num(e, "count") == 2)
            leak++;
        if (!strcmp(name, "free") && !strcmp(dp_test_arg_str(e, "key"), "level/b"))
            freed_b += !strcmp(dp_test_arg_str(e, "why"), "released");
    }
    assert_int_equal(leak, 1);
    assert_int_equal(freed_b, 1);
    assert_true(updates >= (int)s.leak_update + 2);
    cJSON_Delete(doc);
    finish(&s);
}

static void test_a_load_is_one_complete_event_named_by_its_key(void **state)
{
    (void)state;
    scene s;
    record_scene(&s);
    cJSON *doc = dp_test_json_file(s.trace);
    int loads = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "traceEvents"))
    {
        if (strcmp(dp_test_ev_str(e, "ph"), "X"))
            continue;
        assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring, "data.bin");
        assert_string_equal(cJSON_GetObjectItem(e, "cat")->valuestring, "load");
        assert_string_equal(dp_test_arg_str(e, "status"), "loaded");
        assert_true(cJSON_GetObjectItem(e, "dur")->valuedouble >= 0);
        loads++;
    }
    assert_int_equal(loads, 1);
    cJSON_Delete(doc);
    finish(&s);
}

static void test_a_full_ring_keeps_the_newest_events(void **state)
{
    (void)state;
    dp_depot *dp = make(64, NULL);
    dp_type_id blob = dp_builtins(dp).blob;
    dp_handle h;
    assert_int_equal(dp_add(dp, blob, calloc(1, sizeof(dp_blob)), 1, "k", &h), DP_OK);
    for (int i = 0; i < 1000; i++) {
        dp_retain(dp, h);
        dp_release(dp, h);
        if (i % 100 == 0)
            dp_update(dp);
    }
    char *text = dp_test_trace_text(dp);
    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    const cJSON *events = cJSON_GetObjectItem(doc, "traceEvents");
    dp_test_assert_balanced(events);
    assert_true(cJSON_GetArraySize(events) <= 64 + 2); /* the thread name and a closing end */
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "otherData"), "overwritten")->valuedouble > 900);
    const cJSON *last = cJSON_GetArrayItem(events, cJSON_GetArraySize(events) - 1);
    assert_string_equal(cJSON_GetObjectItem(last, "name")->valuestring, "release");
    assert_int_equal((int)dp_test_arg_num(last, "count"), 1);
    cJSON_Delete(doc);
    free(text);
    dp_release(dp, h);
    assert_int_equal(dp_destroy(dp), 0);
}

static void test_with_the_recorder_off_the_trace_is_empty_but_valid(void **state)
{
    (void)state;
    dp_depot *dp = make(0, NULL);
    dp_update(dp);
    char *text = dp_test_trace_text(dp);
    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "traceEvents")), 1);
    cJSON_Delete(doc);
    free(text);
    dp_destroy(dp);
}

#ifndef DP_TOOL
#define DP_TOOL "depot" /* tests/CMakeLists.txt passes the built tool's path */
#endif

/* Runs `depot trace ARGS` and returns what it printed. */
static char *run_tool(const char *args, int *rc)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' trace %s 2>&1", DP_TOOL, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = calloc(1, 1 << 16);
    size_t n = fread(out, 1, (1 << 16) - 1, p);
    out[n] = 0;
    int st = pclose(p);
    *rc = WEXITSTATUS(st);
    return out;
}

static void test_depot_trace_names_the_leaked_acquire_its_update_and_site(void **state)
{
    (void)state;
    scene s;
    record_scene(&s);
    char args[512], want[512];
    snprintf(args, sizeof args, "'%s' --leaks", s.trace);
    int rc;
    char *out = run_tool(args, &rc);
    snprintf(want, sizeof want, "leak: level/a (0x%s", "");
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "count last rose at update %u from %s:%d", s.leak_update,
             __FILE__, s.leak_line);
    if (!strstr(out, want))
        fail_msg("'%s' not in:\n%s", want, out);
    assert_null(strstr(out, "level/b"));
    assert_non_null(strstr(out, "1 asset still held"));
    assert_int_equal(rc, 1);
    free(out);
    finish(&s);
}

static void test_depot_trace_says_who_held_a_key_at_an_update(void **state)
{
    (void)state;
    scene s;
    record_scene(&s);
    char args[512], site[400];
    snprintf(site, sizeof site, "%s:%d", __FILE__, s.leak_line);
    int rc;
    snprintf(args, sizeof args, "'%s' --held level/a --at %u", s.trace, s.leak_update - 1);
    char *before = run_tool(args, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(before, "1 holder"));
    assert_null(strstr(before, site));
    snprintf(args, sizeof args, "'%s' --held level/a --at %u", s.trace, s.leak_update);
    char *after = run_tool(args, &rc);
    assert_non_null(strstr(after, "2 holders"));
    assert_non_null(strstr(after, site));
    snprintf(args, sizeof args, "'%s' --longest 3", s.trace);
    char *loads = run_tool(args, &rc);
    assert_non_null(strstr(loads, "1 load in the trace"));
    assert_non_null(strstr(loads, " ms  data.bin (from update"));
    free(before);
    free(after);
    free(loads);
    finish(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_trace_is_json_with_balanced_updates_and_the_acquire_sites),
        cmocka_unit_test(test_a_load_is_one_complete_event_named_by_its_key),
        cmocka_unit_test(test_a_full_ring_keeps_the_newest_events),
        cmocka_unit_test(test_with_the_recorder_off_the_trace_is_empty_but_valid),
        cmocka_unit_test(test_depot_trace_names_the_leaked_acquire_its_update_and_site),
        cmocka_unit_test(test_depot_trace_says_who_held_a_key_at_an_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
