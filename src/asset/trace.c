/* trace.c — the lifetime recorder's ring (see trace.h).
 *
 * Positions are claimed in blocks: a thread takes `block` consecutive positions with one
 * fetch_add on the shared `head` and fills them one event at a time, so the atomic read-
 * modify-write (and the cache line it bounces between cores) is paid once per block, not per
 * event. A thread's blocks live in thread-local cursors, one per recorder it used last (up
 * to CURSORS, most recent first; a thread that records into more depots than that by turns
 * abandons the rest of a block at each switch, and those positions stay empty). Before each
 * write the cursor checks that its position is still among the ring's newest `cap`
 * positions; a block that other threads lapped meanwhile is abandoned rather than written
 * over newer events.
 *
 * Each slot is a small seqlock: its `seq` is odd while a writer fills it and 2 * pos + 2
 * once the event at position pos is complete. The snapshot (owner) reads a slot's seq
 * (acquire), its fields, then seq again, and keeps the event only if both reads say
 * "complete, position pos": an event being written or overwritten meanwhile is skipped.
 * Every field is an atomic, stored with release (after the odd seq) and loaded with acquire
 * (before the re-read), so a racing reader is not a data race; on x86 these are plain moves.
 * Two writers can only share a slot if one of them stalls between its position check and
 * its last store for a whole lap of the ring; the event read then may mix their fields, each
 * field still one that a writer stored (a valid kind, a static site string).
 *
 * Because blocks fill in parallel, positions are not time order: the snapshot sorts by
 * timestamp (ticks: trace_clock.h), ties by position, which keeps each thread's own order.
 * Off (dp_desc.trace_events = 0) the recorder costs the DP__TRACE test of a NULL pointer. */
#include "asset/trace.h"

#include <stdlib.h>
#include <string.h>

#include "asset/asset_internal.h"
#include "asset/trace_clock.h"

enum { MAX_THREADS = 255, MAX_BLOCK = 16, CURSORS = 4 };

typedef struct tslot {
    _Atomic uint64_t seq;       /* odd: being written; 2 * pos + 2: holds event pos */
    _Atomic uint64_t ticks;     /* trace_clock.h ticks since the recorder started */
    _Atomic uint64_t h;
    _Atomic uint64_t meta;      /* update | kind << 32 | thread number << 40 */
    _Atomic uint64_t arg_line;  /* arg | (uint32_t)line << 32 */
    _Atomic(const char *) file;
} tslot;

typedef struct dead_name {
    uint64_t h;
    char *key;
} dead_name;

struct dp__trace {
    const dp_depot *dp;
    tslot *ring;
    uint64_t mask;
    uint64_t block;             /* positions a thread claims at once (a power of two) */
    bool tsc;                   /* ticks are TSC ticks (else CLOCK_MONOTONIC ns) */
    dp__tpair start;            /* calibration pair at creation; start.ticks tells this
                                   recorder from an earlier one at the same address */
    dp__tpair read;             /* owner: calibration pair of the last snapshot */
    /* thread numbers: tags[i] is the dp__thread_tag of thread i + 1 (0: free) */
    _Atomic uint64_t tags[MAX_THREADS];
    dead_name *dead;            /* owner only: ring of keys of freed assets */
    size_t ndead, dead_next, dead_cap;
    dead_name *sorted;          /* owner only: dead sorted by handle, from the last snapshot */
    size_t nsorted;
    /* next position to claim, padded off the fields above and below: each thread writes it
     * once per block, every event reads the fields (no _Alignas: the depot's allocator
     * promises malloc's alignment only) */
    char pad0[64];
    _Atomic uint64_t head;
    char pad1[64];
};

/* A thread's claimed block, for the recorder it is bound to. A cache: losing it (a new
 * thread, a rebind) only costs one fetch_add and leaves the rest of a block empty. */
typedef struct tcursor {
    const struct dp__trace *t;
    uint64_t id;                /* t->start.ticks when bound */
    uint64_t next, end;         /* positions [next, end) claimed and not yet written */
    uint64_t thread;            /* this thread's number in t, << 40 as meta wants it */
} tcursor;

