/* test_render.c — the render layer with a counting backend (render_fixture.h), one
 * behaviour per test. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_fixture.h"

/* ---- basics ----------------------------------------------------------------------------- */

static void test_added_asset_gets_a_resource_after_sync_and_prepare(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    assert_null(get(f, h));
    next_frame(f);
    res *r = get(f, h);
    assert_non_null(r);
    assert_int_equal(r->version, 1);
    assert_int_equal(stats(f).live, 1);
    assert_int_equal(stats(f).live_bytes, 100);
    dp_release(f->dp, h);
}

static void test_assets_loaded_before_create_get_resources(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "early", 1);
    assert_int_equal(dp_update(f->dp), DP_OK);
    start(f);
    next_frame(f);
    assert_non_null(get(f, h));
    /* Its LOADED arriving later (none here) or a second sync creates nothing more. */
    full_frame(f);
    assert_int_equal(f->be.created, 1);
    dp_release(f->dp, h);
}

static void test_unhandled_types_are_ignored(void **state)
{
    fixture *f = *state;
    start(f);
    dp_type t = {.name = "other", .destroy = tasset_destroy};
    dp_type_id other;
    assert_int_equal(dp_register_type(f->dp, &t, &other), DP_OK);
    dp_handle h;
    assert_int_equal(dp_add(f->dp, other, tasset_new(1), 10, NULL, &h), DP_OK);
    next_frame(f);
    assert_null(get(f, h));
    assert_int_equal(stats(f).waiting, 0);
    assert_int_equal(f->be.created, 0);
    dp_release(f->dp, h);
}

static void test_stats_count_live_bytes_per_type(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle a = add(f, "a", 1), b = add(f, "b", 1);
    next_frame(f);
    dp_render_stats s;
    dp_render_get_stats(f->r, f->type, &s);
    assert_int_equal(s.live, 2);
    assert_int_equal(s.live_bytes, 200);
    dp_render_get_stats(f->r, f->type + 1, &s);
    assert_int_equal(s.live, 0);
    assert_int_equal(s.created, 2);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
}

/* ---- the Bevy cases ------------------------------------------------------------------------ */

static void test_readd_of_same_key_between_frames_retires_old_resource(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h1 = add(f, "mesh", 1);
    next_frame(f);
    res *r1 = get(f, h1);
    assert_non_null(r1);
    /* Between two frames: remove, update (freed), re-add under the same key, update. */
    dp_release(f->dp, h1);
    assert_int_equal(dp_update(f->dp), DP_OK);
    dp_handle h2 = add(f, "mesh", 2);
    assert_false(dp_handle_eq(h1, h2));
    next_frame(f);
    res *r2 = get(f, h2);
    assert_non_null(r2);
    assert_ptr_not_equal(r1, r2);
    assert_int_equal(r2->version, 2);
    assert_null(dp_render_get(f->r, h1));
    assert_int_equal(stats(f).live, 1);
    assert_int_equal(stats(f).retired, 1);
    assert_false(r1->destroyed); /* frame 1 used it and is not done */
    done(f, 1);
    assert_false(r1->destroyed); /* retired while frame 2 was current */
    done(f, 2);
    assert_true(r1->destroyed);
    assert_int_equal(f->be.live, 1);
    dp_release(f->dp, h2);
}

static void test_evict_and_readd_in_one_update_retires_old_resource(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h1 = add(f, "mesh", 1);
    full_frame(f);
    res *r1 = get(f, h1);
    assert_int_equal(dp_evict(f->dp, h1), DP_OK);
    dp_handle h2 = add(f, "mesh", 2); /* FREED and LOADED in one batch */
    full_frame(f);
    assert_true(r1->destroyed);
    res *r2 = get(f, h2);
    assert_non_null(r2);
    assert_int_equal(r2->version, 2);
    assert_int_equal(f->be.live, 1);
    dp_release(f->dp, h2);
}

