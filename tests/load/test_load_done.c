/* test_load_done.c — completion callbacks: called exactly once per request, on the owner
 * thread during dp_update once the deep state settles; with the failure status for a
 * failure, DP_ERR_CANCELLED for an asset freed first and for requests dp_destroy finds;
 * never after dp_destroy. "node" assets from mem://, one held at a gate. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "depot/depot.h"
#include "node_type.h"
#include "testutil.h"

#define LONG_NS ((uint64_t)DP_TEST_WAIT_MS * 1000000u) /* a hung load, not a slow machine */

typedef struct fx fx;

typedef struct call_log {
    fx *f;
    int calls;
    dp_status status;
    dp_handle h;
    dp_state deep_at_call; /* dp_state_deep when called */
    bool on_owner;
    bool in_destroy;       /* f->destroying was set when called */
} call_log;

struct fx {
    dp_depot *dp;
    dp_type_id node;
    pthread_t owner;
    bool destroying;
};

static void on_done(void *user, dp_handle h, dp_status status)
{
    call_log *c = user;
    c->calls++;
    c->status = status;
    c->h = h;
    c->deep_at_call = dp_state_deep(c->f->dp, h);
    c->on_owner = pthread_equal(pthread_self(), c->f->owner);
    c->in_destroy = c->f->destroying;
}

/* Loads key with a completion request logged in c. */
static dp_handle request(fx *f, const char *key, call_log *c)
{
    c->f = f;
    dp_handle h;
    dp_load_opts o = {.on_done = on_done, .on_done_user = c};
    assert_int_equal(dp_load_ex(f->dp, key, &o, &h), DP_OK);
    return h;
}

static void pump_until_called(fx *f, const call_log *c)
{
    uint64_t end = dp_test_now_ns() + LONG_NS;
    while (c->calls == 0) {
        assert_true(dp_test_now_ns() < end);
        assert_int_equal(dp_update(f->dp), DP_OK);
        usleep(500);
    }
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->owner = pthread_self();
    assert_int_equal(dp_create(&(dp_desc){.workers = 2}, &f->dp), DP_OK);
    assert_int_equal(dp_test_node_register(f->dp, &f->node), DP_OK);
    dp_test_node_put(f->dp, "root.node", "dep mem://mid.node");
    dp_test_node_put(f->dp, "mid.node", "dep mem://leaf.node");
    dp_test_node_put(f->dp, "leaf.node", "ok");
    dp_test_node_put(f->dp, "broken.node", "dep mem://bad.node");
    dp_test_node_put(f->dp, "bad.node", "fail");
    dp_test_node_put(f->dp, "stuck.node", "gate");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&dp_test_node_gate);
    if (f->dp)
        assert_int_equal(dp_destroy(f->dp), 0);
    free(f);
    return 0;
}

static void test_done_is_called_once_when_the_deep_state_loads(void **state)
{
    fx *f = *state;
    call_log c = {0};
    dp_handle h = request(f, "mem://root.node", &c);
    pump_until_called(f, &c);
    assert_int_equal(c.status, DP_OK);
    assert_int_equal(c.deep_at_call, DP_STATE_LOADED); /* settled when called */
    assert_true(c.on_owner);
    assert_true(dp_handle_eq(c.h, h));
    for (int i = 0; i < 5; i++)
        assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(c.calls, 1);
    dp_release(f->dp, h);
}

static void test_done_gets_the_failure_of_a_dependency(void **state)
{
    fx *f = *state;
    call_log c = {0};
    dp_handle h = request(f, "mem://broken.node", &c);
    pump_until_called(f, &c);
    assert_int_equal(c.status, DP_ERR_FORMAT);
    assert_int_equal(c.deep_at_call, DP_STATE_FAILED);
    for (int i = 0; i < 5; i++)
        assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(c.calls, 1);
    dp_release(f->dp, h);
}

