/* log.h — the log hook (dp_desc.log): one formatted line to the user's function, if any.
 * Any layer may report through it; nothing is allocated (the line is formatted on the
 * stack and cut at DP__LOG_MAX bytes). */
#ifndef DEPOT_ASSET_LOG_H
#define DEPOT_ASSET_LOG_H

#include "depot/asset.h"

#define DP__LOG_MAX 512

#if defined(__GNUC__)
#define DP__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DP__PRINTF(f, a)
#endif

/* Formats and hands one line to `log` (NULL or a NULL fn: nothing happens). Any thread;
 * call it with no lock held. */
void dp__log_to(const dp_log *log, dp_log_level level, const char *fmt, ...) DP__PRINTF(3, 4);

/* The same through the depot's desc. */
void dp__log(const dp_depot *dp, dp_log_level level, const char *fmt, ...) DP__PRINTF(3, 4);

#endif
