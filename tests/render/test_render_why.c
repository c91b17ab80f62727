/* test_render_why.c — dp_render_get_why: the reason a renderer gets with (or instead of) a
 * resource, so that it can draw a placeholder for a pending asset and an error texture for
 * a failed one. Counting backend and fixture: render_fixture.h. */
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>

#include "depot/load.h"
#include "render_fixture.h"

static dp_render_why why_of(fixture *f, dp_handle h, void **gpu)
{
    dp_render_why w = {DP_RENDER_REASON_READY, DP_ERR_IO}; /* overwritten by every path */
    void *p = dp_render_get_why(f->r, h, &w);
    if (gpu)
        *gpu = p;
    return w;
}

static void test_loaded_asset_before_its_first_prepare_is_pending(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    void *gpu = (void *)1;
    dp_render_why w = why_of(f, h, &gpu); /* not even synced yet */
    assert_int_equal(w.reason, DP_RENDER_REASON_PENDING);
    assert_int_equal(w.status, DP_OK);
    assert_null(gpu);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_render_sync(f->r, ++f->frame), DP_OK); /* synced, not prepared */
    assert_int_equal(why_of(f, h, &gpu).reason, DP_RENDER_REASON_PENDING);
    assert_null(gpu);
    dp_release(f->dp, h);
}

static void test_prepared_asset_is_ready_with_its_resource(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    void *gpu = NULL;
    dp_render_why w = why_of(f, h, &gpu);
    assert_int_equal(w.reason, DP_RENDER_REASON_READY);
    assert_int_equal(w.status, DP_OK);
    assert_non_null(gpu);
    assert_ptr_equal(gpu, dp_render_get(f->r, h));
    dp_release(f->dp, h);
}

static void test_transient_backend_answer_is_retrying_with_its_status(void **state)
{
    fixture *f = *state;
    f->be.timeouts = 1;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    void *gpu = (void *)1;
    dp_render_why w = why_of(f, h, &gpu);
    assert_int_equal(w.reason, DP_RENDER_REASON_RETRYING);
    assert_int_equal(w.status, DP_ERR_TIMEOUT);
    assert_null(gpu);
    full_frame(f); /* asked again: answers now */
    assert_int_equal(why_of(f, h, &gpu).reason, DP_RENDER_REASON_READY);
    assert_non_null(gpu);
    dp_release(f->dp, h);
}

static void test_refused_data_is_failed_with_the_backends_status(void **state)
{
    fixture *f = *state;
    f->be.failures = 1;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    void *gpu = (void *)1;
    dp_render_why w = why_of(f, h, &gpu);
    assert_int_equal(w.reason, DP_RENDER_REASON_FAILED);
    assert_int_equal(w.status, DP_ERR_FORMAT);
    assert_null(gpu);
    modify(f, h, 2); /* new data: due again, and the backend takes it */
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_render_sync(f->r, ++f->frame), DP_OK);
    assert_int_equal(why_of(f, h, NULL).reason, DP_RENDER_REASON_PENDING);
    assert_int_equal(dp_render_prepare(f->r), DP_OK);
    assert_int_equal(why_of(f, h, NULL).reason, DP_RENDER_REASON_READY);
    dp_release(f->dp, h);
}

static void test_modified_asset_is_pending_and_keeps_its_previous_resource(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    res *old = get(f, h);
    assert_non_null(old);
    modify(f, h, 2);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_render_sync(f->r, ++f->frame), DP_OK);
    void *gpu = NULL;
    assert_int_equal(why_of(f, h, &gpu).reason, DP_RENDER_REASON_PENDING);
    assert_ptr_equal(gpu, old);
    old->last_used = f->frame;
    assert_int_equal(dp_render_prepare(f->r), DP_OK);
    assert_int_equal(why_of(f, h, &gpu).reason, DP_RENDER_REASON_READY);
    assert_int_equal(((res *)gpu)->version, 2);
    done(f, f->frame);
    dp_release(f->dp, h);
}

static void test_freed_asset_is_retired(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    dp_release(f->dp, h);
    assert_int_equal(dp_update(f->dp), DP_OK); /* FREED announced, not yet synced */
    void *gpu = (void *)1;
    assert_int_equal(why_of(f, h, &gpu).reason, DP_RENDER_REASON_RETIRED);
    assert_null(gpu);
    full_frame(f);
    assert_int_equal(why_of(f, h, &gpu).reason, DP_RENDER_REASON_RETIRED);
    assert_int_equal(why_of(f, DP_NULL_HANDLE, &gpu).reason, DP_RENDER_REASON_RETIRED);
}

static void test_asset_of_a_type_the_backend_does_not_handle_is_unhandled(void **state)
{
    fixture *f = *state;
    dp_type t = {.name = "other", .destroy = tasset_destroy};
    dp_type_id other;
    assert_int_equal(dp_register_type(f->dp, &t, &other), DP_OK);
    start(f);
    dp_handle h;
    assert_int_equal(dp_add(f->dp, other, tasset_new(1), 10, NULL, &h), DP_OK);
    full_frame(f);
    void *gpu = (void *)1;
    assert_int_equal(why_of(f, h, &gpu).reason, DP_RENDER_REASON_UNHANDLED);
    assert_null(gpu);
    dp_release(f->dp, h);
}

static void test_loading_asset_is_loading_then_load_failed_with_its_status(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h;
    assert_int_equal(dp_load_as(f->dp, "no/such/file.tasset", f->type, &h), DP_OK);
    /* Results reach the registry only in dp_update: it is still pending or loading. */
    void *gpu = (void *)1;
    dp_render_why w = why_of(f, h, &gpu);
    assert_int_equal(w.reason, DP_RENDER_REASON_LOADING);
    assert_int_equal(w.status, DP_OK);
    assert_null(gpu);
    assert_int_equal(dp_wait(f->dp, h, -1), DP_ERR_NOT_FOUND);
    full_frame(f);
    w = why_of(f, h, &gpu);
    assert_int_equal(w.reason, DP_RENDER_REASON_LOAD_FAILED);
    assert_int_equal(w.status, DP_ERR_NOT_FOUND);
    assert_null(gpu);
    dp_release(f->dp, h);
}

static void test_null_render_layer_is_unhandled(void **state)
{
    (void)state;
    dp_render_why w = {DP_RENDER_REASON_READY, DP_ERR_IO};
    assert_null(dp_render_get_why(NULL, DP_NULL_HANDLE, &w));
    assert_int_equal(w.reason, DP_RENDER_REASON_UNHANDLED);
    assert_int_equal(w.status, DP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_loaded_asset_before_its_first_prepare_is_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_asset_is_ready_with_its_resource, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transient_backend_answer_is_retrying_with_its_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_data_is_failed_with_the_backends_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modified_asset_is_pending_and_keeps_its_previous_resource, setup, teardown),
        cmocka_unit_test_setup_teardown(test_freed_asset_is_retired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_asset_of_a_type_the_backend_does_not_handle_is_unhandled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loading_asset_is_loading_then_load_failed_with_its_status, setup, teardown),
        cmocka_unit_test(test_null_render_layer_is_unhandled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
