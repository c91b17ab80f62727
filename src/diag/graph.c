/* graph.c — naming assets in diagnostic output. */
#include <stdio.h>

#include "diag/graph.h"

const char *dp__graph_name(const dp_depot *dp, dp_handle h, char *buf, size_t cap)
{
    dp__asset *r = dp__rec(dp, h);
    if (r && r->key)
        return r->key;
    snprintf(buf, cap, "#%u", dp_handle_index(h));
    return buf;
}
