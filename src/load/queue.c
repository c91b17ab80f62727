/* queue.c — the loader's job queue by priority and concurrency class (see queue.h). Under
 * the loader's lock. */
#include "load/queue.h"

#include "load/loader.h"

#define BIT(level, klass) (1u << ((unsigned)(level) * DP__CLASSES + (unsigned)(klass)))
#define LEVEL_MASK(level) (((1u << DP__CLASSES) - 1) << ((unsigned)(level) * DP__CLASSES))

int dp__priority_level(int priority)
{
    if (priority < DP_PRIORITY_LOW || priority > DP_PRIORITY_IMMEDIATE)
        return -1;
    return priority - DP_PRIORITY_LOW;
}

dp_status dp__queue_init(dp__queue *q, const dp_allocator *a)
{
    *q = (dp__queue){.alloc = a};
    q->nbuckets = 64;
    q->buckets = dp__calloc(a, q->nbuckets, sizeof *q->buckets);
    if (!q->buckets) {
        q->nbuckets = 0;
        return DP_ERR_NOMEM;
    }
    return DP_OK;
}

void dp__queue_fini(dp__queue *q)
{
    dp__free(q->alloc, q->buckets);
    q->buckets = NULL;
    q->nbuckets = 0;
}

/* Handle bits to a bucket: the index (low 32 bits) spreads well on its own. */
static size_t bucket_of(const dp__queue *q, uint64_t h)
{
    return (size_t)((h ^ (h >> 32)) & (q->nbuckets - 1));
}

/* Doubles the table; on NOMEM the old one stays (longer chains, still correct). */
static void hash_grow(dp__queue *q)
{
    size_t n = q->nbuckets * 2;
    dp__job **t = dp__calloc(q->alloc, n, sizeof *t);
    if (!t)
        return;
    size_t old = q->nbuckets;
    dp__job **from = q->buckets;
    q->buckets = t;
    q->nbuckets = n;
    for (size_t i = 0; i < old; i++) {
        while (from[i]) {
            dp__job *j = from[i];
            from[i] = j->hnext;
            size_t b = bucket_of(q, j->h.bits);
            j->hnext = t[b];
            t[b] = j;
        }
    }
    dp__free(q->alloc, from);
}

static void hash_remove(dp__queue *q, dp__job *job)
{
    dp__job **p = &q->buckets[bucket_of(q, job->h.bits)];
    while (*p != job)
        p = &(*p)->hnext;
    *p = job->hnext;
    job->hnext = NULL;
}

/* Links a job at the tail of its FIFO; the hash is not touched. */
static void fifo_append(dp__queue *q, dp__job *job)
{
    /* Relaxed: the queue is used under L->lock, which every writer of level holds. */
    int level = atomic_load_explicit(&job->level, memory_order_relaxed);
    dp__fifo *f = &q->fifo[level][job->klass];
    job->seq = q->seq++;
    job->next = NULL;
    job->prev = f->tail;
    if (f->tail)
        f->tail->next = job;
    else
        f->head = job;
    f->tail = job;
    q->nonempty |= BIT(level, job->klass);
    q->at_level[level]++;
}

static void fifo_unlink(dp__queue *q, dp__job *job)
{
    /* Relaxed: under L->lock, as in fifo_append. */
    int level = atomic_load_explicit(&job->level, memory_order_relaxed);
    dp__fifo *f = &q->fifo[level][job->klass];
    if (job->prev)
        job->prev->next = job->next;
    else
        f->head = job->next;
    if (job->next)
        job->next->prev = job->prev;
    else
        f->tail = job->prev;
    job->next = job->prev = NULL;
    if (!f->head)
        q->nonempty &= ~BIT(level, job->klass);
    q->at_level[level]--;
}

void dp__queue_push(dp__queue *q, dp__job *job)
{
    fifo_append(q, job);
    if (q->count >= q->nbuckets)
        hash_grow(q);
    size_t b = bucket_of(q, job->h.bits);
    job->hnext = q->buckets[b];
    q->buckets[b] = job;
    q->count++;
}

