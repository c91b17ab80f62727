/* quarantine.c — the lifetime sanitizer (dp_desc.debug_lifetimes = N updates).
 *
 * The bug it catches: a caller keeps a dp_get pointer past the point where its asset's data
 * went away (count released, evicted, reloaded) and reads it later. Without help that read
 * sees freed memory (or, worse, a new asset that reused it) and nothing says whose it was.
 *
 * The option is on by default in the DEPOT_SANITIZE=address build (dp__lifetimes_setting
 * below). With it on, data that leaves the registry is not destroyed; it waits here for N
 * updates (bounded: at most QMAX_ENTRIES data and QMAX_BYTES bytes, oldest out first), made
 * unreadable, and only then is its type's destroy called:
 *  - In an AddressSanitizer build the data's heap block is poisoned with ASan's manual
 *    poisoning, so the first read through a stale pointer traps. ASan's error report is
 *    followed by depot's line naming the asset: its key, type, the update in which its data
 *    left and why, and where it was last acquired (with track_holders). That line comes from
 *    a report callback that looks the faulting address up in every live quarantine (the one
 *    process-wide table in depot, and only in ASan builds: the callback has no user pointer).
 *  - Otherwise (glibc) the block, sized by malloc_usable_size, is saved aside and filled with
 *    0xDD; when it leaves the quarantine a changed byte means a write through a stale
 *    pointer, reported through the log hook (or stderr) with the same details, and the saved
 *    bytes are put back before destroy runs. Asset data must then be a malloc block.
 * Only the data block itself is guarded, not memory it points to (an image's pixels).
 * Counts, events and stats never see the quarantine: the asset is gone from the registry
 * as without it; only the type's destroy runs later. */
#include "asset/quarantine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asset/asset_internal.h"
#include "asset/log.h"
#include "depot/diag.h"

#if defined(__SANITIZE_ADDRESS__)
#define DP__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DP__ASAN 1
#endif
#endif
#ifdef DP__ASAN
#include <sanitizer/asan_interface.h>
#if defined(__has_include) && __has_include(<sanitizer/allocator_interface.h>)
#include <sanitizer/allocator_interface.h>
#else /* gcc 12 ships no header for these; its libasan exports them */
int __sanitizer_get_ownership(const volatile void *p);
size_t __sanitizer_get_allocated_size(const volatile void *p);
#endif
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

#define QMAX_ENTRIES 4096u
#define QMAX_BYTES ((size_t)64 << 20)
#define QFILL 0xDD

struct dp__qlabel {
    char *key;        /* copy, or NULL */
    const char *file; /* last acquire site (static string), or NULL */
    int line;
    uint64_t update;  /* dp_update number when the data left its asset */
    uint8_t why;      /* enum dp__why */
};

typedef struct qentry {
    void *data;
    size_t size;            /* bytes poisoned or filled */
    unsigned char *shadow;  /* fill mode: the original bytes */
    dp_type_id type;
    uint64_t until;         /* released at the update with this number */
    dp__qlabel *label;
} qentry;

struct dp__quarantine {
    const dp_depot *dp;
    qentry *q;               /* FIFO: q[head .. head + n) */
    size_t head, n, cap;
    size_t bytes;
    atomic_flag lock;        /* q against the report callback on another thread */
};

static const char *const why_names[] = {"released", "cascade", "cache", "cycle",
                                        "evicted", "reloaded", "replaced", "residency",
                                        "destroy"};

const char *dp__why_name(uint8_t why)
{
    return why < sizeof why_names / sizeof *why_names ? why_names[why] : "?";
}

static void qlock(struct dp__quarantine *z)
{
    /* Acquire: a spin lock; whoever takes it sees what the last holder wrote before its release
     * in qunlock. */
    while (atomic_flag_test_and_set_explicit(&z->lock, memory_order_acquire))
        ;
}

static void qunlock(struct dp__quarantine *z)
{
    /* Release: pairs with qlock's acquire. */
    atomic_flag_clear_explicit(&z->lock, memory_order_release);
}

/* One line about a stale use of the data in e (at byte `off`). */
static void describe(const struct dp__quarantine *z, const qentry *e, size_t off, char *buf,
                     size_t cap)
{
    const dp_type *t = dp__type_info(z->dp, e->type);
    const dp__qlabel *l = e->label;
    int n = snprintf(buf, cap, "depot: stale pointer: byte %zu of the data of \"%s\" (type %s), "
                     "which left it at update %llu (%s)", off, l->key ? l->key : "(no key)",
                     t ? t->name : "?", (unsigned long long)l->update, dp__why_name(l->why));
    if (n > 0 && (size_t)n < cap && l->file)
        snprintf(buf + n, cap - (size_t)n, "; last acquired at %s:%d", l->file, l->line);
}

/* ---- the sanitizer's side -------------------------------------------------------------------- */

