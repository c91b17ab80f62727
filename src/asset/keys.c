/* keys.c — the key table (key -> handle, open addressing; writers hold keys_lock, a dp_find
 * hit reads it without: keyfind.c) and asset creation, which any thread may do: dp_add, and
 * the loader's reservations. */
#include <string.h>

#include "asset/asset_internal.h"
#include "asset/trace.h"

/* Relaxed loads and stores of entries: under keys_lock the lock orders them; a lock-free
 * reader takes an entry only as a hint, checked against the slot word and the record's key
 * (keyfind.c). */
static uint64_t entry_get(const dp__ktable *t, size_t i)
{
    /* Relaxed: see above. */
    return atomic_load_explicit(&((dp__ktable *)t)->e[i], memory_order_relaxed);
}

static void entry_set(dp__ktable *t, size_t i, uint64_t v)
{
    /* Relaxed: see above. */
    atomic_store_explicit(&t->e[i], v, memory_order_relaxed);
}

static uint64_t entry_make(uint32_t tag, uint32_t index)
{
    return ((uint64_t)index << 32) | tag;
}

/* The table, under keys_lock (or on the owner in dp_destroy). */
static dp__ktable *table(const dp_depot *dp)
{
    /* Relaxed: the lock orders its replacement; reserve_key's release store is for lock-free
     * readers. */
    return atomic_load_explicit(&((dp_depot *)dp)->ktab, memory_order_relaxed);
}

/* The position of `key`'s entry in t or of the empty entry where it would go. The key is
 * compared in the record of the entry's slot, which is that asset's (see dp__ktable). Under
 * keys_lock. */
static size_t slot_for(const dp_depot *dp, const dp__ktable *t, const char *key, uint32_t tag)
{
    size_t mask = t->cap - 1;
    for (size_t i = tag & mask;; i = (i + 1) & mask) {
        uint64_t e = entry_get(t, i);
        if (e == 0)
            return i;
        if ((uint32_t)e == tag && !strcmp(dp__rec_key(dp__rec_at(dp, (uint32_t)(e >> 32))), key))
            return i;
    }
}

/* Makes room for one more entry (load factor <= 1/2). The old table is kept (older): a
 * lock-free finder may still read it. Under keys_lock. */
static dp_status reserve_key(dp_depot *dp)
{
    dp__ktable *t = table(dp);
    size_t cap = t ? t->cap : 0;
    if ((dp->keys_n + 1) * 2 <= cap)
        return DP_OK;
    size_t ncap = cap ? cap * 2 : 64;
    dp__ktable *n = dp__calloc(&dp->alloc, 1, sizeof *n + ncap * sizeof n->e[0]);
    if (!n)
        return DP_ERR_NOMEM;
    n->cap = ncap;
    n->older = t;
    for (size_t i = 0; i < cap; i++) {
        uint64_t e = entry_get(t, i);
        if (!e)
            continue;
        size_t j = (uint32_t)e & (ncap - 1);
        while (entry_get(n, j))
            j = (j + 1) & (ncap - 1);
        entry_set(n, j, e);
    }
    /* Release: a lock-free reader that loads the new table sees its entries. */
    atomic_store_explicit(&dp->ktab, n, memory_order_release);
    return DP_OK;
}

/* Removes entry i with backward-shift deletion (no tombstones). A lock-free reader may miss
 * an entry while it moves; it then asks the locked lookup. Under keys_lock. */
static void erase_entry(dp_depot *dp, dp__ktable *t, size_t i)
{
    size_t mask = t->cap - 1;
    for (;;) {
        entry_set(t, i, 0);
        size_t j = i;
        uint64_t e;
        for (;;) {
            j = (j + 1) & mask;
            e = entry_get(t, j);
            if (!e)
                goto done;
            size_t home = (uint32_t)e & mask;
            /* Entry j may move to i if its home is not in (i, j]. */
            bool between = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
            if (!between)
                break;
        }
        entry_set(t, i, e);
        i = j;
    }
done:
    dp->keys_n--;
}

void dp__key_remove(dp_depot *dp, const char *key, dp_handle h)
{
    if (!key)
        return;
    uint32_t tag = dp__key_tag(dp__hash(key));
    /* The table is read under the lock: a dp_load on another thread may be growing it. */
    dp__mutex_lock(&dp->keys_lock);
    dp__ktable *t = table(dp);
    if (t) {
        size_t i = slot_for(dp, t, key, tag);
        uint64_t e = entry_get(t, i);
        if (e && (uint32_t)(e >> 32) == dp_handle_index(h))
            erase_entry(dp, t, i);
    }
    dp__mutex_unlock(&dp->keys_lock);
}

