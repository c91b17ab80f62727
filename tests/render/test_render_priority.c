/* test_render_priority.c — the upload queue follows load priority (issue 14): within one
 * frame's upload budget the most urgent assets are created first (oldest first within a
 * priority), and DP_PRIORITY_IMMEDIATE uploads ignore the budget (and do not spend it), so
 * a loading-screen texture never waits behind a level's meshes. The counting backend of
 * render_fixture.h; each asset is 1000 bytes; priorities are given with dp_set_priority
 * before the update that announces the asset. */
#include "testutil.h"

#include "depot/depot.h"
#include "render_fixture.h"

static dp_handle add_at(fixture *f, const char *key, int priority)
{
    dp_handle h = add(f, key, 1);
    assert_int_equal(dp_set_priority(f->dp, h, priority), DP_OK);
    assert_int_equal(dp_priority_of(f->dp, h), priority);
    return h;
}

static void test_uploads_follow_priority_within_the_budget(void **state)
{
    fixture *f = *state;
    f->desc.upload_bytes_per_frame = 1000; /* one asset a frame */
    start(f);
    dp_handle low = add_at(f, "low", DP_PRIORITY_LOW);
    dp_handle normal = add_at(f, "normal", DP_PRIORITY_NORMAL);
    dp_handle high = add_at(f, "high", DP_PRIORITY_HIGH);
    full_frame(f);
    assert_non_null(get(f, high));
    assert_null(get(f, normal));
    assert_null(get(f, low));
    full_frame(f);
    assert_non_null(get(f, normal));
    assert_null(get(f, low));
    full_frame(f);
    assert_non_null(get(f, low));
    dp_release(f->dp, low);
    dp_release(f->dp, normal);
    dp_release(f->dp, high);
}

static void test_oldest_first_within_a_priority(void **state)
{
    fixture *f = *state;
    f->desc.upload_bytes_per_frame = 1000;
    start(f);
    full_frame(f); /* the first sync's rescan is behind us: events come in order */
    dp_handle h[3];
    h[0] = add_at(f, "a", DP_PRIORITY_HIGH);
    h[1] = add_at(f, "b", DP_PRIORITY_HIGH);
    h[2] = add_at(f, "c", DP_PRIORITY_HIGH);
    for (int i = 0; i < 3; i++) {
        full_frame(f);
        for (int k = 0; k < 3; k++)
            assert_int_equal(get(f, h[k]) != NULL, k <= i);
    }
    for (int i = 0; i < 3; i++)
        dp_release(f->dp, h[i]);
}

static void test_immediate_uploads_ignore_the_budget(void **state)
{
    fixture *f = *state;
    f->desc.upload_bytes_per_frame = 1000;
    start(f);
    dp_handle normal[3], now[3];
    for (int i = 0; i < 3; i++)
        normal[i] = add_at(f, NULL, DP_PRIORITY_NORMAL);
    for (int i = 0; i < 3; i++)
        now[i] = add_at(f, NULL, DP_PRIORITY_IMMEDIATE);
    full_frame(f);
    for (int i = 0; i < 3; i++)
        assert_non_null(get(f, now[i])); /* all three, over a 1000-byte budget */
    /* They spent none of it: one NORMAL upload still fits this frame. */
    assert_int_equal(f->be.created, 4);
    assert_int_equal(stats(f).waiting, 2);
    full_frame(f);
    full_frame(f);
    for (int i = 0; i < 3; i++)
        assert_non_null(get(f, normal[i]));
    for (int i = 0; i < 3; i++) {
        dp_release(f->dp, normal[i]);
        dp_release(f->dp, now[i]);
    }
}

static void test_an_asset_never_prioritised_is_normal(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "plain", 1);
    assert_int_equal(dp_priority_of(f->dp, h), DP_PRIORITY_NORMAL);
    assert_int_equal(dp_priority_of(f->dp, DP_NULL_HANDLE), DP_PRIORITY_NORMAL);
    assert_int_equal(dp_priority_of(NULL, h), DP_PRIORITY_NORMAL);
    dp_release(f->dp, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_uploads_follow_priority_within_the_budget, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_oldest_first_within_a_priority, setup, teardown),
        cmocka_unit_test_setup_teardown(test_immediate_uploads_ignore_the_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_asset_never_prioritised_is_normal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