#ifdef DP__ASAN
#define QLIVE 64
/* Every depot's quarantine, for the report callback (which gets no user pointer). */
static _Atomic(struct dp__quarantine *) qlive[QLIVE];
static atomic_flag callback_set = ATOMIC_FLAG_INIT;

/* Names the quarantined datum the faulting address lies in, if any. Runs inside ASan's
 * report on the faulting thread; it only reads and prints. */
static void on_asan_report(const char *text)
{
    const char *a = strstr(text, "address 0x");
    if (!a)
        return;
    uintptr_t addr = (uintptr_t)strtoull(a + 8, NULL, 16);
    for (int i = 0; i < QLIVE; i++) {
        struct dp__quarantine *z = atomic_load(&qlive[i]);
        if (!z)
            continue;
        qlock(z);
        for (size_t k = 0; k < z->n; k++) {
            const qentry *e = &z->q[z->head + k];
            if (addr >= (uintptr_t)e->data && addr < (uintptr_t)e->data + e->size) {
                char line[DP__LOG_MAX];
                describe(z, e, addr - (uintptr_t)e->data, line, sizeof line);
                fprintf(stderr, "%s\n", line);
            }
        }
        qunlock(z);
    }
}

static void publish(struct dp__quarantine *z, bool on)
{
    for (int i = 0; i < QLIVE; i++) {
        struct dp__quarantine *want = on ? NULL : z;
        if (atomic_compare_exchange_strong(&qlive[i], &want, on ? z : NULL))
            break;
    }
    if (on && !atomic_flag_test_and_set(&callback_set))
        __asan_set_error_report_callback(on_asan_report);
}

static size_t block_size(void *p)
{
    return __sanitizer_get_ownership(p) ? __sanitizer_get_allocated_size(p) : 0;
}

static bool guard(const dp_depot *dp, qentry *e)
{
    (void)dp;
    __asan_poison_memory_region(e->data, e->size);
    return true;
}

static void unguard(const struct dp__quarantine *z, qentry *e)
{
    (void)z;
    __asan_unpoison_memory_region(e->data, e->size);
}

#else /* the fill pattern */

static void publish(struct dp__quarantine *z, bool on)
{
    (void)z, (void)on;
}

static size_t block_size(void *p)
{
#ifdef __GLIBC__
    return malloc_usable_size(p);
#else
    (void)p;
    return 0; /* no way to size it: the data is only held back, not guarded */
#endif
}

static bool guard(const dp_depot *dp, qentry *e)
{
    e->shadow = dp__alloc(&dp->alloc, e->size);
    if (!e->shadow)
        return false;
    memcpy(e->shadow, e->data, e->size);
    memset(e->data, QFILL, e->size);
    return true;
}

static void unguard(const struct dp__quarantine *z, qentry *e)
{
    const unsigned char *p = e->data;
    for (size_t i = 0; i < e->size; i++) {
        if (p[i] == QFILL)
            continue;
        char line[DP__LOG_MAX];
        describe(z, e, i, line, sizeof line);
        if (z->dp->desc.log.fn)
            dp__log(z->dp, DP_LOG_ERROR, "%s: written after it left (found at update %llu)",
                    line, (unsigned long long)dp__update_number(z->dp));
        else
            fprintf(stderr, "%s: written after it left\n", line);
        break;
    }
    memcpy(e->data, e->shadow, e->size);
    dp__free(&z->dp->alloc, e->shadow);
    e->shadow = NULL;
}
#endif

/* ---- the setting ------------------------------------------------------------------------------ */

/* DP__LIFETIMES_BUILD (CMakeLists.txt): 1 in the DEPOT_SANITIZE=address build, where the
 * sanitizer is on unless a depot or the environment turns it off. Only there: ASan's
 * poisoning makes a stale read trap at once, and ASan's ownership query lets any data that is
 * not a heap block of its own pass straight to destroy. The fill pattern (every other build)
 * needs each datum to be a malloc block, which a program must promise by asking for it. */
#ifndef DP__LIFETIMES_BUILD
#define DP__LIFETIMES_BUILD 0
#endif

uint32_t dp__lifetimes_setting(const dp_desc *d)
{
    if (d->debug_lifetimes == DP_LIFETIMES_OFF)
        return 0;
    if (d->debug_lifetimes)
        return d->debug_lifetimes;
    const char *env = getenv("DEPOT_DEBUG_LIFETIMES");
    if (env && *env) {
        char *end;
        unsigned long n = strtoul(env, &end, 10);
        if (*end == 0 && env[0] != '-' && n < DP_LIFETIMES_OFF)
            return (uint32_t)n;
        dp__log_to(&d->log, DP_LOG_WARN, "dp_create: DEPOT_DEBUG_LIFETIMES=\"%s\" is not a "
                   "number of updates; the build's default applies", env);
    }
    return DP__LIFETIMES_BUILD ? DP_LIFETIMES_DEFAULT : 0;
}

