/* group_load.c — loading into a group: how a scene or bundle manifest is loaded so that
 * releasing the group unloads it (dp_load_into, and dp_load_ex with a group). Owner
 * thread. */
#include "load/loader.h"

dp_status dp__load_into_group(dp_depot *dp, const char *key, dp_type_id type, int level,
                              dp_group group, dp_handle *out, const char *file, int line)
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
    dp_status st = dp__load_leveled(dp, key, type, level, &h, file, line);
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

dp_status dp_load_into(dp_depot *dp, const char *key, dp_group group, dp_handle *out)
{
    return dp__load_into_group(dp, key, 0, DP_PRIORITY_NORMAL - DP_PRIORITY_LOW, group, out,
                               "(group load)", 0);
}
