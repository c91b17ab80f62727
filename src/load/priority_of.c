/* priority_of.c — each asset's remembered priority (dp_priority_of), so that what comes
 * after its load follows it too: the render layer uploads in this order. Only assets whose
 * priority is not NORMAL are kept, in an open-addressing table under the loader's lock;
 * dead handles are swept out when the table would grow (a handle is never reused, so a
 * stale slot is only memory, never a wrong answer). */
#include "load/loader.h"

static size_t slot_of(uint64_t h, size_t cap)
{
    return (size_t)((h * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static dp__prio_slot *find(const dp__loader *L, uint64_t h)
{
    if (!L->prio_cap)
        return NULL;
    for (size_t k = slot_of(h, L->prio_cap);; k = (k + 1) & (L->prio_cap - 1)) {
        if (L->prio[k].h == h)
            return &L->prio[k];
        if (!L->prio[k].h)
            return NULL;
    }
}

static void put(dp__prio_slot *t, size_t cap, uint64_t h, int level)
{
    size_t k = slot_of(h, cap);
    while (t[k].h)
        k = (k + 1) & (cap - 1);
    t[k] = (dp__prio_slot){.h = h, .level = level};
}

/* Rebuilds the table with the live assets whose level is not NORMAL, doubled if they still
 * fill half of it. False on NOMEM (the old table stays). */
static bool rebuild(dp__loader *L)
{
    size_t live = 0;
    for (size_t i = 0; i < L->prio_cap; i++)
        if (L->prio[i].h && dp__alive(L->dp, (dp_handle){L->prio[i].h}))
            live++;
    size_t cap = L->prio_cap ? L->prio_cap : 64;
    while (2 * (live + 1) > cap)
        cap *= 2;
    dp__prio_slot *t = dp__calloc(L->alloc, cap, sizeof *t);
    if (!t)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < L->prio_cap; i++) {
        dp__prio_slot s = L->prio[i];
        if (s.h && s.level != DP_PRIORITY_NORMAL - DP_PRIORITY_LOW &&
            dp__alive(L->dp, (dp_handle){s.h})) {
            put(t, cap, s.h, s.level);
            n++;
        }
    }
    dp__free(L->alloc, L->prio);
    L->prio = t;
    L->prio_cap = cap;
    L->prio_n = n;
    return true;
}

void dp__priority_note(dp__loader *L, dp_handle h, int level, bool raise_only)
{
    dp__prio_slot *s = find(L, h.bits);
    if (s) {
        if (!raise_only || level > s->level)
            s->level = level;
        return;
    }
    int normal = DP_PRIORITY_NORMAL - DP_PRIORITY_LOW;
    if (level == normal || (raise_only && level < normal))
        return; /* NORMAL is what an absent asset has */
    if (2 * (L->prio_n + 1) > L->prio_cap && !rebuild(L))
        return;
    put(L->prio, L->prio_cap, h.bits, level);
    L->prio_n++;
}

int dp_priority_of(const dp_depot *dp, dp_handle h)
{
    dp__loader *L = dp ? dp__attached_loader(dp) : NULL;
    if (!L || !dp__alive(dp, h))
        return DP_PRIORITY_NORMAL;
    dp__mutex_lock(&L->lock);
    const dp__prio_slot *s = find(L, h.bits);
    int level = s ? s->level : DP_PRIORITY_NORMAL - DP_PRIORITY_LOW;
    dp__mutex_unlock(&L->lock);
    return level + DP_PRIORITY_LOW;
}
