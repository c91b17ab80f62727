/* requires: http pack */
/* test_http_cache_mt.c — the http source's disk cache against a real web server: nginx
 * (Debian nginx-light) started by the test on a free loopback port with a temporary config.
 * First load downloads, a second (new depot, same cache folder) is served from disk with no
 * request in nginx's access log; a stale entry revalidates with its ETag (304); with nginx
 * stopped the cached copy still loads; 404 is NOT_FOUND and drops the entry; the byte
 * budget evicts the least recently used entry; a crash's temporary files are removed and a
 * torn entry is never served. Truncated transfers are retried (the loopback test server,
 * which can cut an answer short). With a catalog on the server (dp_http_cache_desc.catalog):
 * an entry is stored under its content hash and then served with nginx stopped, by URL
 * and by id; identical content is stored once; a changed catalog fetches the new bytes; a
 * corrupt entry on the server is DP_ERR_FORMAT with a message naming the URL and both
 * hashes, and nothing is cached. Exit 77 when nginx is not installed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

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
    for (uint64_t t0 = dp_test_now_ns(); !can_connect(F.port) && dp_test_waiting(t0);)
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

/* Lines of the access log that contain `what`, read as the log stands now. */
static int log_lines(const char *what)
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

/* Waits until nginx has logged every request it finished so far. nginx writes a request's
 * access-log line when it finalizes the request, which can come after the client already
 * has the whole answer (depot's load is done, the test reads the log, the line is not there
 * yet). So: send nginx a request of our own (HEAD, unique path, so no "GET /" count sees
 * it) straight over a socket and wait for its line. nginx here is one process
 * (master_process off, unbuffered access_log) that logs a finished request (keep-alive, as
 * libcurl's are) in the same event handler that sent its last bytes, before it takes the
 * next event; so when the sentinel's line is there, the lines of all requests answered
 * before it are too, and a request depot should not have made is counted. */
static void log_sync(void)
{
    static int seq;
    char req[200], want[100], buf[512];
    snprintf(want, sizeof want, "HEAD /log-sentinel-%d ", ++seq);
    snprintf(req, sizeof req, "%sHTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", want);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(s >= 0);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_true(dp_test_http_send(s, req, strlen(req)));
    while (read(s, buf, sizeof buf) > 0) /* the whole answer: nginx closes after it */
        ;
    close(s);
    uint64_t deadline = dp_test_now_ns() + 60ull * 1000000000ull; /* generous: loaded CI */
    while (log_lines(want) == 0 && dp_test_now_ns() < deadline)
        usleep(1000);
    assert_int_equal(log_lines(want), 1);
}

/* Lines of the access log that contain `what` (e.g. "GET /a.bin" or "\" 304 "), counted
 * once nginx has logged every request it answered before this call. */
static int log_count(const char *what)
{
    log_sync();
    return log_lines(what);
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
    dp_status st = dp_wait(dp, h, DP_TEST_WAIT_MS);
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

/* ---- entries checked against a catalog ------------------------------------------------ */

/* Serves a catalog naming each (key, id, content) of the NULL-terminated list with the
 * content's hash; `served` (may be NULL) are the bytes nginx gives for each instead. */
static void serve_catalog(const char *const *kv, const char *const *served)
{
    char text[2048] = "depot-catalog 1\n";
    for (size_t i = 0; kv[3 * i]; i++) {
        const char *key = kv[3 * i], *id = kv[3 * i + 1], *content = kv[3 * i + 2];
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n, "id\t%s\t0x%016llx\t%s\n", id,
                 (unsigned long long)XXH3_64bits(content, strlen(content)), key);
        serve(key, served && served[i] ? served[i] : content);
    }
    serve("game.catalog", text);
}

/* The cache's files whose names start with `prefix` ("c-": entries by content). */
static int cache_files(const char *prefix)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '^%s' > '%s/count'", F.cache, prefix, F.dir);
    (void)system(cmd);
    snprintf(cmd, sizeof cmd, "%s/count", F.dir);
    FILE *f = fopen(cmd, "r");
    int n = -1;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &n), 1);
    fclose(f);
    return n;
}

static dp_http_cache_desc with_catalog(char *url, size_t cap)
{
    snprintf(url, cap, "http://127.0.0.1:%d/game.catalog", F.port);
    return (dp_http_cache_desc){.dir = F.cache, .catalog = url, .retries = 1,
                                .retry_base_ms = 10};
}