bool dp__key_maps(const dp_depot *dp, const char *key, dp_handle h)
{
    dp_depot *d = (dp_depot *)dp; /* the lock is the only thing written */
    uint32_t tag = dp__key_tag(dp__hash(key));
    dp__mutex_lock(&d->keys_lock);
    dp__ktable *t = table(d);
    uint64_t e = t ? entry_get(t, slot_for(d, t, key, tag)) : 0;
    bool maps = e && dp__handle_at(d, (uint32_t)(e >> 32)).bits == h.bits;
    dp__mutex_unlock(&d->keys_lock);
    return maps;
}

size_t dp__keys_bytes(const dp_depot *dp)
{
    dp_depot *d = (dp_depot *)dp; /* the lock is the only thing written */
    size_t n = 0;
    dp__mutex_lock(&d->keys_lock); /* another thread may be growing the table */
    for (const dp__ktable *t = table(d); t; t = t->older)
        n += sizeof *t + t->cap * sizeof t->e[0];
    dp__mutex_unlock(&d->keys_lock);
    return n;
}

void dp__keys_free(dp_depot *dp)
{
    for (dp__ktable *t = table(dp), *older; t; t = older) {
        older = t->older;
        dp__free(&dp->alloc, t);
    }
    atomic_store_explicit(&dp->ktab, NULL, memory_order_relaxed); /* dp_destroy: no readers */
    dp->keys_n = 0;
    dp__finders_free(dp);
}

dp_status dp__find_locked(dp_depot *dp, const char *key, uint32_t tag, dp_handle *out,
                          const char *file, int line)
{
    dp_status st = DP_ERR_NOT_FOUND;
    dp__mutex_lock(&dp->keys_lock);
    dp__ktable *t = table(dp);
    uint64_t e = t ? entry_get(t, slot_for(dp, t, key, tag)) : 0;
    if (e) {
        /* By index: the entry's slot is its asset's while the entry names it. */
        st = dp__acquire_at(dp, (uint32_t)(e >> 32), out, file, line);
        if (st == DP_ERR_STALE)
            st = DP_ERR_NOT_FOUND; /* being freed: as good as gone */
    }
    dp__mutex_unlock(&dp->keys_lock);
    return st;
}

/* Under keys_lock: where `key` goes in the table. DP_OK with *pos the entry to fill (empty,
 * or naming an asset being freed, which the new one replaces) in the table current after
 * this call; DP_ERR_EXISTS with a count on the live asset of the key in *out; else
 * dp__acquire's or reserve_key's error. */
static dp_status claim_key(dp_depot *dp, const char *key, uint32_t tag, size_t *pos,
                           dp_handle *out, const char *file, int line)
{
    dp__ktable *t = table(dp);
    uint64_t e = 0;
    size_t i = 0;
    if (t) {
        i = slot_for(dp, t, key, tag);
        e = entry_get(t, i);
        if (e) {
            dp_status st = dp__acquire_at(dp, (uint32_t)(e >> 32), out, file, line);
            if (st == DP_OK)
                return DP_ERR_EXISTS;
            if (st != DP_ERR_STALE)
                return st;
            /* The old asset is being freed: this key now names the new one. */
        }
    }
    if (!e) {
        dp_status st = reserve_key(dp);
        if (st != DP_OK)
            return st;
        i = slot_for(dp, table(dp), key, tag);
    }
    *pos = i;
    return DP_OK;
}

/* Writes a new asset's record (its slot is still DYING, so nothing reads it yet); the
 * record takes `key` (owned). */
static void init_record(dp__asset *r, dp_type_id type, void *data, size_t bytes, char *key)
{
    /* Release: a dp_get on a stale handle of the slot's previous asset that loads this
     * pointer must then see the slot freed (count.c, still_live). */
    atomic_store_explicit(&r->data, data, memory_order_release);
    /* Release, as the data: size, type and the deep and direct states are read by other
     * threads the same way (count.c, still_live). */
    atomic_store_explicit(&r->bytes, bytes, memory_order_release);
    /* Release: as the data; a dp_key_of on a stale handle that loads this key then sees the
     * slot freed (count.c, still_live). */
    atomic_store_explicit(&r->key, key, memory_order_release);
    /* Relaxed stores to the rest of the record: the release stores of the state and the slot
     * word in dp__create publish them. */
    r->kids.many = NULL;
    r->nkids = 0;
    r->nin = 0;
    r->cheld = 0;
    atomic_store_explicit(&r->kept, 0, memory_order_relaxed);
    r->lru_prev = 0;
    /* Release: as bytes above. */
    atomic_store_explicit(&r->type, (uint8_t)type, memory_order_release);
    /* Release: as bytes above. */
    atomic_store_explicit(&r->deep, DP_STATE_PENDING, memory_order_release);
    /* Release: as bytes above. */
    atomic_store_explicit(&r->direct, DP_STATE_PENDING, memory_order_release);
    atomic_store_explicit(&r->status, DP_OK, memory_order_relaxed);
    atomic_store_explicit(&r->deep_status, DP_OK, memory_order_relaxed);
    /* qnext and aflags are left alone: a late attention push from a thread that released
     * the slot's previous asset may have linked the slot on the queue; the drain sorts
     * stale reasons out (they are re-checked against the count). */
    r->oflags = 0;
    r->xflags = 0;
    r->color = DP__BLACK;
}

