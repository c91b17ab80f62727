/* deep_index.c — the index of waiting assets (see deep.h): an entry per waiting asset in an
 * open-addressing table keyed by slot index (linear probing, backward-shift deletion), and
 * a pool of links from waiting children to their waiting parents. It grows with what is
 * waiting and shrinks again as it settles. Owner thread. */
#include <string.h>

#include "asset/deep.h"

/* Fibonacci hashing: the top `bits` bits of the product, which spread consecutive slot
 * indices evenly (its middle bits made probe runs of 3+ at 10^5 entries). */
static uint32_t home(uint32_t key, uint8_t bits)
{
    return (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

dp__dent *dp__dx_get(const dp_depot *dp, uint32_t i)
{
    const dp__dx *x = dp->dx;
    if (!x || !x->cap)
        return NULL;
    uint32_t key = i + 1;
    for (uint32_t p = home(key, x->bits);; p = (p + 1) & (x->cap - 1)) {
        if (x->tab[p].key == key)
            return &x->tab[p];
        if (!x->tab[p].key)
            return NULL;
    }
}

/* Moves the entries into a table of `cap` slots. False on NOMEM (nothing changed). */
static bool resize(dp_depot *dp, dp__dx *x, uint32_t cap)
{
    dp__dent *t = dp__calloc(&dp->alloc, cap, sizeof *t);
    if (!t)
        return false;
    uint8_t bits = 0;
    while ((1u << bits) < cap)
        bits++;
    for (uint32_t k = 0; k < x->cap; k++) {
        if (!x->tab[k].key)
            continue;
        uint32_t p = home(x->tab[k].key, bits);
        while (t[p].key)
            p = (p + 1) & (cap - 1);
        t[p] = x->tab[k];
    }
    dp__free(&dp->alloc, x->tab);
    x->tab = t;
    x->cap = cap;
    x->bits = bits;
    return true;
}

/* A new, zeroed entry for slot index i (not in the table). NULL on NOMEM. */
static dp__dent *insert(dp_depot *dp, dp__dx *x, uint32_t i)
{
    if ((x->n + 1) * 4u > x->cap * 3u && !resize(dp, x, x->cap ? x->cap * 2 : 64))
        return NULL;
    uint32_t key = i + 1, p = home(key, x->bits);
    while (x->tab[p].key)
        p = (p + 1) & (x->cap - 1);
    x->tab[p] = (dp__dent){.key = key};
    x->n++;
    return &x->tab[p];
}

/* Removes the entry at table position p (backward shift: no tombstones). */
static void remove_at(dp_depot *dp, dp__dx *x, uint32_t p)
{
    uint32_t mask = x->cap - 1;
    for (uint32_t q = (p + 1) & mask; x->tab[q].key; q = (q + 1) & mask) {
        uint32_t h = home(x->tab[q].key, x->bits);
        /* Entry q may move to the hole p if its home is not cyclically in (p, q]. */
        bool stays = p <= q ? (p < h && h <= q) : (p < h || h <= q);
        if (!stays) {
            x->tab[p] = x->tab[q];
            p = q;
        }
    }
    x->tab[p].key = 0;
    x->n--;
    if (x->cap > 256 && x->n * 16u < x->cap)
        (void)resize(dp, x, x->cap / 4); /* on NOMEM it stays large */
}

/* The index, made on first use; NULL on NOMEM. */
static dp__dx *index_of(dp_depot *dp)
{
    if (!dp->dx)
        dp->dx = dp__calloc(&dp->alloc, 1, sizeof *dp->dx);
    return dp->dx;
}

/* Raises the entry of slot index i to level lvl at least, and what is above it as far as
 * needed to keep each level above its linked children's. Over the budget (a long chain
 * above it, or a cycle, which would raise for ever) the levels are marked stale. */
#define RAISE_BUDGET 256u
#define RAISE_STACK 64
static void raise_level(dp_depot *dp, dp__dx *x, uint32_t i, uint32_t lvl)
{
    uint32_t at[RAISE_STACK], want[RAISE_STACK], visits = 0;
    int sp = 0;
    at[sp] = i;
    want[sp++] = lvl;
    while (sp && !x->lvl_stale) {
        sp--;
        dp__dent *e = dp__dx_get(dp, at[sp]);
        if (!e || e->lvl >= want[sp])
            continue;
        e->lvl = want[sp];
        x->lvl_stale = ++visits > RAISE_BUDGET || e->lvl > x->n;
        uint32_t up = e->lvl + 1;
        for (uint32_t l = e->parents; l && !x->lvl_stale; l = x->links[l - 1].next) {
            x->lvl_stale = sp == RAISE_STACK;
            if (!x->lvl_stale) {
                at[sp] = x->links[l - 1].parent;
                want[sp++] = up;
            }
        }
    }
}

/* Links child (slot index, with an entry) to parent. False on NOMEM. */
static bool add_link(dp_depot *dp, dp__dx *x, uint32_t parent, uint32_t child)
{
    if (!dp__dx_get(dp, child))
        return false; /* a waiting asset without an entry: the index is not whole */
    uint32_t l;
    if (x->freelinks) {
        l = x->freelinks - 1;
        x->freelinks = x->links[l].next;
    } else {
        if (x->toplinks == x->caplinks) {
            size_t cap = x->caplinks;
            if (dp__grow(&dp->alloc, (void **)&x->links, &cap, (size_t)x->toplinks + 1,
                         sizeof *x->links) != DP_OK || cap > UINT32_MAX)
                return false;
            x->caplinks = (uint32_t)cap;
        }
        l = x->toplinks++;
    }
    dp__dent *e = dp__dx_get(dp, child);
    x->links[l] = (dp__plink){.parent = parent, .next = e->parents};
    e->parents = l + 1;
    x->nlinks++;
    if (!x->lvl_stale)
        raise_level(dp, x, parent, e->lvl + 1);
    return true;
}

static void free_link(dp__dx *x, uint32_t l)
{
    x->links[l].next = x->freelinks;
    x->freelinks = l + 1;
    x->nlinks--;
}

void dp__dx_link(dp_depot *dp, uint32_t parent, uint32_t child)
{
    dp__dx *x = dp->dx;
    if (!x || x->broken)
        return;
    if (!dp__dx_get(dp, parent) || !add_link(dp, x, parent, child))
        x->broken = true; /* a waiting end without an entry, or NOMEM */
}

void dp__dx_unlink(dp_depot *dp, uint32_t parent, uint32_t child)
{
    dp__dx *x = dp->dx;
    dp__dent *e = x && !x->broken ? dp__dx_get(dp, child) : NULL;
    if (!e)
        return;
    for (uint32_t *at = &e->parents; *at; at = &x->links[*at - 1].next) {
        uint32_t l = *at - 1;
        if (x->links[l].parent == parent) {
            *at = x->links[l].next;
            free_link(x, l);
            return;
        }
    }
}

/* Gives back the table, the links and the scratch once nothing is waiting: an idle depot
 * keeps nothing here but the struct. */
static void shrink_if_empty(dp_depot *dp, dp__dx *x)
{
    if (x->n)
        return;
    dp__free(&dp->alloc, x->tab);
    dp__free(&dp->alloc, x->links);
    dp__free(&dp->alloc, x->order);
    dp__free(&dp->alloc, x->stack);
    dp__free(&dp->alloc, x->cursor);
    dp__free(&dp->alloc, x->heap);
    dp__hvec_free(dp, &x->todo);
    *x = (dp__dx){0};
}

void dp__dx_leave(dp_depot *dp, uint32_t i, const dp__asset *r)
{
    dp__dx *x = dp->dx;
    dp__dent *e = x && !x->broken ? dp__dx_get(dp, i) : NULL;
    if (!e)
        return;
    const dp_handle *kids = dp__kids(r);
    for (uint32_t k = 0; k < r->nkids; k++) { /* (unlinking moves no entry: e stays valid) */
        const dp__asset *cr = dp__rec(dp, kids[k]);
        if (cr && (cr->oflags & DP__OF_WAITING)) /* live or dying: it still has its entry */
            dp__dx_unlink(dp, i, dp_handle_index(kids[k]));
    }
    for (uint32_t l = e->parents; l;) {
        uint32_t next = x->links[l - 1].next;
        free_link(x, l - 1);
        l = next;
    }
    remove_at(dp, x, (uint32_t)(e - x->tab));
    shrink_if_empty(dp, x);
}

/* Makes the entry of a waiting asset h (own class counted now) and links it to its waiting
 * children, tracking its new ones (deep-PENDING, not waiting yet: made before the owner saw
 * their creation) the same way, through x->todo. False on NOMEM. */
static bool enter_all(dp_depot *dp, dp__dx *x, dp_handle h)
{
    dp__dent *e = insert(dp, x, dp_handle_index(h));
    if (!e)
        return false;
    e->own = dp__dx_class(dp__rec_at(dp, dp_handle_index(h)));
    x->todo.n = 0;
    if (dp__hvec_push(dp, &x->todo, h) != DP_OK)
        return false;
    while (x->todo.n) {
        dp_handle y = x->todo.v[--x->todo.n];
        const dp__asset *ry = dp__rec_at(dp, dp_handle_index(y));
        for (uint32_t k = 0; k < ry->nkids; k++) {
            dp_handle c = dp__kids(ry)[k];
            dp__asset *cr = dp__rec_live(dp, c);
            if (!cr)
                continue;
            /* Relaxed: the owner reads the deep state only it writes. */
            if (!(cr->oflags & DP__OF_WAITING) &&
                atomic_load_explicit(&cr->deep, memory_order_relaxed) == DP_STATE_PENDING) {
                if (!dp__deep_start_waiting(dp, c, cr))
                    continue; /* a rebuild over everything is due */
                dp__dent *ce = insert(dp, x, dp_handle_index(c));
                if (!ce || dp__hvec_push(dp, &x->todo, c) != DP_OK)
                    return false;
                ce->own = dp__dx_class(cr);
            }
            if ((cr->oflags & DP__OF_WAITING) &&
                !add_link(dp, x, dp_handle_index(y), dp_handle_index(c)))
                return false;
        }
    }
    return true;
}

void dp__dx_enter(dp_depot *dp, dp_handle h)
{
    dp__dx *x = index_of(dp);
    if (!x) {
        dp->deep_rebuild_all = true; /* no index: the full pass until one can be made */
        return;
    }
    if (!x->broken && !dp__dx_get(dp, dp_handle_index(h)) && !enter_all(dp, x, h))
        x->broken = true;
}

/* Counts r's children into e (and links the waiting ones to r, slot index i). */
static bool count_children(dp_depot *dp, dp__dx *x, uint32_t i, const dp__asset *r)
{
    uint32_t npk = 0, nok = 0;
    const dp_handle *kids = dp__kids(r);
    for (uint32_t k = 0; k < r->nkids; k++) {
        const dp__asset *cr = dp__rec_live(dp, kids[k]);
        if (!cr)
            continue;
        /* Relaxed: the owner reads the deep state only it writes. */
        npk += atomic_load_explicit(&cr->deep, memory_order_relaxed) == DP_STATE_PENDING;
        nok += dp__dx_class(cr) == DP__DX_PENDING;
        if ((cr->oflags & DP__OF_WAITING) && !add_link(dp, x, i, dp_handle_index(kids[k])))
            return false;
    }
    dp__dent *e = dp__dx_get(dp, i);
    e->npk = npk;
    e->nok = nok;
    return true;
}

/* Numbers the levels in Kahn's order over the links, children first. They stay stale with
 * a cycle among the waiting assets, or without memory. */
static void number_levels(dp_depot *dp, dp__dx *x)
{
    x->lvl_stale = true;
    uint32_t *deg = x->n ? dp__calloc(&dp->alloc, x->cap, sizeof *deg) : NULL;
    uint32_t *order = x->n ? dp__alloc(&dp->alloc, x->n * sizeof *order) : NULL;
    if (!deg || !order) {
        dp__free(&dp->alloc, deg);
        dp__free(&dp->alloc, order);
        x->lvl_stale = x->n != 0;
        return;
    }
    for (uint32_t p = 0; p < x->cap; p++) {
        x->tab[p].lvl = 0;
        for (uint32_t l = x->tab[p].key ? x->tab[p].parents : 0; l; l = x->links[l - 1].next)
            deg[dp__dx_get(dp, x->links[l - 1].parent) - x->tab]++;
    }
    uint32_t qn = 0; /* order: table positions whose linked children are numbered */
    for (uint32_t p = 0; p < x->cap; p++)
        if (x->tab[p].key && !deg[p])
            order[qn++] = p;
    for (uint32_t q = 0; q < qn; q++) {
        const dp__dent *e = &x->tab[order[q]];
        for (uint32_t l = e->parents; l; l = x->links[l - 1].next) {
            dp__dent *pe = dp__dx_get(dp, x->links[l - 1].parent);
            pe->lvl = pe->lvl > e->lvl ? pe->lvl : e->lvl + 1;
            if (!--deg[pe - x->tab])
                order[qn++] = (uint32_t)(pe - x->tab);
        }
    }
    x->lvl_stale = qn != x->n; /* the rest is on or above a cycle */
    dp__free(&dp->alloc, deg);
    dp__free(&dp->alloc, order);
}

void dp__dx_rebuild(dp_depot *dp)
{
    dp__dx *x = index_of(dp);
    if (!x) { /* waiting assets without an index: a later dp__dx_enter must not start one */
        if (dp->waiting.n)
            dp->deep_rebuild_all = dp->deep_dirty = true;
        return;
    }
    x->broken = true;
    x->lvl_stale = true; /* no raising while the links are made: numbered at the end */
    if (x->tab)
        memset(x->tab, 0, (size_t)x->cap * sizeof *x->tab);
    x->n = x->nlinks = x->toplinks = x->freelinks = 0;
    for (size_t k = 0; k < dp->waiting.n; k++) {
        dp__asset *r = dp__rec_live(dp, dp->waiting.v[k]);
        if (!r || !(r->oflags & DP__OF_WAITING) || dp__dx_get(dp, dp_handle_index(dp->waiting.v[k])))
            continue;
        dp__dent *e = insert(dp, x, dp_handle_index(dp->waiting.v[k]));
        if (!e)
            return;
        e->own = dp__dx_class(r);
    }
    for (size_t k = 0; k < dp->waiting.n; k++) {
        uint32_t i = dp_handle_index(dp->waiting.v[k]);
        dp__asset *r = dp__rec_live(dp, dp->waiting.v[k]);
        if (r && (r->oflags & DP__OF_WAITING) && !count_children(dp, x, i, r))
            return;
    }
    number_levels(dp, x);
    shrink_if_empty(dp, x);
    x->broken = false;
}

bool dp__dx_reserve_work(dp_depot *dp, size_t n)
{
    dp__dx *x = dp->dx;
    if (n <= x->capwork)
        return true;
    size_t cap = n < 64 ? 64 : n * 2;
    uint32_t *o = dp__alloc(&dp->alloc, cap * sizeof *o);
    uint32_t *s = dp__alloc(&dp->alloc, cap * sizeof *s);
    uint32_t *c = dp__alloc(&dp->alloc, cap * sizeof *c);
    if (!o || !s || !c) {
        dp__free(&dp->alloc, o);
        dp__free(&dp->alloc, s);
        dp__free(&dp->alloc, c);
        return false;
    }
    dp__free(&dp->alloc, x->order);
    dp__free(&dp->alloc, x->stack);
    dp__free(&dp->alloc, x->cursor);
    x->order = o;
    x->stack = s;
    x->cursor = c;
    x->capwork = cap;
    return true;
}

void dp__deep_forget(dp_depot *dp, dp_handle h, const dp__asset *r)
{
    /* Relaxed: the owner reads the deep state only it writes. */
    bool loaded = atomic_load_explicit(&r->deep, memory_order_relaxed) == DP_STATE_LOADED;
    dp__dx *x = dp->dx;
    uint32_t i = dp_handle_index(h), linked = 0;
    dp__dent *e = x && !x->broken && (r->oflags & DP__OF_WAITING) ? dp__dx_get(dp, i) : NULL;
    if (e) {
        /* Its waiting parents counted it: they count their children again next pass. */
        for (uint32_t l = e->parents; l; l = x->links[l - 1].next, linked++) {
            dp_handle p = dp__handle_at(dp, x->links[l - 1].parent);
            if (p.bits && p.bits != h.bits)
                dp__deep_seed(dp, p);
        }
        dp__dx_leave(dp, i, r);
        dp->deep_dirty = true;
    }
    /* A forced free (dp_evict, the collector) of a child that was not deep-LOADED changes
     * its settled parents too (a freed child counts as loaded), which nothing links. */
    if (!loaded && r->nin > linked) {
        dp->deep_rebuild_all = true;
        dp->deep_dirty = true;
    }
}

void dp__deep_free(dp_depot *dp)
{
    dp__dx *x = dp->dx;
    if (!x)
        return;
    x->n = 0;
    shrink_if_empty(dp, x);
    dp__free(&dp->alloc, x);
    dp->dx = NULL;
}
