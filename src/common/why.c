/* why.c — see why.h. */
#include "common/why.h"

#include <stdarg.h>
#include <stdio.h>

void dp__why(char *why, size_t cap, const char *fmt, ...)
{
    if (!why || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}