dp_status dp__create(dp_depot *dp, dp_type_id type, dp_state state, void *data, size_t bytes,
                     const char *key, dp_handle *out, const char *file, int line)
{
    *out = DP_NULL_HANDLE;
    if (!dp__type_get(dp, type) || type > DP__MAX_TYPES)
        return DP_ERR_INVALID;
    /* Everything that can fail is allocated before the slot is taken: only the owner may
     * give a slot back, and this may run on any thread. */
    char *kcopy = NULL;
    if (key) {
        kcopy = dp__strdup(&dp->alloc, key);
        if (!kcopy)
            return DP_ERR_NOMEM;
    }
    dp_status st = DP_OK;
    size_t pos = 0;
    uint32_t tag = 0;
    if (key) {
        tag = dp__key_tag(dp__hash(key));
        dp__mutex_lock(&dp->keys_lock);
        st = claim_key(dp, key, tag, &pos, out, file, line);
        if (st != DP_OK)
            goto unlock;
    }

    /* The slot goes live DYING, so that nothing takes it for an asset (the owner's scans
     * over every slot read its record; acquires fail) until the record below is written;
     * then the store of (gen, 1) publishes it. */
    dp_handle h;
    st = dp__pool_reserve_with(dp->pool, DP__DYING, &h);
    if (st != DP_OK)
        goto unlock;
    dp__asset *r = dp__rec_at(dp, dp_handle_index(h));
    init_record(r, type, data, bytes, kcopy);
    kcopy = NULL;
    dp__ext_reset(dp, dp_handle_index(h));
    dp__resid_init(r, state == DP_STATE_LOADED);
    /* Release: the record is complete before anyone who reads the state sees it. */
    atomic_store_explicit(&r->state, (uint8_t)state, memory_order_release);
    /* Release: the record is complete before anyone who sees the slot alive reads it. */
    atomic_store_explicit(dp__word(dp, h), dp__word_make(dp_handle_gen(h), 1),
                          memory_order_release);
    if (key) {
        dp__ktable *t = table(dp);
        if (!entry_get(t, pos))
            dp->keys_n++;
        entry_set(t, pos, entry_make(tag, dp_handle_index(h)));
    }
    if (dp->desc.track_holders)
        dp__holder_add(dp, h, file, line);
    DP__TRACE(dp, DP__T_CREATE, h, 1, file, line);
    if (state == DP_STATE_PENDING) /* a load was asked for: its time runs from here */
        DP__TRACE(dp, DP__T_LOAD_BEGIN, h, 0, NULL, 0);
    dp__attend(dp, dp_handle_index(h),
               state == DP_STATE_LOADED ? (DP__AF_CREATED | DP__AF_ADDED) : DP__AF_CREATED);
    *out = h;
unlock:
    if (key)
        dp__mutex_unlock(&dp->keys_lock);
    dp__free(&dp->alloc, kcopy);
    return st;
}

dp_status dp_add_at(dp_depot *dp, dp_type_id type, void *asset, size_t bytes, const char *key,
                    dp_handle *out, const char *file, int line)
{
    if (out)
        *out = DP_NULL_HANDLE;
    if (!dp || !out || !asset)
        return DP_ERR_INVALID;
    return dp__create(dp, type, DP_STATE_LOADED, asset, bytes, key, out, file, line);
}

dp_status (dp_add)(dp_depot *dp, dp_type_id type, void *asset, size_t bytes, const char *key,
                   dp_handle *out)
{
    return dp_add_at(dp, type, asset, bytes, key, out, "(unknown)", 0);
}

dp_status dp_find_at(dp_depot *dp, const char *key, dp_handle *out, const char *file, int line)
{
    if (out)
        *out = DP_NULL_HANDLE;
    if (!dp || !key || !out)
        return DP_ERR_INVALID;
    return dp__find(dp, key, out, file, line);
}

dp_status (dp_find)(dp_depot *dp, const char *key, dp_handle *out)
{
    return dp_find_at(dp, key, out, "(unknown)", 0);
}
