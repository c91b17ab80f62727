/* test_cycles.c — cycle collection by trial deletion: what is garbage goes, what is held
 * (from outside, through a held root, or by an upgraded weak handle) stays. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "asset_fixture.h"
#include "testutil.h"

static int setup_budget(void **state) { return setup_desc(state, (dp_desc){.collect_budget = 8}); }

static void test_self_edge_is_collected(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, NULL);
    assert_int_equal(dp_depend(f->dp, a, a), DP_OK);
    assert_int_equal(dp_depend(f->dp, a, a), DP_ERR_EXISTS);
    dp_release(f->dp, a);
    dp_update(f->dp);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
    assert_int_equal(dp_state_of(f->dp, a), DP_STATE_INVALID);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.cycles_collected, 1);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_two_cycle_is_collected(void **state)
{
    fixture *f = *state;
    dp_handle *v = make_ring(f, 2);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 2);
    assert_int_equal(dp_check(f->dp), DP_OK);
    free(v);
}

static void test_long_cycle_of_10000_is_collected(void **state)
{
    fixture *f = *state;
    enum { N = 10000 };
    dp_handle *v = make_ring(f, N);
    dp_update(f->dp);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, N);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(st.edges, 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
    free(v);
}

static void test_cycle_held_from_outside_stays(void **state)
{
    fixture *f = *state;
    dp_handle *v = make_ring(f, 3);
    assert_int_equal(dp_retain(f->dp, v[1]), DP_OK);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 0);
    assert_int_equal(dp_count(f->dp, v[1]), 2);
    assert_int_equal(dp_count(f->dp, v[0]), 1);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, v[1]);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
    free(v);
}

static void test_cycle_hanging_off_a_held_root_stays_until_root_goes(void **state)
{
    fixture *f = *state;
    dp_handle root = add(f, "root");
    dp_handle *v = make_ring(f, 2);
    dp_depend(f->dp, root, v[0]);
    dp_collect_cycles(f->dp);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, root);
    dp_update(f->dp); /* root freed; the cycle becomes a candidate and is collected */
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
    assert_int_equal(dp_check(f->dp), DP_OK);
    free(v);
}

static void test_two_cycles_sharing_a_node_are_collected(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, NULL), s = add(f, NULL), b = add(f, NULL);
    dp_depend(f->dp, a, s);
    dp_depend(f->dp, s, a);
    dp_depend(f->dp, b, s);
    dp_depend(f->dp, s, b);
    dp_release(f->dp, a);
    dp_release(f->dp, s);
    dp_release(f->dp, b);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_two_cycles_sharing_a_node_stay_while_one_member_is_held(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, NULL), s = add(f, NULL), b = add(f, NULL);
    dp_depend(f->dp, a, s);
    dp_depend(f->dp, s, a);
    dp_depend(f->dp, b, s);
    dp_depend(f->dp, s, b);
    dp_release(f->dp, s);
    dp_release(f->dp, b);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 0);
    dp_release(f->dp, a);
    dp_update(f->dp);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
}

static void test_cycle_with_unreferenced_external_child_frees_child_too(void **state)
{
    fixture *f = *state;
    dp_handle *v = make_ring(f, 2);
    dp_handle kid = add(f, NULL);
    dp_depend(f->dp, v[0], kid);
    dp_release(f->dp, kid);
    dp_collect_cycles(f->dp);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
    assert_int_equal(dp_check(f->dp), DP_OK);
    free(v);
}

static void test_cycle_with_held_external_child_keeps_only_child(void **state)
{
    fixture *f = *state;
    dp_handle *v = make_ring(f, 2);
    dp_handle kid = add(f, "kid");
    dp_depend(f->dp, v[0], kid);
    dp_collect_cycles(f->dp);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 2);
    assert_non_null(dp_get(f->dp, kid));
    assert_int_equal(dp_count(f->dp, kid), 1);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, kid);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
    free(v);
}

static void test_budgeted_updates_eventually_collect_everything(void **state)
{
    fixture *f = *state;
    enum { RINGS = 600 };
    dp_handle *rings[RINGS];
    for (int i = 0; i < RINGS; i++)
        rings[i] = make_ring(f, 2);
    dp_update(f->dp);
    assert_true(freed_total(f) < 2 * RINGS); /* the budget stopped the first update */
    int updates = 1;
    /* A budget of 8 steps: each node costs a handful (taken, walked, its edge, scanned,
     * whitened, reset), so the 1,200 nodes take hundreds of updates, not thousands. */
    while (freed_total(f) < 2 * RINGS && updates < 2000) {
        dp_update(f->dp);
        updates++;
        assert_int_equal(dp_check(f->dp), DP_OK);
    }
    assert_int_equal(freed_total(f), 2 * RINGS);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 2 * RINGS);
    for (int i = 0; i < RINGS; i++)
        free(rings[i]);
}

static void test_member_upgraded_from_weak_handle_before_collect_stays(void **state)
{
    fixture *f = *state;
    dp_handle *v = make_ring(f, 4);
    dp_handle weak = v[2];
    assert_int_equal(dp_upgrade(f->dp, weak), DP_OK);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 0);
    assert_non_null(dp_get(f->dp, v[0]));
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, weak);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 4);
    assert_int_equal(dp_upgrade(f->dp, weak), DP_ERR_STALE);
    free(v);
}

static void test_self_edge_on_an_unused_asset_is_collected(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, NULL);
    dp_release(f->dp, a); /* unused: count 0, waiting for the update */
    assert_int_equal(dp_depend(f->dp, a, a), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_cycle_built_between_unused_assets_is_collected(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, NULL), b = add(f, NULL);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
    assert_int_equal(dp_depend(f->dp, a, b), DP_OK);
    assert_int_equal(dp_depend(f->dp, b, a), DP_OK);
    for (int i = 0; i < 3; i++)
        dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 2);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_undepend_breaks_a_cycle_into_a_freed_chain(void **state)
{
    fixture *f = *state;
    dp_handle *v = make_ring(f, 3);
    dp_handle head;
    dp_retain(f->dp, v[0]);
    head = v[0];
    assert_int_equal(dp_undepend(f->dp, v[2], v[0]), DP_OK);
    assert_int_equal(dp_undepend(f->dp, v[2], v[0]), DP_ERR_NOT_FOUND);
    dp_release(f->dp, head);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
    assert_int_equal(dp_check(f->dp), DP_OK);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_self_edge_is_collected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_cycle_is_collected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_cycle_of_10000_is_collected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle_held_from_outside_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle_hanging_off_a_held_root_stays_until_root_goes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_cycles_sharing_a_node_are_collected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_cycles_sharing_a_node_stay_while_one_member_is_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle_with_unreferenced_external_child_frees_child_too, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle_with_held_external_child_keeps_only_child, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budgeted_updates_eventually_collect_everything, setup_budget, teardown),
        cmocka_unit_test_setup_teardown(test_member_upgraded_from_weak_handle_before_collect_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_edge_on_an_unused_asset_is_collected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle_built_between_unused_assets_is_collected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undepend_breaks_a_cycle_into_a_freed_chain, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
