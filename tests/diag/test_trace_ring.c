/* requires: json */
/* test_trace_ring.c — the lifetime recorder's ring and clock (src/asset/trace.c,
 * trace_clock.h): timestamps are nanoseconds in time order with the clock and its
 * calibration in the header; a thread that records into two depots by turns keeps a block
 * of positions in each (test_trace_mt.c has the recorder under threads). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "depot/depot.h"
#include "testutil.h"
#include "trace_json.h"

static dp_depot *make(uint32_t events)
{
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.trace_events = events}, &dp), DP_OK);
    return dp;
}

static dp_handle add(dp_depot *dp, const char *key)
{
    dp_blob *b = calloc(1, sizeof *b);
    assert_non_null(b);
    dp_handle h;
    assert_int_equal(dp_add(dp, dp_builtins(dp).blob, b, 1, key, &h), DP_OK);
    return h;
}

/* How many count events (acquire, release, create) the trace of dp holds, and whether all
 * of them name `key`. */
static int count_events(dp_depot *dp, const char *key, bool *all_key)
{
    cJSON *doc = dp_test_trace_json(dp);
    int n = 0;
    *all_key = true;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "traceEvents"))
    {
        const char *name = dp_test_ev_str(e, "name");
        if (strcmp(name, "acquire") && strcmp(name, "release") && strcmp(name, "create"))
            continue;
        n++;
        *all_key = *all_key && !strcmp(dp_test_arg_str(e, "key"), key);
    }
    cJSON_Delete(doc);
    return n;
}

static void test_timestamps_are_nanoseconds_in_time_order_with_the_clock_named(void **state)
{
    (void)state;
    dp_depot *dp = make(1024);
    dp_update(dp);
    struct timespec pause = {.tv_nsec = 20 * 1000000L}; /* a known gap, not a wait for work */
    assert_int_equal(nanosleep(&pause, NULL), 0);
    dp_update(dp);
    cJSON *doc = dp_test_trace_json(dp);
    double last = -1, begins[2] = {-1, -1};
    int nbegins = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "traceEvents"))
    {
        double ts = cJSON_GetObjectItem(e, "ts")->valuedouble;
        assert_true(ts >= last);
        last = ts;
        if (!strcmp(dp_test_ev_str(e, "ph"), "B") && nbegins < 2)
            begins[nbegins++] = ts;
    }
    assert_int_equal(nbegins, 2);
    assert_true(begins[1] - begins[0] >= 20000 * 0.99); /* microseconds */
    const cJSON *other = cJSON_GetObjectItem(doc, "otherData");
    const char *clock = dp_test_ev_str(other, "clock");
    assert_true(!strcmp(clock, "tsc") || !strcmp(clock, "clock_monotonic"));
    const cJSON *cal = cJSON_GetObjectItem(other, "calibration");
    assert_int_equal(cJSON_GetArraySize(cal), 2);
    assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(cal, 1), 1)->valuedouble >
                cJSON_GetArrayItem(cJSON_GetArrayItem(cal, 0), 1)->valuedouble);
    cJSON_Delete(doc);
    dp_destroy(dp);
}

static void test_a_thread_recording_into_two_depots_by_turns_loses_no_event(void **state)
{
    (void)state;
    dp_depot *a = make(1024), *b = make(1024);
    dp_handle ha = add(a, "in/a"), hb = add(b, "in/b");
    for (int i = 0; i < 300; i++) {
        dp_retain(a, ha);
        dp_retain(b, hb);
        dp_release(a, ha);
        dp_release(b, hb);
    }
    bool only_a, only_b;
    assert_int_equal(count_events(a, "in/a", &only_a), 1 + 600);
    assert_int_equal(count_events(b, "in/b", &only_b), 1 + 600);
    assert_true(only_a && only_b);
    dp_release(a, ha);
    dp_release(b, hb);
    dp_destroy(a);
    dp_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timestamps_are_nanoseconds_in_time_order_with_the_clock_named),
        cmocka_unit_test(test_a_thread_recording_into_two_depots_by_turns_loses_no_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
