/* test_scenarios.c — the registry scenarios named in the registry issue: the Cocos sprite
 * chain, a scene switch with groups, release and re-acquire before an update, a leak named
 * with its holder's call site, and holder bookkeeping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "asset_fixture.h"
#include "testutil.h"

static int setup_holders(void **state) { return setup_desc(state, (dp_desc){.track_holders = true}); }

/* ---- the Cocos sprite chain ------------------------------------------------------------- */

typedef struct chain {
    dp_handle frame, tex, img;
} chain;

/* sprite frame -> texture -> image; three scene nodes hold the frame. */
static chain make_sprite_chain(fixture *f)
{
    chain c = {add(f, "frame"), add(f, "tex"), add(f, "img")};
    assert_int_equal(dp_depend(f->dp, c.frame, c.tex), DP_OK);
    assert_int_equal(dp_depend(f->dp, c.tex, c.img), DP_OK);
    assert_int_equal(dp_release(f->dp, c.tex), DP_OK);
    assert_int_equal(dp_release(f->dp, c.img), DP_OK);
    assert_int_equal(dp_retain(f->dp, c.frame), DP_OK);
    assert_int_equal(dp_retain(f->dp, c.frame), DP_OK);
    return c;
}

static void test_cocos_sprite_chain_counts_are_3_1_1(void **state)
{
    fixture *f = *state;
    chain c = make_sprite_chain(f);
    dp_update(f->dp);
    assert_int_equal(dp_count(f->dp, c.frame), 3);
    assert_int_equal(dp_count(f->dp, c.tex), 1);
    assert_int_equal(dp_count(f->dp, c.img), 1);
    assert_int_equal(f->destroyed, 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
    for (int i = 0; i < 3; i++)
        dp_release(f->dp, c.frame);
}

static void test_cocos_sprite_chain_three_releases_and_one_update_free_all(void **state)
{
    fixture *f = *state;
    chain c = make_sprite_chain(f);
    dp_update(f->dp);
    for (int i = 0; i < 3; i++)
        assert_int_equal(dp_release(f->dp, c.frame), DP_OK);
    assert_int_equal(f->destroyed, 0);
    dp_update(f->dp);
    assert_int_equal(count_events(f, DP_EV_FREED), 3);
    assert_int_equal(dp_state_of(f->dp, c.img), DP_STATE_INVALID);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(f->per_id[i], 1);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

/* ---- scene switch with a group ---------------------------------------------------------- */

static void test_scene_switch_keeps_shared_and_frees_only_a_own(void **state)
{
    fixture *f = *state;
    dp_group ga, gb;
    assert_int_equal(dp_group_create(f->dp, "scene A", &ga), DP_OK);
    dp_handle shared1 = add(f, "shared1"), shared2 = add(f, "shared2");
    dp_handle a_own = add(f, "a_own"), a_kid = add(f, "a_kid");
    assert_int_equal(dp_depend(f->dp, a_own, a_kid), DP_OK);
    assert_int_equal(dp_depend(f->dp, shared2, a_kid), DP_OK); /* a_kid is shared too, by edge */
    dp_handle amembers[] = {shared1, shared2, a_own};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dp_group_add(f->dp, ga, amembers[i]), DP_OK);
        dp_release(f->dp, amembers[i]);
    }
    dp_release(f->dp, a_kid);
    dp_update(f->dp);
    assert_int_equal(dp_check(f->dp), DP_OK);

    /* B loads: its members join B's group, then A is released, then the update runs. */
    dp_group gb_;
    assert_int_equal(dp_group_create(f->dp, "scene B", &gb), DP_OK);
    gb_ = gb;
    dp_handle b_own;
    dp_handle s1, s2;
    assert_int_equal(dp_find(f->dp, "shared1", &s1), DP_OK);
    assert_int_equal(dp_find(f->dp, "shared2", &s2), DP_OK);
    b_own = add(f, "b_own");
    dp_handle bmembers[] = {s1, s2, b_own};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dp_group_add(f->dp, gb_, bmembers[i]), DP_OK);
        dp_release(f->dp, bmembers[i]);
    }
    assert_int_equal(dp_group_release(f->dp, ga), DP_OK);
    dp_update(f->dp);
    pass_quarantine(f);

    assert_int_equal(f->destroyed, 1); /* a_own only; a_kid is kept by shared2's edge */
    assert_null(dp_get(f->dp, a_own));
    assert_non_null(dp_get(f->dp, shared1));
    assert_non_null(dp_get(f->dp, shared2));
    assert_non_null(dp_get(f->dp, a_kid));
    assert_non_null(dp_get(f->dp, b_own));
    assert_int_equal(dp_count(f->dp, a_kid), 1);
    assert_int_equal(dp_group_size(f->dp, ga), 0);
    assert_int_equal(dp_group_size(f->dp, gb), 3);
    assert_int_equal(dp_check(f->dp), DP_OK);

    assert_int_equal(dp_group_destroy(f->dp, gb), DP_OK);
    assert_int_equal(dp_group_destroy(f->dp, ga), DP_OK);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 5);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_group_handle_is_stale_after_destroy(void **state)
{
    fixture *f = *state;
    dp_group g;
    dp_handle a = add(f, NULL);
    assert_int_equal(dp_group_create(f->dp, NULL, &g), DP_OK);
    assert_int_equal(dp_group_add(f->dp, g, a), DP_OK);
    assert_int_equal(dp_group_add(f->dp, g, a), DP_ERR_EXISTS);
    assert_int_equal(dp_count(f->dp, a), 2);
    assert_int_equal(dp_group_destroy(f->dp, g), DP_OK);
    assert_int_equal(dp_group_add(f->dp, g, a), DP_ERR_STALE);
    assert_int_equal(dp_group_remove(f->dp, g, a), DP_ERR_STALE);
    assert_int_equal(dp_group_release(f->dp, g), DP_ERR_STALE);
    assert_int_equal(dp_group_destroy(f->dp, g), DP_ERR_STALE);
    assert_int_equal(dp_count(f->dp, a), 1);
    dp_release(f->dp, a);
}

