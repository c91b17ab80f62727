/* thread.c — POSIX implementation of thread.h. */
#include "os/thread.h"

#include <time.h>

uint64_t dp__thread_tag(void)
{
    /* The address of a thread-local object is unique among live threads. */
    static _Thread_local char anchor;
    return (uint64_t)(uintptr_t)&anchor;
}

int dp__thread_start(dp__thread *t, void *(*fn)(void *), void *arg)
{
    return pthread_create(t, NULL, fn, arg);
}

void dp__thread_join(dp__thread t)
{
    pthread_join(t, NULL);
}

void dp__cond_init_monotonic(dp__cond *c)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}

bool dp__cond_wait_until(dp__cond *c, dp__mutex *m, uint64_t until_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(until_ns / 1000000000ull),
                          .tv_nsec = (long)(until_ns % 1000000000ull)};
    return pthread_cond_timedwait(c, m, &ts) == 0;
}

uint64_t dp__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t dp__now_ms(void)
{
    return dp__now_ns() / 1000000ull;
}

void dp__sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void dp__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
