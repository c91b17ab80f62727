/* test_render_log.c — what the render layer tells the log hook (dp_desc.log): a backend that
 * handles none of the registered types, and an asset whose resource never gets made because
 * the backend keeps answering "ask again next frame". */
#include <stdio.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

static void free_asset(void *asset, void *user)
{
    (void)user;
    test_free(asset);
}

static bool handles_nothing(void *user, dp_type_id type)
{
    (void)user;
    (void)type;
    return false;
}

static bool handles_all(void *user, dp_type_id type)
{
    (void)user;
    (void)type;
    return true;
}

static dp_status always_later(void *user, dp_type_id type, const void *asset, void **gpu,
                              size_t *gpu_bytes)
{
    (void)user;
    (void)type;
    (void)asset;
    (void)gpu;
    (void)gpu_bytes;
    return DP_ERR_TIMEOUT;
}

static void destroy_gpu(void *user, dp_type_id type, void *gpu)
{
    (void)user;
    (void)type;
    (void)gpu;
}

static dp_depot *depot_with_type(dp_test_logbook *b, dp_type_id *type)
{
    dp_depot *dp = NULL;
    dp_desc d = {.workers = 1, .log = {dp_test_log_record, b}};
    assert_int_equal(dp_create(&d, &dp), DP_OK);
    dp_type t = {.name = "texture", .destroy = free_asset};
    assert_int_equal(dp_register_type(dp, &t, type), DP_OK);
    return dp;
}

static void test_backend_handling_no_registered_type_is_logged(void **state)
{
    (void)state;
    dp_test_logbook b = {0};
    dp_type_id type;
    dp_depot *dp = depot_with_type(&b, &type);
    dp_render *r = NULL;
    dp_render_desc d = {.backend = {handles_nothing, always_later, destroy_gpu, NULL}};
    assert_int_equal(dp_render_create(dp, &d, &r), DP_OK);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.level, DP_LOG_WARN);
    assert_non_null(strstr(b.last, "handles none"));
    dp_render_destroy(r);
    assert_int_equal(dp_destroy(dp), 0);
}

static void test_resource_that_never_gets_made_is_logged_once_with_its_key(void **state)
{
    (void)state;
    dp_test_logbook b = {0};
    dp_type_id type;
    dp_depot *dp = depot_with_type(&b, &type);
    dp_render *r = NULL;
    dp_render_desc d = {.backend = {handles_all, always_later, destroy_gpu, NULL}};
    assert_int_equal(dp_render_create(dp, &d, &r), DP_OK);
    assert_int_equal(b.n, 0);
    dp_handle h;
    assert_int_equal(dp_add(dp, type, test_malloc(16), 16, "ui/hud.tex", &h), DP_OK);
    for (uint64_t frame = 1; frame <= 300; frame++) {
        assert_int_equal(dp_update(dp), DP_OK);
        assert_int_equal(dp_render_sync(r, frame), DP_OK);
        assert_int_equal(dp_render_prepare(r), DP_OK);
        assert_int_equal(dp_render_frame_done(r, frame), DP_OK);
    }
    assert_int_equal(b.n, 1);
    assert_int_equal(b.level, DP_LOG_WARN);
    assert_non_null(strstr(b.last, "ui/hud.tex"));
    assert_non_null(strstr(b.last, "DP_ERR_TIMEOUT"));
    assert_int_equal(dp_release(dp, h), DP_OK);
    dp_render_destroy(r);
    assert_int_equal(dp_destroy(dp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend_handling_no_registered_type_is_logged),
        cmocka_unit_test(test_resource_that_never_gets_made_is_logged_once_with_its_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
