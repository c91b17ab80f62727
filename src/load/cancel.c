/* cancel.c — job cancellation tokens. */
#include "load/cancel.h"

void dp__cancel_init(struct dp_cancel *c)
{
    atomic_init(&c->flag, false);
    c->check = NULL;
    c->ctx = NULL;
    c->arg = 0;
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
