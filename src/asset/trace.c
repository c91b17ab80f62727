/* trace.c — the lifetime recorder's ring (see trace.h).
 *
 * Writers on any thread claim a position with one fetch_add on `head` and fill the slot at
 * position & mask, overwriting the oldest event once the ring is full. Each slot is a small
 * seqlock: its `seq` is odd while a writer fills it and 2 * pos + 2 once the event at
 * position pos is complete. The snapshot (owner) reads a slot's seq (acquire), its fields,
 * then seq again, and keeps the event only if both reads say "complete, position pos": an
 * event being written or overwritten meanwhile is skipped, never returned torn. Every field
 * is an atomic, stored with release (after the odd seq) and loaded with acquire (before the
 * re-read), so a racing reader is not a data race; on x86 these cost plain moves.
 * Off (dp_desc.trace_events = 0) the recorder costs the DP__TRACE test of a NULL pointer. */
#include "asset/trace.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asset/asset_internal.h"

typedef struct tslot {
    _Atomic uint64_t seq;       /* odd: being written; 2 * pos + 2: holds event pos */
    _Atomic uint64_t t_ns;
    _Atomic uint64_t h;
    _Atomic uint64_t meta;      /* update | kind << 32 */
    _Atomic uint64_t arg_line;  /* arg | (uint32_t)line << 32 */
    _Atomic(const char *) file;
    _Atomic uint64_t thread;    /* dp__thread_tag of the recording thread */
    uint64_t pad;               /* one slot per cache line */
} tslot;

typedef struct dead_name {
    uint64_t h;
    char *key;
} dead_name;

struct dp__trace {
    const dp_depot *dp;
    tslot *ring;
    uint64_t mask;
    _Atomic uint64_t head;      /* next position to claim */
    uint64_t t0;                /* monotonic ns at creation */
    uint64_t owner_tag;         /* the owner thread's dp__thread_tag */
    dead_name *dead;            /* owner only: ring of keys of freed assets */
    size_t ndead, dead_next, dead_cap;
    dead_name *sorted;          /* owner only: dead sorted by handle, from the last snapshot */
    size_t nsorted;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct dp__trace *dp__trace_create(const dp_depot *dp, uint32_t capacity)
{
    uint64_t cap = 64;
    while (cap < capacity && cap < ((uint64_t)1 << 31))
        cap <<= 1;
    struct dp__trace *t = dp__calloc(&dp->alloc, 1, sizeof *t);
    if (!t)
        return NULL;
    t->ring = dp__calloc(&dp->alloc, cap, sizeof *t->ring);
    t->dead_cap = cap;
    t->dead = dp__calloc(&dp->alloc, cap, sizeof *t->dead);
    if (!t->ring || !t->dead) {
        dp__free(&dp->alloc, t->ring);
        dp__free(&dp->alloc, t->dead);
        dp__free(&dp->alloc, t);
        return NULL;
    }
    t->dp = dp;
    t->mask = cap - 1;
    t->t0 = now_ns();
    t->owner_tag = dp__thread_tag();
    return t;
}

void dp__trace_destroy(const dp_depot *dp, struct dp__trace *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ndead; i++)
        dp__free(&dp->alloc, t->dead[i].key);
    dp__free(&dp->alloc, t->dead);
    dp__free(&dp->alloc, t->sorted);
    dp__free(&dp->alloc, t->ring);
    dp__free(&dp->alloc, t);
}

void dp__trace_record(struct dp__trace *t, dp__tkind kind, dp_handle h, uint32_t arg,
                      const char *file, int line)
{
    /* Relaxed: the position only has to be unique; the slot's seq publishes the event. */
    uint64_t pos = atomic_fetch_add_explicit(&t->head, 1, memory_order_relaxed);
    tslot *s = &t->ring[pos & t->mask];
    atomic_store_explicit(&s->seq, 2 * pos + 1, memory_order_relaxed);
    /* Release on every field store: a reader that sees any field below also sees the odd seq
     * above (no fences: TSan does not model them). */
    atomic_store_explicit(&s->t_ns, now_ns() - t->t0, memory_order_release);
    atomic_store_explicit(&s->h, h.bits, memory_order_release);
    uint64_t update = dp__update_number(t->dp);
    atomic_store_explicit(&s->meta, (update & 0xFFFFFFFFu) | (uint64_t)kind << 32,
                          memory_order_release);
    atomic_store_explicit(&s->arg_line, arg | (uint64_t)(uint32_t)line << 32,
                          memory_order_release);
    atomic_store_explicit(&s->file, file, memory_order_release);
    atomic_store_explicit(&s->thread, dp__thread_tag(), memory_order_release);
    /* Release: the fields above are complete before a reader sees the even seq. */
    atomic_store_explicit(&s->seq, 2 * pos + 2, memory_order_release);
}

