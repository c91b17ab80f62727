/* log.c — the log hook (dp_desc.log). */
#include "asset/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "asset/asset_internal.h"

static void log_v(const dp_log *log, dp_log_level level, const char *fmt, va_list ap)
{
    if (!log || !log->fn)
        return;
    char line[DP__LOG_MAX];
    vsnprintf(line, sizeof line, fmt, ap);
    log->fn(log->user, level, line);
}

void dp__log_to(const dp_log *log, dp_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(log, level, fmt, ap);
    va_end(ap);
}

void dp__log(const dp_depot *dp, dp_log_level level, const char *fmt, ...)
{
    if (!dp)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_v(&dp->desc.log, level, fmt, ap);
    va_end(ap);
}
