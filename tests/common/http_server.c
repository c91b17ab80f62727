/* http_server.c — see http_server.h. */
#include "http_server.h"

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

#define MAX_CONNS 256
/* The server never outlives a broken test by much. */
#define LIFETIME_MS 120000u

struct dp_test_server {
    int listen_fd;
    int port;
    dp_test_http_fn fn;
    void *user;
    atomic_bool stop;
    atomic_int served;
    atomic_int open;
    pthread_t accept_thread;
    pthread_mutex_t lock;
    pthread_t conns[MAX_CONNS];
    int nconns;
};

typedef struct conn {
    dp_test_server *s;
    int fd;
} conn;

static uint64_t now_ms(void)
{
    return dp_test_now_ns() / 1000000u;
}

bool dp_test_http_send(int fd, const void *data, size_t len)
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

void dp_test_http_head(int fd, const char *status, long content_length)
{
    char head[256];
    if (content_length >= 0)
        snprintf(head, sizeof head,
                 "HTTP/1.1 %s\r\nContent-Length: %ld\r\nConnection: close\r\n\r\n", status,
                 content_length);
    else
        snprintf(head, sizeof head, "HTTP/1.1 %s\r\nConnection: close\r\n\r\n", status);
    dp_test_http_send(fd, head, strlen(head));
}

void dp_test_http_reply(int fd, const char *status, const void *body, size_t len)
{
    dp_test_http_head(fd, status, (long)len);
    dp_test_http_send(fd, body, len);
}

void dp_test_http_redirect(int fd, const char *location)
{
    char head[512];
    snprintf(head, sizeof head,
             "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
             location);
    dp_test_http_send(fd, head, strlen(head));
}

void dp_test_http_stall(dp_test_server *s, int fd, long ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    while (!atomic_load(&s->stop) && now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10) > 0) {
            char c[256];
            if (recv(fd, c, sizeof c, 0) <= 0)
                return; /* the client gave up */
        }
    }
}

/* The head of the request being answered on this connection thread. */
static _Thread_local char request_head[4096];

const char *dp_test_http_request_head(void)
{
    return request_head;
}

void dp_test_http_serve_bytes(int fd, const void *body, size_t len)
{
    const char *head = request_head;
    unsigned long long first, last;
    const char *range = strcasestr(head, "\r\nRange: bytes=");
    if (!strncmp(head, "HEAD ", 5)) {
        dp_test_http_head(fd, "200 OK", (long)len);
        return;
    }
    if (!range || sscanf(range, "\r\nRange: bytes=%llu-%llu", &first, &last) != 2) {
        dp_test_http_reply(fd, "200 OK", body, len);
        return;
    }
    if (first > last || first >= len) {
        dp_test_http_reply(fd, "416 Range Not Satisfiable", "", 0);
        return;
    }
    if (last >= len)
        last = len - 1;
    char h[256];
    snprintf(h, sizeof h,
             "HTTP/1.1 206 Partial Content\r\nContent-Length: %llu\r\n"
             "Content-Range: bytes %llu-%llu/%zu\r\nConnection: close\r\n\r\n",
             last - first + 1, first, last, len);
    dp_test_http_send(fd, h, strlen(h));
    dp_test_http_send(fd, (const char *)body + first, (size_t)(last - first + 1));
}

static bool read_request(dp_test_server *s, int fd, char *path)
{
    char buf[4096];
    size_t len = 0;
    uint64_t end = now_ms() + 5000;
    while (len < sizeof buf - 1 && now_ms() < end && !atomic_load(&s->stop)) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10) <= 0)
            continue;
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        buf[len] = 0;
        if (strstr(buf, "\r\n\r\n")) {
            memcpy(request_head, buf, len + 1);
            return sscanf(buf, "%*s %255s ", path) == 1;
        }
    }
    return false;
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    dp_test_server *s = c->s;
    char path[256];
    if (read_request(s, c->fd, path))
        s->fn(s->user, s, c->fd, path);
    shutdown(c->fd, SHUT_WR);
    close(c->fd);
    atomic_fetch_sub(&s->open, 1);
    atomic_fetch_add(&s->served, 1);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    dp_test_server *s = arg;
    uint64_t end = now_ms() + LIFETIME_MS;
    while (!atomic_load(&s->stop) && now_ms() < end) {
        struct pollfd p = {s->listen_fd, POLLIN, 0};
        if (poll(&p, 1, 10) <= 0)
            continue;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        conn *c = malloc(sizeof *c);
        pthread_mutex_lock(&s->lock);
        bool room = c && s->nconns < MAX_CONNS;
        if (room) {
            c->s = s;
            c->fd = fd;
            atomic_fetch_add(&s->open, 1);
            if (pthread_create(&s->conns[s->nconns], NULL, conn_main, c) == 0) {
                s->nconns++;
            } else {
                atomic_fetch_sub(&s->open, 1);
                room = false;
            }
        }
        pthread_mutex_unlock(&s->lock);
        if (!room) {
            free(c);
            close(fd);
        }
    }
    return NULL;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

dp_test_server *dp_test_server_start(dp_test_http_fn fn, void *user)
{
    dp_test_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fn = fn;
    s->user = user;
    atomic_init(&s->stop, false);
    atomic_init(&s->served, 0);
    atomic_init(&s->open, 0);
    pthread_mutex_init(&s->lock, NULL);
    s->listen_fd = listen_loopback(&s->port);
    if (s->listen_fd < 0 || pthread_create(&s->accept_thread, NULL, accept_main, s) != 0) {
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    return s;
}

void dp_test_server_stop(dp_test_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->accept_thread, NULL);
    /* No new connection threads from here on. */
    for (int i = 0; i < s->nconns; i++)
        pthread_join(s->conns[i], NULL);
    close(s->listen_fd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int dp_test_server_port(const dp_test_server *s)
{
    return s->port;
}

int dp_test_server_served(dp_test_server *s)
{
    return atomic_load(&s->served);
}

int dp_test_server_open(dp_test_server *s)
{
    return atomic_load(&s->open);
}

int dp_test_refused_port(void)
{
    int port = 0;
    int fd = listen_loopback(&port);
    if (fd < 0)
        return 1;
    close(fd);
    return port;
}
