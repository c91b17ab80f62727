/* requires: json */
/* test_render_trace.c — the render layer in the lifetime trace: making an asset's GPU
 * resource, retiring it when its data changes and destroying it once the frames that could
 * read it are done are recorded (render_create, render_retire, render_destroy; category
 * "render") with the asset's key and the render frame, in the order they happened. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_fixture.h"
#include "trace_json.h"

/* The fixture of render_fixture.h on a depot with the lifetime recorder on. */
static int setup_traced(void **state)
{
    setup(state);
    fixture *f = *state;
    dp_destroy(f->dp);
    dp_desc d = {.allocator = &f->ta.iface, .workers = 1, .trace_events = 4096};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    dp_type t = {.name = "tasset", .destroy = tasset_destroy};
    assert_int_equal(dp_register_type(f->dp, &t, &f->type), DP_OK);
    f->be.type = f->type;
    return 0;
}

/* The frame of the first event `name` about `key` at or after *at, which moves past it;
 * -1 if there is none. */
static double next_event(const cJSON *events, int *at, const char *name, const char *key)
{
    for (; *at < cJSON_GetArraySize(events); (*at)++) {
        const cJSON *e = cJSON_GetArrayItem(events, *at);
        if (!strcmp(dp_test_ev_str(e, "name"), name) && !strcmp(dp_test_arg_str(e, "key"), key)) {
            assert_string_equal(dp_test_ev_str(e, "cat"), "render");
            (*at)++;
            return dp_test_arg_num(e, "frame");
        }
    }
    return -1;
}

static void test_create_retire_and_destroy_are_recorded_in_order_with_frames(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle a = add(f, "sprite", 1);
    full_frame(f);    /* frame 1: made */
    modify(f, a, 2);
    next_frame(f);    /* frame 2: the new one made, the old one retired */
    done(f, f->frame); /* frame 2 done: the old one destroyed */
    cJSON *doc = dp_test_trace_json(f->dp);
    const cJSON *events = cJSON_GetObjectItem(doc, "traceEvents");
    int at = 0;
    assert_true(next_event(events, &at, "render_create", "sprite") == 1);
    assert_true(next_event(events, &at, "render_retire", "sprite") == 2); /* as it is replaced */
    assert_true(next_event(events, &at, "render_create", "sprite") == 2);
    assert_true(next_event(events, &at, "render_destroy", "sprite") == 2);
    at = 0;
    assert_true(next_event(events, &at, "render_destroy", "sprite") >= 0);
    assert_true(next_event(events, &at, "render_destroy", "sprite") == -1); /* one so far */
    cJSON_Delete(doc);
    dp_release(f->dp, a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_create_retire_and_destroy_are_recorded_in_order_with_frames, setup_traced,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