static void test_modify_twice_in_one_frame_creates_once(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    res *r1 = get(f, h);
    modify(f, h, 2);
    modify(f, h, 3);
    next_frame(f);
    res *r = get(f, h);
    assert_int_equal(r->version, 3);
    assert_int_equal(f->be.created, 2);
    assert_int_equal(stats(f).live, 1);
    assert_int_equal(stats(f).retired, 1);
    done(f, f->frame);
    assert_true(r1->destroyed);
    dp_release(f->dp, h);
}

static void test_modify_keeps_old_resource_until_new_one_is_made(void **state)
{
    fixture *f = *state;
    f->desc.upload_bytes_per_frame = 1000;
    start(f);
    dp_handle a = add(f, "a", 1), b = add(f, "b", 1);
    full_frame(f);
    full_frame(f);
    res *ra = get(f, a);
    modify(f, b, 2); /* b first in line, a must wait for the budget */
    modify(f, a, 2);
    next_frame(f);
    assert_int_equal(get(f, b)->version, 2);
    assert_ptr_equal(get(f, a), ra); /* still shown, not retired */
    done(f, f->frame);
    assert_false(ra->destroyed);
    full_frame(f);
    assert_int_equal(get(f, a)->version, 2);
    full_frame(f);
    assert_true(ra->destroyed);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
}

static void test_modify_then_free_in_one_frame_retires_without_creating(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    res *r1 = get(f, h);
    modify(f, h, 2);
    dp_release(f->dp, h);
    next_frame(f);
    assert_null(dp_render_get(f->r, h));
    assert_int_equal(f->be.created, 1);
    assert_int_equal(stats(f).live, 0);
    assert_int_equal(stats(f).waiting, 0);
    assert_int_equal(stats(f).retired, 1);
    done(f, f->frame);
    assert_true(r1->destroyed);
}

static void test_add_then_free_before_any_sync_creates_nothing(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    assert_int_equal(dp_update(f->dp), DP_OK);
    dp_release(f->dp, h);
    full_frame(f);
    assert_int_equal(f->be.created, 0);
    assert_int_equal(stats(f).waiting, 0);
}

static void test_free_while_waiting_for_budget_creates_nothing(void **state)
{
    fixture *f = *state;
    f->desc.upload_bytes_per_frame = 1000; /* one asset a frame */
    start(f);
    dp_handle a = add(f, "a", 1), b = add(f, "b", 1);
    full_frame(f);
    /* One got this frame's budget; the other waits. */
    bool a_first = get(f, a) != NULL;
    dp_handle made = a_first ? a : b, waits = a_first ? b : a;
    assert_non_null(get(f, made));
    assert_null(get(f, waits));
    assert_int_equal(stats(f).waiting, 1);
    dp_release(f->dp, waits);
    full_frame(f);
    assert_int_equal(f->be.created, 1);
    assert_int_equal(stats(f).waiting, 0);
    full_frame(f);
    assert_int_equal(f->be.created, 1);
    dp_release(f->dp, made);
}

static void test_budget_spreads_creates_over_frames(void **state)
{
    fixture *f = *state;
    f->desc.upload_bytes_per_frame = 2500; /* two 1000-byte assets a frame */
    start(f);
    dp_handle h[5];
    for (int i = 0; i < 5; i++)
        h[i] = add(f, NULL, 1);
    long want[] = {2, 4, 5};
    for (int k = 0; k < 3; k++) {
        full_frame(f);
        assert_int_equal(f->be.created, want[k]);
    }
    for (int i = 0; i < 5; i++)
        assert_non_null(get(f, h[i]));
    for (int i = 0; i < 5; i++)
        dp_release(f->dp, h[i]);
}

static void test_free_while_backend_asked_to_retry_creates_nothing(void **state)
{
    fixture *f = *state;
    start(f);
    f->be.timeouts = 1;
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    assert_null(get(f, h));
    assert_int_equal(stats(f).waiting, 1);
    dp_release(f->dp, h);
    full_frame(f);
    assert_int_equal(f->be.created, 0);
    assert_int_equal(stats(f).waiting, 0);
}

