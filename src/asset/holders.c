/* holders.c — holder tracking (dp_desc.track_holders): every acquire records its call site;
 * a release removes one record of the same asset, preferring the most recent one made by
 * the releasing thread (a release does not say which acquire it ends, so this is the best
 * match there is; counts per asset are always exact).
 *
 * Storage: an open-addressing table from asset handle to a small array of records, under
 * holders_lock. Only touched when tracking is on. */
#include <string.h>

#include "asset/asset_internal.h"

typedef struct rec {
    const char *file; /* static string from __FILE__ */
    int line;
    uint64_t thread;
    bool soft;        /* a soft reference's record (dp_retain_soft) */
} rec;

typedef struct entry {
    dp_handle h; /* bits 0 = empty, 1 = deleted */
    rec *v;
    uint32_t n, cap;
    rec last;    /* the most recent acquire, kept after its release (quarantine reports) */
} entry;

struct dp__holders {
    entry *e;
    size_t cap, used; /* used counts live and deleted entries */
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static entry *lookup(struct dp__holders *t, dp_handle h, bool insert)
{
    if (!t || !t->cap)
        return NULL;
    size_t mask = t->cap - 1, tomb = SIZE_MAX;
    for (size_t i = mix(h.bits) & mask;; i = (i + 1) & mask) {
        entry *e = &t->e[i];
        if (e->h.bits == h.bits)
            return e;
        if (e->h.bits == 1 && tomb == SIZE_MAX)
            tomb = i;
        if (e->h.bits == 0) {
            if (!insert)
                return NULL;
            return tomb != SIZE_MAX ? &t->e[tomb] : e;
        }
    }
}

static dp_status grow_table(dp_depot *dp)
{
    struct dp__holders *t = dp->holders;
    if (!t) {
        t = dp__calloc(&dp->alloc, 1, sizeof *t);
        if (!t)
            return DP_ERR_NOMEM;
        dp->holders = t;
    }
    if ((t->used + 1) * 2 <= t->cap)
        return DP_OK;
    size_t ncap = t->cap ? t->cap * 2 : 64;
    entry *n = dp__calloc(&dp->alloc, ncap, sizeof *n);
    if (!n)
        return DP_ERR_NOMEM;
    size_t used = 0;
    for (size_t i = 0; i < t->cap; i++) {
        entry e = t->e[i];
        if (e.h.bits <= 1)
            continue;
        size_t j = mix(e.h.bits) & (ncap - 1);
        while (n[j].h.bits)
            j = (j + 1) & (ncap - 1);
        n[j] = e;
        used++;
    }
    dp__free(&dp->alloc, t->e);
    t->e = n;
    t->cap = ncap;
    t->used = used;
    return DP_OK;
}

static void add_kind(dp_depot *dp, dp_handle h, const char *file, int line, bool soft)
{
    dp__mutex_lock(&dp->holders_lock);
    if (grow_table(dp) != DP_OK)
        goto lost; /* tracking is best effort under memory pressure; counts stay exact */
    entry *e = lookup(dp->holders, h, true);
    if (e->h.bits != h.bits) {
        if (e->h.bits == 0)
            dp->holders->used++;
        e->h = h;
        e->v = NULL;
        e->n = e->cap = 0;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap;
        if (dp__grow(&dp->alloc, (void **)&e->v, &cap, e->n + 1, sizeof *e->v) != DP_OK)
            goto lost;
        e->cap = (uint32_t)cap;
    }
    e->v[e->n++] = (rec){.file = file ? file : "(unknown)", .line = line,
                         .thread = dp__thread_tag(), .soft = soft};
    e->last = e->v[e->n - 1];
    goto out;
lost:
    dp->holders_lost = true;
out:
    dp__mutex_unlock(&dp->holders_lock);
}

void dp__holder_add(dp_depot *dp, dp_handle h, const char *file, int line)
{
    add_kind(dp, h, file, line, false);
}

void dp__holder_add_soft(dp_depot *dp, dp_handle h, const char *file, int line)
{
    add_kind(dp, h, file, line, true);
}

/* Removes one record of the kind: the releasing thread's most recent, else the most
 * recent of any thread. */
static void remove_kind(dp_depot *dp, dp_handle h, bool soft)
{
    dp__mutex_lock(&dp->holders_lock);
    entry *e = lookup(dp->holders, h, false);
    uint64_t me = dp__thread_tag();
    uint32_t pick = UINT32_MAX;
    for (uint32_t i = e ? e->n : 0; i-- > 0;) {
        if (e->v[i].soft != soft)
            continue;
        if (pick == UINT32_MAX)
            pick = i;
        if (e->v[i].thread == me) {
            pick = i;
            break;
        }
    }
    if (pick != UINT32_MAX) {
        memmove(&e->v[pick], &e->v[pick + 1], (e->n - pick - 1) * sizeof *e->v);
        e->n--;
    }
    dp__mutex_unlock(&dp->holders_lock);
}

void dp__holder_remove(dp_depot *dp, dp_handle h)
{
    remove_kind(dp, h, false);
}

void dp__holder_remove_soft(dp_depot *dp, dp_handle h)
{
    remove_kind(dp, h, true);
}

uint32_t dp__holders_soft(const dp_depot *dp, dp_handle h)
{
    dp_depot *m = (dp_depot *)dp;
    dp__mutex_lock(&m->holders_lock);
    entry *e = lookup(m->holders, h, false);
    uint32_t n = 0;
    for (uint32_t i = 0; e && i < e->n; i++)
        n += e->v[i].soft;
    dp__mutex_unlock(&m->holders_lock);
    return n;
}

void dp__holder_remove_site(dp_depot *dp, dp_handle h, const char *file)
{
    dp__mutex_lock(&dp->holders_lock);
    entry *e = lookup(dp->holders, h, false);
    for (uint32_t i = e ? e->n : 0; i-- > 0;) {
        if (e->v[i].file == file) {
            memmove(&e->v[i], &e->v[i + 1], (e->n - i - 1) * sizeof *e->v);
            e->n--;
            break;
        }
    }
    dp__mutex_unlock(&dp->holders_lock);
}

void dp__holder_drop_all(dp_depot *dp, dp_handle h)
{
    dp__mutex_lock(&dp->holders_lock);
    entry *e = lookup(dp->holders, h, false);
    if (e) {
        dp__free(&dp->alloc, e->v);
        e->v = NULL;
        e->n = e->cap = 0;
        e->h.bits = 1;
    }
    dp__mutex_unlock(&dp->holders_lock);
}

bool dp__holder_by_thread(const dp_depot *dp, dp_handle h, uint64_t tag)
{
    dp_depot *m = (dp_depot *)dp;
    dp__mutex_lock(&m->holders_lock);
    entry *e = lookup(m->holders, h, false);
    bool found = false;
    for (uint32_t i = 0; e && i < e->n && !found; i++)
        found = e->v[i].thread == tag;
    dp__mutex_unlock(&m->holders_lock);
    return found;
}

bool dp__holder_last(dp_depot *dp, dp_handle h, const char **file, int *line)
{
    dp__mutex_lock(&dp->holders_lock);
    entry *e = lookup(dp->holders, h, false);
    bool found = e && e->last.file;
    if (found) {
        *file = e->last.file;
        *line = e->last.line;
    }
    dp__mutex_unlock(&dp->holders_lock);
    return found;
}

uint32_t dp__holders_total(const dp_depot *dp, dp_handle h)
{
    dp_depot *m = (dp_depot *)dp;
    dp__mutex_lock(&m->holders_lock);
    entry *e = lookup(m->holders, h, false);
    uint32_t n = e ? e->n : 0;
    dp__mutex_unlock(&m->holders_lock);
    return n;
}

size_t dp__holders_copy(const dp_depot *dp, dp_handle h, dp_holder *out, size_t cap)
{
    dp_depot *m = (dp_depot *)dp;
    size_t distinct = 0;
    dp__mutex_lock(&m->holders_lock);
    entry *e = lookup(m->holders, h, false);
    for (uint32_t i = 0; e && i < e->n; i++) {
        /* Merge records of the same call site. */
        bool merged = false;
        for (size_t j = 0; j < distinct && j < cap; j++) {
            if (out[j].line == e->v[i].line && out[j].soft == e->v[i].soft &&
                !strcmp(out[j].file, e->v[i].file)) {
                out[j].count++;
                merged = true;
                break;
            }
        }
        if (merged)
            continue;
        bool seen_beyond_cap = false;
        if (distinct >= cap) {
            /* Count distinct sites beyond cap without storing them. */
            for (uint32_t k = 0; k < i; k++)
                if (e->v[k].line == e->v[i].line && e->v[k].soft == e->v[i].soft &&
                    !strcmp(e->v[k].file, e->v[i].file)) {
                    seen_beyond_cap = true;
                    break;
                }
        }
        if (seen_beyond_cap)
            continue;
        if (distinct < cap)
            out[distinct] = (dp_holder){.file = e->v[i].file, .line = e->v[i].line, .count = 1,
                                        .soft = e->v[i].soft};
        distinct++;
    }
    dp__mutex_unlock(&m->holders_lock);
    return distinct;
}

void dp__holders_free(dp_depot *dp)
{
    struct dp__holders *t = dp->holders;
    if (!t)
        return;
    for (size_t i = 0; i < t->cap; i++)
        dp__free(&dp->alloc, t->e[i].v);
    dp__free(&dp->alloc, t->e);
    dp__free(&dp->alloc, t);
    dp->holders = NULL;
}

size_t dp_holders(const dp_depot *dp, dp_handle h, dp_holder *out, size_t cap)
{
    if (!dp || !dp->desc.track_holders || (!out && cap))
        return 0;
    return dp__holders_copy(dp, h, out, cap);
}
