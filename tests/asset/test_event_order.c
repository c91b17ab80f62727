/* test_event_order.c — the order of events within one update, as asset.h promises it:
 * per asset LOADED before LOADED_DEEP and UNUSED before FREED; LOADED_DEEP bottom-up
 * (dependencies before the assets that depend on them); a release cascade top-down (a
 * parent's FREED before the UNUSED and FREED of the children its free released); what the
 * owner did between updates (dp_replace, dp_evict) first, in call order. */
#include <stdlib.h>

#include "depot/depot.h"
#include "asset_fixture.h"
#include "testutil.h"

static long pos(fixture *f, dp_event_kind kind, dp_handle h)
{
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev);
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == kind && dp_handle_eq(ev[i].handle, h))
            return (long)i;
    return -1;
}

static void test_loaded_deep_comes_from_the_leaves_up(void **state)
{
    fixture *f = *state;
    /* Made parent first, so that creation order (and slot order) is top-down. */
    dp_handle root = add(f, "root"), mid = add(f, "mid"), leaf = add(f, "leaf");
    assert_int_equal(dp_depend(f->dp, root, mid), DP_OK);
    assert_int_equal(dp_depend(f->dp, mid, leaf), DP_OK);
    dp_update(f->dp);
    long r = pos(f, DP_EV_LOADED_DEEP, root), m = pos(f, DP_EV_LOADED_DEEP, mid),
         l = pos(f, DP_EV_LOADED_DEEP, leaf);
    assert_true(r >= 0 && m >= 0 && l >= 0);
    assert_true(l < m); /* top-down (slot order) before */
    assert_true(m < r);
    /* and each asset's LOADED before its LOADED_DEEP */
    assert_true(pos(f, DP_EV_LOADED, root) < r);
    assert_true(pos(f, DP_EV_LOADED, leaf) < l);
    dp_release(f->dp, mid);
    dp_release(f->dp, leaf);
    dp_release(f->dp, root);
}

static void test_loaded_deep_of_a_cycle_comes_before_its_parent(void **state)
{
    fixture *f = *state;
    dp_handle top = add(f, "top"), a = add(f, "a"), b = add(f, "b"), tail = add(f, "tail");
    assert_int_equal(dp_depend(f->dp, top, a), DP_OK);
    assert_int_equal(dp_depend(f->dp, a, b), DP_OK);
    assert_int_equal(dp_depend(f->dp, b, a), DP_OK);
    assert_int_equal(dp_depend(f->dp, b, tail), DP_OK);
    dp_update(f->dp);
    long t = pos(f, DP_EV_LOADED_DEEP, top), pa = pos(f, DP_EV_LOADED_DEEP, a),
         pb = pos(f, DP_EV_LOADED_DEEP, b), pt = pos(f, DP_EV_LOADED_DEEP, tail);
    assert_true(t >= 0 && pa >= 0 && pb >= 0 && pt >= 0);
    assert_true(pt < pa && pt < pb); /* below the cycle first */
    assert_true(pa < t && pb < t);   /* the cycle before what depends on it */
    dp_release(f->dp, a);
    dp_release(f->dp, b);
    dp_release(f->dp, tail);
    dp_release(f->dp, top);
    dp_collect_cycles(f->dp);
}

static void test_release_cascade_announces_the_parent_before_its_children(void **state)
{
    fixture *f = *state;
    dp_handle p = add(f, "p"), c = add(f, "c"), g = add(f, "g");
    assert_int_equal(dp_depend(f->dp, p, c), DP_OK);
    assert_int_equal(dp_depend(f->dp, c, g), DP_OK);
    dp_release(f->dp, c);
    dp_release(f->dp, g);
    dp_update(f->dp);
    dp_release(f->dp, p);
    dp_update(f->dp);
    long pu = pos(f, DP_EV_UNUSED, p), pf = pos(f, DP_EV_FREED, p);
    long cu = pos(f, DP_EV_UNUSED, c), cf = pos(f, DP_EV_FREED, c);
    long gu = pos(f, DP_EV_UNUSED, g), gf = pos(f, DP_EV_FREED, g);
    assert_true(pu >= 0 && pf > pu);
    assert_true(cu > pf && cf > cu); /* the child's UNUSED came before the parent's FREED */
    assert_true(gu > cf && gf > gu);
}

static void test_owner_calls_between_updates_come_first_in_call_order(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "a"), b = add(f, "b");
    dp_update(f->dp);
    dp_handle fresh = add(f, "fresh");
    assert_int_equal(dp_replace(f->dp, a, mk(f), 16), DP_OK);
    assert_int_equal(dp_evict(f->dp, b), DP_OK);
    dp_update(f->dp);
    long m = pos(f, DP_EV_MODIFIED, a), fr = pos(f, DP_EV_FREED, b),
         l = pos(f, DP_EV_LOADED, fresh);
    assert_true(m == 0 && fr == 1 && l > fr);
    dp_release(f->dp, a);
    dp_release(f->dp, fresh);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_loaded_deep_comes_from_the_leaves_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loaded_deep_of_a_cycle_comes_before_its_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_cascade_announces_the_parent_before_its_children, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_calls_between_updates_come_first_in_call_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
