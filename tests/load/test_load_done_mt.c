/* test_load_done_mt.c — completion requests made on other threads while the owner pumps
 * dp_update: each is called exactly once, on the owner thread (TSan build too). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "depot/depot.h"
#include "node_type.h"
#include "testutil.h"

#define THREADS 2
#define PER_THREAD 200
#define LONG_NS (120ull * 1000000000ull)

typedef struct shared {
    dp_depot *dp;
    pthread_t owner;
    int calls[THREADS * PER_THREAD]; /* owner only */
    atomic_int wrong_thread;
    atomic_int handed;              /* requests made */
    dp_handle h[THREADS * PER_THREAD];
} shared;

typedef struct slot {
    shared *s;
    int i;
} slot;

static slot slots[THREADS * PER_THREAD];

static void on_done(void *user, dp_handle h, dp_status status)
{
    slot *k = user;
    (void)h;
    if (!pthread_equal(pthread_self(), k->s->owner))
        atomic_fetch_add(&k->s->wrong_thread, 1);
    if (status == DP_OK)
        k->s->calls[k->i]++;
    else
        k->s->calls[k->i] += 100; /* counted as wrong below */
}

static void *requester(void *arg)
{
    slot *first = arg;
    for (int j = 0; j < PER_THREAD; j++) {
        slot *k = first + j;
        char key[64];
        snprintf(key, sizeof key, "mem://n%d.node", k->i % 50); /* shared keys too */
        dp_load_opts o = {.on_done = on_done, .on_done_user = k};
        if (dp_load_ex(k->s->dp, key, &o, &k->s->h[k->i]) != DP_OK)
            return NULL;
        atomic_fetch_add(&k->s->handed, 1);
    }
    return NULL;
}

static void test_requests_from_other_threads_are_called_once_on_the_owner(void **state)
{
    (void)state;
    static shared s;
    s.owner = pthread_self();
    assert_int_equal(dp_create(&(dp_desc){.workers = 2}, &s.dp), DP_OK);
    dp_type_id node;
    assert_int_equal(dp_test_node_register(s.dp, &node), DP_OK);
    for (int i = 0; i < 50; i++) {
        char path[32];
        snprintf(path, sizeof path, "n%d.node", i);
        dp_test_node_put(s.dp, path, i % 2 ? "dep mem://n0.node" : "leaf");
    }
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS * PER_THREAD; i++)
        slots[i] = (slot){&s, i};
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, requester, &slots[i * PER_THREAD]), 0);
    uint64_t end = dp_test_now_ns() + LONG_NS;
    for (;;) {
        assert_int_equal(dp_update(s.dp), DP_OK);
        int done = 0;
        for (int i = 0; i < THREADS * PER_THREAD; i++)
            done += s.calls[i] != 0;
        if (done == THREADS * PER_THREAD)
            break;
        assert_true(dp_test_now_ns() < end);
        usleep(200);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&s.handed), THREADS * PER_THREAD);
    for (int u = 0; u < 5; u++)
        assert_int_equal(dp_update(s.dp), DP_OK);
    for (int i = 0; i < THREADS * PER_THREAD; i++)
        assert_int_equal(s.calls[i], 1);
    assert_int_equal(atomic_load(&s.wrong_thread), 0);
    for (int i = 0; i < THREADS * PER_THREAD; i++)
        dp_release(s.dp, s.h[i]);
    assert_int_equal(dp_destroy(s.dp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_from_other_threads_are_called_once_on_the_owner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
