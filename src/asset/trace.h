/* trace.h — the lifetime recorder (dp_desc.trace_events): a bounded ring of what happened to
 * assets (acquire, release, create, load begin/end, free, update begin/end), each with time,
 * update number, thread and call site. src/asset records through DP__TRACE, which costs one
 * test of a pointer when the recorder is off; src/diag/trace_write.c reads the ring back
 * (dp__trace_snapshot) and writes it as Chrome trace-event JSON. */
#ifndef DEPOT_ASSET_TRACE_H
#define DEPOT_ASSET_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "depot/asset.h"

typedef enum dp__tkind {
    DP__T_CREATE,       /* count 1 for its creator (dp_add, dp_load of a new key) */
    DP__T_ACQUIRE,      /* +1 by a caller (retain, upgrade, find, load of a live key) */
    DP__T_RELEASE,      /* -1 by a caller (site: NULL) or the library (its site) */
    DP__T_HOLD,         /* +1 internal: an edge or a group member */
    DP__T_UNHOLD,       /* -1 internal */
    DP__T_LOAD_BEGIN,   /* a load of it was asked for (created PENDING) */
    DP__T_LOADED,       /* its data was installed (arg: 1 for a reload) */
    DP__T_FAILED,       /* its load failed (arg: the status, negated) */
    DP__T_FREE,         /* it left the registry (arg: enum dp__why) */
    DP__T_UPDATE_BEGIN, /* dp_update started (handle null) */
    DP__T_UPDATE_END,
    DP__T_KINDS
} dp__tkind;

/* One recorded event, as the snapshot returns it. */
typedef struct dp__tevent {
    uint64_t seq;       /* position in the recording (0 = first event ever recorded) */
    uint64_t t_ns;      /* monotonic nanoseconds since the recorder started */
    dp_handle h;
    uint32_t update;    /* dp__update_number when recorded */
    uint32_t arg;       /* count after (acquire/release kinds), else per kind above */
    uint8_t kind;
    const char *file;   /* call site (static string) or NULL */
    int line;
    uint32_t thread;    /* 1 = the owner thread, then 2, 3, ... in order of first event */
} dp__tevent;

struct dp__trace;

/* Records one event. Any thread; lock-free (one fetch_add and a few relaxed stores). */
void dp__trace_record(struct dp__trace *t, dp__tkind kind, dp_handle h, uint32_t arg,
                      const char *file, int line);
/* Records when the depot's recorder is on: one test of dp->trace (set at dp_create, never
 * changed) when it is off. For src/asset, which sees struct dp_depot. */
#define DP__TRACE(dp, kind, h, arg, file, line)                                            \
    do {                                                                                    \
        if ((dp)->trace)                                                                    \
            dp__trace_record((dp)->trace, (kind), (h), (uint32_t)(arg), (file), (line));    \
    } while (0)

/* Makes the recorder for dp_create (capacity rounded up to a power of two, at least 64).
 * NULL on NOMEM. */
struct dp__trace *dp__trace_create(const dp_depot *dp, uint32_t capacity);
void dp__trace_destroy(const dp_depot *dp, struct dp__trace *t);
/* Remembers the key of an asset being freed, so the trace can name it later. Owner thread. */
void dp__trace_name_dead(struct dp__trace *t, dp_handle h, const char *key);

/* Copies the events still in the ring, oldest first, skipping any being written right now,
 * into a new array (*out, *n; free with the depot's allocator). Owner thread.
 * DP_OK or DP_ERR_NOMEM. */
dp_status dp__trace_snapshot(const dp_depot *dp, dp__tevent **out, size_t *n);
/* The key of h: a live asset's, or one remembered at its free; NULL if unknown or keyless.
 * Owner thread; valid until the next registry call. */
const char *dp__trace_key(const dp_depot *dp, dp_handle h);
/* Events lost to ring overwrite so far. Any thread. */
uint64_t dp__trace_overwritten(const dp_depot *dp);

#endif
