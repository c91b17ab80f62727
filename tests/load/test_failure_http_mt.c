/* requires: png http */
/* test_failure_http_mt.c — what dp_failure says for http:// loads, against a real HTTP
 * server on 127.0.0.1 started by the test: the HTTP status of an answer that is not 2xx,
 * libcurl's error and the socket's errno for a refused connection, a body over the size
 * limit, and a corrupt PNG that arrived fine (the decoder's words, the URL as the path).
 * A custom source explains its own failure with dp_source_fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "http_server.h"
#include "testutil.h"


typedef struct fx {
    dp_test_alloc alloc;
    dp_test_server *srv;
    int port;
    dp_depot *dp;
    dp_failure_info info;
    char line[1024];
} fx;

static void answer(void *user, dp_test_server *s, int fd, const char *path)
{
    (void)user;
    (void)s;
    if (!strcmp(path, "/broken.png")) {
        static const char not_png[] = "\x89PNG\r\n\x1a\nthe rest is not a PNG";
        dp_test_http_reply(fd, "200 OK", not_png, sizeof not_png - 1);
    } else if (!strcmp(path, "/big.png")) {
        static char body[4096];
        dp_test_http_reply(fd, "200 OK", body, sizeof body);
    } else if (!strcmp(path, "/teapot.png")) {
        dp_test_http_reply(fd, "503 Service Unavailable", "busy", 4);
    } else {
        dp_test_http_reply(fd, "404 Not Found", "no", 2);
    }
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    f->srv = dp_test_server_start(answer, f);
    assert_non_null(f->srv);
    f->port = dp_test_server_port(f->srv);
    dp_desc d = {.workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    dp_http_desc h = {.connect_timeout_ms = 5000, .total_timeout_ms = 30000, .max_bytes = 1024};
    assert_int_equal(dp_http_configure(f->dp, &h), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_destroy(f->dp), 0);
    dp_test_server_stop(f->srv);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void assert_contains(const char *text, const char *part)
{
    if (!text || !strstr(text, part))
        fail_msg("\"%s\" does not contain \"%s\"", text ? text : "(null)", part);
}

/* Loads `url`, waits for it to fail with `want`, fills f->info and f->line. */
static dp_handle load_failed(fx *f, const char *url, dp_status want)
{
    dp_handle h;
    assert_int_equal(dp_load(f->dp, url, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), want);
    assert_int_equal(dp_failure(f->dp, h, &f->info), DP_OK);
    assert_int_equal(f->info.status, want);
    assert_string_equal(f->info.key, url);
    assert_string_equal(f->info.path, url);
    dp_failure_text(&f->info, f->line, sizeof f->line);
    print_message("    %s\n", f->line);
    return h;
}

static void test_http_404_gives_the_status_and_the_url(void **state)
{
    fx *f = *state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/gone.png", f->port);
    dp_handle h = load_failed(f, url, DP_ERR_NOT_FOUND);
    assert_string_equal(f->info.source, "http");
    assert_string_equal(f->info.message, "HTTP 404");
    char want[400];
    snprintf(want, sizeof want, "%s: DP_ERR_NOT_FOUND: HTTP 404 (%s)", url, url);
    assert_string_equal(f->line, want);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_http_503_gives_the_status(void **state)
{
    fx *f = *state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/teapot.png", f->port);
    dp_handle h = load_failed(f, url, DP_ERR_NET);
    assert_string_equal(f->info.message, "HTTP 503");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_refused_connection_gives_curls_error_and_errno(void **state)
{
    fx *f = *state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/a.png", dp_test_refused_port());
    dp_handle h = load_failed(f, url, DP_ERR_NET);
    assert_contains(f->info.message, "curl: Failed to connect to 127.0.0.1 port");
    assert_contains(f->info.message, "(Connection refused)");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_body_over_the_limit_says_which_limit(void **state)
{
    fx *f = *state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/big.png", f->port);
    dp_handle h = load_failed(f, url, DP_ERR_FORMAT);
    assert_string_equal(f->info.message,
                        "the body is over the 1024-byte limit (dp_http_desc.max_bytes)");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_corrupt_png_over_http_gives_libpngs_words(void **state)
{
    fx *f = *state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/broken.png", f->port);
    dp_handle h = load_failed(f, url, DP_ERR_FORMAT);
    assert_contains(f->info.message, "libpng: ");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

/* ---- a custom source that says why it failed ------------------------------------------- */

static dp_status vault_read(void *user, const char *path, const dp_cancel *cancel,
                            void **bytes, size_t *len)
{
    (void)user;
    (void)bytes;
    (void)len;
    return dp_source_fail(cancel, DP_ERR_IO, "vault is locked (asked for %s)", path);
}

static void vault_free(void *user, void *bytes)
{
    (void)user;
    free(bytes);
}

static void test_custom_source_message_from_source_fail(void **state)
{
    fx *f = *state;
    dp_source src = {.scheme = "vault", .read = vault_read, .free_bytes = vault_free};
    assert_int_equal(dp_register_source(f->dp, &src), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "vault://gold.png", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_IO);
    assert_int_equal(dp_failure(f->dp, h, &f->info), DP_OK);
    assert_string_equal(f->info.message, "vault is locked (asked for gold.png)");
    dp_failure_text(&f->info, f->line, sizeof f->line);
    assert_string_equal(f->line,
                        "vault://gold.png: DP_ERR_IO: vault is locked (asked for gold.png) "
                        "(vault://gold.png)");
    assert_int_equal(dp_source_fail(NULL, DP_ERR_NET, "no token: %d", 1), DP_ERR_NET);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_404_gives_the_status_and_the_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_503_gives_the_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_connection_gives_curls_error_and_errno, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_over_the_limit_says_which_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_png_over_http_gives_libpngs_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_source_message_from_source_fail, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
