/* count.c — the any-thread hot paths: retain, release, upgrade, and the reads (count, get,
 * state). Each is a load or a CAS on the asset's slot word (generation | count). */
#include <sched.h>

#include <stddef.h>

#include "asset/asset_internal.h"
#include "asset/trace.h"

dp__asset *dp__rec(const dp_depot *dp, dp_handle h)
{
    if (!dp || !dp_pool_alive(dp->pool, h))
        return NULL;
    return dp__rec_at(dp, dp_handle_index(h));
}

dp_handle dp__live_at(const dp_depot *dp, uint32_t i, uint32_t *count)
{
    _Atomic uint64_t *w = dp__pool_word(dp->pool, i);
    if (!w)
        return DP_NULL_HANDLE;
    /* Acquire: pairs with the creator's release of the slot word; the record is set up. */
    uint64_t v = atomic_load_explicit(w, memory_order_acquire);
    if (dp__word_user(v) & DP__DYING)
        return DP_NULL_HANDLE;
    if (count && (dp__word_gen(v) & 1u))
        *count = dp__word_user(v);
    return dp__word_handle(v, i);
}

dp_handle dp__handle_at(const dp_depot *dp, uint32_t i)
{
    _Atomic uint64_t *w = dp__pool_word(dp->pool, i);
    if (!w)
        return DP_NULL_HANDLE;
    /* Acquire: pairs with the creator's release of the slot word; the record is set up. */
    return dp__word_handle(atomic_load_explicit(w, memory_order_acquire), i);
}

/* dp__attend for a caller that already has the record. */
static void attend_rec(dp_depot *dp, dp__asset *r, uint32_t index, uint8_t reasons)
{
    /* seq_cst, as the count CAS before it and the drain's exchange and word load: the
     * pattern is store (count) then load (flags) here against store (flags) then load
     * (count) in the drain, which only sequential consistency orders. Without it a weakly
     * ordered CPU could let both sides miss each other and lose a ZERO. (On x86 the CAS and
     * the exchange are full barriers already, so this costs nothing there.) */
    uint8_t old = atomic_load_explicit(&r->aflags, memory_order_seq_cst);
    if ((old & reasons) == reasons && (old & DP__AF_QUEUED))
        return; /* already queued for these reasons: the common case of a hot release */
    old = atomic_fetch_or_explicit(&r->aflags, (uint8_t)(reasons | DP__AF_QUEUED),
                                   memory_order_acq_rel);
    if (old & DP__AF_QUEUED)
        return;
    /* Push on the attention stack. Release: the record's link and flags are visible to the
     * owner that takes the stack with its acquire exchange. */
    uint32_t head = atomic_load_explicit(&dp->attn_head, memory_order_relaxed);
    do {
        /* Relaxed: the release CAS just below publishes the link; a failed CAS (relaxed) only
         * reloads head for the next try. */
        atomic_store_explicit(&r->qnext, head, memory_order_relaxed);
    } while (!atomic_compare_exchange_weak_explicit(&dp->attn_head, &head, index + 1,
                                                    memory_order_release, memory_order_relaxed));
}

void dp__attend(dp_depot *dp, uint32_t index, uint8_t reasons)
{
    attend_rec(dp, dp__rec_at(dp, index), index, reasons);
}

/* The collector's claim (cycles.c) moves the members of a garbage candidate set to DYING one
 * by one and restores them all if a later claim fails, so a word seen DYING may belong to a
 * live asset for a moment. Off the owner thread, waits until no claim is in progress and
 * re-reads the word into *w; true if it did (the caller looks again, once). seq_cst: the
 * owner sets `claiming` before its first DYING CAS and clears it after the rollback, so a
 * DYING read here (seq_cst) is followed by a read of `claiming` that sees 1 or the clear, and
 * the clear happens after the restore. The owner itself never waits (the claim's test hook
 * runs on it). */
