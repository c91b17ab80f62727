/* cancel.h — the token a load job hands to its source and decoders: cancellation goes in,
 * a failure message comes out.
 * A job is cancelled when its flag is set (dp_destroy, or an explicit cancel) or when its
 * `check` says so (the job's asset died). Sources poll it through dp_cancelled(). A source
 * or codec that fails says why with dp_source_fail / dp__cancel_why: the message goes to
 * the job's `why` (what dp_failure shows), when the token has one. */
#ifndef DEPOT_LOAD_CANCEL_H
#define DEPOT_LOAD_CANCEL_H

#include <stdarg.h>
#include <stdatomic.h>

#include "depot/load.h"

struct dp_cancel {
    atomic_bool flag;                           /* set once; never cleared */
    bool (*check)(const struct dp_cancel *c);   /* extra condition, may be NULL */
    const void *ctx;                            /* for check: e.g. the depot */
    uint64_t arg;                               /* for check: e.g. the weak handle bits */
    char **why;                                 /* the job's message slot, or NULL: written
                                                   only by the thread running the job */
    const dp_allocator *why_alloc;              /* allocates *why */
};

/* Initialises a token that is not cancelled and has no extra check. */
void dp__cancel_init(struct dp_cancel *c);
/* Sets the flag. Any thread. */
void dp__cancel_set(struct dp_cancel *c);
/* Keeps a failure message (printf format) in the token's slot, replacing an earlier one;
 * nothing without a slot (NULL token, a token of a test) or when it cannot be allocated.
 * Cut at DP__LOG_MAX bytes. On the thread running the job. */
void dp__cancel_why(const struct dp_cancel *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* As dp__cancel_why with a va_list (dp_ctx_fail and dp_source_fail share it). */
void dp__cancel_vwhy(const struct dp_cancel *c, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
