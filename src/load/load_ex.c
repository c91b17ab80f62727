/* load_ex.c — dp_load_ex: one entry point for a load with options (priority, forced type,
 * group, flags, completion callback) that validates them, hands over to the plain, soft or
 * group load, and asks the registry for the completion call (asset/done.c). */
#include "load/loader.h"

/* The DP_LOAD_* flags this build knows; any other bit is refused. */
#define KNOWN_FLAGS DP_LOAD_SOFT

/* DP_LOAD_SOFT: the caller's count becomes a soft reference (owner thread; not with a
 * group, whose own kind decides: dp_group_set_soft). */
static dp_status load_soft(dp_depot *dp, const char *key, dp_type_id type, int level,
                           dp_handle *out, const char *file, int line)
{
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp_status st = dp__load_leveled(dp, key, type, level, out, file, line);
    if (st != DP_OK)
        return st;
    st = dp__soft_adopt(dp, *out, file, line);
    if (st != DP_OK) {
        dp_release(dp, *out);
        *out = DP_NULL_HANDLE;
    }
    return st;
}

dp_status dp_load_ex_at(dp_depot *dp, const char *key, const dp_load_opts *opts,
                        dp_handle *out, const char *file, int line)
{
    if (out)
        *out = DP_NULL_HANDLE;
    static const dp_load_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    int level = dp__priority_level(opts->priority);
    bool grouped = opts->group.bits != 0;
    bool soft = opts->flags & DP_LOAD_SOFT;
    if (!dp || !key || level < 0 || (opts->flags & ~KNOWN_FLAGS) || (!out && !grouped) ||
        (soft && grouped))
        return DP_ERR_INVALID;
    dp_handle h;
    dp_status st = soft      ? load_soft(dp, key, opts->type, level, &h, file, line)
                   : grouped ? dp__load_into_group(dp, key, opts->type, level, opts->group,
                                                   &h, file, line)
                             : dp__load_leveled(dp, key, opts->type, level, &h, file, line);
    if (st == DP_OK && opts->on_done &&
        (st = dp__done_add(dp, h, opts->on_done, opts->on_done_user)) != DP_OK) {
        /* The callback cannot be promised: take the load back, as if it never happened. */
        if (grouped)
            dp_group_remove(dp, opts->group, h);
        else if (soft)
            dp_release_soft(dp, h);
        else
            dp_release(dp, h);
        return st;
    }
    if (st == DP_OK && out)
        *out = h;
    return st;
}

dp_status (dp_load_ex)(dp_depot *dp, const char *key, const dp_load_opts *opts, dp_handle *out)
{
    return dp_load_ex_at(dp, key, opts, out, "(unknown)", 0);
}
