/* requires: http */
/* test_http_mt.c — dp__http_read against a real HTTP server on 127.0.0.1, run by a thread
 * of this test: success, status mapping, timeouts, size limits, truncated bodies, refused
 * connections, redirects, cancellation from another thread, failed allocations. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_server.h"
#include "testutil.h"
#include "load/cancel.h"
#include "load/http/http_read.h"

/* ---- the server ----------------------------------------------------------------------------
 * The shared loopback server (common/http_server.h); the request path chooses the answer. */

#define STALL_MS 10000
#define BIG_BYTES (2u << 20)
#define MEDIUM_BYTES 100000u

static dp_test_server *srv;

static uint64_t now_ms(void)
{
    return dp_test_now_ns() / 1000000u;
}

/* Answers that reached their stall so far (/stall, /stall_body). */
static atomic_int stalls;

static void stall(dp_test_server *s, int fd)
{
    atomic_fetch_add(&stalls, 1);
    dp_test_http_stall(s, fd, STALL_MS);
}

static bool send_str(int fd, const char *s)
{
    return dp_test_http_send(fd, s, strlen(s));
}

static unsigned char medium_byte(size_t i)
{
    return (unsigned char)(i * 131u + (i >> 8));
}

/* Sends `n` pattern bytes in chunks. */
static void send_pattern(int fd, size_t n)
{
    unsigned char chunk[8192];
    for (size_t off = 0; off < n;) {
        size_t k = n - off < sizeof chunk ? n - off : sizeof chunk;
        for (size_t i = 0; i < k; i++)
            chunk[i] = medium_byte(off + i);
        if (!dp_test_http_send(fd, chunk, k))
            return;
        off += k;
    }
}

static void answer(void *user, dp_test_server *s, int fd, const char *path)
{
    (void)user;
    if (strcmp(path, "/ok") == 0) {
        dp_test_http_reply(fd, "200 OK", "hello", 5);
    } else if (strcmp(path, "/empty") == 0) {
        dp_test_http_head(fd, "200 OK", 0);
    } else if (strcmp(path, "/medium") == 0) {
        dp_test_http_head(fd, "200 OK", MEDIUM_BYTES);
        send_pattern(fd, MEDIUM_BYTES);
    } else if (strcmp(path, "/missing") == 0) {
        dp_test_http_reply(fd, "404 Not Found", "not found", 9);
    } else if (strcmp(path, "/gone") == 0) {
        dp_test_http_head(fd, "410 Gone", 0);
    } else if (strcmp(path, "/500") == 0) {
        dp_test_http_reply(fd, "500 Internal Server Error", "oops!", 5);
    } else if (strcmp(path, "/stall") == 0) {
        stall(s, fd);
    } else if (strcmp(path, "/stall_body") == 0) {
        dp_test_http_head(fd, "200 OK", 100);
        send_str(fd, "partial");
        stall(s, fd);
    } else if (strcmp(path, "/big") == 0) {
        dp_test_http_head(fd, "200 OK", BIG_BYTES);
        send_pattern(fd, BIG_BYTES);
    } else if (strcmp(path, "/big_unsized") == 0) {
        dp_test_http_head(fd, "200 OK", -1);
        send_pattern(fd, BIG_BYTES);
    } else if (strcmp(path, "/trunc") == 0) {
        dp_test_http_head(fd, "200 OK", 1000);
        send_str(fd, "0123456789");
    } else if (strcmp(path, "/redirect") == 0) {
        dp_test_http_redirect(fd, "/ok");
    } else if (strcmp(path, "/redirect_loop") == 0) {
        dp_test_http_redirect(fd, "/redirect_loop");
    } else if (strcmp(path, "/redirect_file") == 0) {
        dp_test_http_redirect(fd, "file:///etc/hostname");
    } else {
        dp_test_http_head(fd, "400 Bad Request", 0);
    }
}

static int server_start(void **state)
{
    (void)state;
    srv = dp_test_server_start(answer, NULL);
    return srv ? 0 : -1;
}

