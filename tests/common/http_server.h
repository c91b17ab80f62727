/* http_server.h — a small HTTP/1.1 server on 127.0.0.1 for tests, one thread per
 * connection, so a stalled answer does not hold up the next request. The test decides the
 * answer to each request path in a callback; helpers below send heads, bodies and stalls.
 * Every connection is closed after its answer. */
#ifndef DP_TEST_HTTP_SERVER_H
#define DP_TEST_HTTP_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct dp_test_server dp_test_server;

/* Answers one request for `path` on socket `fd` (worker thread of the server). */
typedef void (*dp_test_http_fn)(void *user, dp_test_server *s, int fd, const char *path);

/* Starts listening on a free loopback port. NULL on failure. */
dp_test_server *dp_test_server_start(dp_test_http_fn fn, void *user);
/* Stops accepting, wakes every stalled answer, joins every thread, frees the server. */
void dp_test_server_stop(dp_test_server *s);
int dp_test_server_port(const dp_test_server *s);
/* Connections answered so far (completed), and currently open. */
int dp_test_server_served(dp_test_server *s);
int dp_test_server_open(dp_test_server *s);

/* Sends everything (false if the client went away; never raises SIGPIPE). */
bool dp_test_http_send(int fd, const void *data, size_t len);
/* Sends a status line ("200 OK") and head; content_length < 0 omits the header. */
void dp_test_http_head(int fd, const char *status, long content_length);
/* Sends a complete response with a body. */
void dp_test_http_reply(int fd, const char *status, const void *body, size_t len);
/* Sends a 302 to `location` with an empty body. */
void dp_test_http_redirect(int fd, const char *location);
/* Waits until the client closes, the server stops, or ms pass. */
void dp_test_http_stall(dp_test_server *s, int fd, long ms);

/* The head of the request being answered (request line and headers), on the thread that
 * runs the answer callback. Any method is accepted (GET, HEAD). */
const char *dp_test_http_request_head(void);
/* Answers the request with `body` as the entity: HEAD gets the head only, a
 * "Range: bytes=A-B" request gets 206 with that part (416 past the end), else 200. */
void dp_test_http_serve_bytes(int fd, const void *body, size_t len);

/* A loopback port that refuses connections (bound, then closed). */
int dp_test_refused_port(void);

#endif
