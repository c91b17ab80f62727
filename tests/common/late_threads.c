/* late_threads.c — an LD_PRELOAD library for the test suite: every thread made with
 * pthread_create sleeps before its start routine runs, as on a loaded machine that schedules
 * new threads late. The n-th thread made (from 0) sleeps LATE_MS x (1 + n % 3) milliseconds
 * (LATE_MS from the environment, default 20), so that threads also start in another order
 * than they were made. A test that assumes a thread runs by some time, or before another,
 * fails under it; ctest runs the threaded tests of the plain build with it (label
 * "threads-late", tests/CMakeLists.txt). Never linked into depot or a test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

typedef struct late_start {
    void *(*fn)(void *);
    void *arg;
    long ms;
} late_start;

static atomic_long made;

static long late_ms(void)
{
    const char *e = getenv("LATE_MS");
    long ms = e ? atol(e) : 20;
    return ms > 0 ? ms : 0;
}

static void *run_late(void *p)
{
    late_start s = *(late_start *)p;
    free(p);
    struct timespec ts = {s.ms / 1000, (s.ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return s.fn(s.arg);
}

int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    static _Atomic(create_fn) real;
    create_fn next = atomic_load(&real);
    if (!next) {
        void *sym = dlsym(RTLD_NEXT, "pthread_create");
        memcpy(&next, &sym, sizeof next); /* POSIX: a function's address from dlsym */
        atomic_store(&real, next);
    }
    late_start *s = malloc(sizeof *s);
    if (!s)
        return EAGAIN;
    s->fn = fn;
    s->arg = arg;
    s->ms = late_ms() * (1 + atomic_fetch_add(&made, 1) % 3);
    int r = next(th, attr, run_late, s);
    if (r != 0)
        free(s);
    return r;
}
