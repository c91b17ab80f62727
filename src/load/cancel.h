/* cancel.h — the cancellation token a load job hands to its source and loader.
 * A job is cancelled when its flag is set (dp_destroy, or an explicit cancel) or when its
 * `check` says so (the job's asset died). Sources poll it through dp_cancelled(). */
#ifndef DEPOT_LOAD_CANCEL_H
#define DEPOT_LOAD_CANCEL_H

#include <stdatomic.h>

#include "depot/load.h"

struct dp_cancel {
    atomic_bool flag;                           /* set once; never cleared */
    bool (*check)(const struct dp_cancel *c);   /* extra condition, may be NULL */
    const void *ctx;                            /* for check: e.g. the depot */
    uint64_t arg;                               /* for check: e.g. the weak handle bits */
};

/* Initialises a token that is not cancelled and has no extra check. */
void dp__cancel_init(struct dp_cancel *c);
/* Sets the flag. Any thread. */
void dp__cancel_set(struct dp_cancel *c);

#endif
