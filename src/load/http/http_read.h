/* http_read.h — reading a URL whole with libcurl, cancellable. */
#ifndef DEPOT_LOAD_HTTP_READ_H
#define DEPOT_LOAD_HTTP_READ_H

#include "depot/load.h"

/* Fetches `url` (http:// or https://) into a buffer allocated with `a` (plus a NUL byte not
 * counted in *len). Honours cfg's connect and total timeouts and max_bytes (defaults when
 * 0, see dp_http_desc); polls `cancel` (may be NULL) during the transfer and aborts it
 * within ~100 ms of cancellation. Status mapping: 2xx → DP_OK; 404 and 410 →
 * DP_ERR_NOT_FOUND; other HTTP statuses, refused connections, resolve failures, truncated
 * bodies → DP_ERR_NET; timeouts → DP_ERR_TIMEOUT; over max_bytes → DP_ERR_FORMAT;
 * cancelled → DP_ERR_CANCELLED. Thread-safe (curl's global init is done once).
 * URLs other than http:// and https:// give DP_ERR_INVALID; a redirect to another protocol
 * gives DP_ERR_NET. On error nothing is allocated. */
dp_status dp__http_read(const dp_http_desc *cfg, const dp_allocator *a, const char *url,
                        const struct dp_cancel *cancel, void **bytes, size_t *len);

/* As dp__http_read, for the disk cache: with `if_none_match` (an ETag; may be NULL) the
 * request revalidates, and a 304 answer gives DP_OK with *not_modified true and no bytes;
 * `etag` (may be NULL; etag_cap bytes) receives the answer's ETag ("" when none or longer
 * than etag_cap - 1). */
dp_status dp__http_fetch(const dp_http_desc *cfg, const dp_allocator *a, const char *url,
                         const struct dp_cancel *cancel, const char *if_none_match, char *etag,
                         size_t etag_cap, bool *not_modified, void **bytes, size_t *len);

/* The size of the entity at `url` from a HEAD request's Content-Length. DP_OK; DP_ERR_NET
 * (no Content-Length, or the errors above); DP_ERR_NOT_FOUND; DP_ERR_TIMEOUT; ... */
dp_status dp__http_size(const dp_http_desc *cfg, const char *url, const struct dp_cancel *cancel,
                        uint64_t *size);

/* Reads exactly `len` bytes at `offset` of the entity at `url` into `buf` with a Range
 * request. A server that ignores Range (200) is read up to the end of the range, which is
 * cut out of it. DP_OK; DP_ERR_FORMAT (the entity ends before the range does, 416); the
 * errors of dp__http_read. Thread-safe; nothing is allocated by depot. */
dp_status dp__http_read_range(const dp_http_desc *cfg, const char *url,
                              const struct dp_cancel *cancel, uint64_t offset, void *buf,
                              size_t len);

#endif
