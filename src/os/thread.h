/* thread.h — the few thread primitives depot uses, so that a port to another OS replaces
 * this header and thread.c only. POSIX threads on Linux. */
#ifndef DEPOT_OS_THREAD_H
#define DEPOT_OS_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef pthread_mutex_t dp__mutex;
typedef pthread_cond_t dp__cond;
typedef pthread_t dp__thread;

static inline void dp__mutex_init(dp__mutex *m) { pthread_mutex_init(m, NULL); }
static inline void dp__mutex_destroy(dp__mutex *m) { pthread_mutex_destroy(m); }
static inline void dp__mutex_lock(dp__mutex *m) { pthread_mutex_lock(m); }
static inline void dp__mutex_unlock(dp__mutex *m) { pthread_mutex_unlock(m); }
static inline void dp__cond_init(dp__cond *c) { pthread_cond_init(c, NULL); }
static inline void dp__cond_destroy(dp__cond *c) { pthread_cond_destroy(c); }
static inline void dp__cond_wait(dp__cond *c, dp__mutex *m) { pthread_cond_wait(c, m); }
static inline void dp__cond_signal(dp__cond *c) { pthread_cond_signal(c); }
static inline void dp__cond_broadcast(dp__cond *c) { pthread_cond_broadcast(c); }
/* A condition variable for dp__cond_wait_until (its timed waits read the monotonic clock);
 * destroyed with dp__cond_destroy. */
void dp__cond_init_monotonic(dp__cond *c);
/* Waits on c (m locked) until signalled or until dp__now_ns() reaches until_ns; false when
 * the time ran out. May return true spuriously: the caller re-checks its condition. */
bool dp__cond_wait_until(dp__cond *c, dp__mutex *m, uint64_t until_ns);

/* An id of the calling thread that can be compared with dp__thread_is_self. */
typedef pthread_t dp__thread_id;
static inline dp__thread_id dp__thread_self(void) { return pthread_self(); }
static inline bool dp__thread_is_self(dp__thread_id id) { return pthread_equal(id, pthread_self()) != 0; }

/* A small number identifying the calling thread (for holder records); never 0. */
uint64_t dp__thread_tag(void);

/* How many numbers dp__thread_number hands out at most. */
#define DP__THREAD_NUMBERS 4096u
/* A small number for the calling thread, unique among the live threads of the process and
 * given to another thread after this one exits (so that arrays indexed by it stay small):
 * the lowest one free when the thread first asks. DP__THREAD_NUMBERS if none is free (more
 * live threads than that asked) or the thread-exit hook could not be set up. Any thread;
 * after the first call, one thread-local read. */
static inline uint32_t dp__thread_number(void);
/* The calling thread's number + 1, 0 until it asked (thread.c). */
extern _Thread_local uint32_t dp__my_number __attribute__((tls_model("initial-exec")));
/* dp__thread_number's first call on a thread. */
uint32_t dp__thread_number_take(void);
static inline uint32_t dp__thread_number(void)
{
    uint32_t n = dp__my_number;
    return n ? n - 1 : dp__thread_number_take();
}

/* Starts a thread; returns 0 on success. */
int dp__thread_start(dp__thread *t, void *(*fn)(void *), void *arg);
void dp__thread_join(dp__thread t);

/* Monotonic milliseconds and nanoseconds. */
uint64_t dp__now_ms(void);
uint64_t dp__now_ns(void);
/* Sleeps about `ms` milliseconds. */
void dp__sleep_ms(unsigned ms);
/* Tells the CPU we are spinning. */
void dp__cpu_relax(void);

#endif