static _Thread_local tcursor cursors[CURSORS];

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
    /* A block is at most 1/64 of the ring, so abandoned block ends cost little of it. */
    t->block = cap / 64 < MAX_BLOCK ? cap / 64 : MAX_BLOCK;
    t->tsc = dp__trace_tsc_usable();
    t->start = dp__trace_calibrate(t->tsc);
    t->read = t->start;
    /* Relaxed: published to other threads by dp_create's return, like the rest of *t. */
    atomic_store_explicit(&t->tags[0], dp__thread_tag(), memory_order_relaxed);
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

/* The calling thread's number in t (1 = the owner), taking a free one on first use;
 * MAX_THREADS + 1 ("other threads") once all are taken. */
static uint64_t thread_number(struct dp__trace *t)
{
    uint64_t tag = dp__thread_tag();
    for (uint32_t i = 0; i < MAX_THREADS; i++) {
        /* Relaxed: a tag is a plain number, compared, never followed. */
        uint64_t seen = atomic_load_explicit(&t->tags[i], memory_order_relaxed);
        if (seen == 0 && atomic_compare_exchange_strong_explicit(
                             &t->tags[i], &seen, tag, memory_order_relaxed, memory_order_relaxed))
            return i + 1;
        if (seen == tag)
            return i + 1;
    }
    return MAX_THREADS + 1;
}

/* The calling thread's cursor for t, most recent first: found, or made in place of the
 * least recently used. */
static tcursor *cursor_of(struct dp__trace *t)
{
    tcursor *c = cursors;
    if (c->t == t && c->id == t->start.ticks)
        return c;
    int i = 1;
    while (i < CURSORS - 1 && !(c[i].t == t && c[i].id == t->start.ticks))
        i++;
    tcursor found = c[i];
    memmove(&c[1], &c[0], (size_t)i * sizeof *c);
    if (found.t == t && found.id == t->start.ticks)
        c[0] = found;
    else
        c[0] = (tcursor){.t = t, .id = t->start.ticks, .thread = thread_number(t) << 40};
    return c;
}

/* The cursor's next position, claiming a new block when its block is used up or was lapped
 * by other threads. */
static uint64_t claim(struct dp__trace *t, tcursor *c)
{
    if (c->next < c->end) {
        /* Relaxed: an estimate is enough (see the opening comment on lapped blocks). */
        uint64_t head = atomic_load_explicit(&t->head, memory_order_relaxed);
        if (head - c->next <= t->mask + 1 - t->block)
            return c->next++;
    }
    /* Relaxed: the positions only have to be unique; each slot's seq publishes its event. */
    c->next = atomic_fetch_add_explicit(&t->head, t->block, memory_order_relaxed);
    c->end = c->next + t->block;
    return c->next++;
}

/* Fills the calling thread's next position with one event. */
static inline void put(struct dp__trace *t, dp__tkind kind, dp_handle h, uint64_t arg_line,
                       const char *file)
{
    tcursor *c = cursor_of(t);
    uint64_t pos = claim(t, c);
    tslot *s = &t->ring[pos & t->mask];
    /* Relaxed: the field stores below are releases, which order this odd seq before them. */
    atomic_store_explicit(&s->seq, 2 * pos + 1, memory_order_relaxed);
    /* Release on every field store: a reader that sees any field below also sees the odd seq
     * above (no fences: TSan does not model them). */
    atomic_store_explicit(&s->ticks, dp__trace_ticks(t->tsc), memory_order_release);
    atomic_store_explicit(&s->h, h.bits, memory_order_release);
    /* Relaxed: a label for reports (dp__update_number without the call). */
    uint64_t update = atomic_load_explicit(&t->dp->epoch, memory_order_relaxed) - 1;
    atomic_store_explicit(&s->meta, (update & 0xFFFFFFFFu) | (uint64_t)kind << 32 | c->thread,
                          memory_order_release);
    atomic_store_explicit(&s->arg_line, arg_line, memory_order_release);
    atomic_store_explicit(&s->file, file, memory_order_release);
    /* Release: the fields above are complete before a reader sees the even seq. */
    atomic_store_explicit(&s->seq, 2 * pos + 2, memory_order_release);
}