static void test_retry_is_asked_again_next_frame_not_this_one(void **state)
{
    fixture *f = *state;
    start(f);
    f->be.timeouts = 1;
    dp_handle h = add(f, "a", 1);
    next_frame(f);
    assert_int_equal(dp_render_prepare(f->r), DP_OK); /* same frame: not asked again */
    assert_null(get(f, h));
    assert_int_equal(f->be.timeouts, 0);
    done(f, f->frame);
    full_frame(f);
    assert_non_null(get(f, h));
    dp_release(f->dp, h);
}

static void test_backend_error_leaves_no_resource_until_modified(void **state)
{
    fixture *f = *state;
    start(f);
    f->be.failures = 1;
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    full_frame(f);
    assert_null(get(f, h));
    assert_int_equal(stats(f).waiting, 0);
    modify(f, h, 2);
    full_frame(f);
    assert_int_equal(get(f, h)->version, 2);
    dp_release(f->dp, h);
}

/* ---- frames in flight ------------------------------------------------------------------- */

/* Frames run with `fif` in flight: frame F is reported done only when frame F + fif is about
 * to start. The resource used by frame N is replaced in frame N + 1 and must survive until
 * frame N (indeed the frame it was retired in) is done. */
static void survives_until_done(fixture *f, int fif)
{
    f->desc.frames_in_flight = fif;
    start(f);
    dp_handle h = add(f, "a", 1);
    const uint64_t N = 5;
    res *used = NULL;
    for (uint64_t frame = 1; frame <= N + 2 * (uint64_t)fif + 2; frame++) {
        if (frame > (uint64_t)fif)
            done(f, frame - (uint64_t)fif);
        assert_int_equal(dp_update(f->dp), DP_OK);
        f->frame = frame;
        assert_int_equal(dp_render_sync(f->r, frame), DP_OK);
        assert_int_equal(dp_render_prepare(f->r), DP_OK);
        res *r = get(f, h);
        assert_non_null(r);
        if (frame == N) {
            used = r;
            modify(f, h, 2);
        }
        if (used && f->be.done < N)
            assert_false(used->destroyed);
        assert_int_equal(stats(f).live, 1);
        /* Frames started and not done never exceed fif. */
        assert_true(frame - f->be.done <= (uint64_t)fif);
    }
    assert_true(used->destroyed);
    assert_true(f->be.done >= N + 1);
    dp_release(f->dp, h);
}

static void test_resource_used_by_frame_n_survives_until_done_1_in_flight(void **state)
{
    survives_until_done(*state, 1);
}

static void test_resource_used_by_frame_n_survives_until_done_2_in_flight(void **state)
{
    survives_until_done(*state, 2);
}

static void test_resource_used_by_frame_n_survives_until_done_3_in_flight(void **state)
{
    survives_until_done(*state, 3);
}

static void test_sync_refuses_more_frames_than_in_flight(void **state)
{
    fixture *f = *state;
    f->desc.frames_in_flight = 2;
    start(f);
    assert_int_equal(dp_render_sync(f->r, 1), DP_OK);
    assert_int_equal(dp_render_sync(f->r, 2), DP_OK);
    assert_int_equal(dp_render_sync(f->r, 3), DP_ERR_OVERFLOW);
    f->frame = 2;
    done(f, 1);
    assert_int_equal(dp_render_sync(f->r, 3), DP_OK);
}

static void test_frame_numbers_must_increase_and_be_started_to_be_done(void **state)
{
    fixture *f = *state;
    start(f);
    assert_int_equal(dp_render_sync(f->r, 0), DP_ERR_INVALID);
    assert_int_equal(dp_render_sync(f->r, 4), DP_OK);
    assert_int_equal(dp_render_sync(f->r, 4), DP_ERR_INVALID);
    assert_int_equal(dp_render_frame_done(f->r, 5), DP_ERR_INVALID);
    assert_int_equal(dp_render_frame_done(f->r, 4), DP_OK);
    assert_int_equal(dp_render_frame_done(f->r, 3), DP_OK); /* older: ignored */
}