/* A mask of the classes with room, repeated for every level. */
static uint32_t open_mask(const dp__queue *q)
{
    uint32_t open = 0;
    for (int c = 0; c < DP__CLASSES; c++)
        if (q->cap[c] <= 0 || q->inflight[c] < q->cap[c])
            open |= 1u << c;
    uint32_t all = 0;
    for (int l = 0; l < DP__LEVELS; l++)
        all |= open << (l * DP__CLASSES);
    return all;
}

bool dp__queue_takeable(const dp__queue *q)
{
    return (q->nonempty & open_mask(q)) != 0;
}

dp__job *dp__queue_take(dp__queue *q)
{
    uint32_t ready = q->nonempty & open_mask(q);
    for (int level = DP__LEVELS - 1; level >= 0 && ready; level--) {
        uint32_t here = (ready & LEVEL_MASK(level)) >> (level * DP__CLASSES);
        dp__job *best = NULL;
        for (int c = 0; here; c++, here >>= 1) {
            dp__job *head = q->fifo[level][c].head;
            if ((here & 1) && (!best || head->seq < best->seq))
                best = head;
        }
        if (best) {
            fifo_unlink(q, best);
            hash_remove(q, best);
            q->count--;
            q->inflight[best->klass]++;
            return best;
        }
    }
    return NULL;
}

void dp__queue_finished(dp__queue *q, const dp__job *job)
{
    q->inflight[job->klass]--;
}

dp__job *dp__queue_find_next(dp__job *job, uint64_t h)
{
    for (; job && job->h.bits != h; job = job->hnext) {
    }
    return job;
}

dp__job *dp__queue_find(const dp__queue *q, uint64_t h)
{
    return q->nbuckets ? dp__queue_find_next(q->buckets[bucket_of(q, h)], h) : NULL;
}

void dp__queue_move(dp__queue *q, dp__job *job, int level)
{
    fifo_unlink(q, job);
    /* Relaxed: under L->lock; the worker that later reads it (job.c) takes the job under the
     * same lock. */
    atomic_store_explicit(&job->level, level, memory_order_relaxed);
    fifo_append(q, job);
}

size_t dp__queue_reprioritise(dp__queue *q, uint64_t h, int level, bool raise_only)
{
    size_t moved = 0;
    for (dp__job *j = dp__queue_find(q, h); j; j = dp__queue_find_next(j->hnext, h)) {
        /* Relaxed: under L->lock, as in fifo_append. */
        int now = atomic_load_explicit(&j->level, memory_order_relaxed);
        if (now == level || (raise_only && now > level))
            continue;
        dp__queue_move(q, j, level);
        moved++;
    }
    return moved;
}

size_t dp__queue_below(const dp__queue *q, int level)
{
    size_t n = 0;
    for (int l = 0; l < level; l++)
        n += q->at_level[l];
    return n;
}

dp__job *dp__queue_drain(dp__queue *q)
{
    dp__job *all = NULL;
    for (int l = 0; l < DP__LEVELS; l++) {
        for (int c = 0; c < DP__CLASSES; c++) {
            dp__job *j = q->fifo[l][c].head;
            while (j) {
                dp__job *next = j->next;
                j->prev = j->hnext = NULL;
                j->next = all;
                all = j;
                j = next;
            }
            q->fifo[l][c] = (dp__fifo){0};
        }
        q->at_level[l] = 0;
    }
    q->nonempty = 0;
    q->count = 0;
    for (size_t i = 0; i < q->nbuckets; i++)
        q->buckets[i] = NULL;
    return all;
}

void dp__queue_each(dp__queue *q, void (*fn)(dp__job *job, void *arg), void *arg)
{
    for (int l = 0; l < DP__LEVELS; l++)
        for (int c = 0; c < DP__CLASSES; c++)
            for (dp__job *j = q->fifo[l][c].head; j; j = j->next)
                fn(j, arg);
}
