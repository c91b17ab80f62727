/* requires: http */
/* test_load_class_cap_mt.c — concurrency classes (issue 14): the http source's jobs count
 * against the network class, whose cap bounds the transfers in flight, so a stalled server
 * never holds every worker: disk loads keep completing meanwhile. The loopback server holds
 * each answer until the test opens its gate and counts the requests it holds (a request
 * stops counting before its answer is sent, so the count never exceeds the jobs in flight).
 * A custom source of a program class is capped the same way; raising a cap lets waiting
 * jobs start at once; bad classes and caps are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "gate.h"
#include "http_server.h"
#include "testutil.h"

#define NET_LOADS 8
#define DISK_LOADS 20

typedef struct fx {
    dp_test_alloc alloc;
    dp_test_server *srv;
    int port;
    char dir[256];
    dp_depot *dp;
    dp_type_id thing;
    atomic_int open;          /* the server's and the user source's gate */
    atomic_int inflight, max; /* held requests (server) or reads (user source) */
} fx;

static fx *F;

static void count_in(fx *f)
{
    int now = atomic_fetch_add(&f->inflight, 1) + 1;
    int m = atomic_load(&f->max);
    while (now > m && !atomic_compare_exchange_weak(&f->max, &m, now)) {
    }
}

/* Blocks until the gate opens (bounded, so a broken test cannot hang the suite). */
static void hold(fx *f)
{
    for (uint64_t t0 = dp_test_now_ns(); !atomic_load(&f->open) && dp_test_waiting(t0);)
        usleep(1000);
}

static void answer(void *user, dp_test_server *s, int fd, const char *path)
{
    (void)s;
    fx *f = user;
    if (strncmp(path, "/slow/", 6) != 0) {
        dp_test_http_reply(fd, "404 Not Found", "no", 2);
        return;
    }
    count_in(f);
    hold(f);
    atomic_fetch_sub(&f->inflight, 1); /* before the answer: the job is still in flight */
    dp_test_http_reply(fd, "200 OK", "x", 1);
}

static dp_status user_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                           size_t *len)
{
    (void)path;
    (void)cancel;
    fx *f = user;
    count_in(f);
    hold(f);
    atomic_fetch_sub(&f->inflight, 1);
    *bytes = malloc(1);
    if (!*bytes)
        return DP_ERR_NOMEM;
    *len = 1;
    return DP_OK;
}

static void user_free(void *user, void *bytes)
{
    (void)user;
    free(bytes);
}

static int setup_workers(void **state, int workers)
{
    fx *f = calloc(1, sizeof *f);
    F = f;
    dp_test_alloc_init(&f->alloc);
    f->srv = dp_test_server_start(answer, f);
    assert_non_null(f->srv);
    f->port = dp_test_server_port(f->srv);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    for (int i = 0; i < DISK_LOADS; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/d%02d.thing", f->dir, i);
        assert_int_equal(dp_test_write_file(p, "x", 1), 0);
    }
    dp_desc d = {.root = f->dir, .workers = workers, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const ext[] = {"thing", NULL};
    dp_type t = {.name = "thing", .extensions = ext, .load = dp_test_bytes_load,
                 .destroy = dp_test_alloc_destroy, .user = &f->alloc};
    assert_int_equal(dp_register_type(f->dp, &t, &f->thing), DP_OK);
    dp_source src = {.scheme = "user", .read = user_read, .free_bytes = user_free, .user = f,
                     .load_class = DP_CLASS_USER};
    assert_int_equal(dp_register_source(f->dp, &src), DP_OK);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_workers(state, 4);
}

static int teardown(void **state)
{
    fx *f = *state;
    atomic_store(&f->open, 1); /* a failed test must not leave workers held */
    dp_destroy(f->dp);
    dp_test_server_stop(f->srv);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

static bool wait_inflight(int n)
{
    for (uint64_t t0 = dp_test_now_ns(); atomic_load(&F->inflight) < n && dp_test_waiting(t0);)
        usleep(1000);
    return atomic_load(&F->inflight) >= n;
}

static void load_net(dp_handle *hs, int n)
{
    for (int i = 0; i < n; i++) {
        char key[128];
        snprintf(key, sizeof key, "http://127.0.0.1:%d/slow/%d.thing", F->port, i);
        assert_int_equal(dp_load(F->dp, key, &hs[i]), DP_OK);
    }
}

static void load_user(dp_handle *hs, int n)
{
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "user://%d.thing", i);
        assert_int_equal(dp_load(F->dp, key, &hs[i]), DP_OK);
    }
}

