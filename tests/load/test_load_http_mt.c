/* requires: png json http */
/* test_load_http_mt.c — dp_load of http:// keys against a real HTTP server on 127.0.0.1
 * started by the test: images that decode, 404, a stall past the total timeout, a refused
 * connection, a response over the size limit, a truncated body, a bundle whose members are
 * URLs, and cancellation of a stalled transfer by release and by dp_destroy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "http_server.h"
#include "testutil.h"

#define STALL_MS 30000

typedef struct fx {
    dp_test_alloc alloc;
    dp_test_server *srv;
    int port;
    dp_depot *dp;
    char png_a[4096], png_b[4096];
    size_t len_a, len_b;
} fx;

static size_t read_data(const char *name, char *buf, size_t cap)
{
    char src[512];
    snprintf(src, sizeof src, "%s/%s", DP_TEST_DATA, name);
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    size_t n = fread(buf, 1, cap, in);
    fclose(in);
    return n;
}

static void answer(void *user, dp_test_server *s, int fd, const char *path)
{
    fx *f = user;
    if (!strcmp(path, "/a.png")) {
        dp_test_http_reply(fd, "200 OK", f->png_a, f->len_a);
    } else if (!strcmp(path, "/b.png")) {
        dp_test_http_reply(fd, "200 OK", f->png_b, f->len_b);
    } else if (!strcmp(path, "/set.bundle")) {
        char body[512];
        int n = snprintf(body, sizeof body,
                         "{\"assets\": [\"http://127.0.0.1:%d/a.png\", \"http://127.0.0.1:%d/b.png\"]}",
                         f->port, f->port);
        dp_test_http_reply(fd, "200 OK", body, (size_t)n);
    } else if (!strcmp(path, "/stall.png")) {
        dp_test_http_stall(s, fd, STALL_MS);
    } else if (!strcmp(path, "/big.png")) {
        /* Over the 64 KiB limit the tests configure, sent without a length. */
        dp_test_http_head(fd, "200 OK", -1);
        static char chunk[16384];
        for (int i = 0; i < 16; i++)
            if (!dp_test_http_send(fd, chunk, sizeof chunk))
                break;
    } else if (!strcmp(path, "/trunc.png")) {
        dp_test_http_head(fd, "200 OK", (long)f->len_a);
        dp_test_http_send(fd, f->png_a, f->len_a / 2);
    } else {
        dp_test_http_reply(fd, "404 Not Found", "no", 2);
    }
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    f->len_a = read_data("rgba_4x4.png", f->png_a, sizeof f->png_a);
    f->len_b = read_data("rgb_3x2.png", f->png_b, sizeof f->png_b);
    f->srv = dp_test_server_start(answer, f);
    assert_non_null(f->srv);
    f->port = dp_test_server_port(f->srv);
    dp_desc d = {.workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    dp_http_desc h = {.connect_timeout_ms = 2000, .total_timeout_ms = 30000, .max_bytes = 65536};
    assert_int_equal(dp_http_configure(f->dp, &h), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->dp)
        dp_destroy(f->dp);
    dp_test_server_stop(f->srv);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void url(fx *f, char *buf, const char *path)
{
    snprintf(buf, 128, "http://127.0.0.1:%d%s", f->port, path);
}

static dp_status load_and_wait(fx *f, const char *path, dp_handle *h)
{
    char u[128];
    url(f, u, path);
    assert_int_equal(dp_load(f->dp, u, h), DP_OK);
    return dp_wait(f->dp, *h, DP_TEST_WAIT_MS);
}

static bool wait_open(fx *f, int n)
{
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        if (dp_test_server_open(f->srv) >= n)
            return true;
        usleep(1000);
    }
    return false;
}

static void test_http_png_loads_and_decodes(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(load_and_wait(f, "/a.png", &h), DP_OK);
    dp_image *img = dp_get(f->dp, h);
    assert_non_null(img);
    assert_int_equal(img->width, 4);
    assert_int_equal(img->height, 4);
    assert_int_equal(dp_type_of(f->dp, h), dp_builtins(f->dp).image);
    dp_release(f->dp, h);
}

static void test_http_404_fails_not_found(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(load_and_wait(f, "/nothing.png", &h), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_FAILED);
    assert_int_equal(dp_failure_of(f->dp, h), DP_ERR_NOT_FOUND);
    dp_release(f->dp, h);
}

