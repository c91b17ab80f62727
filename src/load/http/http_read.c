/* http_read.c — reading a URL whole with libcurl, cancellable.
 *
 * Each call owns one easy handle driven by its own multi handle, so that the loop can look
 * at the cancellation token every 50 ms even while a server sends nothing. The body goes
 * into a buffer from the caller's allocator; libcurl's own allocations use malloc (its
 * memory hooks are process-wide, set by curl_global_init_mem, so they cannot be per call).
 *
 * URLs other than http:// and https:// are refused with DP_ERR_INVALID before libcurl sees
 * them; a redirect to another protocol is refused by libcurl and gives DP_ERR_NET. */
#include "load/http/http_read.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "load/cancel.h"

#define DEFAULT_CONNECT_MS 5000L
#define DEFAULT_TOTAL_MS 30000L
#define DEFAULT_MAX_BYTES ((size_t)64 << 20)
#define MAX_REDIRECTS 5L
/* How long the transfer loop waits for socket activity before looking at the token. */
#define POLL_MS 50

/* The only global state of depot: libcurl's process-wide initialisation, done once and
 * never undone (other code in the process may be using libcurl too). */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The body being received. */
typedef struct body {
    const dp_allocator *alloc;
    CURL *easy;
    unsigned char *buf;
    size_t len, cap;
    size_t max;
    bool too_big;  /* the body passed max_bytes */
    bool nomem;    /* the buffer could not grow */
    /* A ranged read writes into `dst` instead: `want` bytes starting at `skip` of the
     * entity (skip is 0 for a 206 answer, which starts at the range). */
    unsigned char *dst;
    uint64_t skip;
    size_t want, got;
    char err[CURL_ERROR_SIZE]; /* libcurl's words for a failed transfer */
    long os_errno;             /* the socket's errno behind it (ECONNREFUSED), or 0 */
} body;

/* A ranged read's data: a 206 answer is the range itself; a 200 answer (a server that
 * ignores Range) is the whole entity, of which the range is cut out. Enough is enough:
 * the transfer stops once the range is complete. */
static size_t on_range_data(body *b, long code, const char *data, size_t n)
{
    size_t used = 0;
    uint64_t skip = code == 206 ? 0 : b->skip;
    uint64_t pos = (uint64_t)b->len; /* entity bytes seen before this chunk */
    b->len += n;
    if (pos + n <= skip)
        return n;
    if (pos < skip)
        used = (size_t)(skip - pos);
    size_t take = n - used;
    if (take > b->want - b->got)
        take = b->want - b->got;
    memcpy(b->dst + b->got, data + used, take);
    b->got += take;
    return b->got == b->want ? 0 : n; /* 0 ends the transfer early, checked by the caller */
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
    body *b = user;
    size_t n = size * nmemb;
    /* The body of an error response is not kept: only its status matters, and a long
     * error page must not count against max_bytes. */
    long code = 0;
    curl_easy_getinfo(b->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code > 299)
        return n;
    if (b->dst)
        return on_range_data(b, code, data, n);
    if (n > b->max - b->len) {
        b->too_big = true;
        return 0;
    }
    /* One more byte for the terminating NUL. */
    void *buf = b->buf;
    if (dp__grow(b->alloc, &buf, &b->cap, b->len + n + 1, 1) != DP_OK) {
        b->nomem = true;
        return 0;
    }
    b->buf = buf;
    memcpy(b->buf + b->len, data, n);
    b->len += n;
    return n;
}

static bool scheme_allowed(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

static dp_status setup(CURL *e, const dp_http_desc *cfg, const char *url, body *b)
{
    long connect_ms = cfg && cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : DEFAULT_CONNECT_MS;
    long total_ms = cfg && cfg->total_timeout_ms > 0 ? cfg->total_timeout_ms : DEFAULT_TOTAL_MS;
    bool ok = curl_easy_setopt(e, CURLOPT_URL, url) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_MAXREDIRS, MAX_REDIRECTS) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total_ms) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_FAILONERROR, 0L) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_USERAGENT, "depot") == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_WRITEDATA, b) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_ERRORBUFFER, b->err) == CURLE_OK;
    if (!ok)
        return DP_ERR_NOMEM;
    /* A Content-Length over the limit fails at once; a body without one is stopped by
     * on_data. Only possible when the limit fits curl_off_t. */
    if (b->max <= (size_t)INT64_MAX)
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b->max);
    return DP_OK;
}

static dp_status map_result(CURLcode rc, const body *b, long code)
{
    if (b->too_big)
        return DP_ERR_FORMAT;
    if (b->nomem)
        return DP_ERR_NOMEM;
    switch (rc) {
    case CURLE_OK:
        break;
    case CURLE_OPERATION_TIMEDOUT:
        return DP_ERR_TIMEOUT;
    case CURLE_FILESIZE_EXCEEDED:
        return DP_ERR_FORMAT;
    case CURLE_OUT_OF_MEMORY:
        return DP_ERR_NOMEM;
    case CURLE_URL_MALFORMAT:
        return DP_ERR_INVALID;
    default:
        /* Refused or failed connections, resolve failures, truncated bodies, too many
         * redirects, a redirect to another protocol. */
        return DP_ERR_NET;
    }
    if (code >= 200 && code <= 299)
        return DP_OK;
    if (code == 404 || code == 410)
        return DP_ERR_NOT_FOUND;
    return DP_ERR_NET;
}