static int server_stop(void **state)
{
    (void)state;
    dp_test_server_stop(srv);
    return 0;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static void url_of(char *buf, size_t cap, const char *path)
{
    snprintf(buf, cap, "http://127.0.0.1:%d%s", dp_test_server_port(srv), path);
}

/* Fetches a path of the test server with a counting allocator; checks that the outputs
 * are cleared on failure and that nothing but the returned buffer is live. */
static dp_status fetch(const char *path, const dp_http_desc *cfg, const struct dp_cancel *c,
                       dp_test_alloc *ta, void **bytes, size_t *len)
{
    char url[256];
    url_of(url, sizeof url, path);
    dp_status s = dp__http_read(cfg, &ta->iface, url, c, bytes, len);
    if (s != DP_OK) {
        assert_null(*bytes);
        assert_int_equal(*len, 0);
        assert_int_equal(atomic_load(&ta->live), 0);
    } else {
        assert_int_equal(atomic_load(&ta->live), 1);
    }
    return s;
}

static dp_status fetch_status(const char *path, const dp_http_desc *cfg)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;
    dp_status s = fetch(path, cfg, NULL, &ta, &bytes, &len);
    if (bytes)
        ta.iface.free(bytes, ta.iface.user);
    assert_int_equal(atomic_load(&ta.live), 0);
    return s;
}

/* ---- success ------------------------------------------------------------------------------ */

