/* requires: http */
/* test_ranged_http_mt.c — ranged reads over http: the size from a HEAD request, each
 * dp_ctx_read a Range request (206), a server that ignores Range (200) still gives the right
 * bytes, a range past the end is DP_ERR_FORMAT; against the loopback test server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "http_server.h"
#include "load/http/http_read.h"
#include "testutil.h"

#define BODY_LEN 100000u

static unsigned char body[BODY_LEN];
static atomic_int ranged_requests, head_requests, whole_requests;

static void answer(void *user, dp_test_server *s, int fd, const char *path)
{
    (void)user;
    (void)s;
    const char *head = dp_test_http_request_head();
    if (!strncmp(head, "HEAD ", 5))
        atomic_fetch_add(&head_requests, 1);
    else if (strcasestr(head, "\r\nRange:"))
        atomic_fetch_add(&ranged_requests, 1);
    else
        atomic_fetch_add(&whole_requests, 1);
    if (!strcmp(path, "/ignores-range/a.slice"))
        dp_test_http_reply(fd, "200 OK", body, BODY_LEN); /* Range ignored */
    else if (!strcmp(path, "/a.slice"))
        dp_test_http_serve_bytes(fd, body, BODY_LEN);
    else
        dp_test_http_reply(fd, "404 Not Found", "", 0);
}

typedef struct fx {
    dp_test_server *srv;
    dp_depot *dp;
    dp_type_id slice;
} fx;

/* Keeps bytes [50000, 50016) of its content. */
static dp_status slice_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    (void)bytes;
    if (len != BODY_LEN)
        return DP_ERR_FORMAT;
    unsigned char *part = malloc(16);
    dp_status st = dp_ctx_read(ctx, 50000, 16, part);
    char one;
    if (st == DP_OK && dp_ctx_read(ctx, BODY_LEN - 1, 2, &one) != DP_ERR_FORMAT)
        st = DP_ERR_INVALID; /* a range past the end must be refused before any request */
    if (st != DP_OK) {
        free(part);
        return st;
    }
    *asset = part;
    *asset_bytes = 16;
    return DP_OK;
}

static void slice_destroy(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static int setup(void **state)
{
    for (size_t i = 0; i < BODY_LEN; i++)
        body[i] = (unsigned char)(i * 7u + (i >> 9));
    atomic_store(&ranged_requests, 0);
    atomic_store(&head_requests, 0);
    atomic_store(&whole_requests, 0);
    fx *f = calloc(1, sizeof *f);
    f->srv = dp_test_server_start(answer, NULL);
    assert_non_null(f->srv);
    assert_int_equal(dp_create(&(dp_desc){.workers = 2}, &f->dp), DP_OK);
    static const char *const exts[] = {"slice", NULL};
    dp_type t = {.name = "slice", .extensions = exts, .load = slice_load,
                 .destroy = slice_destroy};
    assert_int_equal(dp_register_type(f->dp, &t, &f->slice), DP_OK);
    assert_int_equal(dp_type_ranged(f->dp, f->slice, true), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_destroy(f->dp), 0);
    dp_test_server_stop(f->srv);
    free(f);
    return 0;
}

static void load_and_check(fx *f, const char *path)
{
    char key[256];
    snprintf(key, sizeof key, "http://127.0.0.1:%d%s", dp_test_server_port(f->srv), path);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, key, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_memory_equal(dp_get(f->dp, h), body + 50000, 16);
    dp_release(f->dp, h);
}

static void test_http_ranged_load_asks_the_size_then_only_the_range(void **state)
{
    fx *f = *state;
    load_and_check(f, "/a.slice");
    assert_int_equal(atomic_load(&head_requests), 1);
    assert_int_equal(atomic_load(&ranged_requests), 1);
    assert_int_equal(atomic_load(&whole_requests), 0);
}

static void test_http_server_that_ignores_range_still_gives_the_right_bytes(void **state)
{
    fx *f = *state;
    load_and_check(f, "/ignores-range/a.slice");
}

static void test_http_range_past_the_end_is_a_format_error(void **state)
{
    fx *f = *state;
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/a.slice", dp_test_server_port(f->srv));
    unsigned char buf[8];
    assert_int_equal(dp__http_read_range(NULL, url, NULL, BODY_LEN + 5, buf, 8), DP_ERR_FORMAT);
    assert_int_equal(dp__http_read_range(NULL, url, NULL, BODY_LEN - 4, buf, 8), DP_ERR_FORMAT);
    assert_int_equal(dp__http_read_range(NULL, url, NULL, BODY_LEN - 8, buf, 8), DP_OK);
    assert_memory_equal(buf, body + BODY_LEN - 8, 8);
}

static void test_http_ranged_load_of_a_missing_file_is_not_found(void **state)
{
    fx *f = *state;
    char key[256];
    snprintf(key, sizeof key, "http://127.0.0.1:%d/nope.slice", dp_test_server_port(f->srv));
    dp_handle h;
    assert_int_equal(dp_load(f->dp, key, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    dp_release(f->dp, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_ranged_load_asks_the_size_then_only_the_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_server_that_ignores_range_still_gives_the_right_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_range_past_the_end_is_a_format_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_ranged_load_of_a_missing_file_is_not_found, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
