/* status.c — names of dp_status codes. */
#include "depot/common.h"

const char *dp_status_str(dp_status s)
{
    switch (s) {
    case DP_OK: return "DP_OK";
    case DP_ERR_NOMEM: return "DP_ERR_NOMEM";
    case DP_ERR_INVALID: return "DP_ERR_INVALID";
    case DP_ERR_STALE: return "DP_ERR_STALE";
    case DP_ERR_NOT_FOUND: return "DP_ERR_NOT_FOUND";
    case DP_ERR_IO: return "DP_ERR_IO";
    case DP_ERR_FORMAT: return "DP_ERR_FORMAT";
    case DP_ERR_NET: return "DP_ERR_NET";
    case DP_ERR_TIMEOUT: return "DP_ERR_TIMEOUT";
    case DP_ERR_CANCELLED: return "DP_ERR_CANCELLED";
    case DP_ERR_UNDERFLOW: return "DP_ERR_UNDERFLOW";
    case DP_ERR_OVERFLOW: return "DP_ERR_OVERFLOW";
    case DP_ERR_WRONG_THREAD: return "DP_ERR_WRONG_THREAD";
    case DP_ERR_EXISTS: return "DP_ERR_EXISTS";
    }
    return "DP_ERR_UNKNOWN";
}
