/* status.c — names of dp_status codes, generated from DP_STATUS_LIST in depot/common.h. */
#include "depot/common.h"

const char *dp_status_str(dp_status s)
{
    switch (s) {
#define NAME(name, value, meaning) \
    case name: return #name;
        DP_STATUS_LIST(NAME)
#undef NAME
    }
    return "DP_ERR_UNKNOWN";
}
