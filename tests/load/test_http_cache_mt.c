/* requires: http */
/* test_http_cache_mt.c — the http source's disk cache against a real web server: nginx
 * (Debian nginx-light) started by the test on a free loopback port with a temporary config.
 * First load downloads, a second (new depot, same cache folder) is served from disk with no
 * request in nginx's access log; a stale entry revalidates with its ETag (304); with nginx
 * stopped the cached copy still loads; 404 is NOT_FOUND and drops the entry; the byte
 * budget evicts the least recently used entry; a crash's temporary files are removed and a
 * torn entry is never served. Truncated transfers are retried (the loopback test server,
 * which can cut an answer short). Exit 77 when nginx is not installed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "depot/depot.h"
#include "http_server.h"
#include "testutil.h"

#define NGINX "/usr/sbin/nginx"

typedef struct fx {
    char dir[256], www[300], cache[300], log[300];
    int port;
    pid_t nginx;
} fx;

static fx F;

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    int port = 0;
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

static bool can_connect(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

static void nginx_start(void)
{
    char conf[400], text[4096];
    snprintf(conf, sizeof conf, "%s/nginx.conf", F.dir);
    F.port = free_port();
    int n = snprintf(text, sizeof text,
             "daemon off; master_process off; pid %s/nginx.pid; error_log %s/error.log;\n"
             "events { worker_connections 64; }\n"
             "http { access_log %s; client_body_temp_path %s/tmp_body;\n"
             "  proxy_temp_path %s/tmp_proxy; fastcgi_temp_path %s/tmp_fcgi;\n"
             "  uwsgi_temp_path %s/tmp_uwsgi; scgi_temp_path %s/tmp_scgi;\n"
             "  server { listen 127.0.0.1:%d; root %s; } }\n",
             F.dir, F.dir, F.log, F.dir, F.dir, F.dir, F.dir, F.dir, F.port, F.www);
    assert_true(n > 0 && n < (int)sizeof text);
    assert_int_equal(dp_test_write_file(conf, text, strlen(text)), 0);
    F.nginx = fork();
    if (F.nginx == 0) {
        execl(NGINX, "nginx", "-p", F.dir, "-c", conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 2000 && !can_connect(F.port); i++)
        usleep(5000);
    assert_true(can_connect(F.port));
}

static void nginx_stop(void)
{
    if (F.nginx > 0) {
        kill(F.nginx, SIGTERM);
        waitpid(F.nginx, NULL, 0);
        F.nginx = 0;
    }
}

/* Lines of the access log that contain `what` (e.g. "GET /a.bin" or "\" 304 "). */
static int log_count(const char *what)
{
    FILE *f = fopen(F.log, "r");
    int n = 0;
    char line[1024];
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, what) != NULL;
    if (f)
        fclose(f);
    return n;
}

static void serve(const char *name, const char *text)
{
    char path[500];
    snprintf(path, sizeof path, "%s/%s", F.www, name);
    assert_int_equal(dp_test_write_file(path, text, strlen(text)), 0);
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    dp_test_mkdtemp(F.dir, sizeof F.dir);
    snprintf(F.www, sizeof F.www, "%s/www", F.dir);
    snprintf(F.cache, sizeof F.cache, "%s/cache", F.dir);
    snprintf(F.log, sizeof F.log, "%s/access.log", F.dir);
    serve("a.bin", "alpha content");
    nginx_start();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nginx_stop();
    dp_test_rmrf(F.dir);
    return 0;
}

/* A depot with the cache; loads url as a blob and waits; returns the status and copies the
 * text into out (if DP_OK). */
static dp_status load_once(const dp_http_cache_desc *d, const char *path, char *out, size_t cap)
{
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.workers = 2}, &dp), DP_OK);
    assert_int_equal(dp_http_cache(dp, d), DP_OK);
    char key[400];
    snprintf(key, sizeof key, "http://127.0.0.1:%d/%s", F.port, path);
    dp_handle h;
    assert_int_equal(dp_load_as(dp, key, dp_builtins(dp).blob, &h), DP_OK);
    dp_status st = dp_wait(dp, h, 30000);
    if (st == DP_OK) {
        const dp_blob *b = dp_get(dp, h);
        snprintf(out, cap, "%.*s", (int)b->size, (const char *)b->bytes);
    }
    dp_release(dp, h);
    assert_int_equal(dp_destroy(dp), 0);
    return st;
}

static void test_second_load_is_served_from_disk_without_a_request(void **state)
{
    (void)state;
    dp_http_cache_desc d = {.dir = F.cache};
    char text[256];
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "alpha content");
    assert_int_equal(log_count("GET /a.bin"), 1);
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "alpha content");
    assert_int_equal(log_count("GET /a.bin"), 1); /* no new GET */
}

static void test_stale_entry_revalidates_with_its_etag(void **state)
{
    (void)state;
    dp_http_cache_desc d = {.dir = F.cache, .fresh_ms = 1};
    char text[256];
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    usleep(5000);
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "alpha content");
    assert_int_equal(log_count("GET /a.bin HTTP/1.1\" 304 "), 1);
    /* A changed file is a 200 with the new content, which replaces the entry. */
    usleep(5000);
    sleep(1); /* nginx's ETag has one-second resolution */
    serve("a.bin", "alpha v2");
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "alpha v2");
}