void dp__trace_name_dead(struct dp__trace *t, dp_handle h, const char *key)
{
    if (!key)
        return;
    char *copy = dp__strdup(&t->dp->alloc, key);
    if (!copy)
        return; /* the trace then shows the handle without its key */
    dead_name *d = &t->dead[t->dead_next];
    if (t->ndead == t->dead_cap)
        dp__free(&t->dp->alloc, d->key);
    else
        t->ndead++;
    *d = (dead_name){.h = h.bits, .key = copy};
    t->dead_next = (t->dead_next + 1) % t->dead_cap;
}

uint64_t dp__trace_overwritten(const dp_depot *dp)
{
    struct dp__trace *t = dp->trace;
    if (!t)
        return 0;
    /* Relaxed: a statistic. */
    uint64_t head = atomic_load_explicit(&t->head, memory_order_relaxed);
    return head > t->mask + 1 ? head - (t->mask + 1) : 0;
}

/* ---- reading back (owner) ------------------------------------------------------------------ */

/* Small thread numbers: the owner is 1, others in order of their first event. */
static uint32_t thread_no(uint64_t *tags, uint32_t *ntags, uint32_t cap, uint64_t tag)
{
    for (uint32_t i = 0; i < *ntags; i++)
        if (tags[i] == tag)
            return i + 1;
    if (*ntags == cap)
        return cap + 1; /* "other threads" */
    tags[(*ntags)++] = tag;
    return *ntags;
}

/* Reads the slot of position pos; false if it holds another position or is being written. */
static bool read_slot(const struct dp__trace *t, uint64_t pos, dp__tevent *e, uint64_t *tag)
{
    tslot *s = &t->ring[pos & t->mask];
    uint64_t want = 2 * pos + 2;
    /* Acquire: pairs with the writer's release store of the even seq. */
    if (atomic_load_explicit(&s->seq, memory_order_acquire) != want)
        return false;
    e->seq = pos;
    e->t_ns = atomic_load_explicit(&s->t_ns, memory_order_acquire);
    e->h.bits = atomic_load_explicit(&s->h, memory_order_acquire);
    uint64_t meta = atomic_load_explicit(&s->meta, memory_order_acquire);
    uint64_t al = atomic_load_explicit(&s->arg_line, memory_order_acquire);
    e->file = atomic_load_explicit(&s->file, memory_order_acquire);
    *tag = atomic_load_explicit(&s->thread, memory_order_acquire);
    /* The field loads are acquires: the re-read of seq below happens after them. */
    if (atomic_load_explicit(&s->seq, memory_order_relaxed) != want)
        return false; /* overwritten while we read it */
    e->update = (uint32_t)meta;
    e->kind = (uint8_t)(meta >> 32);
    e->arg = (uint32_t)al;
    e->line = (int)(uint32_t)(al >> 32);
    return true;
}

static int by_handle(const void *a, const void *b)
{
    uint64_t x = ((const dead_name *)a)->h, y = ((const dead_name *)b)->h;
    return x < y ? -1 : x > y;
}

dp_status dp__trace_snapshot(const dp_depot *dp, dp__tevent **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct dp__trace *t = dp->trace;
    if (!t)
        return DP_OK;
    /* Acquire: positions below head were claimed; their slots are read one by one. */
    uint64_t head = atomic_load_explicit(&t->head, memory_order_acquire);
    uint64_t first = head > t->mask + 1 ? head - (t->mask + 1) : 0;
    dp__tevent *ev = dp__calloc(&dp->alloc, (size_t)(head - first) + 1, sizeof *ev);
    dead_name *sorted = dp__calloc(&dp->alloc, t->ndead + 1, sizeof *sorted);
    if (!ev || !sorted) {
        dp__free(&dp->alloc, ev);
        dp__free(&dp->alloc, sorted);
        return DP_ERR_NOMEM;
    }
    uint64_t tags[255] = {t->owner_tag};
    uint32_t ntags = 1;
    size_t k = 0;
    for (uint64_t pos = first; pos < head; pos++) {
        uint64_t tag;
        if (read_slot(t, pos, &ev[k], &tag)) {
            ev[k].thread = thread_no(tags, &ntags, 255, tag);
            k++;
        }
    }
    memcpy(sorted, t->dead, t->ndead * sizeof *sorted);
    qsort(sorted, t->ndead, sizeof *sorted, by_handle);
    dp__free(&dp->alloc, t->sorted);
    t->sorted = sorted;
    t->nsorted = t->ndead;
    *out = ev;
    *n = k;
    return DP_OK;
}

const char *dp__trace_key(const dp_depot *dp, dp_handle h)
{
    dp__view v;
    if (dp__view_of(dp, h, &v))
        return v.key;
    const struct dp__trace *t = dp->trace;
    if (!t || !t->sorted)
        return NULL;
    dead_name probe = {.h = h.bits};
    const dead_name *d = bsearch(&probe, t->sorted, t->nsorted, sizeof *d, by_handle);
    return d ? d->key : NULL;
}