static bool claim_passed(dp_depot *dp, _Atomic uint64_t *wp, uint64_t *w)
{
    if (dp__is_owner(dp))
        return false;
    *w = atomic_load_explicit(wp, memory_order_seq_cst);
    if (!(dp__word_user(*w) & DP__DYING))
        return true;
    if (!atomic_load_explicit(&dp->claiming, memory_order_seq_cst))
        return false;
    while (atomic_load_explicit(&dp->claiming, memory_order_seq_cst))
        sched_yield();
    *w = atomic_load_explicit(wp, memory_order_seq_cst);
    return true;
}

/* What a strong release may not take the count below: its soft references. Only a listed
 * asset has any (residency.c lists it before its first soft count, in its extension record,
 * and unlists it at 0), so the others read no more than the record they release. */
static uint32_t soft_floor(const dp_depot *dp, dp__asset *r, uint32_t index)
{
    /* Relaxed: the owner writes the flag and the soft count; a release racing a soft retain
     * on the owner may see the flag not yet set (or the count one low), which only lets a
     * release without a matching acquire through, as before soft references existed. (A
     * record of a stale slot is caught by the word.) */
    if (!(atomic_load_explicit(&r->resid, memory_order_relaxed) & DP__RS_LISTED))
        return 0;
    dp__ext *x = dp__ext_peek(dp, index);
    /* Relaxed: as the flag above. */
    return x ? atomic_load_explicit(&x->soft, memory_order_relaxed) : 0;
}

/* Moves the count of a live, non-dying asset by +1 or -1 with one CAS on its slot word;
 * *old gets the count before, *rec (may be NULL) the record, found with the same chunk
 * lookup as the word. *h names the asset; `by_index`, only its index counts: the live asset
 * there, whatever its generation, and *h gets that asset's handle on DP_OK.
 * DP_ERR_STALE, DP_ERR_OVERFLOW (+1 at the maximum), DP_ERR_UNDERFLOW (-1 at 0, or at what
 * soft references hold: those go through dp_release_soft). seq_cst: see attend_rec for why
 * the count CAS must be. It publishes the asset's data to an acquirer and orders a
 * releaser's use of it before the owner's free. */
static dp_status move_count(dp_depot *dp, dp_handle *h, bool by_index, int up, uint32_t *old,
                            dp__asset **rec)
{
    uint32_t gen = dp_handle_gen(*h);
    if (!by_index && !(gen & 1u))
        return DP_ERR_STALE;
    void *payload;
    _Atomic uint64_t *wp = dp__pool_slot(dp->pool, dp_handle_index(*h), &payload);
    if (!wp)
        return DP_ERR_STALE;
    /* Relaxed: only the first guess of the CAS below, which compares it again (seq_cst). */
    uint64_t w = atomic_load_explicit(wp, memory_order_relaxed);
    if (by_index)
        gen = dp__word_gen(w) | 1u; /* a free (even) generation fails the comparison below */
    uint32_t floor = up ? 0 : soft_floor(dp, payload, dp_handle_index(*h));
    bool waited = false;
    for (;;) {
        uint32_t user = dp__word_user(w);
        if (dp__word_gen(w) == gen && (user & DP__DYING) && !waited && claim_passed(dp, wp, &w)) {
            waited = true;
            continue; /* a claim that was rolled back: the asset lives */
        }
        if (dp__word_gen(w) != gen || (user & DP__DYING))
            return DP_ERR_STALE;
        if (up && user >= DP__COUNT_MAX)
            return DP_ERR_OVERFLOW;
        if (!up && user <= floor)
            return DP_ERR_UNDERFLOW;
        uint32_t next = up ? user + 1 : user - 1;
        /* Relaxed on failure: a failed CAS only refreshes w for the next try. */
        if (atomic_compare_exchange_weak_explicit(wp, &w, dp__word_make(gen, next),
                                                  memory_order_seq_cst, memory_order_relaxed)) {
            *old = user;
            if (rec)
                *rec = payload;
            if (by_index)
                *h = dp__word_handle(w, dp_handle_index(*h));
            return DP_OK;
        }
    }
}

