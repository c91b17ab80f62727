/* keys.c — the key table (key -> handle, open addressing under one lock) and asset
 * creation, which any thread may do: dp_add, and the loader's reservations. */
#include <string.h>

#include "asset/asset_internal.h"
#include "asset/trace.h"

/* What an entry keeps of a key's hash: its low 32 bits, 0 moved to 1 (0 marks empty). */
static uint32_t key_tag(uint64_t hash)
{
    uint32_t t = (uint32_t)hash;
    return t ? t : 1u;
}

/* The asset an entry names (its slot's live handle, dying or not; null if the slot is free,
 * which an entry never sees: see dp__kentry). Under keys_lock. */
static dp_handle entry_handle(const dp_depot *dp, const dp__kentry *e)
{
    return dp__handle_at(dp, e->index);
}

/* The entry of `key` or the empty entry where it would go. Under keys_lock. */
static dp__kentry *slot_for(dp_depot *dp, const char *key, uint32_t hash)
{
    size_t mask = dp->keys_cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        dp__kentry *e = &dp->keys[i];
        if (e->hash == 0)
            return e;
        if (e->hash == hash && !strcmp(e->key, key))
            return e;
    }
}

/* Makes room for one more entry (load factor <= 1/2). Under keys_lock. */
static dp_status reserve_key(dp_depot *dp)
{
    if ((dp->keys_n + 1) * 2 <= dp->keys_cap)
        return DP_OK;
    size_t ncap = dp->keys_cap ? dp->keys_cap * 2 : 64;
    dp__kentry *n = dp__calloc(&dp->alloc, ncap, sizeof *n);
    if (!n)
        return DP_ERR_NOMEM;
    for (size_t i = 0; i < dp->keys_cap; i++) {
        dp__kentry e = dp->keys[i];
        if (!e.hash)
            continue;
        size_t j = e.hash & (ncap - 1);
        while (n[j].hash)
            j = (j + 1) & (ncap - 1);
        n[j] = e;
    }
    dp__free(&dp->alloc, dp->keys);
    dp->keys = n;
    dp->keys_cap = ncap;
    return DP_OK;
}

/* Removes entry e with backward-shift deletion (no tombstones). Under keys_lock. */
static void erase_entry(dp_depot *dp, dp__kentry *e)
{
    size_t mask = dp->keys_cap - 1;
    size_t i = (size_t)(e - dp->keys);
    for (;;) {
        dp->keys[i].hash = 0;
        dp->keys[i].index = 0;
        dp->keys[i].key = NULL;
        size_t j = i;
        for (;;) {
            j = (j + 1) & mask;
            if (!dp->keys[j].hash)
                goto done;
            size_t home = dp->keys[j].hash & mask;
            /* Entry j may move to i if its home is not in (i, j]. */
            bool between = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
            if (!between)
                break;
        }
        dp->keys[i] = dp->keys[j];
        i = j;
    }
done:
    dp->keys_n--;
}

void dp__key_remove(dp_depot *dp, const char *key, dp_handle h)
{
    if (!key)
        return;
    /* keys_cap is read under the lock: a dp_load on another thread may be growing the table
     * (TSan caught the unlocked read racing reserve_key's write in test_load_threads_mt). */
    dp__mutex_lock(&dp->keys_lock);
    if (dp->keys_cap) {
        dp__kentry *e = slot_for(dp, key, key_tag(dp__hash(key)));
        if (e->hash && e->index == dp_handle_index(h))
            erase_entry(dp, e);
    }
    dp__mutex_unlock(&dp->keys_lock);
}

bool dp__key_maps(const dp_depot *dp, const char *key, dp_handle h)
{
    dp_depot *d = (dp_depot *)dp; /* the lock is the only thing written */
    dp__mutex_lock(&d->keys_lock);
    dp__kentry *e = d->keys_cap ? slot_for(d, key, key_tag(dp__hash(key))) : NULL;
    bool maps = e && e->hash && entry_handle(d, e).bits == h.bits;
    dp__mutex_unlock(&d->keys_lock);
    return maps;
}

void dp__keys_free(dp_depot *dp)
{
    dp__free(&dp->alloc, dp->keys);
    dp->keys = NULL;
    dp->keys_cap = dp->keys_n = 0;
}

dp_status dp__find(dp_depot *dp, const char *key, dp_handle *out, const char *file, int line)
{
    dp_status st = DP_ERR_NOT_FOUND;
    uint32_t hash = key_tag(dp__hash(key)); /* outside the lock: it reads only the key */
    dp__mutex_lock(&dp->keys_lock);
    if (dp->keys_cap) {
        dp__kentry *e = slot_for(dp, key, hash);
        if (e->hash) {
            /* By index: the entry's slot is its asset's while the entry names it. */
            st = dp__acquire_at(dp, e->index, out, file, line);
            if (st == DP_ERR_STALE)
                st = DP_ERR_NOT_FOUND; /* being freed: as good as gone */
        }
    }
    dp__mutex_unlock(&dp->keys_lock);
    return st;
}

/* Under keys_lock: where `key` goes in the table. DP_OK with *slot the entry to fill (empty,
 * or naming an asset being freed, which the new one replaces); DP_ERR_EXISTS with a count
 * on the live asset of the key in *out; else dp__acquire's or reserve_key's error. */
static dp_status claim_key(dp_depot *dp, const char *key, uint32_t hash, dp__kentry **slot,
                           dp_handle *out, const char *file, int line)
{
    dp__kentry *e = NULL;
    if (dp->keys_cap) {
        e = slot_for(dp, key, hash);
        if (e->hash) {
            dp_status st = dp__acquire_at(dp, e->index, out, file, line);
            if (st == DP_OK)
                return DP_ERR_EXISTS;
            if (st != DP_ERR_STALE)
                return st;
            /* The old asset is being freed: this key now names the new one. */
        }
    }
    if (!e || !e->hash) {
        dp_status st = reserve_key(dp);
        if (st != DP_OK)
            return st;
        e = slot_for(dp, key, hash);
    }
    *slot = e;
    return DP_OK;
}

/* Writes a new asset's record (its slot is still DYING, so nothing reads it yet); the
 * record takes `key` (owned). */
static void init_record(dp__asset *r, dp_type_id type, void *data, size_t bytes, char *key)
{
    /* Release: a dp_get on a stale handle of the slot's previous asset that loads this
     * pointer must then see the slot freed (count.c, still_live). */
    atomic_store_explicit(&r->data, data, memory_order_release);
    /* Relaxed stores to the rest of the record: the release stores of the state and the slot
     * word in dp__create publish them. */
    atomic_store_explicit(&r->bytes, bytes, memory_order_relaxed);
    r->key = key;
    r->kids.many = NULL;
    r->nkids = 0;
    r->nin = 0;
    r->cheld = 0;
    atomic_store_explicit(&r->kept, 0, memory_order_relaxed);
    r->lru_prev = 0;
    atomic_store_explicit(&r->type, (uint8_t)type, memory_order_relaxed);
    atomic_store_explicit(&r->deep, DP_STATE_PENDING, memory_order_relaxed);
    atomic_store_explicit(&r->direct, DP_STATE_PENDING, memory_order_relaxed);
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
    dp__kentry *e = NULL;
    uint32_t hash = 0;
    if (key) {
        hash = key_tag(dp__hash(key));
        dp__mutex_lock(&dp->keys_lock);
        st = claim_key(dp, key, hash, &e, out, file, line);
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
        if (!e->hash)
            dp->keys_n++;
        e->hash = hash;
        e->index = dp_handle_index(h);
        e->key = r->key;
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
