/* test_direct_state.c — dp_state_direct: an asset with its direct dependencies only, apart
 * from the deep state (Bevy's dependency load state). Trees of "node" assets from mem://,
 * one gated by the test so that a grandchild is still loading when the test looks. */
#include <stdlib.h>
#include <unistd.h>

#include "depot/depot.h"
#include "node_type.h"
#include "testutil.h"

#define LONG_NS ((uint64_t)DP_TEST_WAIT_MS * 1000000u) /* a hung load, not a slow machine */

typedef struct fx {
    dp_depot *dp;
    dp_type_id node;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(dp_create(&(dp_desc){.workers = 2}, &f->dp), DP_OK);
    assert_int_equal(dp_test_node_register(f->dp, &f->node), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&dp_test_node_gate);
    assert_int_equal(dp_destroy(f->dp), 0);
    free(f);
    return 0;
}

/* Pumps updates until h's direct state is `want` (fails the test after LONG_NS). */
static void pump_direct(fx *f, dp_handle h, dp_state want)
{
    uint64_t end = dp_test_now_ns() + LONG_NS;
    while (dp_state_direct(f->dp, h) != want) {
        assert_true(dp_test_now_ns() < end);
        assert_int_equal(dp_update(f->dp), DP_OK);
        usleep(500);
    }
}

static dp_handle find(fx *f, const char *key)
{
    dp_handle h;
    assert_int_equal(dp_find(f->dp, key, &h), DP_OK);
    dp_release(f->dp, h); /* a weak view: the tree holds it */
    return h;
}

static void test_direct_state_is_loaded_while_a_grandchild_still_loads(void **state)
{
    fx *f = *state;
    dp_test_node_put(f->dp, "root.node", "dep mem://mid.node");
    dp_test_node_put(f->dp, "mid.node", "dep mem://leaf.node");
    dp_test_node_put(f->dp, "leaf.node", "gate");
    dp_handle root;
    assert_int_equal(dp_load(f->dp, "mem://root.node", &root), DP_OK);

    pump_direct(f, root, DP_STATE_LOADED);
    assert_true(dp_test_gate_wait_reached(&dp_test_node_gate, DP_TEST_WAIT_MS));
    assert_int_equal(dp_update(f->dp), DP_OK);

    dp_handle mid = find(f, "mem://mid.node");
    assert_int_equal(dp_state_of(f->dp, mid), DP_STATE_LOADED);
    assert_int_equal(dp_state_direct(f->dp, root), DP_STATE_LOADED);
    assert_int_equal(dp_state_deep(f->dp, root), DP_STATE_PENDING);
    assert_int_equal(dp_state_direct(f->dp, mid), DP_STATE_PENDING); /* leaf is its child */

    dp_test_gate_open(&dp_test_node_gate);
    assert_int_equal(dp_wait(f->dp, root, -1), DP_OK);
    assert_int_equal(dp_state_direct(f->dp, mid), DP_STATE_LOADED);
    assert_int_equal(dp_state_direct(f->dp, root), DP_STATE_LOADED);
    dp_release(f->dp, root);
}

static void test_direct_state_fails_for_a_failed_child_not_a_failed_grandchild(void **state)
{
    fx *f = *state;
    dp_test_node_put(f->dp, "top.node", "dep mem://b.node");
    dp_test_node_put(f->dp, "b.node", "dep mem://c.node");
    dp_test_node_put(f->dp, "c.node", "fail");
    dp_handle top;
    assert_int_equal(dp_load(f->dp, "mem://top.node", &top), DP_OK);
    assert_int_equal(dp_wait(f->dp, top, -1), DP_ERR_FORMAT);

    dp_handle b = find(f, "mem://b.node");
    assert_int_equal(dp_state_deep(f->dp, top), DP_STATE_FAILED);
    assert_int_equal(dp_state_direct(f->dp, top), DP_STATE_LOADED); /* b itself loaded */
    assert_int_equal(dp_state_direct(f->dp, b), DP_STATE_FAILED);   /* c is b's child */
    assert_int_equal(dp_state_direct(f->dp, find(f, "mem://c.node")), DP_STATE_FAILED);
    dp_release(f->dp, top);
}

static void test_direct_state_settles_after_the_deep_state_failed(void **state)
{
    fx *f = *state;
    /* root's deep state fails through mid's child while its direct child slow still loads. */
    dp_test_node_put(f->dp, "root.node", "dep mem://mid.node\ndep mem://slow.node");
    dp_test_node_put(f->dp, "mid.node", "dep mem://bad.node");
    dp_test_node_put(f->dp, "bad.node", "fail");
    dp_test_node_put(f->dp, "slow.node", "gate");
    dp_handle root;
    assert_int_equal(dp_load(f->dp, "mem://root.node", &root), DP_OK);
    assert_true(dp_test_gate_wait_reached(&dp_test_node_gate, DP_TEST_WAIT_MS));
    uint64_t end = dp_test_now_ns() + LONG_NS;
    while (dp_state_deep(f->dp, root) != DP_STATE_FAILED) {
        assert_true(dp_test_now_ns() < end);
        assert_int_equal(dp_update(f->dp), DP_OK);
        usleep(500);
    }
    assert_int_equal(dp_state_direct(f->dp, root), DP_STATE_PENDING);

    dp_test_gate_open(&dp_test_node_gate);
    pump_direct(f, root, DP_STATE_LOADED);
    assert_int_equal(dp_state_deep(f->dp, root), DP_STATE_FAILED);
    dp_release(f->dp, root);
}

static void test_direct_state_of_an_asset_without_children_is_its_own(void **state)
{
    fx *f = *state;
    dp_handle a;
    dp_test_node_put(f->dp, "a.node", "");
    assert_int_equal(dp_load(f->dp, "mem://a.node", &a), DP_OK);
    assert_int_equal(dp_state_direct(f->dp, a), DP_STATE_PENDING);
    assert_int_equal(dp_wait(f->dp, a, -1), DP_OK);
    assert_int_equal(dp_state_direct(f->dp, a), DP_STATE_LOADED);
    dp_release(f->dp, a);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_state_direct(f->dp, a), DP_STATE_INVALID); /* freed: stale */
    assert_int_equal(dp_state_direct(f->dp, DP_NULL_HANDLE), DP_STATE_INVALID);
    assert_int_equal(dp_state_direct(NULL, a), DP_STATE_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_direct_state_is_loaded_while_a_grandchild_still_loads,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_state_fails_for_a_failed_child_not_a_failed_grandchild,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_state_settles_after_the_deep_state_failed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_state_of_an_asset_without_children_is_its_own,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