dp_status dp__acquire_raw(dp_depot *dp, dp_handle h, uint32_t *old)
{
    return move_count(dp, &h, false, 1, old, NULL);
}

dp_status dp__release_raw(dp_depot *dp, dp_handle h, uint32_t *old)
{
    return move_count(dp, &h, false, 0, old, NULL);
}

dp_status dp__count_up_at(dp_depot *dp, uint32_t index, dp_handle *out, uint32_t *old,
                          dp__asset **rec)
{
    void *payload;
    _Atomic uint64_t *wp = dp__pool_slot(dp->pool, index, &payload);
    if (!wp)
        return DP_ERR_STALE;
    /* The caller reads the record's key next: its line comes while the word's does. */
    __builtin_prefetch(&((dp__asset *)payload)->key);
    /* Relaxed: only the first guess of the CAS below (seq_cst, as in move_count). */
    uint64_t w = atomic_load_explicit(wp, memory_order_relaxed);
    for (;;) {
        uint32_t user = dp__word_user(w);
        /* Free, DYING (freed, or a claim the caller leaves to the locked lookup), or full. */
        if (!(dp__word_gen(w) & 1u) || user >= DP__COUNT_MAX)
            return DP_ERR_STALE;
        /* Relaxed on failure: a failed CAS only refreshes w for the next try. */
        if (atomic_compare_exchange_weak_explicit(wp, &w, w + (1ull << 32), memory_order_seq_cst,
                                                  memory_order_relaxed)) {
            *old = user;
            *rec = payload;
            *out = dp__word_handle(w, index);
            return DP_OK;
        }
    }
}

void dp__acquired(dp_depot *dp, dp_handle h, dp__asset *r, uint32_t old, const char *file,
                  int line)
{
    /* seq_cst flag loads after the seq_cst count CAS: against the owner's store of the flag
     * and re-read of the count in kept.c (and residency.c's DEMOTING), one side always sees
     * the other. */
    uint8_t why = 0;
    if (old == 0 || atomic_load_explicit(&r->kept, memory_order_seq_cst))
        why |= DP__AF_REVIVED;
    if (atomic_load_explicit(&r->resid, memory_order_seq_cst) & DP__RS_LOST)
        why |= DP__AF_WANT; /* demoted or evicted: a strong holder wants the data back */
    if (why)
        attend_rec(dp, r, dp_handle_index(h), why);
    if (dp->desc.track_holders)
        dp__holder_add(dp, h, file, line);
    DP__TRACE(dp, DP__T_ACQUIRE, h, old + 1, file, line);
}

/* dp__acquire of *hp, or of the asset at its index (see move_count). */
static dp_status acquire_from(dp_depot *dp, dp_handle *hp, bool by_index, const char *file,
                              int line)
{
    uint32_t old;
    dp__asset *r;
    dp_status st = move_count(dp, hp, by_index, 1, &old, &r);
    if (st == DP_OK)
        dp__acquired(dp, *hp, r, old, file, line);
    return st;
}

dp_status dp__acquire(dp_depot *dp, dp_handle h, const char *file, int line)
{
    return acquire_from(dp, &h, false, file, line);
}

dp_status dp__acquire_at(dp_depot *dp, uint32_t index, dp_handle *out, const char *file,
                         int line)
{
    dp_handle h = {(uint64_t)index};
    dp_status st = acquire_from(dp, &h, true, file, line);
    if (st == DP_OK)
        *out = h;
    return st;
}

/* -1 with attention; the holder record dropped is the caller's (site NULL) or one recorded
 * at an internal site, which goes before the count so no record outlives its count. */
static dp_status release_from(dp_depot *dp, dp_handle h, const char *site)
{
    if (site && dp->desc.track_holders)
        dp__holder_remove_site(dp, h, site);
    uint32_t old;
    dp__asset *r;
    dp_status st = move_count(dp, &h, false, 0, &old, &r);
    if (st != DP_OK)
        return st;
    if (!site && dp->desc.track_holders)
        dp__holder_remove(dp, h);
    DP__TRACE(dp, DP__T_RELEASE, h, old - 1, site, 0);
    attend_rec(dp, r, dp_handle_index(h), old == 1 ? DP__AF_ZERO : DP__AF_CAND);
    return DP_OK;
}