static void test_http_stall_past_the_total_timeout_fails_timeout(void **state)
{
    fx *f = *state;
    dp_http_desc c = {.connect_timeout_ms = 2000, .total_timeout_ms = 300, .max_bytes = 65536};
    assert_int_equal(dp_http_configure(f->dp, &c), DP_OK);
    dp_handle h;
    uint64_t t0 = dp_test_now_ns();
    assert_int_equal(load_and_wait(f, "/stall.png", &h), DP_ERR_TIMEOUT);
    /* The status says the timeout ended it; only that it ended before the stall would have. */
    assert_true((dp_test_now_ns() - t0) / 1000000u < STALL_MS);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_FAILED);
    dp_release(f->dp, h);
}

static void test_http_connection_refused_fails_net(void **state)
{
    fx *f = *state;
    char u[128];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/a.png", dp_test_refused_port());
    dp_handle h;
    assert_int_equal(dp_load(f->dp, u, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_NET);
    dp_release(f->dp, h);
}

static void test_http_response_over_the_size_limit_fails_format(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(load_and_wait(f, "/big.png", &h), DP_ERR_FORMAT);
    dp_release(f->dp, h);
}

static void test_http_truncated_body_fails_net(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(load_and_wait(f, "/trunc.png", &h), DP_ERR_NET);
    dp_release(f->dp, h);
}

static void test_http_bundle_with_url_members_loads_deep(void **state)
{
    fx *f = *state;
    dp_handle b;
    assert_int_equal(load_and_wait(f, "/set.bundle", &b), DP_OK);
    dp_bundle *bd = dp_get(f->dp, b);
    assert_non_null(bd);
    assert_int_equal(bd->count, 2);
    dp_image *a = dp_get(f->dp, bd->members[0]);
    dp_image *bb = dp_get(f->dp, bd->members[1]);
    assert_non_null(a);
    assert_non_null(bb);
    assert_int_equal(a->width, 4);
    assert_int_equal(bb->width, 3);
    char u[128];
    url(f, u, "/a.png");
    dp_handle m;
    assert_int_equal(dp_find(f->dp, u, &m), DP_OK);
    assert_true(dp_handle_eq(m, bd->members[0]));
    dp_release(f->dp, m);
    dp_release(f->dp, b);
    dp_update(f->dp);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
}

static void test_release_during_a_stalled_transfer_cancels_it_quickly(void **state)
{
    fx *f = *state;
    dp_destroy(f->dp); /* one worker, so "the worker is free" is observable */
    dp_desc d = {.workers = 1, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    char u[128];
    url(f, u, "/stall.png");
    dp_handle h;
    assert_int_equal(dp_load(f->dp, u, &h), DP_OK);
    assert_true(wait_open(f, 1));
    uint64_t released = dp_test_now_ns();
    dp_release(f->dp, h);
    dp_update(f->dp);
    dp_handle a;
    assert_int_equal(load_and_wait(f, "/a.png", &a), DP_OK);
    uint64_t ms = (dp_test_now_ns() - released) / 1000000u;
    assert_true(ms < STALL_MS); /* ended by the release, not by the server's stall */
    dp_release(f->dp, a);
    /* The transfer was aborted: the server saw its client go. */
    for (uint64_t t0 = dp_test_now_ns(); dp_test_server_open(f->srv) > 0 && dp_test_waiting(t0);)
        usleep(1000);
    assert_int_equal(dp_test_server_open(f->srv), 0);
    dp_update(f->dp);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.pending_jobs, 0);
    assert_int_equal(st.results_discarded, 1);
}

static void test_destroy_during_a_stalled_transfer_returns_promptly(void **state)
{
    fx *f = *state;
    char u[128];
    url(f, u, "/stall.png");
    dp_handle h;
    assert_int_equal(dp_load(f->dp, u, &h), DP_OK);
    assert_true(wait_open(f, 1));
    uint64_t t0 = dp_test_now_ns();
    assert_int_equal(dp_destroy(f->dp), 1);
    f->dp = NULL;
    /* Not a speed bound: destroy ended the transfer, the server's stall did not. */
    assert_true((dp_test_now_ns() - t0) / 1000000u < STALL_MS);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_http_png_loads_and_decodes),
        T(test_http_404_fails_not_found),
        T(test_http_stall_past_the_total_timeout_fails_timeout),
        T(test_http_connection_refused_fails_net),
        T(test_http_response_over_the_size_limit_fails_format),
        T(test_http_truncated_body_fails_net),
        T(test_http_bundle_with_url_members_loads_deep),
        T(test_release_during_a_stalled_transfer_cancels_it_quickly),
        T(test_destroy_during_a_stalled_transfer_returns_promptly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