/* Says on the job's token why a request failed with `s` (dp_failure's message): the HTTP
 * status, or libcurl's error with the socket's errno ("Connection refused"). */
static void explain(const struct dp_cancel *cancel, dp_status s, CURLcode rc, const body *b,
                    long code)
{
    if (s == DP_OK || s == DP_ERR_CANCELLED || s == DP_ERR_NOMEM)
        return;
    if (b->too_big || rc == CURLE_FILESIZE_EXCEEDED) { /* by the body, or its Content-Length */
        dp__cancel_why(cancel, "the body is over the %zu-byte limit (dp_http_desc.max_bytes)",
                       b->max);
    } else if (rc != CURLE_OK) {
        char os[96] = "", text[64];
        if (b->os_errno) /* GNU strerror_r (_GNU_SOURCE): returns the text */
            snprintf(os, sizeof os, " (%s)", strerror_r((int)b->os_errno, text, sizeof text));
        dp__cancel_why(cancel, "curl: %s%s", b->err[0] ? b->err : curl_easy_strerror(rc), os);
    } else if (code) {
        dp__cancel_why(cancel, "HTTP %ld", code);
    }
}

/* Runs the transfer until it ends or `cancel` is set. DP_ERR_CANCELLED, DP_ERR_NOMEM, or
 * DP_OK with the transfer's own result in *rc. */
static dp_status run(CURLM *m, CURL *e, const struct dp_cancel *cancel, CURLcode *rc)
{
    for (;;) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK)
            return mc == CURLM_OUT_OF_MEMORY ? DP_ERR_NOMEM : DP_ERR_NET;
        if (!running)
            break;
        if (dp_cancelled(cancel))
            return DP_ERR_CANCELLED;
        mc = curl_multi_poll(m, NULL, 0, POLL_MS, NULL);
        if (mc != CURLM_OK)
            return mc == CURLM_OUT_OF_MEMORY ? DP_ERR_NOMEM : DP_ERR_NET;
        if (dp_cancelled(cancel))
            return DP_ERR_CANCELLED;
    }
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == e) {
            *rc = msg->data.result;
            return DP_OK;
        }
    }
    return DP_ERR_NET;
}

/* What one request asks for besides the URL, and the ETag of its answer. */
typedef struct request {
    const char *range;         /* "first-last" or NULL */
    bool head;                 /* HEAD: no body */
    const char *if_none_match; /* an ETag to revalidate, or NULL */
    char *etag;                /* receives the answer's ETag (NUL-terminated), or NULL */
    size_t etag_cap;
} request;

/* Keeps the ETag header of the answer (the last one, after redirects). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    request *rq = user;
    size_t n = size * nmemb;
    if (rq->etag && n > 5 && strncasecmp(data, "ETag:", 5) == 0) {
        size_t i = 5, end = n;
        while (i < end && (data[i] == ' ' || data[i] == '\t'))
            i++;
        while (end > i && (data[end - 1] == '\r' || data[end - 1] == '\n' || data[end - 1] == ' '))
            end--;
        size_t len = end - i < rq->etag_cap - 1 ? end - i : 0; /* too long: not kept */
        memcpy(rq->etag, data + i, len);
        rq->etag[len] = 0;
    }
    return n;
}

/* The request's own options: a range, HEAD, If-None-Match and the ETag callback. */
static dp_status setup_request(CURL *e, request *rq, struct curl_slist **headers)
{
    if ((rq->range && curl_easy_setopt(e, CURLOPT_RANGE, rq->range) != CURLE_OK) ||
        (rq->head && curl_easy_setopt(e, CURLOPT_NOBODY, 1L) != CURLE_OK))
        return DP_ERR_NOMEM;
    if (rq->etag) {
        rq->etag[0] = 0;
        if (curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HEADERDATA, rq) != CURLE_OK)
            return DP_ERR_NOMEM;
    }
    if (rq->if_none_match && rq->if_none_match[0]) {
        char line[300];
        snprintf(line, sizeof line, "If-None-Match: %.280s", rq->if_none_match);
        *headers = curl_slist_append(NULL, line);
        if (!*headers || curl_easy_setopt(e, CURLOPT_HTTPHEADER, *headers) != CURLE_OK)
            return DP_ERR_NOMEM;
    }
    return DP_OK;
}

/* Runs one request into b (the caller set its buffer or range fields): DP_OK with the HTTP
 * code and curl's result in *code and *rc, or a status when the transfer could not run. */