dp_status dp__release(dp_depot *dp, dp_handle h)
{
    return release_from(dp, h, NULL);
}

dp_status dp__release_site(dp_depot *dp, dp_handle h, const char *site)
{
    return release_from(dp, h, site);
}

dp_status dp_retain_at(dp_depot *dp, dp_handle h, const char *file, int line)
{
    if (!dp)
        return DP_ERR_INVALID;
    return dp__acquire(dp, h, file, line);
}

dp_status (dp_retain)(dp_depot *dp, dp_handle h)
{
    return dp_retain_at(dp, h, "(unknown)", 0);
}

dp_status dp_upgrade_at(dp_depot *dp, dp_handle weak, const char *file, int line)
{
    if (!dp)
        return DP_ERR_INVALID;
    return dp__acquire(dp, weak, file, line);
}

dp_status (dp_upgrade)(dp_depot *dp, dp_handle weak)
{
    return dp_upgrade_at(dp, weak, "(unknown)", 0);
}

dp_status dp_release(dp_depot *dp, dp_handle h)
{
    if (!dp)
        return DP_ERR_INVALID;
    return dp__release(dp, h);
}

uint32_t dp_count(const dp_depot *dp, dp_handle h)
{
    if (!dp || !(dp_handle_gen(h) & 1u))
        return 0;
    _Atomic uint64_t *wp = dp__word(dp, h);
    if (!wp)
        return 0;
    /* Acquire: pairs with the creator's release of the slot word, as dp__rec_live. */
    uint64_t w = atomic_load_explicit(wp, memory_order_acquire);
    if (dp__word_gen(w) != dp_handle_gen(h) || (dp__word_user(w) & DP__DYING))
        return 0;
    return dp__word_user(w);
}

/* The record of a live asset h names and, in *wp, its slot word; NULL if h is stale or dying. */
static dp__asset *rec_live_word(const dp_depot *dp, dp_handle h, _Atomic uint64_t **wp)
{
    if (!dp || !(dp_handle_gen(h) & 1u))
        return NULL;
    void *payload;
    *wp = dp__pool_slot(dp->pool, dp_handle_index(h), &payload);
    if (!*wp)
        return NULL;
    /* Acquire: pairs with the creator's release of the slot word; the record is set up. */
    uint64_t w = atomic_load_explicit(*wp, memory_order_acquire);
    if (dp__word_gen(w) != dp_handle_gen(h) || (dp__word_user(w) & DP__DYING))
        return NULL;
    return payload;
}

dp__asset *dp__rec_live(const dp_depot *dp, dp_handle h)
{
    _Atomic uint64_t *wp;
    return rec_live_word(dp, h, &wp);
}

/* True if h still names the live asset of its slot, after a read from its record that came
 * later than rec_live_word's check. Between the two the owner may evict (or free) the asset
 * and, at the next dp_add after an update, give the slot to a new asset, so the read may have
 * seen that asset's field: the caller then must not use it. Relaxed is enough: every store of
 * a field read this way (the data: init_record, dp__set_loaded, residency's swap; the state,
 * the deep and direct states, the type, the size and the key: every store of them) is a
 * release, the new asset's come after the store that freed the slot on the owner, and the
 * caller read the field with acquire, so this load cannot see a word older than the free. */
static bool still_live(_Atomic uint64_t *wp, dp_handle h)
{
    /* Relaxed: see above (the caller's acquire of the field orders it). */
    uint64_t w = atomic_load_explicit(wp, memory_order_relaxed);
    return dp__word_gen(w) == dp_handle_gen(h) && !(dp__word_user(w) & DP__DYING);
}

