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

#endif