static void test_destroy_frees_live_and_retired_resources_exactly_once(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle a = add(f, "a", 1), b = add(f, "b", 1);
    next_frame(f);
    get(f, a);
    modify(f, a, 2);
    next_frame(f);
    assert_int_equal(stats(f).retired, 1);
    assert_int_equal(stats(f).live, 2);
    /* The GPU is idle at shutdown: say so, then destroy without frame_done. */
    f->be.done = f->frame;
    dp_render_destroy(f->r);
    f->r = NULL;
    assert_int_equal(f->be.live, 0);
    assert_int_equal(f->be.destroyed, 3);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
}

/* ---- render-only assets ------------------------------------------------------------------ */

static void test_render_only_asset_keeps_resource_after_cpu_data_is_dropped(void **state)
{
    fixture *f = *state;
    int calls = 0;
    f->desc.drop_cpu = drop_to_stub;
    f->desc.drop_cpu_user = &calls;
    start(f);
    dp_handle h = add(f, "mesh", 7);
    full_frame(f);
    res *r = get(f, h);
    assert_non_null(r);
    assert_int_equal(calls, 1);
    const tasset *now = dp_get(f->dp, h);
    assert_true(now->stub);
    for (int i = 0; i < 3; i++) {
        full_frame(f); /* the MODIFIED of the drop arrives: not a removal, not a change */
        assert_ptr_equal(get(f, h), r);
    }
    assert_false(r->destroyed);
    assert_int_equal(f->be.created, 1);
    assert_int_equal(stats(f).retired, 0);
    assert_int_equal(((const tasset *)dp_get(f->dp, h))->meta, 1007);
    assert_int_equal(r->version, 7);
    dp_release(f->dp, h);
}

static void test_render_only_asset_is_recreated_by_a_real_modify(void **state)
{
    fixture *f = *state;
    int calls = 0;
    f->desc.drop_cpu = drop_to_stub;
    f->desc.drop_cpu_user = &calls;
    start(f);
    dp_handle h = add(f, "mesh", 1);
    full_frame(f);
    res *r1 = get(f, h);
    full_frame(f);
    modify(f, h, 2);
    full_frame(f);
    res *r2 = get(f, h);
    assert_ptr_not_equal(r1, r2);
    assert_int_equal(r2->version, 2);
    assert_int_equal(calls, 2);
    full_frame(f);
    assert_true(r1->destroyed);
    assert_ptr_equal(get(f, h), r2);
    dp_release(f->dp, h);
}

static void test_render_only_real_modify_in_the_same_update_as_the_drop_recreates(void **state)
{
    fixture *f = *state;
    int calls = 0;
    f->desc.drop_cpu = drop_to_stub;
    f->desc.drop_cpu_user = &calls;
    start(f);
    dp_handle h = add(f, "mesh", 1);
    full_frame(f);
    modify(f, h, 2); /* before the drop's MODIFIED reached the listener */
    full_frame(f);
    assert_int_equal(get(f, h)->version, 2);
    assert_int_equal(f->be.created, 2);
    dp_release(f->dp, h);
}

/* ---- failures ------------------------------------------------------------------------------ */

static void test_each_allocation_failure_still_ends_with_every_resource(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle keep = add(f, "keep", 1);
    full_frame(f);
    for (long n = 1; n <= 40; n++) {
        dp_handle h = add(f, NULL, (uint32_t)n);
        dp_test_alloc_fail_at(&f->ta, n);
        (void)dp_update(f->dp);
        f->frame++;
        (void)dp_render_sync(f->r, f->frame);
        (void)dp_render_prepare(f->r);
        dp_test_alloc_fail_at(&f->ta, 0);
        done(f, f->frame);
        full_frame(f);
        full_frame(f);
        res *r = get(f, h);
        assert_non_null(r);
        assert_int_equal(r->version, (uint32_t)n);
        dp_release(f->dp, h);
        full_frame(f);
        assert_int_equal(f->be.live, 1);
    }
    assert_non_null(get(f, keep));
    dp_release(f->dp, keep);
}

