/* test_pending.c — dp_pending: what a group still waits for, longest first, with its key,
 * state and how long; nothing once everything settled. "node" assets from mem://, one held
 * at a gate (with one worker, so what comes after it stays queued). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "node_type.h"
#include "testutil.h"

#define LONG_NS ((uint64_t)DP_TEST_WAIT_MS * 1000000u) /* a hung load, not a slow machine */

typedef struct fx {
    dp_depot *dp;
    dp_type_id node;
    dp_group g;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(dp_create(&(dp_desc){.workers = 1}, &f->dp), DP_OK);
    assert_int_equal(dp_test_node_register(f->dp, &f->node), DP_OK);
    assert_int_equal(dp_group_create(f->dp, "level", &f->g), DP_OK);
    dp_test_node_put(f->dp, "stuck.node", "gate");
    dp_test_node_put(f->dp, "fine.node", "ok");
    dp_test_node_put(f->dp, "root.node", "dep mem://fine.node\ndep mem://stuck.node");
    dp_test_node_put(f->dp, "later.node", "ok");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&dp_test_node_gate);
    assert_int_equal(dp_group_destroy(f->dp, f->g), DP_OK);
    assert_int_equal(dp_destroy(f->dp), 0);
    free(f);
    return 0;
}

/* Pumps updates until the group's progress has `settled` settled assets. */
static void pump_settled(fx *f, uint32_t settled)
{
    uint64_t end = dp_test_now_ns() + LONG_NS;
    dp_progress_info p;
    for (;;) {
        assert_int_equal(dp_update(f->dp), DP_OK);
        assert_int_equal(dp_group_progress(f->dp, f->g, &p), DP_OK);
        if (p.settled >= settled)
            break;
        assert_true(dp_test_now_ns() < end);
        usleep(500);
    }
}

static void test_pending_names_the_stuck_asset_and_its_state(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_load_into(f->dp, "mem://root.node", f->g, NULL), DP_OK);
    assert_true(dp_test_gate_wait_reached(&dp_test_node_gate, DP_TEST_WAIT_MS));
    pump_settled(f, 2); /* root and fine; stuck is at the gate */

    dp_pending_info out[4];
    size_t n;
    assert_int_equal(dp_pending(f->dp, f->g, out, 4, &n), DP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].key, "mem://stuck.node");
    assert_int_equal(out[0].state, DP_STATE_LOADING); /* a worker has it */
    uint64_t first = out[0].pending_ms;
    uint64_t t0 = dp_test_now_ns();
    while (dp_test_now_ns() < t0 + 2000000u) /* let the clock move 2 ms */
        ;
    assert_int_equal(dp_pending(f->dp, f->g, out, 4, &n), DP_OK);
    assert_true(out[0].pending_ms >= first + 1);

    dp_test_gate_open(&dp_test_node_gate);
    pump_settled(f, 3);
    assert_int_equal(dp_pending(f->dp, f->g, out, 4, &n), DP_OK);
    assert_int_equal(n, 0);
}

static void test_pending_lists_the_longest_waiting_first(void **state)
{
    fx *f = *state;
    dp_test_node_put(f->dp, "blocker.node", "gate");
    dp_handle blocker;
    assert_int_equal(dp_load_into(f->dp, "mem://blocker.node", f->g, &blocker), DP_OK);
    assert_true(dp_test_gate_wait_reached(&dp_test_node_gate, DP_TEST_WAIT_MS));
    /* The one worker is held: what joins now stays queued. */
    assert_int_equal(dp_load_into(f->dp, "mem://fine.node", f->g, NULL), DP_OK);
    size_t n;
    dp_pending_info out[3];
    assert_int_equal(dp_pending(f->dp, f->g, out, 3, &n), DP_OK); /* starts the tracker */
    assert_int_equal(n, 2);
    uint64_t t0 = dp_test_now_ns();
    while (dp_test_now_ns() < t0 + 3000000u) /* let the clock move 3 ms */
        ;
    assert_int_equal(dp_load_into(f->dp, "mem://later.node", f->g, NULL), DP_OK);
    assert_int_equal(dp_update(f->dp), DP_OK);

    assert_int_equal(dp_pending(f->dp, f->g, out, 3, &n), DP_OK);
    assert_int_equal(n, 3);
    assert_string_equal(out[2].key, "mem://later.node");
    assert_int_equal(out[2].state, DP_STATE_PENDING);
    assert_true(out[0].pending_ms >= out[1].pending_ms);
    assert_true(out[1].pending_ms > out[2].pending_ms);

    dp_pending_info one;
    assert_int_equal(dp_pending(f->dp, f->g, &one, 1, &n), DP_OK);
    assert_int_equal(n, 3); /* all counted, the oldest given */
    assert_true(strcmp(one.key, "mem://later.node") != 0);
    assert_int_equal(dp_pending(f->dp, f->g, NULL, 0, &n), DP_OK);
    assert_int_equal(n, 3);
}

static void test_pending_refuses_bad_arguments(void **state)
{
    fx *f = *state;
    size_t n = 7;
    dp_pending_info out[1];
    assert_int_equal(dp_pending(NULL, f->g, out, 1, &n), DP_ERR_INVALID);
    assert_int_equal(n, 0);
    assert_int_equal(dp_pending(f->dp, f->g, NULL, 1, &n), DP_ERR_INVALID);
    assert_int_equal(dp_pending(f->dp, f->g, out, 1, NULL), DP_ERR_INVALID);
    assert_int_equal(dp_pending(f->dp, (dp_group){0}, out, 1, &n), DP_ERR_STALE);
    assert_int_equal(dp_pending(f->dp, f->g, out, 1, &n), DP_OK);
    assert_int_equal(n, 0); /* an empty group waits for nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pending_names_the_stuck_asset_and_its_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pending_lists_the_longest_waiting_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pending_refuses_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
