/* group_load.c — loading into a group: how a scene or bundle manifest is loaded so that
 * releasing the group unloads it. Owner thread. */
#include "load/loader.h"

dp_status dp_load_into(dp_depot *dp, const char *key, dp_group group, dp_handle *out)
{
    if (out)
        *out = DP_NULL_HANDLE;
    if (!dp || !key)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    if (!dp__group_alive(dp, group))
        return DP_ERR_STALE;
    dp_handle h;
    dp_status st = dp__load_counted(dp, key, 0, &h, "(group load)", 0);
    if (st != DP_OK)
        return st;
    st = dp_group_add(dp, group, h);
    dp_release(dp, h); /* the group's count keeps it; the caller gets a weak view */
    if (st != DP_OK)
        return st;
    if (out)
        *out = h;
    return DP_OK;
}