static void test_create_rejects_a_bad_desc(void **state)
{
    fixture *f = *state;
    dp_render_desc d = f->desc;
    d.backend.create = NULL;
    dp_render *r = (dp_render *)1;
    assert_int_equal(dp_render_create(f->dp, &d, &r), DP_ERR_INVALID);
    assert_null(r);
    d = f->desc;
    d.backend.handles = NULL; /* required: a backend for every type returns true */
    assert_int_equal(dp_render_create(f->dp, &d, &r), DP_ERR_INVALID);
    assert_null(r);
    d = f->desc;
    d.frames_in_flight = 17;
    assert_int_equal(dp_render_create(f->dp, &d, &r), DP_ERR_INVALID);
    assert_int_equal(dp_render_create(NULL, &f->desc, &r), DP_ERR_INVALID);
}

static void test_create_fails_cleanly_without_memory(void **state)
{
    fixture *f = *state;
    long before = atomic_load(&f->ta.live);
    dp_test_alloc_fail_at(&f->ta, 1);
    dp_render *r = (dp_render *)1;
    assert_int_equal(dp_render_create(f->dp, &f->desc, &r), DP_ERR_NOMEM);
    assert_null(r);
    assert_int_equal(atomic_load(&f->ta.live), before);
}

static void *other_thread(void *arg)
{
    fixture *f = arg;
    static dp_status st[4];
    st[0] = dp_render_sync(f->r, 9);
    st[1] = dp_render_prepare(f->r);
    st[2] = dp_render_frame_done(f->r, 0);
    st[3] = dp_render_get(f->r, DP_NULL_HANDLE) == NULL ? DP_ERR_WRONG_THREAD : DP_OK;
    return st;
}

static void test_calls_from_another_thread_are_refused(void **state)
{
    fixture *f = *state;
    start(f);
    pthread_t t;
    void *ret;
    assert_int_equal(pthread_create(&t, NULL, other_thread, f), 0);
    assert_int_equal(pthread_join(t, &ret), 0);
    dp_status *st = ret;
    for (int i = 0; i < 4; i++)
        assert_int_equal(st[i], DP_ERR_WRONG_THREAD);
    assert_int_equal(dp_render_sync(f->r, 1), DP_OK); /* frame 9 never started */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_added_asset_gets_a_resource_after_sync_and_prepare),
        T(test_assets_loaded_before_create_get_resources),
        T(test_unhandled_types_are_ignored),
        T(test_stats_count_live_bytes_per_type),
        T(test_readd_of_same_key_between_frames_retires_old_resource),
        T(test_evict_and_readd_in_one_update_retires_old_resource),
        T(test_modify_twice_in_one_frame_creates_once),
        T(test_modify_keeps_old_resource_until_new_one_is_made),
        T(test_modify_then_free_in_one_frame_retires_without_creating),
        T(test_add_then_free_before_any_sync_creates_nothing),
        T(test_free_while_waiting_for_budget_creates_nothing),
        T(test_budget_spreads_creates_over_frames),
        T(test_free_while_backend_asked_to_retry_creates_nothing),
        T(test_retry_is_asked_again_next_frame_not_this_one),
        T(test_backend_error_leaves_no_resource_until_modified),
        T(test_resource_used_by_frame_n_survives_until_done_1_in_flight),
        T(test_resource_used_by_frame_n_survives_until_done_2_in_flight),
        T(test_resource_used_by_frame_n_survives_until_done_3_in_flight),
        T(test_sync_refuses_more_frames_than_in_flight),
        T(test_frame_numbers_must_increase_and_be_started_to_be_done),
        T(test_destroy_frees_live_and_retired_resources_exactly_once),
        T(test_render_only_asset_keeps_resource_after_cpu_data_is_dropped),
        T(test_render_only_asset_is_recreated_by_a_real_modify),
        T(test_render_only_real_modify_in_the_same_update_as_the_drop_recreates),
        T(test_each_allocation_failure_still_ends_with_every_resource),
        T(test_create_rejects_a_bad_desc),
        T(test_create_fails_cleanly_without_memory),
        T(test_calls_from_another_thread_are_refused),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
