/* requires: json */
/* test_trace_edges.c — dependency edges in the lifetime trace: dp_depend and dp_undepend
 * are recorded as edge_add and edge_remove events that name the parent (key, handle) and the
 * child (child, child_key), and freeing a parent records the removal of each of its edges
 * before the child's count drops. */
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"
#include "trace_json.h"

static dp_handle add(dp_depot *dp, const char *key)
{
    dp_handle h;
    assert_int_equal(dp_add(dp, dp_builtins(dp).blob, calloc(1, sizeof(dp_blob)), 1, key, &h),
                     DP_OK);
    return h;
}

/* Index in the trace of the first event named `name` about `key` (-1: none), from `from`. */
static int find(const cJSON *events, int from, const char *name, const char *key)
{
    for (int i = from; i < cJSON_GetArraySize(events); i++) {
        const cJSON *e = cJSON_GetArrayItem(events, i);
        if (!strcmp(dp_test_ev_str(e, "name"), name) && !strcmp(dp_test_arg_str(e, "key"), key))
            return i;
    }
    return -1;
}

static void test_depend_and_undepend_are_edge_events_naming_parent_and_child(void **state)
{
    (void)state;
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.trace_events = 1024}, &dp), DP_OK);
    dp_handle p = add(dp, "level"), c = add(dp, "level/tex");
    assert_int_equal(dp_depend(dp, p, c), DP_OK);
    assert_int_equal(dp_undepend(dp, p, c), DP_OK);
    cJSON *doc = dp_test_trace_json(dp);
    const cJSON *events = cJSON_GetObjectItem(doc, "traceEvents");
    int add_at = find(events, 0, "edge_add", "level");
    int remove_at = find(events, 0, "edge_remove", "level");
    assert_true(add_at >= 0 && remove_at > add_at);
    const cJSON *e = cJSON_GetArrayItem(events, add_at);
    assert_string_equal(dp_test_arg_str(e, "child_key"), "level/tex");
    char child[32];
    snprintf(child, sizeof child, "0x%016llx", (unsigned long long)c.bits);
    assert_string_equal(dp_test_arg_str(e, "child"), child);
    assert_string_equal(dp_test_arg_str(cJSON_GetArrayItem(events, remove_at), "child_key"),
                        "level/tex");
    assert_true(find(events, remove_at, "unhold", "level/tex") > remove_at);
    cJSON_Delete(doc);
    dp_release(dp, p);
    dp_release(dp, c);
    assert_int_equal(dp_destroy(dp), 0);
}

static void test_freeing_a_parent_records_the_removal_of_each_edge(void **state)
{
    (void)state;
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.trace_events = 1024}, &dp), DP_OK);
    dp_handle p = add(dp, "level"), a = add(dp, "level/a"), b = add(dp, "level/b");
    assert_int_equal(dp_depend(dp, p, a), DP_OK);
    assert_int_equal(dp_depend(dp, p, b), DP_OK);
    dp_release(dp, p);
    dp_update(dp); /* frees level, and its edges go */
    cJSON *doc = dp_test_trace_json(dp);
    const cJSON *events = cJSON_GetObjectItem(doc, "traceEvents");
    int freed = find(events, 0, "free", "level");
    assert_true(freed >= 0);
    int removed = 0;
    for (int at = find(events, freed, "edge_remove", "level"); at >= 0;
         at = find(events, at + 1, "edge_remove", "level")) {
        const char *child = dp_test_arg_str(cJSON_GetArrayItem(events, at), "child_key");
        assert_true(!strcmp(child, "level/a") || !strcmp(child, "level/b"));
        assert_true(find(events, at, "unhold", child) > at);
        removed++;
    }
    assert_int_equal(removed, 2);
    cJSON_Delete(doc);
    dp_release(dp, a);
    dp_release(dp, b);
    assert_int_equal(dp_destroy(dp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depend_and_undepend_are_edge_events_naming_parent_and_child),
        cmocka_unit_test(test_freeing_a_parent_records_the_removal_of_each_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
