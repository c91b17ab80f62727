/* requires: http */
/* test_http_mt.c — dp__http_read against a real HTTP server on 127.0.0.1, run by a thread
 * of this test: success, status mapping, timeouts, size limits, truncated bodies, refused
 * connections, redirects, cancellation from another thread, failed allocations. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "load/cancel.h"
#include "load/http/http_read.h"

/* ---- the server --------------------------------------------------------------------------
 * One connection at a time; the request path chooses the answer. It stops when `stop` is
 * set, and in any case after SERVER_LIFETIME_S, so it never outlives a broken test. */

#define SERVER_LIFETIME_S 120
#define STALL_MS 10000
#define BIG_BYTES (2u << 20)
#define MEDIUM_BYTES 100000u

typedef struct server {
    int listen_fd;
    int port;
    atomic_bool stop;
    atomic_int served; /* connections answered */
    pthread_t thread;
} server;

static server srv;

static uint64_t now_ms(void)
{
    return dp_test_now_ns() / 1000000u;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Sends everything or gives up (the client may have gone: no SIGPIPE). */
static bool send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool send_str(int fd, const char *s)
{
    return send_all(fd, s, strlen(s));
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
        if (!send_all(fd, chunk, k))
            return;
        off += k;
    }
}

static void send_head(int fd, const char *status, long content_length)
{
    char head[256];
    if (content_length >= 0)
        snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Length: %ld\r\nConnection: close\r\n\r\n",
                 status, content_length);
    else
        snprintf(head, sizeof head, "HTTP/1.1 %s\r\nConnection: close\r\n\r\n", status);
    send_str(fd, head);
}

static void send_redirect(int fd, const char *location)
{
    char head[256];
    snprintf(head, sizeof head,
             "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
             location);
    send_str(fd, head);
}

/* Waits until the client closes, the server stops, or ms pass. */
static void stall(int fd, long ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    while (!atomic_load(&srv.stop) && now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) > 0) {
            char c[256];
            if (recv(fd, c, sizeof c, 0) <= 0)
                return; /* the client gave up */
        }
    }
}

/* Reads the request head (bounded in size and time) and returns its path in `path`. */
static bool read_request(int fd, char *path, size_t cap)
{
    char buf[4096];
    size_t len = 0;
    uint64_t end = now_ms() + 2000;
    while (len < sizeof buf - 1 && now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        buf[len] = 0;
        if (strstr(buf, "\r\n\r\n"))
            return sscanf(buf, "GET %255s ", path) == 1 && cap >= 256;
    }
    return false;
}

static void answer(int fd, const char *path)
{
    if (strcmp(path, "/ok") == 0) {
        send_head(fd, "200 OK", 5);
        send_str(fd, "hello");
    } else if (strcmp(path, "/empty") == 0) {
        send_head(fd, "200 OK", 0);
    } else if (strcmp(path, "/medium") == 0) {
        send_head(fd, "200 OK", MEDIUM_BYTES);
        send_pattern(fd, MEDIUM_BYTES);
    } else if (strcmp(path, "/missing") == 0) {
        send_head(fd, "404 Not Found", 9);
        send_str(fd, "not found");
    } else if (strcmp(path, "/gone") == 0) {
        send_head(fd, "410 Gone", 0);
    } else if (strcmp(path, "/500") == 0) {
        send_head(fd, "500 Internal Server Error", 5);
        send_str(fd, "oops!");
    } else if (strcmp(path, "/stall") == 0) {
        stall(fd, STALL_MS);
    } else if (strcmp(path, "/stall_body") == 0) {
        send_head(fd, "200 OK", 100);
        send_str(fd, "partial");
        stall(fd, STALL_MS);
    } else if (strcmp(path, "/big") == 0) {
        send_head(fd, "200 OK", BIG_BYTES);
        send_pattern(fd, BIG_BYTES);
    } else if (strcmp(path, "/big_unsized") == 0) {
        send_head(fd, "200 OK", -1);
        send_pattern(fd, BIG_BYTES);
    } else if (strcmp(path, "/trunc") == 0) {
        send_head(fd, "200 OK", 1000);
        send_str(fd, "0123456789");
    } else if (strcmp(path, "/redirect") == 0) {
        send_redirect(fd, "/ok");
    } else if (strcmp(path, "/redirect_loop") == 0) {
        send_redirect(fd, "/redirect_loop");
    } else if (strcmp(path, "/redirect_file") == 0) {
        send_redirect(fd, "file:///etc/hostname");
    } else {
        send_head(fd, "400 Bad Request", 0);
    }
}

