/* graph.c — naming assets in diagnostic output. */
#include <stdio.h>

#include "diag/graph.h"

const char *dp__graph_name(const dp_depot *dp, dp_handle h, char *buf, size_t cap)
{
    dp__view v;
    if (dp__view_of(dp, h, &v) && v.key)
        return v.key;
    snprintf(buf, cap, "#%u", dp_handle_index(h));
    return buf;
}
