/* requires: json png */
/* test_demo_trace.c — `depot demo --trace FILE` on the example scenes (null backend): the
 * file is Chrome trace-event JSON that cJSON parses, its begin/end pairs balance, it holds
 * the session's loads, frames' updates and GPU resources' lives, and `depot trace` answers on
 * it (no leak at the end, the longest loads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"
#include "trace_json.h"

#ifndef DP_TOOL
#define DP_TOOL "depot" /* tests/CMakeLists.txt passes the built tool's path */
#endif

/* Runs `depot ARGS`; its output (free it) and exit code. */
static char *run(const char *args, int *rc)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", DP_TOOL, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 20, n = 0, got;
    char *out = malloc(cap);
    assert_non_null(out);
    while ((got = fread(out + n, 1, cap - 1 - n, p)) > 0)
        n += got;
    out[n] = 0;
    *rc = WEXITSTATUS(pclose(p));
    return out;
}

static int count_named(const cJSON *events, const char *name)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
        n += !strcmp(dp_test_ev_str(e, "name"), name);
    return n;
}

static void test_the_demos_trace_is_balanced_json_that_depot_trace_answers_on(void **state)
{
    (void)state;
    char dir[256], args[1024], trace[300];
    dp_test_mkdtemp(dir, sizeof dir);
    snprintf(trace, sizeof trace, "%s/demo.json", dir);
    snprintf(args, sizeof args,
             "demo --backend null --frames 3 --scenes '%s/examples/assets' --report '%s/r.html' "
             "--trace '%s'", DP_SOURCE_DIR, dir, trace);
    int rc;
    char *out = run(args, &rc);
    if (rc != 0)
        fail_msg("depot demo exited %d:\n%s", rc, out);
    free(out);

    cJSON *doc = dp_test_json_file(trace);
    const cJSON *events = cJSON_GetObjectItem(doc, "traceEvents");
    assert_true(cJSON_IsArray(events));
    dp_test_assert_balanced(events);
    assert_true(count_named(events, "dp_update") >= 2 * 3); /* B and E of each frame at least */
    assert_true(count_named(events, "render_create") > 0);
    assert_true(count_named(events, "render_destroy") > 0);
    assert_true(count_named(events, "edge_add") > 0); /* bundles hold their members by edges */
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "otherData"), "overwritten")
                    ->valuedouble == 0); /* the whole session fits the ring */
    int loads = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
        loads += !strcmp(dp_test_ev_str(e, "ph"), "X");
    assert_true(loads > 0);
    cJSON_Delete(doc);

    snprintf(args, sizeof args, "trace '%s' --leaks", trace);
    out = run(args, &rc);
    if (rc != 0 || !strstr(out, "0 assets still held by callers"))
        fail_msg("depot trace --leaks exited %d:\n%s", rc, out);
    free(out);
    snprintf(args, sizeof args, "trace '%s' --longest 3", trace);
    out = run(args, &rc);
    char want[64];
    snprintf(want, sizeof want, "%d loads in the trace; the longest:", loads);
    if (rc != 0 || !strstr(out, want) || !strstr(out, " ms  "))
        fail_msg("depot trace --longest exited %d, wanted '%s':\n%s", rc, want, out);
    free(out);
    dp_test_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_demos_trace_is_balanced_json_that_depot_trace_answers_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