/* Every disk load completes while the capped class holds its jobs. */
static void disk_loads_complete(void)
{
    dp_handle hs[DISK_LOADS];
    for (int i = 0; i < DISK_LOADS; i++) {
        char key[32];
        snprintf(key, sizeof key, "d%02d.thing", i);
        assert_int_equal(dp_load(F->dp, key, &hs[i]), DP_OK);
    }
    for (int i = 0; i < DISK_LOADS; i++) {
        assert_int_equal(dp_wait(F->dp, hs[i], DP_TEST_WAIT_MS), DP_OK);
        assert_int_equal(dp_release(F->dp, hs[i]), DP_OK);
    }
}

static void finish(dp_handle *hs, int n)
{
    atomic_store(&F->open, 1);
    for (int i = 0; i < n; i++) {
        assert_int_equal(dp_wait(F->dp, hs[i], DP_TEST_WAIT_MS), DP_OK);
        assert_int_equal(dp_release(F->dp, hs[i]), DP_OK);
    }
}

static void test_network_cap_bounds_transfers_while_disk_loads_flow(void **state)
{
    (void)state;
    assert_int_equal(dp_set_class_limit(F->dp, DP_CLASS_NETWORK, 2), DP_OK);
    dp_handle net[NET_LOADS];
    load_net(net, NET_LOADS);
    assert_true(wait_inflight(2));
    disk_loads_complete();
    assert_int_equal(atomic_load(&F->max), 2);
    for (int i = 0; i < NET_LOADS; i++)
        assert_int_not_equal(dp_state_of(F->dp, net[i]), DP_STATE_LOADED);
    finish(net, NET_LOADS);
    assert_int_equal(atomic_load(&F->max), 2);
}

static void test_default_network_cap_is_half_the_workers(void **state)
{
    (void)state;
    dp_handle net[NET_LOADS];
    load_net(net, NET_LOADS);
    assert_true(wait_inflight(2)); /* 4 workers: 2 may wait on the network */
    disk_loads_complete();
    assert_int_equal(atomic_load(&F->max), 2);
    finish(net, NET_LOADS);
    assert_int_equal(atomic_load(&F->max), 2);
}

static void test_a_program_class_is_capped_like_the_network(void **state)
{
    (void)state;
    assert_int_equal(dp_set_class_limit(F->dp, DP_CLASS_USER, 1), DP_OK);
    dp_handle hs[4];
    load_user(hs, 4);
    assert_true(wait_inflight(1));
    disk_loads_complete();
    assert_int_equal(atomic_load(&F->max), 1);
    finish(hs, 4);
    assert_int_equal(atomic_load(&F->max), 1);
}

static void test_raising_a_cap_starts_waiting_jobs_at_once(void **state)
{
    (void)state;
    assert_int_equal(dp_set_class_limit(F->dp, DP_CLASS_USER, 1), DP_OK);
    dp_handle hs[3];
    load_user(hs, 3);
    assert_true(wait_inflight(1));
    assert_int_equal(dp_set_class_limit(F->dp, DP_CLASS_USER, 0), DP_OK); /* no cap */
    assert_true(wait_inflight(3)); /* the idle workers woke for the two waiting jobs */
    finish(hs, 3);
}

static void test_bad_classes_and_caps_are_refused(void **state)
{
    (void)state;
    assert_int_equal(dp_set_class_limit(F->dp, -1, 1), DP_ERR_INVALID);
    assert_int_equal(dp_set_class_limit(F->dp, DP_CLASS_COUNT, 1), DP_ERR_INVALID);
    assert_int_equal(dp_set_class_limit(F->dp, DP_CLASS_DISK, -1), DP_ERR_INVALID);
    assert_int_equal(dp_set_class_limit(NULL, DP_CLASS_DISK, 1), DP_ERR_INVALID);
    dp_source bad = {.scheme = "bad", .read = user_read, .free_bytes = user_free,
                     .load_class = DP_CLASS_COUNT};
    assert_int_equal(dp_register_source(F->dp, &bad), DP_ERR_INVALID);
    bad.load_class = -1;
    assert_int_equal(dp_register_source(F->dp, &bad), DP_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_network_cap_bounds_transfers_while_disk_loads_flow,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_network_cap_is_half_the_workers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_program_class_is_capped_like_the_network, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_raising_a_cap_starts_waiting_jobs_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_classes_and_caps_are_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
