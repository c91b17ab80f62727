/* trace.h — the lifetime recorder (dp_desc.trace_events): a bounded ring of what happened to
 * assets (acquire, release, create, load begin/end, free, update begin/end), each with time,
 * update number, thread and call site. src/asset records through DP__TRACE, which costs one
 * test of a pointer when the recorder is off; src/diag/trace_write.c reads the ring back
 * (dp__trace_snapshot, declared in registry.h for the layers above) and writes it as Chrome
 * trace-event JSON. */
#ifndef DEPOT_ASSET_TRACE_H
#define DEPOT_ASSET_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "asset/registry.h" /* the event kinds and the read side (dp__trace_snapshot) */
#include "depot/asset.h"

struct dp__trace;

/* Records one event. Any thread; lock-free (one fetch_add and a few relaxed stores). */
void dp__trace_record(struct dp__trace *t, dp__tkind kind, dp_handle h, uint32_t arg,
                      const char *file, int line);
/* Records one event whose payload is 64 bits (`wide`: edge and render kinds), no site. */
void dp__trace_record_wide(struct dp__trace *t, dp__tkind kind, dp_handle h, uint64_t wide);
/* Records when the depot's recorder is on: one test of dp->trace (set at dp_create, never
 * changed) when it is off. For src/asset, which sees struct dp_depot. */
#define DP__TRACE(dp, kind, h, arg, file, line)                                            \
    do {                                                                                    \
        if ((dp)->trace)                                                                    \
            dp__trace_record((dp)->trace, (kind), (h), (uint32_t)(arg), (file), (line));    \
    } while (0)

#define DP__TRACE_WIDE(dp, kind, h, wide)                                                  \
    do {                                                                                    \
        if ((dp)->trace)                                                                    \
            dp__trace_record_wide((dp)->trace, (kind), (h), (wide));                        \
    } while (0)

/* Makes the recorder for dp_create (capacity rounded up to a power of two, at least 64).
 * NULL on NOMEM. */
struct dp__trace *dp__trace_create(const dp_depot *dp, uint32_t capacity);
void dp__trace_destroy(const dp_depot *dp, struct dp__trace *t);
/* Remembers the key of an asset being freed, so the trace can name it later. Owner thread. */
void dp__trace_name_dead(struct dp__trace *t, dp_handle h, const char *key);

#endif