void dp__trace_record(struct dp__trace *t, dp__tkind kind, dp_handle h, uint32_t arg,
                      const char *file, int line)
{
    put(t, kind, h, arg | (uint64_t)(uint32_t)line << 32, file);
}

void dp__trace_record_wide(struct dp__trace *t, dp__tkind kind, dp_handle h, uint64_t wide)
{
    put(t, kind, h, wide, NULL);
}

void dp__trace_note(dp_depot *dp, dp__tkind kind, dp_handle h, uint64_t wide)
{
    if (dp && dp->trace)
        put(dp->trace, kind, h, wide, NULL);
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

/* Reads the slot of position pos; false if it holds another position or is being written. */
static bool read_slot(const struct dp__trace *t, uint64_t pos, dp__tevent *e)
{
    tslot *s = &t->ring[pos & t->mask];
    uint64_t want = 2 * pos + 2;
    /* Acquire: pairs with the writer's release store of the even seq. */
    if (atomic_load_explicit(&s->seq, memory_order_acquire) != want)
        return false;
    e->seq = pos;
    e->t_ns = atomic_load_explicit(&s->ticks, memory_order_acquire); /* ticks until mapped */
    e->h.bits = atomic_load_explicit(&s->h, memory_order_acquire);
    uint64_t meta = atomic_load_explicit(&s->meta, memory_order_acquire);
    uint64_t al = atomic_load_explicit(&s->arg_line, memory_order_acquire);
    e->file = atomic_load_explicit(&s->file, memory_order_acquire);
    /* The field loads are acquires: the re-read of seq below happens after them. */
    if (atomic_load_explicit(&s->seq, memory_order_relaxed) != want)
        return false; /* overwritten while we read it */
    e->update = (uint32_t)meta;
    e->kind = (uint8_t)(meta >> 32);
    e->thread = (uint32_t)(meta >> 40);
    e->arg = (uint32_t)al;
    e->line = (int)(uint32_t)(al >> 32);
    e->wide = al;
    return true;
}

/* Time order; equal ticks keep position order (one thread's events in its own order). */
static int by_time(const void *a, const void *b)
{
    const dp__tevent *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Maps each event's ticks to nanoseconds since the recorder started, on the line through
 * the start and read calibration pairs. */
static void ticks_to_ns(const struct dp__trace *t, dp__tevent *ev, size_t n)
{
    double ns_per_tick = 1.0;
    if (t->read.ticks > t->start.ticks && t->read.ns > t->start.ns)
        ns_per_tick = (double)(t->read.ns - t->start.ns) / (double)(t->read.ticks - t->start.ticks);
    for (size_t i = 0; i < n; i++) {
        uint64_t dt = ev[i].t_ns > t->start.ticks ? ev[i].t_ns - t->start.ticks : 0;
        ev[i].t_ns = (uint64_t)((double)dt * ns_per_tick);
    }
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
    size_t k = 0;
    for (uint64_t pos = first; pos < head; pos++)
        k += read_slot(t, pos, &ev[k]);
    t->read = dp__trace_calibrate(t->tsc);
    qsort(ev, k, sizeof *ev, by_time);
    ticks_to_ns(t, ev, k);
    memcpy(sorted, t->dead, t->ndead * sizeof *sorted);
    qsort(sorted, t->ndead, sizeof *sorted, by_handle);
    dp__free(&dp->alloc, t->sorted);
    t->sorted = sorted;
    t->nsorted = t->ndead;
    *out = ev;
    *n = k;
    return DP_OK;
}

void dp__trace_clock(const dp_depot *dp, dp__tclock *out)
{
    *out = (dp__tclock){0};
    const struct dp__trace *t = dp->trace;
    if (!t)
        return;
    *out = (dp__tclock){.source = t->tsc ? "tsc" : "clock_monotonic",
                        .start_ticks = t->start.ticks, .start_ns = t->start.ns,
                        .read_ticks = t->read.ticks, .read_ns = t->read.ns};
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