static void *server_main(void *arg)
{
    (void)arg;
    uint64_t end = now_ms() + SERVER_LIFETIME_S * 1000u;
    while (!atomic_load(&srv.stop) && now_ms() < end) {
        struct pollfd p = {srv.listen_fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(srv.listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        char path[256];
        if (read_request(fd, path, sizeof path))
            answer(fd, path);
        /* Lets the client read everything before the close. */
        shutdown(fd, SHUT_WR);
        close(fd);
        atomic_fetch_add(&srv.served, 1);
    }
    return NULL;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t alen = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static int server_start(void **state)
{
    srv.listen_fd = listen_loopback(&srv.port);
    atomic_init(&srv.stop, false);
    atomic_init(&srv.served, 0);
    return pthread_create(&srv.thread, NULL, server_main, NULL) == 0 ? 0 : -1;
}

static int server_stop(void **state)
{
    atomic_store(&srv.stop, true);
    pthread_join(srv.thread, NULL);
    close(srv.listen_fd);
    return 0;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static void url_of(char *buf, size_t cap, const char *path)
{
    snprintf(buf, cap, "http://127.0.0.1:%d%s", srv.port, path);
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

    assert_true(now_ms() - t0 < 5000);
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
    int port = 0;
    int fd = listen_loopback(&port);
    close(fd); /* nothing listens on the port now */
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

static void *cancel_later(void *arg)
{
    sleep_ms(100);
    dp__cancel_set(arg);
    return NULL;
}

static void test_read_cancelled_from_another_thread_while_server_stalls_stops_quickly(void **state)
{
    struct dp_cancel c;
    dp__cancel_init(&c);
    dp_http_desc cfg = {.connect_timeout_ms = 20000, .total_timeout_ms = 60000};
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;
    pthread_t t;
    uint64_t t0 = now_ms();
    assert_int_equal(pthread_create(&t, NULL, cancel_later, &c), 0);

    dp_status s = fetch("/stall", &cfg, &c, &ta, &bytes, &len);

    uint64_t elapsed = now_ms() - t0;
    pthread_join(t, NULL);
    assert_int_equal(s, DP_ERR_CANCELLED);
    assert_true(elapsed < 2000);
}

static void test_read_cancelled_while_body_stalls_stops_quickly(void **state)
{
    struct dp_cancel c;
    dp__cancel_init(&c);
    dp_http_desc cfg = {.total_timeout_ms = 60000};
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    void *bytes = NULL;
    size_t len = 0;
    pthread_t t;
    uint64_t t0 = now_ms();
    assert_int_equal(pthread_create(&t, NULL, cancel_later, &c), 0);

    dp_status s = fetch("/stall_body", &cfg, &c, &ta, &bytes, &len);

    pthread_join(t, NULL);
    assert_int_equal(s, DP_ERR_CANCELLED);
    assert_true(now_ms() - t0 < 2000);
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
        cmocka_unit_test(test_read_cancelled_from_another_thread_while_server_stalls_stops_quickly),
        cmocka_unit_test(test_read_cancelled_while_body_stalls_stops_quickly),
        cmocka_unit_test(test_read_with_each_allocation_failing_gives_ok_or_nomem_and_frees),
        cmocka_unit_test(test_reads_from_several_threads_at_once_all_succeed),
    };
    return cmocka_run_group_tests(tests, server_start, server_stop);
}