static void test_done_is_cancelled_when_the_asset_is_freed_first(void **state)
{
    fx *f = *state;
    call_log c = {0};
    dp_handle h = request(f, "mem://stuck.node", &c);
    assert_true(dp_test_gate_wait_reached(&dp_test_node_gate, DP_TEST_WAIT_MS));
    dp_release(f->dp, h); /* nobody wants it any more: freed at the next update */
    pump_until_called(f, &c);
    assert_int_equal(c.status, DP_ERR_CANCELLED);
    assert_int_equal(c.deep_at_call, DP_STATE_INVALID);
    dp_test_gate_open(&dp_test_node_gate);
    for (int i = 0; i < 5; i++)
        assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(c.calls, 1);
}

static void test_done_for_a_loaded_asset_comes_at_the_next_update(void **state)
{
    fx *f = *state;
    call_log first = {0}, again = {0}, twice = {0};
    dp_handle h = request(f, "mem://leaf.node", &first);
    pump_until_called(f, &first);
    dp_handle h2 = request(f, "mem://leaf.node", &again); /* same asset, settled already */
    dp_handle h3 = request(f, "mem://leaf.node", &twice);
    assert_int_equal(again.calls, 0); /* not from inside dp_load */
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(again.calls, 1);
    assert_int_equal(twice.calls, 1);
    assert_int_equal(again.status, DP_OK);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(first.calls + again.calls + twice.calls, 3);
    dp_release(f->dp, h);
    dp_release(f->dp, h2);
    dp_release(f->dp, h3);
}

static void test_done_waiting_at_destroy_is_cancelled_during_destroy_only(void **state)
{
    fx *f = *state;
    call_log c = {0};
    dp_handle h = request(f, "mem://stuck.node", &c);
    assert_true(dp_test_gate_wait_reached(&dp_test_node_gate, DP_TEST_WAIT_MS));
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(c.calls, 0);
    dp_release(f->dp, h); /* not freed before dp_destroy: no update comes */
    dp_test_gate_open(&dp_test_node_gate);
    f->destroying = true;
    assert_int_equal(dp_destroy(f->dp), 0);
    f->dp = NULL;
    f->destroying = false;
    assert_int_equal(c.calls, 1);
    assert_true(c.in_destroy);
    assert_int_equal(c.status, DP_ERR_CANCELLED);
}

static void test_done_of_a_refused_load_is_never_called(void **state)
{
    fx *f = *state;
    call_log c = {.f = f};
    dp_handle h;
    dp_load_opts bad = {.priority = 7, .on_done = on_done, .on_done_user = &c};
    assert_int_equal(dp_load_ex(f->dp, "mem://leaf.node", &bad, &h), DP_ERR_INVALID);
    dp_load_opts ok = {.on_done = on_done, .on_done_user = &c};
    assert_int_equal(dp_load_ex(f->dp, "mem://no.such.extension", &ok, &h), DP_ERR_NOT_FOUND);
    for (int i = 0; i < 5; i++)
        assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(c.calls, 0);
}

static void test_done_of_a_group_load(void **state)
{
    fx *f = *state;
    call_log c = {.f = f};
    dp_group g;
    assert_int_equal(dp_group_create(f->dp, "g", &g), DP_OK);
    dp_load_opts o = {.group = g, .on_done = on_done, .on_done_user = &c};
    assert_int_equal(dp_load_ex(f->dp, "mem://root.node", &o, NULL), DP_OK);
    pump_until_called(f, &c);
    assert_int_equal(c.status, DP_OK);
    assert_int_equal(dp_group_destroy(f->dp, g), DP_OK);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(c.calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_done_is_called_once_when_the_deep_state_loads,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_done_gets_the_failure_of_a_dependency, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_done_is_cancelled_when_the_asset_is_freed_first,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_done_for_a_loaded_asset_comes_at_the_next_update,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_done_waiting_at_destroy_is_cancelled_during_destroy_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_done_of_a_refused_load_is_never_called, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_done_of_a_group_load, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
