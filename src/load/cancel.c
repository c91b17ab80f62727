/* cancel.c — job tokens: cancellation, and the message a failing source or codec leaves. */
#include "load/cancel.h"

#include <stdio.h>

#include "asset/registry.h"
#include "common/alloc.h"

void dp__cancel_init(struct dp_cancel *c)
{
    atomic_init(&c->flag, false);
    c->check = NULL;
    c->ctx = NULL;
    c->arg = 0;
    c->why = NULL;
    c->why_alloc = NULL;
}

void dp__cancel_set(struct dp_cancel *c)
{
    /* Release: work done before cancelling is visible to whoever sees the flag. */
    atomic_store_explicit(&c->flag, true, memory_order_release);
}

bool dp_cancelled(const dp_cancel *c)
{
    if (!c)
        return false;
    /* Acquire: pairs with dp__cancel_set. */
    if (atomic_load_explicit(&c->flag, memory_order_acquire))
        return true;
    return c->check ? c->check(c) : false;
}

void dp__cancel_vwhy(const struct dp_cancel *c, const char *fmt, va_list ap)
{
    if (!c || !c->why || !c->why_alloc || !fmt)
        return;
    char line[DP__LOG_MAX];
    vsnprintf(line, sizeof line, fmt, ap);
    char *copy = dp__strdup(c->why_alloc, line);
    if (!copy)
        return; /* out of memory: the status alone */
    dp__free(c->why_alloc, *c->why);
    *c->why = copy;
}

void dp__cancel_why(const struct dp_cancel *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dp__cancel_vwhy(c, fmt, ap);
    va_end(ap);
}

dp_status dp_source_fail(const dp_cancel *c, dp_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dp__cancel_vwhy(c, fmt, ap);
    va_end(ap);
    return status;
}
