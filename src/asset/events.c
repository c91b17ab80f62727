/* events.c — the per-update event batch, its readers and its listeners. */
#include <string.h>

#include "asset/asset_internal.h"

/* An event buffer keeps room for this many events however few an update has (publish). */
#define EV_KEEP 1024u

void dp__emit(dp_depot *dp, dp_event_kind kind, dp_handle h, dp_type_id type, dp_status st)
{
    if (dp->destroying)
        return;
    if (dp->ev_ncur == dp->ev_capcur &&
        dp__grow(&dp->alloc, (void **)&dp->ev_cur, &dp->ev_capcur, dp->ev_ncur + 1,
                 sizeof *dp->ev_cur) != DP_OK) {
        /* Nothing is dropped silently: the loss is counted in stats. */
        atomic_fetch_add_explicit(&dp->st_events_dropped, 1, memory_order_relaxed);
        return;
    }
    dp->ev_cur[dp->ev_ncur++] = (dp_event){.kind = kind, .handle = h, .type = type, .status = st};
}

void dp__events_publish(dp_depot *dp)
{
    dp_event *tv = dp->ev_pub;
    size_t tcap = dp->ev_cappub;
    dp->ev_pub = dp->ev_cur;
    dp->ev_npub = dp->ev_ncur;
    dp->ev_cappub = dp->ev_capcur;
    dp->ev_cur = tv;
    dp->ev_capcur = tcap;
    dp->ev_ncur = 0;
    /* The buffer swapped out held the update before's events. Far bigger than this update
     * needed (a burst that is over: 10^5 adds in one update leave 7 MB), it goes; dp__emit
     * grows a new one. The factor 4 keeps a steady stream of events from freeing and
     * growing its buffer in turn. */
    if (dp->ev_capcur > EV_KEEP && dp->ev_capcur / 4 > dp->ev_npub) {
        dp__free(&dp->alloc, dp->ev_cur);
        dp->ev_cur = NULL;
        dp->ev_capcur = 0;
    }
    /* Listeners may not add or remove listeners from inside the callback; copy the list so
     * that an attempt cannot corrupt the walk. */
    size_t n = dp->nlisteners;
    struct {
        dp_listener_fn fn;
        void *user;
    } ls[DP__MAX_LISTENERS];
    memcpy(ls, dp->listeners, n * sizeof ls[0]);
    for (size_t i = 0; i < n; i++)
        ls[i].fn(ls[i].user, dp->ev_pub, dp->ev_npub);
}

void dp__events_free(dp_depot *dp)
{
    dp__free(&dp->alloc, dp->ev_cur);
    dp__free(&dp->alloc, dp->ev_pub);
    dp->ev_cur = dp->ev_pub = NULL;
    dp->ev_ncur = dp->ev_npub = dp->ev_capcur = dp->ev_cappub = 0;
}

size_t dp_events(const dp_depot *dp, const dp_event **out)
{
    if (out)
        *out = NULL;
    if (!dp || !out || !dp__is_owner(dp))
        return 0;
    *out = dp->ev_pub;
    return dp->ev_npub;
}

dp_status dp_listen(dp_depot *dp, dp_listener_fn fn, void *user)
{
    if (!dp || !fn)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    for (size_t i = 0; i < dp->nlisteners; i++)
        if (dp->listeners[i].fn == fn && dp->listeners[i].user == user)
            return DP_ERR_EXISTS;
    if (dp->nlisteners == DP__MAX_LISTENERS)
        return DP_ERR_OVERFLOW;
    dp->listeners[dp->nlisteners].fn = fn;
    dp->listeners[dp->nlisteners].user = user;
    dp->nlisteners++;
    return DP_OK;
}

dp_status dp_unlisten(dp_depot *dp, dp_listener_fn fn, void *user)
{
    if (!dp || !fn)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    for (size_t i = 0; i < dp->nlisteners; i++) {
        if (dp->listeners[i].fn == fn && dp->listeners[i].user == user) {
            memmove(&dp->listeners[i], &dp->listeners[i + 1],
                    (dp->nlisteners - i - 1) * sizeof dp->listeners[0]);
            dp->nlisteners--;
            return DP_OK;
        }
    }
    return DP_ERR_NOT_FOUND;
}