static dp_status perform(const dp_http_desc *cfg, const char *url, const struct dp_cancel *cancel,
                         request *rq, body *b, long *code, CURLcode *rc)
{
    if (!url || !scheme_allowed(url))
        return DP_ERR_INVALID;
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;
    pthread_once(&global_once, global_init);
    /* pthread_once orders global_init's write before this read. */
    if (global_result != CURLE_OK)
        return DP_ERR_NET;
    dp_status s = DP_ERR_NOMEM;
    struct curl_slist *headers = NULL;
    CURLM *m = curl_multi_init();
    CURL *e = curl_easy_init();
    if (!m || !e)
        goto done;
    b->easy = e;
    s = setup(e, cfg, url, b);
    if (s == DP_OK)
        s = setup_request(e, rq, &headers);
    if (s != DP_OK)
        goto done;
    if (curl_multi_add_handle(m, e) != CURLM_OK) {
        s = DP_ERR_NOMEM;
        goto done;
    }
    *rc = CURLE_OK;
    s = run(m, e, cancel, rc);
    curl_multi_remove_handle(m, e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, code);
    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &b->os_errno);
    if (rq->head && s == DP_OK) {
        curl_off_t n = -1;
        curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &n);
        b->skip = n < 0 ? UINT64_MAX : (uint64_t)n; /* HEAD: the entity's size, if told */
    }
done:
    if (e)
        curl_easy_cleanup(e);
    if (m)
        curl_multi_cleanup(m);
    curl_slist_free_all(headers);
    return s;
}

dp_status dp__http_read(const dp_http_desc *cfg, const dp_allocator *a, const char *url,
                        const struct dp_cancel *cancel, void **bytes, size_t *len)
{
    return dp__http_fetch(cfg, a, url, cancel, NULL, NULL, 0, NULL, bytes, len);
}

dp_status dp__http_fetch(const dp_http_desc *cfg, const dp_allocator *a, const char *url,
                         const struct dp_cancel *cancel, const char *if_none_match, char *etag,
                         size_t etag_cap, bool *not_modified, void **bytes, size_t *len)
{
    if (!bytes || !len || (etag && etag_cap < 2))
        return DP_ERR_INVALID;
    *bytes = NULL;
    *len = 0;
    if (not_modified)
        *not_modified = false;
    dp_allocator alloc;
    dp__alloc_init(&alloc, a);
    body b = {.alloc = &alloc};
    b.max = cfg && cfg->max_bytes > 0 ? cfg->max_bytes : DEFAULT_MAX_BYTES;
    long code = 0;
    CURLcode rc = CURLE_OK;
    request rq = {.if_none_match = if_none_match, .etag = etag, .etag_cap = etag_cap};
    dp_status s = perform(cfg, url, cancel, &rq, &b, &code, &rc);
    if (s == DP_OK && code == 304 && if_none_match && not_modified && rc == CURLE_OK) {
        *not_modified = true; /* the cached copy is current: no body */
        dp__free(&alloc, b.buf);
        return DP_OK;
    }
    if (s == DP_OK) {
        s = map_result(rc, &b, code);
        explain(cancel, s, rc, &b, code);
    }
    if (s == DP_OK && !b.buf) {
        /* An empty body still gets its NUL byte. */
        b.buf = dp__alloc(&alloc, 1);
        if (!b.buf)
            s = DP_ERR_NOMEM;
    }
    if (s == DP_OK) {
        b.buf[b.len] = 0;
        *bytes = b.buf;
        *len = b.len;
        b.buf = NULL;
    }
    dp__free(&alloc, b.buf);
    return s;
}

dp_status dp__http_size(const dp_http_desc *cfg, const char *url, const struct dp_cancel *cancel,
                        uint64_t *size)
{
    body b = {.max = SIZE_MAX};
    long code = 0;
    CURLcode rc = CURLE_OK;
    request rq = {.head = true};
    dp_status s = perform(cfg, url, cancel, &rq, &b, &code, &rc);
    if (s == DP_OK)
        s = map_result(rc, &b, code);
    if (s == DP_OK && b.skip == UINT64_MAX)
        s = DP_ERR_NET; /* no Content-Length: the size is unknown */
    if (s == DP_OK)
        *size = b.skip;
    return s;
}

dp_status dp__http_read_range(const dp_http_desc *cfg, const char *url,
                              const struct dp_cancel *cancel, uint64_t offset, void *buf,
                              size_t len)
{
    if (len == 0)
        return DP_OK;
    char range[48];
    snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)offset,
             (unsigned long long)(offset + len - 1));
    body b = {.max = SIZE_MAX, .dst = buf, .skip = offset, .want = len};
    long code = 0;
    CURLcode rc = CURLE_OK;
    request rq = {.range = range};
    dp_status s = perform(cfg, url, cancel, &rq, &b, &code, &rc);
    if (s != DP_OK)
        return s;
    if (b.got == len && (code == 200 || code == 206))
        return DP_OK; /* the write callback stopped the transfer once the range was in */
    if (code == 416)
        return dp_source_fail(cancel, DP_ERR_FORMAT, "HTTP 416: the range %s is past the end",
                              range);
    s = map_result(rc, &b, code);
    explain(cancel, s, rc, &b, code);
    return s == DP_OK ? DP_ERR_FORMAT : s; /* a complete answer, but short */
}
