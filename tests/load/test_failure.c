/* test_failure.c — dp_failure: what a failed load says about itself (status, key, source,
 * the file it tried, the type's own message from dp_ctx_fail) and, for an asset whose
 * dependency failed, which dependency; under allocation failure, the status alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asset/failure.h"
#include "depot/depot.h"
#include "testutil.h"


typedef struct fx {
    dp_test_alloc alloc;
    char dir[256];
    dp_depot *dp;
} fx;

static void free_thing(void *asset, void *user)
{
    (void)user;
    free(asset);
}

/* "thing": its bytes must start with "OK", else it fails with a message of its own. */
static dp_status load_thing(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    if (len < 2 || memcmp(bytes, "OK", 2) != 0)
        return dp_ctx_fail(ctx, DP_ERR_FORMAT, "bad magic in %s: %zu bytes", dp_ctx_key(ctx), len);
    *asset = malloc(1);
    *asset_bytes = 1;
    return *asset ? DP_OK : DP_ERR_NOMEM;
}

/* "parent": depends on the file its bytes name. */
static dp_status load_parent(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                             size_t *asset_bytes)
{
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)len, (const char *)bytes);
    dp_handle child;
    dp_status st = dp_ctx_load_dep(ctx, key, &child);
    if (st != DP_OK)
        return st;
    *asset = malloc(1);
    *asset_bytes = 1;
    return *asset ? DP_OK : DP_ERR_NOMEM;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    dp_desc d = {.root = f->dir, .workers = 1, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const thing_ext[] = {"thing", NULL};
    static const char *const parent_ext[] = {"parent", NULL};
    dp_type thing = {.name = "thing", .extensions = thing_ext, .load = load_thing,
                     .destroy = free_thing};
    dp_type parent = {.name = "parent", .extensions = parent_ext, .load = load_parent,
                      .destroy = free_thing};
    dp_type_id id;
    assert_int_equal(dp_register_type(f->dp, &thing, &id), DP_OK);
    assert_int_equal(dp_register_type(f->dp, &parent, &id), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

static void put(const fx *f, const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    assert_int_equal(dp_test_write_file(path, text, strlen(text)), 0);
}

static dp_handle load_settled(fx *f, const char *key)
{
    dp_handle h;
    assert_int_equal(dp_load(f->dp, key, &h), DP_OK);
    (void)dp_wait(f->dp, h, DP_TEST_WAIT_MS);
    return h;
}

static void test_missing_file_names_key_source_and_the_file_tried(void **state)
{
    fx *f = *state;
    dp_handle h = load_settled(f, "maps/gone.thing");
    dp_failure_info info;
    assert_int_equal(dp_failure(f->dp, h, &info), DP_OK);
    assert_int_equal(info.status, DP_ERR_NOT_FOUND);
    assert_string_equal(info.key, "maps/gone.thing");
    assert_string_equal(info.failed_key, "maps/gone.thing");
    assert_string_equal(info.source, "file");
    char want[400];
    snprintf(want, sizeof want, "/maps/gone.thing");
    assert_non_null(info.path);
    assert_non_null(strstr(info.path, want));
    assert_true(info.path[0] == '/');
    assert_null(info.message);
    char line[600];
    snprintf(want, sizeof want, "maps/gone.thing: DP_ERR_NOT_FOUND (%s)", info.path);
    dp_failure_text(&info, line, sizeof line);
    assert_string_equal(line, want);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_custom_type_message_from_ctx_fail(void **state)
{
    fx *f = *state;
    put(f, "bad.thing", "NOPE");
    dp_handle h = load_settled(f, "bad.thing");
    dp_failure_info info;
    assert_int_equal(dp_failure(f->dp, h, &info), DP_OK);
    assert_int_equal(info.status, DP_ERR_FORMAT);
    assert_string_equal(info.message, "bad magic in bad.thing: 4 bytes");
    char line[600], want[600];
    snprintf(want, sizeof want, "bad.thing: DP_ERR_FORMAT: bad magic in bad.thing: 4 bytes (%s)",
             info.path);
    dp_failure_text(&info, line, sizeof line);
    assert_string_equal(line, want);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_failed_dependency_is_named_by_its_key(void **state)
{
    fx *f = *state;
    put(f, "level.parent", "tiles/missing.thing");
    dp_handle h = load_settled(f, "level.parent");
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_LOADED);
    dp_failure_info info;
    assert_int_equal(dp_failure(f->dp, h, &info), DP_OK);
    assert_int_equal(info.status, DP_ERR_NOT_FOUND);
    assert_string_equal(info.key, "level.parent");
    assert_string_equal(info.failed_key, "tiles/missing.thing");
    assert_non_null(strstr(info.path, "/tiles/missing.thing"));
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_loaded_asset_reports_ok_and_stale_handle_is_refused(void **state)
{
    fx *f = *state;
    put(f, "good.thing", "OK");
    dp_handle h = load_settled(f, "good.thing");
    dp_failure_info info;
    assert_int_equal(dp_failure(f->dp, h, &info), DP_OK);
    assert_int_equal(info.status, DP_OK);
    assert_null(info.message);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_failure(f->dp, h, &info), DP_ERR_STALE);
    assert_int_equal(dp_failure(NULL, h, &info), DP_ERR_INVALID);
}

static void test_out_of_memory_leaves_the_status_alone(void **state)
{
    fx *f = *state;
    put(f, "bad.thing", "NOPE");
    /* Fails every allocation from the nth after the load starts, for each n in turn: every
     * outcome is the status with or without complete details, never a half record or a
     * leak (teardown). */
    bool complete = false;
    for (long n = 1; n <= 2000 && !complete; n++) {
        dp_handle h;
        f->alloc.fail_all_after = 1;
        dp_test_alloc_fail_at(&f->alloc, n);
        dp_status st = dp_load(f->dp, "bad.thing", &h);
        if (st != DP_OK) {
            assert_int_equal(st, DP_ERR_NOMEM);
            dp_test_alloc_fail_at(&f->alloc, 0);
            f->alloc.fail_all_after = 0;
            continue;
        }
        (void)dp_wait(f->dp, h, DP_TEST_WAIT_MS);
        dp_failure_info info;
        assert_int_equal(dp_failure(f->dp, h, &info), DP_OK);
        if (info.status == DP_ERR_FORMAT) {
            if (info.message) {
                assert_string_equal(info.message, "bad magic in bad.thing: 4 bytes");
                assert_non_null(info.path);
                complete = true;
            } else {
                assert_null(info.path); /* all or nothing */
            }
        } else {
            assert_int_equal(info.status, DP_ERR_NOMEM);
        }
        dp_test_alloc_fail_at(&f->alloc, 0);
        f->alloc.fail_all_after = 0;
        assert_int_equal(dp_release(f->dp, h), DP_OK);
        assert_int_equal(dp_update(f->dp), DP_OK);
    }
    assert_true(complete);
}

/* The store itself, made to fail where it copies the strings: the old details go, nothing
 * half-filled stays, the status remains. */
static void test_details_that_cannot_be_copied_leave_the_status_alone(void **state)
{
    fx *f = *state;
    dp_handle h = load_settled(f, "gone.thing");
    dp_failure_info info;
    assert_int_equal(dp_failure(f->dp, h, &info), DP_OK);
    assert_non_null(info.path);
    dp_test_alloc_fail_at(&f->alloc, 2); /* the record is reused; the second string fails */
    dp__failure_record(f->dp, h, "file", "/some/path", "a message");
    dp_test_alloc_fail_at(&f->alloc, 0);
    assert_int_equal(dp_failure(f->dp, h, &info), DP_OK);
    assert_int_equal(info.status, DP_ERR_NOT_FOUND);
    assert_string_equal(info.key, "gone.thing");
    assert_null(info.source);
    assert_null(info.path);
    assert_null(info.message);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_file_names_key_source_and_the_file_tried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_type_message_from_ctx_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_dependency_is_named_by_its_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loaded_asset_reports_ok_and_stale_handle_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_leaves_the_status_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_details_that_cannot_be_copied_leave_the_status_alone, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