void *(dp_get)(const dp_depot *dp, dp_handle h)
{
    _Atomic uint64_t *wp;
    dp__asset *r = rec_live_word(dp, h, &wp);
    if (!r)
        return NULL;
    /* Relaxed: a hint for residency (a use of a soft-held asset, or a demoted one wanted
     * back); the data itself is published by the state below. The depot's atomics are the
     * only thing written. */
    if (atomic_load_explicit(&r->resid, memory_order_relaxed) & (DP__RS_LISTED | DP__RS_LOST))
        dp__resid_used((dp_depot *)dp, h, r);
    /* Acquire: pairs with the owner's release store of the state; the data is complete. */
    if (atomic_load_explicit(&r->state, memory_order_acquire) != DP_STATE_LOADED)
        return NULL;
    /* Acquire: pairs with the release of every data store (and orders still_live after it). */
    void *data = atomic_load_explicit(&r->data, memory_order_acquire);
    /* A stale handle must not return the data of the asset that took its slot meanwhile. */
    return still_live(wp, h) ? data : NULL;
}

dp_type_id dp_type_of(const dp_depot *dp, dp_handle h)
{
    _Atomic uint64_t *wp;
    dp__asset *r = rec_live_word(dp, h, &wp);
    if (!r)
        return 0;
    /* Acquire: pairs with init_record's release, which orders still_live after it. */
    dp_type_id type = atomic_load_explicit(&r->type, memory_order_acquire);
    return still_live(wp, h) ? type : 0; /* not the next asset's type */
}

const char *dp_key_of(const dp_depot *dp, dp_handle h)
{
    _Atomic uint64_t *wp;
    dp__asset *r = rec_live_word(dp, h, &wp);
    if (!r)
        return NULL;
    /* Acquire: pairs with init_record's release and the free's release of NULL, which orders
     * still_live after it. The string is never read here: an evicted asset's is retired. */
    const char *key = atomic_load_explicit(&r->key, memory_order_acquire);
    return still_live(wp, h) ? key : NULL; /* not the next asset's key */
}

size_t dp_bytes_of(const dp_depot *dp, dp_handle h)
{
    _Atomic uint64_t *wp;
    dp__asset *r = rec_live_word(dp, h, &wp);
    if (!r)
        return 0;
    /* Acquire: pairs with the release of every size store (init_record, state.c, residency). */
    size_t bytes = atomic_load_explicit(&r->bytes, memory_order_acquire);
    return still_live(wp, h) ? bytes : 0; /* not the next asset's size */
}

/* One of h's state bytes (offset of dp__asset's state, deep or direct), or INVALID for a
 * dead handle or one that went stale during the read (never the next asset's). */
static dp_state state_byte(const dp_depot *dp, dp_handle h, size_t offset)
{
    _Atomic uint64_t *wp;
    dp__asset *r = rec_live_word(dp, h, &wp);
    if (!r)
        return DP_STATE_INVALID;
    _Atomic uint8_t *field = (_Atomic uint8_t *)((char *)r + offset);
    /* Acquire: pairs with the release of every store of these bytes (init_record, state.c,
     * dp__deep_update); seeing LOADED in `state` shows the data. */
    dp_state s = (dp_state)atomic_load_explicit(field, memory_order_acquire);
    return still_live(wp, h) ? s : DP_STATE_INVALID;
}

dp_state dp_state_of(const dp_depot *dp, dp_handle h)
{
    return state_byte(dp, h, offsetof(dp__asset, state));
}

dp_state dp_state_deep(const dp_depot *dp, dp_handle h)
{
    return state_byte(dp, h, offsetof(dp__asset, deep));
}

dp_state dp_state_direct(const dp_depot *dp, dp_handle h)
{
    return state_byte(dp, h, offsetof(dp__asset, direct));
}

dp_status dp_failure_of(const dp_depot *dp, dp_handle h)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (!r)
        return DP_ERR_STALE;
    /* Relaxed: the statuses are stored before the release of the FAILED state they explain. */
    dp_status own = (dp_status)atomic_load_explicit(&r->status, memory_order_relaxed);
    if (own != DP_OK)
        return own;
    return (dp_status)atomic_load_explicit(&r->deep_status, memory_order_relaxed);
}
