/* test_evict_retire.c — dp_evict makes the handle stale at once but retires the data like a
 * replace does (a pointer from this frame stays readable until the next update), and the
 * edge counter of dp_stats forgets edges to evicted children, agreeing with dp_check. */
#include <stdlib.h>

#include "depot/depot.h"
#include "asset_fixture.h"
#include "testutil.h"

static size_t stat_edges(fixture *f)
{
    dp_stats s;
    assert_int_equal(dp_get_stats(f->dp, &s), DP_OK);
    return s.edges;
}

/* ---- defect 1: the data outlives the evict ------------------------------------------------- */

static void test_evicted_data_stays_readable_until_the_next_update(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "tex");
    dp_update(f->dp);
    obj *o = dp_get(f->dp, h);
    assert_non_null(o);
    int id = o->id;
    assert_int_equal(dp_evict(f->dp, h), DP_OK);
    /* The handle is stale at once... */
    assert_null(dp_get(f->dp, h));
    assert_int_equal(dp_retain(f->dp, h), DP_ERR_STALE);
    assert_int_equal(dp_release(f->dp, h), DP_ERR_STALE);
    /* ...but the data of this frame is still there (ASan: heap-use-after-free before). */
    assert_int_equal(o->id, id);
    assert_int_equal(f->per_id[id], 0);
    dp_update(f->dp);
    assert_int_equal(count_events(f, DP_EV_FREED), 1);
}

static void test_evicted_data_is_destroyed_once_within_two_updates(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "tex");
    dp_update(f->dp);
    int id = ((obj *)dp_get(f->dp, h))->id;
    assert_int_equal(dp_evict(f->dp, h), DP_OK);
    dp_update(f->dp);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->per_id[id], 1);
    dp_update(f->dp);
    assert_int_equal(f->per_id[id], 1);
}

static void test_evicted_data_is_destroyed_by_dp_destroy_if_no_update_came(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "tex");
    assert_int_equal(dp_evict(f->dp, h), DP_OK);
    /* teardown: destroyed exactly once, no byte left */
}

/* ---- defect 13: edges to evicted children ----------------------------------------------- */

static void test_stats_edges_forget_an_evicted_child(void **state)
{
    fixture *f = *state;
    dp_handle p = add(f, "parent");
    dp_handle c = add(f, "child");
    assert_int_equal(dp_depend(f->dp, p, c), DP_OK);
    assert_int_equal(stat_edges(f), 1);
    assert_int_equal(dp_evict(f->dp, c), DP_OK);
    dp_update(f->dp);
    assert_int_equal(stat_edges(f), 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
    /* The parent going later does not count the edge away twice. */
    assert_int_equal(dp_release(f->dp, p), DP_OK);
    dp_update(f->dp);
    assert_int_equal(stat_edges(f), 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_stats_edges_forget_an_undepended_evicted_child_once(void **state)
{
    fixture *f = *state;
    dp_handle p = add(f, "parent");
    dp_handle c = add(f, "child");
    dp_handle d = add(f, "other");
    assert_int_equal(dp_depend(f->dp, p, c), DP_OK);
    assert_int_equal(dp_depend(f->dp, p, d), DP_OK);
    assert_int_equal(dp_evict(f->dp, c), DP_OK);
    assert_int_equal(stat_edges(f), 1);
    assert_int_equal(dp_undepend(f->dp, p, c), DP_OK);
    assert_int_equal(stat_edges(f), 1);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, d);
    dp_release(f->dp, p);
    dp_update(f->dp);
    assert_int_equal(stat_edges(f), 0);
}

static void test_stats_edges_of_an_evicted_cycle_member_agree_with_check(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "a"), b = add(f, "b"), c = add(f, "c");
    assert_int_equal(dp_depend(f->dp, a, b), DP_OK);
    assert_int_equal(dp_depend(f->dp, b, a), DP_OK);
    assert_int_equal(dp_depend(f->dp, c, a), DP_OK);
    assert_int_equal(dp_depend(f->dp, a, a), DP_OK);
    assert_int_equal(stat_edges(f), 4);
    assert_int_equal(dp_evict(f->dp, a), DP_OK); /* a->b, b->a, c->a, a->a go */
    assert_int_equal(stat_edges(f), 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_update(f->dp);
    assert_int_equal(stat_edges(f), 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, c);
    dp_update(f->dp);
    assert_int_equal(stat_edges(f), 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]); /* e.g. "*stats*" */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_evicted_data_stays_readable_until_the_next_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evicted_data_is_destroyed_once_within_two_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evicted_data_is_destroyed_by_dp_destroy_if_no_update_came, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_edges_forget_an_evicted_child, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_edges_forget_an_undepended_evicted_child_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_edges_of_an_evicted_cycle_member_agree_with_check, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