/* ---- release then re-acquire before dp_update ------------------------------------------- */

static void test_release_then_reacquire_before_update_frees_nothing(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "level.png"), kid = add(f, NULL);
    dp_depend(f->dp, h, kid);
    dp_release(f->dp, kid);
    dp_update(f->dp);
    void *data = dp_get(f->dp, h);

    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_handle again;
    assert_int_equal(dp_find(f->dp, "level.png", &again), DP_OK);
    dp_update(f->dp);

    assert_true(dp_handle_eq(h, again));
    assert_int_equal(f->destroyed, 0);
    assert_ptr_equal(dp_get(f->dp, h), data); /* not rebuilt */
    assert_int_equal(count_events(f, DP_EV_UNUSED), 0);
    assert_int_equal(count_events(f, DP_EV_FREED), 0);
    assert_int_equal(count_events(f, DP_EV_LOADED), 0);
    assert_int_equal(dp_count(f->dp, h), 1);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, h);
}

static void test_release_then_add_of_same_key_hands_back_the_old_asset(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "k");
    dp_update(f->dp);
    dp_release(f->dp, h);
    obj *mine = mk(f);
    dp_handle again;
    assert_int_equal((dp_add)(f->dp, f->type, mine, 16, "k", &again), DP_ERR_EXISTS);
    f->next_id--; /* never handed over */
    free(mine);
    dp_update(f->dp);
    assert_true(dp_handle_eq(h, again));
    assert_int_equal(f->destroyed, 0);
    assert_int_equal(count_events(f, DP_EV_UNUSED), 0);
    assert_int_equal(count_events(f, DP_EV_FREED), 0);
    dp_release(f->dp, h);
}

static void test_release_then_upgrade_before_update_frees_nothing(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, NULL);
    dp_update(f->dp);
    dp_handle weak = h;
    dp_release(f->dp, h);
    assert_int_equal(dp_upgrade(f->dp, weak), DP_OK);
    dp_update(f->dp);
    assert_int_equal(f->destroyed, 0);
    assert_int_equal(count_events(f, DP_EV_UNUSED), 0);
    assert_int_equal(count_events(f, DP_EV_FREED), 0);
    dp_release(f->dp, h);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 1);
    assert_int_equal(dp_upgrade(f->dp, weak), DP_ERR_STALE);
}

/* ---- a leak, named by its holder --------------------------------------------------------- */

static char *capture_leaks(fixture *f, size_t *held)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    *held = dp_report_leaks(f->dp, m);
    fclose(m);
    return buf;
}