static void test_cached_copy_loads_with_the_server_stopped(void **state)
{
    (void)state;
    dp_http_cache_desc d = {.dir = F.cache, .fresh_ms = 1, .retries = 1, .retry_base_ms = 10};
    char text[256];
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    nginx_stop();
    text[0] = 0;
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "alpha content");
    /* Not cached and no server: the network error. */
    assert_int_equal(load_once(&d, "never.bin", text, sizeof text), DP_ERR_NET);
}

static void test_404_is_not_found_and_drops_the_entry(void **state)
{
    (void)state;
    dp_http_cache_desc d = {.dir = F.cache, .fresh_ms = 1};
    char text[256], path[500];
    assert_int_equal(load_once(&d, "missing.bin", text, sizeof text), DP_ERR_NOT_FOUND);
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    snprintf(path, sizeof path, "%s/a.bin", F.www);
    unlink(path);
    usleep(5000);
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_ERR_NOT_FOUND);
    nginx_stop(); /* had the entry stayed, it would be served now */
    assert_int_not_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
}

static void test_budget_evicts_the_least_recently_used_entry(void **state)
{
    (void)state;
    char big[1001];
    memset(big, 'x', 1000);
    big[1000] = 0;
    serve("1.bin", big);
    serve("2.bin", big);
    serve("3.bin", big);
    dp_http_cache_desc d = {.dir = F.cache, .max_bytes = 2500};
    char text[1100];
    assert_int_equal(load_once(&d, "1.bin", text, sizeof text), DP_OK);
    usleep(20000);
    assert_int_equal(load_once(&d, "2.bin", text, sizeof text), DP_OK);
    usleep(20000);
    assert_int_equal(load_once(&d, "1.bin", text, sizeof text), DP_OK); /* 1 used again */
    usleep(20000);
    assert_int_equal(load_once(&d, "3.bin", text, sizeof text), DP_OK); /* evicts 2 */
    int before = log_count("GET /");
    assert_int_equal(load_once(&d, "1.bin", text, sizeof text), DP_OK);
    assert_int_equal(load_once(&d, "3.bin", text, sizeof text), DP_OK);
    assert_int_equal(log_count("GET /"), before);     /* both still cached */
    assert_int_equal(load_once(&d, "2.bin", text, sizeof text), DP_OK);
    assert_int_equal(log_count("GET /"), before + 1); /* 2 was evicted */
}

static void test_crash_leftovers_are_removed_and_a_torn_entry_is_never_served(void **state)
{
    (void)state;
    dp_http_cache_desc d = {.dir = F.cache};
    char text[256];
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    /* Tear the entry (as a crash in the middle of writing it in place would) and leave a
     * temporary file behind. */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cd '%s' && for f in *.dpc; do head -c 40 \"$f\" > t && mv t \"$f\";"
                              " echo junk > \"$f.tmp9\"; done", F.cache);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "alpha content");
    assert_int_equal(log_count("GET /a.bin"), 2); /* the torn entry was not served */
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", F.cache);
    assert_int_not_equal(system(cmd), 0); /* grep found no temporary file */
}

/* ---- retries, against the loopback server ------------------------------------------------- */

static atomic_int trunc_calls;

static void cut_then_serve(void *user, dp_test_server *s, int fd, const char *path)
{
    (void)user;
    (void)s;
    (void)path;
    if (atomic_fetch_add(&trunc_calls, 1) == 0) {
        dp_test_http_head(fd, "200 OK", 100);
        dp_test_http_send(fd, "only ten..", 10); /* then the connection closes */
    } else {
        dp_test_http_reply(fd, "200 OK", "complete body", 13);
    }
}

static void test_truncated_transfer_is_retried(void **state)
{
    (void)state;
    atomic_store(&trunc_calls, 0);
    dp_test_server *srv = dp_test_server_start(cut_then_serve, NULL);
    assert_non_null(srv);
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.workers = 1}, &dp), DP_OK);
    dp_http_cache_desc d = {.dir = F.cache, .retry_base_ms = 10};
    assert_int_equal(dp_http_cache(dp, &d), DP_OK);
    assert_int_equal(dp_http_cache(dp, &d), DP_ERR_EXISTS);
    char key[256];
    snprintf(key, sizeof key, "http://127.0.0.1:%d/t.bin", dp_test_server_port(srv));
    dp_handle h;
    assert_int_equal(dp_load_as(dp, key, dp_builtins(dp).blob, &h), DP_OK);
    assert_int_equal(dp_wait(dp, h, 30000), DP_OK);
    const dp_blob *b = dp_get(dp, h);
    assert_memory_equal(b->bytes, "complete body", 13);
    assert_int_equal(atomic_load(&trunc_calls), 2);
    dp_release(dp, h);
    assert_int_equal(dp_destroy(dp), 0);
    dp_test_server_stop(srv);
}

int main(void)
{
    if (access(NGINX, X_OK) != 0) {
        printf("SKIP: nginx is not installed (apt-get install nginx-light)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_second_load_is_served_from_disk_without_a_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_entry_revalidates_with_its_etag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cached_copy_loads_with_the_server_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_404_is_not_found_and_drops_the_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_evicts_the_least_recently_used_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_leftovers_are_removed_and_a_torn_entry_is_never_served, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_transfer_is_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
