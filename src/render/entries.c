/* entries.c — the render layer's entries: an array with stable indices, an open-addressing
 * table from the full 64-bit handle to an entry, and the dirty and waiting lists through
 * them. */
#include "render/render_internal.h"

/* ---- the handle table ---- */

static size_t slot_of(uint64_t bits, size_t cap)
{
    uint64_t x = bits + 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return (size_t)x & (cap - 1);
}

entry *dp__render_find(const dp_render *r, dp_handle h)
{
    if (!r->tabcap || !h.bits)
        return NULL;
    for (size_t i = slot_of(h.bits, r->tabcap);; i = (i + 1) & (r->tabcap - 1)) {
        uint32_t v = r->tab[i];
        if (!v)
            return NULL;
        if (r->e[v - 1].h.bits == h.bits)
            return &r->e[v - 1];
    }
}

static void tab_put(uint32_t *tab, size_t cap, const entry *es, uint32_t idx)
{
    size_t i = slot_of(es[idx].h.bits, cap);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = idx + 1;
}

/* Removes entry idx from the table, shifting later members of its run back. */
static void tab_del(dp_render *r, uint32_t idx)
{
    size_t mask = r->tabcap - 1;
    size_t i = slot_of(r->e[idx].h.bits, r->tabcap);
    while (r->tab[i] != idx + 1)
        i = (i + 1) & mask;
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        uint32_t v = r->tab[j];
        if (!v)
            break;
        size_t home = slot_of(r->e[v - 1].h.bits, r->tabcap);
        /* Move v into the hole when its home is not cyclically within (i, j]. */
        bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            r->tab[i] = v;
            i = j;
        }
    }
    r->tab[i] = 0;
}

/* Makes room for one more entry in the array and the table. DP_OK or NOMEM. */
static dp_status reserve_entry(dp_render *r)
{
    if (r->free_head == NO_ENTRY && r->ne == r->cape) {
        if (r->cape >= NO_ENTRY - 1)
            return DP_ERR_OVERFLOW;
        dp_status st = dp__grow(&r->alloc, (void **)&r->e, &r->cape, r->ne + 1, sizeof *r->e);
        if (st != DP_OK)
            return st;
    }
    if ((r->nlive_entries + 1) * 2 > r->tabcap) {
        size_t ncap = r->tabcap ? r->tabcap * 2 : 64;
        uint32_t *nt = dp__calloc(&r->alloc, ncap, sizeof *nt);
        if (!nt)
            return DP_ERR_NOMEM;
        for (size_t i = 0; i < r->tabcap; i++)
            if (r->tab[i])
                tab_put(nt, ncap, r->e, r->tab[i] - 1);
        dp__free(&r->alloc, r->tab);
        r->tab = nt;
        r->tabcap = ncap;
    }
    return DP_OK;
}

entry *dp__render_add_entry(dp_render *r, dp_handle h, dp_type_id type)
{
    if (reserve_entry(r) != DP_OK)
        return NULL;
    uint32_t idx;
    if (r->free_head != NO_ENTRY) {
        idx = r->free_head;
        r->free_head = r->e[idx].next_dirty;
    } else {
        idx = (uint32_t)r->ne++;
    }
    r->e[idx] = (entry){.h = h, .type = type, .next_dirty = NO_ENTRY, .wprev = NO_ENTRY,
                        .wnext = NO_ENTRY};
    tab_put(r->tab, r->tabcap, r->e, idx);
    r->nlive_entries++;
    return &r->e[idx];
}

static uint32_t index_of(const dp_render *r, const entry *e)
{
    return (uint32_t)(e - r->e);
}

/* Forgets an entry that is on neither list and has no resource. */
void dp__render_drop_entry(dp_render *r, entry *e)
{
    uint32_t idx = index_of(r, e);
    tab_del(r, idx);
    e->h = DP_NULL_HANDLE;
    e->next_dirty = r->free_head;
    r->free_head = idx;
    r->nlive_entries--;
}

/* ---- lists ---- */

void dp__render_mark_dirty(dp_render *r, entry *e)
{
    if (e->flags & F_DIRTY)
        return;
    e->flags |= F_DIRTY;
    e->next_dirty = NO_ENTRY;
    uint32_t idx = index_of(r, e);
    if (r->dirty_tail == NO_ENTRY)
        r->dirty_head = idx;
    else
        r->e[r->dirty_tail].next_dirty = idx;
    r->dirty_tail = idx;
    r->ndirty++;
}

void dp__render_wait_push(dp_render *r, entry *e)
{
    if (e->flags & F_WAITING)
        return;
    e->flags |= F_WAITING;
    uint32_t idx = index_of(r, e);
    /* The asset's load priority, read when it starts waiting (dp_priority_of). */
    int l = dp_priority_of(r->dp, e->h) - DP_PRIORITY_LOW;
    e->level = (uint8_t)(l >= 0 && l < LEVELS ? l : DP_PRIORITY_NORMAL - DP_PRIORITY_LOW);
    e->wprev = r->wait_tail[e->level];
    e->wnext = NO_ENTRY;
    if (r->wait_tail[e->level] == NO_ENTRY)
        r->wait_head[e->level] = idx;
    else
        r->e[r->wait_tail[e->level]].wnext = idx;
    r->wait_tail[e->level] = idx;
    r->nwaiting++;
}

void dp__render_wait_unlink(dp_render *r, entry *e)
{
    if (!(e->flags & F_WAITING))
        return;
    e->flags &= (uint8_t)~F_WAITING;
    if (e->wprev == NO_ENTRY)
        r->wait_head[e->level] = e->wnext;
    else
        r->e[e->wprev].wnext = e->wnext;
    if (e->wnext == NO_ENTRY)
        r->wait_tail[e->level] = e->wprev;
    else
        r->e[e->wnext].wprev = e->wprev;
    e->wprev = e->wnext = NO_ENTRY;
    r->nwaiting--;
}