static void test_catalog_entry_is_cached_by_hash_and_served_with_the_server_stopped(void **state)
{
    (void)state;
    serve_catalog((const char *const[]){"lvl/a.bin", "0xa1", "alpha content", NULL}, NULL);
    char url[300], text[256], name[64];
    dp_http_cache_desc d = with_catalog(url, sizeof url);
    assert_int_equal(load_once(&d, "lvl/a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "alpha content");
    assert_int_equal(log_count("GET /lvl/a.bin"), 1);
    snprintf(name, sizeof name, "c-%016llx.dpc",
             (unsigned long long)XXH3_64bits("alpha content", 13));
    assert_int_equal(cache_files(name), 1); /* named by its content hash */
    nginx_stop();
    text[0] = 0;
    assert_int_equal(load_once(&d, "lvl/a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "alpha content");
    /* The catalog's id names the URL, and loads from the cache too. */
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.workers = 1}, &dp), DP_OK);
    assert_int_equal(dp_http_cache(dp, &d), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load_as(dp, "id:0xa1", dp_builtins(dp).blob, &h), DP_OK);
    assert_int_equal(dp_wait(dp, h, DP_TEST_WAIT_MS), DP_OK);
    snprintf(text, sizeof text, "http://127.0.0.1:%d/lvl/a.bin", F.port);
    assert_string_equal(dp_key_of(dp, h), text);
    assert_memory_equal(((const dp_blob *)dp_get(dp, h))->bytes, "alpha content", 13);
    dp_release(dp, h);
    assert_int_equal(dp_destroy(dp), 0);
}

static void test_corrupt_entry_on_the_server_is_a_format_error_and_is_not_cached(void **state)
{
    (void)state;
    /* nginx serves bytes of the right length that are not the catalog's */
    serve_catalog((const char *const[]){"a.bin", "0xa1", "alpha content", NULL},
                  (const char *const[]){"alpha c0ntent"});
    char url[300], key[300], want[64], got[64];
    dp_http_cache_desc d = with_catalog(url, sizeof url);
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.workers = 1}, &dp), DP_OK);
    assert_int_equal(dp_http_cache(dp, &d), DP_OK);
    snprintf(key, sizeof key, "http://127.0.0.1:%d/a.bin", F.port);
    dp_handle h;
    assert_int_equal(dp_load_as(dp, key, dp_builtins(dp).blob, &h), DP_OK);
    assert_int_equal(dp_wait(dp, h, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
    dp_failure_info fi;
    assert_int_equal(dp_failure(dp, h, &fi), DP_OK);
    assert_int_equal(fi.status, DP_ERR_FORMAT);
    assert_non_null(fi.message); /* names the URL and both hashes */
    snprintf(want, sizeof want, "0x%016llx", (unsigned long long)XXH3_64bits("alpha content", 13));
    snprintf(got, sizeof got, "0x%016llx", (unsigned long long)XXH3_64bits("alpha c0ntent", 13));
    assert_non_null(strstr(fi.message, key));
    assert_non_null(strstr(fi.message, want));
    assert_non_null(strstr(fi.message, got));
    char line[1024];
    assert_true(dp_failure_text(&fi, line, sizeof line) < sizeof line);
    printf("failure line: %s\n", line); /* docs/errors.md shows it */
    assert_int_equal(strncmp(line, key, strlen(key)), 0);
    dp_release(dp, h);
    assert_int_equal(dp_destroy(dp), 0);
    assert_int_equal(cache_files("c-"), 0); /* nothing cached by content */
    assert_int_equal(cache_files(""), 1);   /* only the catalog itself */
    /* Fixed on the server: the next load gets the right bytes. */
    serve("a.bin", "alpha content");
    char text[256];
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "alpha content");
    assert_int_equal(cache_files("c-"), 1);
}

/* A type that reads its content in ranges (dp_ctx_read): NUL-terminated text. */
static dp_status ranged_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                             size_t *asset_bytes)
{
    assert_null(bytes); /* the http source reads ranges: nothing was read before */
    char *text = calloc(1, len + 1);
    dp_status st = text ? dp_ctx_read(ctx, 0, len, text) : DP_ERR_NOMEM;
    if (st != DP_OK) {
        free(text);
        return st;
    }
    *asset = text;
    *asset_bytes = len;
    return DP_OK;
}

