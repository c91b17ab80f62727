/* watch_table.c — the watcher's tables (see watch_table.h): files in a dense array indexed
 * by two chained hash tables, the dirty list, folders in an open-addressing table. */
#include "os/watch_table.h"

#include <string.h>

#include "common/hash.h"

/* The end of a hash chain; not on the dirty list. */
#define NIL UINT32_MAX

static uint64_t wt_ev_hash(int wd, const char *name)
{
    return dp__hash(name) ^ ((uint64_t)(uint32_t)wd * 0x9e3779b97f4a7c15ull);
}

static uint32_t *wt_head(dp__wtab *t, bool ev, const dp__wfile *f)
{
    return &(ev ? t->bev : t->brel)[(ev ? f->hev : f->hrel) & (t->nbuckets - 1)];
}

static uint32_t *wt_next(dp__wfile *f, bool ev) { return ev ? &f->nev : &f->nrel; }

static void wt_link(dp__wtab *t, uint32_t i, bool ev)
{
    uint32_t *head = wt_head(t, ev, &t->files[i]);
    *wt_next(&t->files[i], ev) = *head;
    *head = i;
}

static void wt_unlink(dp__wtab *t, uint32_t i, bool ev)
{
    uint32_t *p = wt_head(t, ev, &t->files[i]);
    while (*p != i)
        p = wt_next(&t->files[*p], ev);
    *p = *wt_next(&t->files[i], ev);
}

dp_status dp__wt_reserve(dp__wtab *t, size_t need)
{
    if (dp__grow(t->a, (void **)&t->files, &t->capfiles, need, sizeof *t->files) != DP_OK ||
        dp__grow(t->a, (void **)&t->dirtyv, &t->capdirty, need, sizeof *t->dirtyv) != DP_OK)
        return DP_ERR_NOMEM;
    if (need <= t->nbuckets)
        return DP_OK;
    size_t nb = t->nbuckets ? t->nbuckets : 64;
    while (nb < need)
        nb *= 2;
    uint32_t *br = dp__alloc(t->a, nb * sizeof *br), *be = dp__alloc(t->a, nb * sizeof *be);
    if (!br || !be) {
        dp__free(t->a, br);
        dp__free(t->a, be);
        return DP_ERR_NOMEM;
    }
    memset(br, 0xff, nb * sizeof *br); /* NIL */
    memset(be, 0xff, nb * sizeof *be);
    dp__free(t->a, t->brel);
    dp__free(t->a, t->bev);
    t->brel = br;
    t->bev = be;
    t->nbuckets = nb;
    for (uint32_t i = 0; i < t->nfiles; i++) {
        wt_link(t, i, false);
        wt_link(t, i, true);
    }
    return DP_OK;
}

dp__wfile *dp__wt_find(dp__wtab *t, const char *rel)
{
    if (!t->nbuckets)
        return NULL;
    dp__wfile key = {.hrel = dp__hash(rel)};
    for (uint32_t i = *wt_head(t, false, &key); i != NIL; i = t->files[i].nrel, t->work++)
        if (t->files[i].hrel == key.hrel && strcmp(t->files[i].rel, rel) == 0)
            return &t->files[i];
    return NULL;
}

void dp__wt_set_wd(dp__wtab *t, uint32_t i, int wd)
{
    wt_unlink(t, i, true);
    t->files[i].wd = wd;
    t->files[i].hev = wt_ev_hash(wd, t->files[i].name);
    wt_link(t, i, true);
}

void dp__wt_set_dirty(dp__wtab *t, uint32_t i, uint64_t now)
{
    dp__wfile *f = &t->files[i];
    f->last_ns = now;
    if (f->dirty)
        return;
    f->dirty = true;
    f->dpos = (uint32_t)t->ndirty;
    t->dirtyv[t->ndirty++] = i; /* capdirty >= nfiles */
}

void dp__wt_clear_dirty(dp__wtab *t, uint32_t i)
{
    dp__wfile *f = &t->files[i];
    uint32_t last = t->dirtyv[--t->ndirty];
    t->dirtyv[f->dpos] = last;
    t->files[last].dpos = f->dpos;
    f->dirty = false;
    f->dpos = NIL;
}