uint32_t dp_debug_lifetimes(const dp_depot *dp)
{
    return dp ? dp->desc.debug_lifetimes : 0;
}

/* ---- owner side ------------------------------------------------------------------------------- */

dp__qlabel *dp__quarantine_label(dp_depot *dp, dp_handle h, const char *key, uint8_t why)
{
    if (!dp->desc.debug_lifetimes || dp->destroying)
        return NULL;
    dp__qlabel *l = dp__calloc(&dp->alloc, 1, sizeof *l);
    if (!l)
        return NULL;
    if (key && !(l->key = dp__strdup(&dp->alloc, key))) {
        dp__free(&dp->alloc, l);
        return NULL;
    }
    l->why = why;
    l->update = dp__update_number(dp);
    if (dp->desc.track_holders)
        dp__holder_last(dp, h, &l->file, &l->line);
    return l;
}

void dp__quarantine_unlabel(dp_depot *dp, dp__qlabel *label)
{
    if (!label)
        return;
    dp__free(&dp->alloc, label->key);
    dp__free(&dp->alloc, label);
}

static void destroy_now(dp_depot *dp, dp_type_id type, void *data)
{
    const dp__type *t = dp__type_get(dp, type);
    if (t && data)
        t->t.destroy(data, t->t.user);
}

/* Takes the oldest entry out: unpoisons or checks it, then destroys its data. */
static void release_oldest(dp_depot *dp)
{
    struct dp__quarantine *z = dp->quarantine;
    qlock(z);
    qentry e = z->q[z->head];
    unguard(z, &e);
    z->head++;
    z->n--;
    z->bytes -= e.size;
    if (z->n == 0)
        z->head = 0;
    qunlock(z);
    destroy_now(dp, e.type, e.data);
    dp__quarantine_unlabel(dp, e.label);
}

static struct dp__quarantine *quarantine_of(dp_depot *dp)
{
    if (!dp->quarantine) {
        struct dp__quarantine *z = dp__calloc(&dp->alloc, 1, sizeof *z);
        if (!z)
            return NULL;
        z->dp = dp;
        atomic_flag_clear(&z->lock);
        dp->quarantine = z;
        publish(z, true);
    }
    return dp->quarantine;
}

/* Room for one more entry at the end of the FIFO. */
static bool make_room(dp_depot *dp, struct dp__quarantine *z, size_t size)
{
    while (z->n && (z->n >= QMAX_ENTRIES || z->bytes + size > QMAX_BYTES))
        release_oldest(dp);
    if (z->head + z->n < z->cap)
        return true;
    /* Compacting moves n entries; only when at least n were taken off the front since the
     * last move, so each entry is moved O(1) times (moving whenever head > 0 moved all 4096
     * entries on every free once full: 5 s of a 100,000-asset cascade under ASan). Until
     * then the array grows, to about twice QMAX_ENTRIES at most. */
    if (z->head && z->head >= z->n) {
        qlock(z);
        memmove(z->q, z->q + z->head, z->n * sizeof *z->q);
        z->head = 0;
        qunlock(z);
    }
    if (z->head + z->n < z->cap)
        return true;
    /* Grown under the lock: the callback may be scanning the old array. */
    qlock(z);
    dp_status st = dp__grow(&dp->alloc, (void **)&z->q, &z->cap, z->head + z->n + 1,
                            sizeof *z->q);
    qunlock(z);
    return st == DP_OK;
}

void dp__data_dispose(dp_depot *dp, dp_type_id type, void *data, dp__qlabel *label)
{
    if (!label || !data) {
        dp__quarantine_unlabel(dp, label);
        destroy_now(dp, type, data);
        return;
    }
    struct dp__quarantine *z = quarantine_of(dp);
    qentry e = {.data = data, .size = block_size(data), .type = type, .label = label,
                .until = dp__update_number(dp) + dp->desc.debug_lifetimes};
    if (!z || e.size == 0 || e.size > QMAX_BYTES || !make_room(dp, z, e.size) ||
        !guard(dp, &e)) {
        dp__quarantine_unlabel(dp, label);
        destroy_now(dp, type, data); /* nothing to guard with: as without the option */
        return;
    }
    qlock(z);
    z->q[z->head + z->n++] = e;
    z->bytes += e.size;
    qunlock(z);
}

void dp__quarantine_advance(dp_depot *dp)
{
    struct dp__quarantine *z = dp->quarantine;
    uint64_t now = dp__update_number(dp);
    while (z && z->n && z->q[z->head].until <= now)
        release_oldest(dp);
}

void dp__quarantine_free(dp_depot *dp)
{
    struct dp__quarantine *z = dp->quarantine;
    if (!z)
        return;
    while (z->n)
        release_oldest(dp);
    publish(z, false);
    dp__free(&dp->alloc, z->q);
    dp__free(&dp->alloc, z);
    dp->quarantine = NULL;
}