static void test_read_200_gives_body_with_nul(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;

    assert_int_equal(fetch("/ok", NULL, NULL, &ta, &bytes, &len), DP_OK);

    assert_int_equal(len, 5);
    assert_memory_equal(bytes, "hello", 6);
    ta.iface.free(bytes, ta.iface.user);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_read_empty_200_gives_empty_body(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 7;

    assert_int_equal(fetch("/empty", NULL, NULL, &ta, &bytes, &len), DP_OK);

    assert_int_equal(len, 0);
    assert_non_null(bytes);
    assert_int_equal(((char *)bytes)[0], 0);
    ta.iface.free(bytes, ta.iface.user);
}

static void test_read_large_body_arrives_intact(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;

    assert_int_equal(fetch("/medium", NULL, NULL, &ta, &bytes, &len), DP_OK);

    assert_int_equal(len, MEDIUM_BYTES);
    const unsigned char *b = bytes;
    for (size_t i = 0; i < len; i++)
        if (b[i] != medium_byte(i))
            fail_msg("byte %zu differs", i);
    ta.iface.free(bytes, ta.iface.user);
}

static void test_read_follows_redirect(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;

    assert_int_equal(fetch("/redirect", NULL, NULL, &ta, &bytes, &len), DP_OK);

    assert_int_equal(len, 5);
    assert_memory_equal(bytes, "hello", 5);
    ta.iface.free(bytes, ta.iface.user);
}

/* ---- status mapping ------------------------------------------------------------------------- */

static void test_read_404_fails_with_not_found(void **state)
{
    assert_int_equal(fetch_status("/missing", NULL), DP_ERR_NOT_FOUND);
}

static void test_read_410_fails_with_not_found(void **state)
{
    assert_int_equal(fetch_status("/gone", NULL), DP_ERR_NOT_FOUND);
}

static void test_read_500_fails_with_net(void **state)
{
    assert_int_equal(fetch_status("/500", NULL), DP_ERR_NET);
}

static void test_read_redirect_loop_fails_with_net(void **state)
{
    assert_int_equal(fetch_status("/redirect_loop", NULL), DP_ERR_NET);
}

static void test_read_redirect_to_file_url_fails_with_net(void **state)
{
    assert_int_equal(fetch_status("/redirect_file", NULL), DP_ERR_NET);
}

static void test_read_truncated_body_fails_with_net(void **state)
{
    assert_int_equal(fetch_status("/trunc", NULL), DP_ERR_NET);
}

/* ---- limits ----------------------------------------------------------------------------------- */

static void test_read_stalled_server_fails_with_timeout(void **state)
{
    dp_http_desc cfg = {.total_timeout_ms = 300};
    uint64_t t0 = now_ms();

    assert_int_equal(fetch_status("/stall", &cfg), DP_ERR_TIMEOUT);

    /* The status says the timeout ended the read; no speed bound, only that it ended before
     * the server's stall would have (after it the server closes: DP_ERR_NET). */
    assert_true(now_ms() - t0 < STALL_MS);
}

static void test_read_body_stalling_midway_fails_with_timeout(void **state)
{
    dp_http_desc cfg = {.total_timeout_ms = 300};
    assert_int_equal(fetch_status("/stall_body", &cfg), DP_ERR_TIMEOUT);
}

static void test_read_over_max_bytes_fails_with_format(void **state)
{
    dp_http_desc cfg = {.max_bytes = 1u << 20};
    assert_int_equal(fetch_status("/big", &cfg), DP_ERR_FORMAT);
}

static void test_read_unsized_body_over_max_bytes_fails_with_format(void **state)
{
    dp_http_desc cfg = {.max_bytes = 1u << 20};
    assert_int_equal(fetch_status("/big_unsized", &cfg), DP_ERR_FORMAT);
}

static void test_read_body_at_max_bytes_succeeds(void **state)
{
    dp_http_desc cfg = {.max_bytes = MEDIUM_BYTES};
    assert_int_equal(fetch_status("/medium", &cfg), DP_OK);
}

/* ---- connections and URLs ------------------------------------------------------------------- */

static void test_read_refused_connection_fails_with_net(void **state)
{
    int port = dp_test_refused_port(); /* nothing listens on it */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok", port);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;

    assert_int_equal(dp__http_read(NULL, &ta.iface, url, NULL, &bytes, &len), DP_ERR_NET);

    assert_null(bytes);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_read_unresolvable_host_fails_with_net(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;
    dp_http_desc cfg = {.connect_timeout_ms = 3000};
    /* .invalid never resolves (RFC 6761). A machine whose resolver cannot be reached at all
     * runs out of time instead of getting an answer. */
    dp_status s = dp__http_read(&cfg, &ta.iface, "http://depot-test.invalid/x", NULL, &bytes, &len);
    assert_true(s == DP_ERR_NET || s == DP_ERR_TIMEOUT);
    assert_null(bytes);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_read_file_and_ftp_urls_fail_with_invalid(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;
    assert_int_equal(dp__http_read(NULL, &ta.iface, "file:///etc/hostname", NULL, &bytes, &len),
                     DP_ERR_INVALID);
    assert_int_equal(dp__http_read(NULL, &ta.iface, "ftp://127.0.0.1/x", NULL, &bytes, &len),
                     DP_ERR_INVALID);
    assert_int_equal(dp__http_read(NULL, &ta.iface, "/etc/hostname", NULL, &bytes, &len),
                     DP_ERR_INVALID);
    assert_null(bytes);
    assert_int_equal(atomic_load(&ta.total), 0);
}

/* ---- cancellation ----------------------------------------------------------------------------- */

static void test_read_with_cancelled_token_fails_with_cancelled(void **state)
{
    struct dp_cancel c;
    dp__cancel_init(&c);
    dp__cancel_set(&c);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;

    assert_int_equal(fetch("/ok", NULL, &c, &ta, &bytes, &len), DP_ERR_CANCELLED);
}

typedef struct canceller {
    struct dp_cancel *c;
    int stalls_before; /* `stalls` before the read began */
} canceller;

/* Cancels once the server's answer to the read is stalling (so the read is blocked in it),
 * however late this thread or the reader were scheduled. */
static void *cancel_when_stalled(void *arg)
{
    canceller *k = arg;
    for (uint64_t t0 = dp_test_now_ns();
         atomic_load(&stalls) == k->stalls_before && dp_test_waiting(t0);)
        sched_yield();
    dp__cancel_set(k->c);
    return NULL;
}

static void test_read_cancelled_from_another_thread_during_a_stall_fails_cancelled(void **state)
{
    struct dp_cancel c;
    dp__cancel_init(&c);
    dp_http_desc cfg = {.connect_timeout_ms = 20000, .total_timeout_ms = 60000};
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;
    pthread_t t;
    canceller k = {&c, atomic_load(&stalls)};
    uint64_t t0 = now_ms();
    assert_int_equal(pthread_create(&t, NULL, cancel_when_stalled, &k), 0);

    dp_status s = fetch("/stall", &cfg, &c, &ta, &bytes, &len);

    uint64_t elapsed = now_ms() - t0;
    pthread_join(t, NULL);
    assert_int_equal(s, DP_ERR_CANCELLED);
    assert_true(elapsed < STALL_MS); /* the cancel ended it, not the end of the stall */
}

static void test_read_cancelled_while_the_body_stalls_fails_cancelled(void **state)
{
    struct dp_cancel c;
    dp__cancel_init(&c);
    dp_http_desc cfg = {.total_timeout_ms = 60000};
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;
    pthread_t t;
    canceller k = {&c, atomic_load(&stalls)};
    uint64_t t0 = now_ms();
    assert_int_equal(pthread_create(&t, NULL, cancel_when_stalled, &k), 0);

    dp_status s = fetch("/stall_body", &cfg, &c, &ta, &bytes, &len);

    pthread_join(t, NULL);
    assert_int_equal(s, DP_ERR_CANCELLED);
    assert_true(now_ms() - t0 < STALL_MS); /* the cancel ended it, not the end of the stall */
}

/* ---- failed allocations and threads ------------------------------------------------------------- */

static void test_read_with_each_allocation_failing_gives_ok_or_nomem_and_frees(void **state)
{
    for (long n = 1;; n++) {
        dp_test_alloc ta;
        dp_test_alloc_init(&ta);
        dp_test_alloc_fail_at(&ta, n);
        void *bytes = NULL;
        size_t len = 0;

        dp_status s = fetch("/medium", NULL, NULL, &ta, &bytes, &len);

        if (s != DP_OK && s != DP_ERR_NOMEM)
            fail_msg("allocation %ld failing: %s", n, dp_status_str(s));
        if (s == DP_OK) {
            assert_int_equal(len, MEDIUM_BYTES);
            ta.iface.free(bytes, ta.iface.user);
        }
        assert_int_equal(atomic_load(&ta.live), 0);
        if (atomic_load(&ta.failed) == 0)
            break;
        assert_true(n < 100);
    }
}

#define READERS 4
#define READS_EACH 5

static void *reader_main(void *arg)
{
    dp_test_alloc *ta = arg;
    char url[256];
    url_of(url, sizeof url, "/ok");
    long ok = 0;
    for (int i = 0; i < READS_EACH; i++) {
        void *bytes = NULL;
        size_t len = 0;
        if (dp__http_read(NULL, &ta->iface, url, NULL, &bytes, &len) == DP_OK && len == 5 &&
            memcmp(bytes, "hello", 5) == 0)
            ok++;
        if (bytes)
            ta->iface.free(bytes, ta->iface.user);
    }
    return (void *)ok;
}

static void test_reads_from_several_threads_at_once_all_succeed(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    pthread_t t[READERS];
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader_main, &ta), 0);
    long ok = 0;
    for (int i = 0; i < READERS; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        ok += (long)r;
    }
    assert_int_equal(ok, READERS * READS_EACH);
    assert_int_equal(atomic_load(&ta.live), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_200_gives_body_with_nul),
        cmocka_unit_test(test_read_empty_200_gives_empty_body),
        cmocka_unit_test(test_read_large_body_arrives_intact),
        cmocka_unit_test(test_read_follows_redirect),
        cmocka_unit_test(test_read_404_fails_with_not_found),
        cmocka_unit_test(test_read_410_fails_with_not_found),
        cmocka_unit_test(test_read_500_fails_with_net),
        cmocka_unit_test(test_read_redirect_loop_fails_with_net),
        cmocka_unit_test(test_read_redirect_to_file_url_fails_with_net),
        cmocka_unit_test(test_read_truncated_body_fails_with_net),
        cmocka_unit_test(test_read_stalled_server_fails_with_timeout),
        cmocka_unit_test(test_read_body_stalling_midway_fails_with_timeout),
        cmocka_unit_test(test_read_over_max_bytes_fails_with_format),
        cmocka_unit_test(test_read_unsized_body_over_max_bytes_fails_with_format),
        cmocka_unit_test(test_read_body_at_max_bytes_succeeds),
        cmocka_unit_test(test_read_refused_connection_fails_with_net),
        cmocka_unit_test(test_read_unresolvable_host_fails_with_net),
        cmocka_unit_test(test_read_file_and_ftp_urls_fail_with_invalid),
        cmocka_unit_test(test_read_with_cancelled_token_fails_with_cancelled),
        cmocka_unit_test(test_read_cancelled_from_another_thread_during_a_stall_fails_cancelled),
        cmocka_unit_test(test_read_cancelled_while_the_body_stalls_fails_cancelled),
        cmocka_unit_test(test_read_with_each_allocation_failing_gives_ok_or_nomem_and_frees),
        cmocka_unit_test(test_reads_from_several_threads_at_once_all_succeed),
    };
    return cmocka_run_group_tests(tests, server_start, server_stop);
}
