/* test_reload_and_retry_contract_mt.c — what a caller waits for after a reload, and what
 * dp_load does with a FAILED asset (issue 9, contract items).
 *  - dp_wait after dp_reload returns once the reload is applied (before: at once, with the
 *    old data, because the deep state was LOADED all along).
 *  - A reload that leaves the deep state as it was announces MODIFIED only (no LOADED_DEEP):
 *    MODIFIED (or FAILED) is what to wait for.
 *  - dp_load of a FAILED asset that nobody else holds (released, not freed yet) loads it
 *    again; one that others hold is returned as it is (dp_reload retries it).
 * A "txt" file's data is its text; text starting with "bad" fails with DP_ERR_FORMAT, text
 * ending in "!" waits at a gate the test opens first. */
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"


typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id txt;
    atomic_int loads;
    dp_test_gate gate;
    int modified, loaded_deep, failed;
} fx;

static fx *the_fx;

static dp_status txt_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                          size_t *asset_bytes)
{
    atomic_fetch_add(&the_fx->loads, 1);
    if (len && ((const char *)bytes)[len - 1] == '!')
        dp_test_gate_block(&the_fx->gate);
    if (len >= 3 && !memcmp(bytes, "bad", 3))
        return DP_ERR_FORMAT;
    const dp_allocator *a = dp_ctx_allocator(ctx);
    char *s = a->alloc(len + 1, a->user);
    if (!s)
        return DP_ERR_NOMEM;
    memcpy(s, bytes, len);
    s[len] = 0;
    *asset = s;
    *asset_bytes = len + 1;
    return DP_OK;
}

static void on_events(void *user, const dp_event *ev, size_t n)
{
    fx *f = user;
    for (size_t i = 0; i < n; i++) {
        f->modified += ev[i].kind == DP_EV_MODIFIED;
        f->loaded_deep += ev[i].kind == DP_EV_LOADED_DEEP;
        f->failed += ev[i].kind == DP_EV_FAILED;
    }
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const ext[] = {"txt", NULL};
    dp_type t = {.name = "txt", .extensions = ext, .load = txt_load,
                 .destroy = dp_test_alloc_destroy, .user = &f->alloc};
    assert_int_equal(dp_register_type(f->dp, &t, &f->txt), DP_OK);
    assert_int_equal(dp_listen(f->dp, on_events, f), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&f->gate);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void put(fx *f, const char *text)
{
    assert_int_equal(dp_mem_add(f->dp, "a.txt", text, strlen(text)), DP_OK);
}

static void test_wait_after_reload_returns_with_the_new_data(void **state)
{
    fx *f = *state;
    put(f, "one");
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "mem://a.txt", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    put(f, "two!");
    assert_int_equal(dp_reload(f->dp, h), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->gate, DP_TEST_WAIT_MS));
    /* The reload is in flight: no return with the old data (before: DP_OK at once). */
    assert_int_equal(dp_wait(f->dp, h, 100), DP_ERR_TIMEOUT);
    dp_test_gate_open(&f->gate);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_string_equal(dp_get(f->dp, h), "two!");
    assert_int_equal(f->modified, 1);
    dp_release(f->dp, h);
    dp_update(f->dp);
}

static void test_a_reload_that_keeps_the_deep_state_announces_modified_only(void **state)
{
    fx *f = *state;
    put(f, "one");
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "mem://a.txt", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    dp_update(f->dp);
    assert_int_equal(f->loaded_deep, 1);
    put(f, "two");
    assert_int_equal(dp_reload(f->dp, h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    dp_update(f->dp);
    assert_int_equal(f->modified, 1);
    assert_int_equal(f->loaded_deep, 1); /* no second LOADED_DEEP: MODIFIED is the signal */
    dp_release(f->dp, h);
    dp_update(f->dp);
}

static void test_wait_after_a_failed_reload_returns_with_the_old_data(void **state)
{
    fx *f = *state;
    put(f, "one");
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "mem://a.txt", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    put(f, "bad!");
    assert_int_equal(dp_reload(f->dp, h), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->gate, DP_TEST_WAIT_MS));
    assert_int_equal(dp_wait(f->dp, h, 100), DP_ERR_TIMEOUT);
    dp_test_gate_open(&f->gate);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(atomic_load(&f->loads), 2);
    assert_int_equal(f->failed, 1); /* the reload's outcome is the FAILED event */
    assert_string_equal(dp_get(f->dp, h), "one");
    dp_release(f->dp, h);
    dp_update(f->dp);
}

static void test_load_of_a_failed_asset_nobody_holds_loads_it_again(void **state)
{
    fx *f = *state;
    put(f, "bad");
    dp_handle h, g;
    assert_int_equal(dp_load(f->dp, "mem://a.txt", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
    assert_int_equal(dp_release(f->dp, h), DP_OK); /* unused, not freed before an update */
    put(f, "fixed");
    assert_int_equal(dp_load(f->dp, "mem://a.txt", &g), DP_OK);
    assert_int_equal(dp_wait(f->dp, g, DP_TEST_WAIT_MS), DP_OK);
    assert_string_equal(dp_get(f->dp, g), "fixed");
    assert_int_equal(atomic_load(&f->loads), 2);
    dp_release(f->dp, g);
    dp_update(f->dp);
}

static void test_load_of_a_failed_asset_others_hold_returns_it_as_it_is(void **state)
{
    fx *f = *state;
    put(f, "bad");
    dp_handle h, g;
    assert_int_equal(dp_load(f->dp, "mem://a.txt", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
    put(f, "fixed");
    assert_int_equal(dp_load(f->dp, "mem://a.txt", &g), DP_OK);
    assert_true(dp_handle_eq(g, h));
    assert_int_equal(dp_wait(f->dp, g, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
    assert_int_equal(atomic_load(&f->loads), 1);
    assert_int_equal(dp_reload(f->dp, h), DP_OK); /* the explicit retry */
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_string_equal(dp_get(f->dp, h), "fixed");
    dp_release(f->dp, g);
    dp_release(f->dp, h);
    dp_update(f->dp);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_wait_after_reload_returns_with_the_new_data),
        T(test_a_reload_that_keeps_the_deep_state_announces_modified_only),
        T(test_wait_after_a_failed_reload_returns_with_the_old_data),
        T(test_load_of_a_failed_asset_nobody_holds_loads_it_again),
        T(test_load_of_a_failed_asset_others_hold_returns_it_as_it_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