static void ranged_destroy(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static void test_ranged_load_of_a_catalog_entry_is_checked_whole(void **state)
{
    (void)state;
    serve_catalog((const char *const[]){"r.bin", "0xa1", "ranged content", NULL},
                  (const char *const[]){"ranged c0ntent"});
    char url[300], key[300];
    dp_http_cache_desc d = with_catalog(url, sizeof url);
    snprintf(key, sizeof key, "http://127.0.0.1:%d/r.bin", F.port);
    for (int round = 0; round < 2; round++) {
        dp_depot *dp;
        assert_int_equal(dp_create(&(dp_desc){.workers = 1}, &dp), DP_OK);
        assert_int_equal(dp_http_cache(dp, &d), DP_OK);
        dp_type_id t;
        assert_int_equal(dp_register_type(dp, &(dp_type){.name = "ranged_text",
                             .load = ranged_load, .destroy = ranged_destroy}, &t), DP_OK);
        assert_int_equal(dp_type_ranged(dp, t, true), DP_OK);
        dp_handle h;
        assert_int_equal(dp_load_as(dp, key, t, &h), DP_OK);
        if (round == 0) { /* the corrupt bytes: refused, never handed to the type */
            assert_int_equal(dp_wait(dp, h, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
            assert_int_equal(cache_files("c-"), 0);
            serve("r.bin", "ranged content");
        } else {
            assert_int_equal(dp_wait(dp, h, DP_TEST_WAIT_MS), DP_OK);
            assert_string_equal(dp_get(dp, h), "ranged content");
            assert_int_equal(cache_files("c-"), 1);
        }
        dp_release(dp, h);
        assert_int_equal(dp_destroy(dp), 0);
    }
}

static void test_identical_content_under_two_urls_is_stored_and_fetched_once(void **state)
{
    (void)state;
    serve_catalog((const char *const[]){"one.bin", "0x1", "same bytes", "two.bin", "0x2",
                                        "same bytes", NULL}, NULL);
    char url[300], text[256];
    dp_http_cache_desc d = with_catalog(url, sizeof url);
    assert_int_equal(load_once(&d, "one.bin", text, sizeof text), DP_OK);
    assert_int_equal(load_once(&d, "two.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "same bytes");
    assert_int_equal(log_count("GET /two.bin"), 0); /* its content was cached already */
    assert_int_equal(cache_files("c-"), 1);
}

static void test_changed_catalog_never_serves_the_old_bytes(void **state)
{
    (void)state;
    serve_catalog((const char *const[]){"a.bin", "0xa1", "version one", NULL}, NULL);
    char url[300], text[256];
    dp_http_cache_desc d = with_catalog(url, sizeof url);
    d.fresh_ms = 1; /* the catalog revalidates on each run */
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "version one");
    sleep(1); /* nginx's ETag has one-second resolution */
    serve_catalog((const char *const[]){"a.bin", "0xa1", "version two!", NULL}, NULL);
    assert_int_equal(load_once(&d, "a.bin", text, sizeof text), DP_OK);
    assert_string_equal(text, "version two!");
    assert_int_equal(cache_files("c-"), 2);
}

static void test_catalog_that_cannot_be_had_sets_no_cache(void **state)
{
    (void)state;
    char url[300];
    dp_http_cache_desc d = with_catalog(url, sizeof url);
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.workers = 1}, &dp), DP_OK);
    assert_int_equal(dp_http_cache(dp, &d), DP_ERR_NOT_FOUND); /* not on the server */
    serve("game.catalog", "not a catalog\n");
    assert_int_equal(dp_http_cache(dp, &d), DP_ERR_FORMAT);
    d.catalog = "ftp://127.0.0.1/game.catalog";
    assert_int_equal(dp_http_cache(dp, &d), DP_ERR_INVALID);
    d.catalog = "http://127.0.0.1";
    assert_int_equal(dp_http_cache(dp, &d), DP_ERR_INVALID);
    d.catalog = NULL;
    assert_int_equal(dp_http_cache(dp, &d), DP_OK); /* none was set by the failures */
    assert_int_equal(dp_destroy(dp), 0);
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
    assert_int_equal(dp_wait(dp, h, DP_TEST_WAIT_MS), DP_OK);
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
        cmocka_unit_test_setup_teardown(test_catalog_entry_is_cached_by_hash_and_served_with_the_server_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_entry_on_the_server_is_a_format_error_and_is_not_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranged_load_of_a_catalog_entry_is_checked_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identical_content_under_two_urls_is_stored_and_fetched_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_catalog_never_serves_the_old_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog_that_cannot_be_had_sets_no_cache, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