void dp__wt_push(dp__wtab *t, const dp__wfile *f)
{
    uint32_t i = (uint32_t)t->nfiles++;
    t->files[i] = *f;
    t->files[i].hrel = dp__hash(f->rel);
    t->files[i].hev = wt_ev_hash(f->wd, f->name);
    t->files[i].dirty = false;
    t->files[i].dpos = NIL;
    wt_link(t, i, false);
    wt_link(t, i, true);
}

void dp__wt_remove_at(dp__wtab *t, uint32_t i)
{
    uint32_t last = (uint32_t)t->nfiles - 1;
    dp__wfile *f = &t->files[i];
    if (f->dirty)
        dp__wt_clear_dirty(t, i);
    wt_unlink(t, i, false);
    wt_unlink(t, i, true);
    if (i != last) {
        wt_unlink(t, last, false);
        wt_unlink(t, last, true);
        *f = t->files[last];
        wt_link(t, i, false);
        wt_link(t, i, true);
        if (f->dirty)
            t->dirtyv[f->dpos] = i;
    }
    t->nfiles--;
}

void dp__wt_free(dp__wtab *t)
{
    dp__free(t->a, t->files);
    dp__free(t->a, t->brel);
    dp__free(t->a, t->bev);
    dp__free(t->a, t->dirtyv);
    dp__free(t->a, t->dirs);
}

/* ---- folders ---------------------------------------------------------------------------- */

static size_t wt_dir_home(const dp__wtab *t, int wd)
{
    return ((uint32_t)wd * 2654435761u) & (t->capdirs - 1);
}

dp__wdir *dp__wt_find_dir(dp__wtab *t, int wd)
{
    if (!t->capdirs || wd < 0)
        return NULL;
    for (size_t i = wt_dir_home(t, wd);; i = (i + 1) & (t->capdirs - 1), t->work++) {
        if (t->dirs[i].wd == wd)
            return &t->dirs[i];
        if (t->dirs[i].wd < 0)
            return NULL;
    }
}

dp__wdir *dp__wt_dir_slot(dp__wtab *t, int wd)
{
    if (2 * (t->ndirs + 1) > t->capdirs) {
        size_t nc = t->capdirs ? t->capdirs * 2 : 16;
        dp__wdir *n = dp__alloc(t->a, nc * sizeof *n), *old = t->dirs;
        if (!n)
            return NULL;
        for (size_t i = 0; i < nc; i++)
            n[i].wd = -1;
        size_t oc = t->capdirs;
        t->dirs = n;
        t->capdirs = nc;
        for (size_t i = 0; i < oc; i++)
            if (old[i].wd >= 0)
                *dp__wt_dir_slot(t, old[i].wd) = old[i];
        dp__free(t->a, old);
    }
    size_t i = wt_dir_home(t, wd);
    while (t->dirs[i].wd >= 0)
        i = (i + 1) & (t->capdirs - 1);
    return &t->dirs[i];
}

void dp__wt_dir_erase(dp__wtab *t, dp__wdir *d)
{
    size_t mask = t->capdirs - 1, i = (size_t)(d - t->dirs);
    t->dirs[i].wd = -1;
    for (size_t j = (i + 1) & mask; t->dirs[j].wd >= 0; j = (j + 1) & mask) {
        size_t home = wt_dir_home(t, t->dirs[j].wd);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->dirs[i] = t->dirs[j];
            t->dirs[j].wd = -1;
            i = j;
        }
    }
    t->ndirs--;
}

void dp__wt_mark(dp__wtab *t, int wd, const char *name, uint64_t now)
{
    if (wd == -1) {
        for (uint32_t i = 0; i < t->nfiles; i++)
            dp__wt_set_dirty(t, i, now);
        return;
    }
    if (!t->nbuckets)
        return;
    dp__wfile key = {.hev = wt_ev_hash(wd, name)};
    for (uint32_t i = *wt_head(t, true, &key); i != NIL; i = t->files[i].nev, t->work++)
        if (t->files[i].hev == key.hev && t->files[i].wd == wd &&
            strcmp(t->files[i].name, name) == 0)
            dp__wt_set_dirty(t, i, now);
}