static void test_leak_is_reported_with_holder_file_and_line(void **state)
{
    fixture *f = *state;
    dp_handle freed = add(f, "released");
    dp_handle h;
    assert_int_equal(dp_add(f->dp, f->type, mk(f), 16, "leaky.png", &h), DP_OK); int line = __LINE__;
    dp_release(f->dp, freed);
    dp_update(f->dp);

    size_t held;
    char *report = capture_leaks(f, &held);
    assert_int_equal(held, 1);
    char site[128];
    snprintf(site, sizeof site, "test_scenarios.c:%d", line);
    assert_non_null(strstr(report, "leaky.png"));
    assert_non_null(strstr(report, site));
    assert_null(strstr(report, "released"));
    free(report);
    assert_int_equal(dp_destroy(f->dp), 1);
    f->dp = NULL;
}

static void test_leak_report_names_retain_site_and_kept_child(void **state)
{
    fixture *f = *state;
    dp_handle root = add(f, "root"), kid = add(f, "kid");
    dp_depend(f->dp, root, kid);
    dp_release(f->dp, kid);
    assert_int_equal(dp_retain(f->dp, root), DP_OK); int line = __LINE__;
    dp_release(f->dp, root); /* drops one record: the most recent one of this thread */
    dp_update(f->dp);

    size_t held;
    char *report = capture_leaks(f, &held);
    assert_int_equal(held, 1);
    assert_non_null(strstr(report, "root"));
    assert_non_null(strstr(report, "kid <- root"));
    char site[128];
    snprintf(site, sizeof site, "test_scenarios.c:%d", line);
    assert_null(strstr(report, site)); /* released */
    free(report);
    assert_int_equal(dp_destroy(f->dp), 1);
    f->dp = NULL;
}

/* ---- holders ------------------------------------------------------------------------------ */

static void test_release_removes_one_holder(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "h");
    dp_retain(f->dp, h);
    dp_retain(f->dp, h);
    dp_holder hs[8];
    size_t n = dp_holders(f->dp, h, hs, 8);
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += hs[i].count;
    assert_int_equal(total, 3);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    n = dp_holders(f->dp, h, hs, 8);
    total = 0;
    for (size_t i = 0; i < n; i++)
        total += hs[i].count;
    assert_int_equal(total, 2);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, h);
    dp_release(f->dp, h);
    assert_int_equal(dp_holders(f->dp, h, hs, 8), 0);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_holders_merge_call_sites(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "h");
    int loop_line = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dp_retain(f->dp, h), DP_OK); loop_line = __LINE__;
    }
    dp_holder hs[8];
    size_t n = dp_holders(f->dp, h, hs, 8);
    assert_int_equal(n, 2); /* the dp_add site and the loop site */
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (hs[i].line == loop_line) {
            assert_non_null(strstr(hs[i].file, "test_scenarios.c"));
            assert_int_equal(hs[i].count, 3);
            found = true;
        } else {
            assert_int_equal(hs[i].count, 1);
        }
    }
    assert_true(found);
    /* Asking for fewer still tells how many distinct sites there are. */
    assert_int_equal(dp_holders(f->dp, h, hs, 1), 2);
    assert_int_equal(dp_holders(f->dp, h, NULL, 0), 2);
    for (int i = 0; i < 4; i++)
        dp_release(f->dp, h);
}

static void test_holders_are_empty_without_tracking(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "h");
    dp_holder hs[4];
    assert_int_equal(dp_holders(f->dp, h, hs, 4), 0);
    dp_release(f->dp, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cocos_sprite_chain_counts_are_3_1_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cocos_sprite_chain_three_releases_and_one_update_free_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scene_switch_keeps_shared_and_frees_only_a_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_handle_is_stale_after_destroy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_then_reacquire_before_update_frees_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_then_add_of_same_key_hands_back_the_old_asset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_then_upgrade_before_update_frees_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leak_is_reported_with_holder_file_and_line, setup_holders, teardown),
        cmocka_unit_test_setup_teardown(test_leak_report_names_retain_site_and_kept_child, setup_holders, teardown),
        cmocka_unit_test_setup_teardown(test_release_removes_one_holder, setup_holders, teardown),
        cmocka_unit_test_setup_teardown(test_holders_merge_call_sites, setup_holders, teardown),
        cmocka_unit_test_setup_teardown(test_holders_are_empty_without_tracking, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
