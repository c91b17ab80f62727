/* thread.c — POSIX implementation of thread.h. */
#include "os/thread.h"

#include <time.h>

uint64_t dp__thread_tag(void)
{
    /* The address of a thread-local object is unique among live threads. */
    static _Thread_local char anchor;
    return (uint64_t)(uintptr_t)&anchor;
}

/* dp__thread_number: a bitmap of the numbers in use, under one process-wide lock taken once
 * per thread (its first call, and its exit). */
static pthread_mutex_t numbers_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t numbers_used[DP__THREAD_NUMBERS / 64];
static pthread_once_t numbers_once = PTHREAD_ONCE_INIT;
static pthread_key_t numbers_key;
static bool numbers_keyed;
_Thread_local uint32_t dp__my_number __attribute__((tls_model("initial-exec")));

/* Thread exit: the number goes back. `v` is the number + 1 (never NULL here). */
static void number_release(void *v)
{
    uint32_t n = (uint32_t)(uintptr_t)v - 1;
    pthread_mutex_lock(&numbers_lock);
    numbers_used[n / 64] &= ~(1ull << (n % 64));
    pthread_mutex_unlock(&numbers_lock);
    dp__my_number = 0;
}

static void numbers_init(void)
{
    numbers_keyed = pthread_key_create(&numbers_key, number_release) == 0;
}

uint32_t dp__thread_number_take(void)
{
    pthread_once(&numbers_once, numbers_init);
    if (!numbers_keyed)
        return DP__THREAD_NUMBERS;
    uint32_t n = DP__THREAD_NUMBERS;
    pthread_mutex_lock(&numbers_lock);
    for (uint32_t w = 0; w < DP__THREAD_NUMBERS / 64 && n == DP__THREAD_NUMBERS; w++) {
        if (~numbers_used[w]) {
            n = w * 64 + (uint32_t)__builtin_ctzll(~numbers_used[w]);
            numbers_used[w] |= 1ull << (n % 64);
        }
    }
    pthread_mutex_unlock(&numbers_lock);
    if (n == DP__THREAD_NUMBERS)
        return n;
    if (pthread_setspecific(numbers_key, (void *)(uintptr_t)(n + 1)) != 0) {
        number_release((void *)(uintptr_t)(n + 1)); /* no exit hook: do not keep it */
        return DP__THREAD_NUMBERS;
    }
    dp__my_number = n + 1;
    return n;
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
