/* queue.h — the loader's job queue: one FIFO per (priority level, concurrency class), so a
 * worker takes the oldest job of the highest priority whose class has room, in constant time
 * (4 levels x 8 classes, found through a bit mask), and a slow class (network) can never
 * occupy every worker while other classes wait. Queued jobs are also hashed by handle, so
 * dp_set_priority and a dependency found queued are re-prioritised without a scan.
 *
 * Every function here runs under the loader's lock (dp__loader.lock); the queue itself
 * does no locking. A job's `level` is an atomic only because its worker reads it without
 * the lock (a dependency inherits it); it is written under the lock. */
#ifndef DEPOT_LOAD_QUEUE_H
#define DEPOT_LOAD_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/alloc.h"
#include "depot/load.h"

#define DP__LEVELS 4  /* DP_PRIORITY_LOW .. DP_PRIORITY_IMMEDIATE, as level = priority + 1 */
#define DP__CLASSES DP_CLASS_COUNT /* concurrency classes, dp_load_class */

struct dp__job;

typedef struct dp__fifo {
    struct dp__job *head, *tail;
} dp__fifo;

typedef struct dp__queue {
    const dp_allocator *alloc;
    dp__fifo fifo[DP__LEVELS][DP__CLASSES];
    uint32_t nonempty;           /* bit level * DP__CLASSES + class: that FIFO has jobs */
    int inflight[DP__CLASSES];   /* taken and not finished, per class */
    int cap[DP__CLASSES];        /* most in flight per class; 0 = no cap */
    size_t at_level[DP__LEVELS]; /* queued jobs per level */
    uint64_t seq;                /* arrival counter: FIFO within a level across classes */
    struct dp__job **buckets;    /* queued jobs by handle (chained through hnext) */
    size_t nbuckets, count;
} dp__queue;

/* The level of a public priority, or -1 if it is not a dp_priority. */
int dp__priority_level(int priority);

/* DP_OK or DP_ERR_NOMEM (then nothing is held). */
dp_status dp__queue_init(dp__queue *q, const dp_allocator *a);
/* Frees the hash table; the jobs are the caller's (drain them first). */
void dp__queue_fini(dp__queue *q);

/* Appends a job at its level and class (job->level and job->klass set). Never fails: a
 * hash table that cannot grow gets longer chains. */
void dp__queue_push(dp__queue *q, struct dp__job *job);
/* True if some queued job's class has room. */
bool dp__queue_takeable(const dp__queue *q);
/* Removes and returns the oldest job of the highest level whose class has room (counted in
 * flight for its class until dp__queue_finished), or NULL. */
struct dp__job *dp__queue_take(dp__queue *q);
/* A taken job is done: its class has room for one more. */
void dp__queue_finished(dp__queue *q, const struct dp__job *job);

/* The first queued job of handle bits h, or NULL; the next one of the same handle. */
struct dp__job *dp__queue_find(const dp__queue *q, uint64_t h);
struct dp__job *dp__queue_find_next(struct dp__job *job, uint64_t h);
/* Moves a queued job to `level` (it queues behind the jobs already there). */
void dp__queue_move(dp__queue *q, struct dp__job *job, int level);
/* Sets the queued jobs of h to `level` (raise_only: only those below it). How many moved. */
size_t dp__queue_reprioritise(dp__queue *q, uint64_t h, int level, bool raise_only);
/* Queued jobs at levels below `level`. */
size_t dp__queue_below(const dp__queue *q, int level);

/* Empties the queue and returns its jobs chained through `next` (in no particular order). */
struct dp__job *dp__queue_drain(dp__queue *q);
/* Calls fn for every queued job. */
void dp__queue_each(dp__queue *q, void (*fn)(struct dp__job *job, void *arg), void *arg);

#endif
