/* requires: json */
/* test_trace_mt.c — the lifetime recorder under threads: workers retain and release while
 * the owner writes the trace again and again; every write is complete JSON with balanced
 * update pairs and no torn event (TSan: no race). Each thread's events keep their order and
 * their thread; a thread that sat idle while others wrapped the ring, or that last recorded
 * into a destroyed depot whose memory a new depot reuses, neither loses its next event nor
 * writes over another thread's. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"
#include "trace_json.h"

enum { THREADS = 4, PAIRS = 20000 };

typedef struct shared {
    dp_depot *dp;
    dp_handle h;
    atomic_int done;
} shared;

static void *worker(void *arg)
{
    shared *s = arg;
    for (int i = 0; i < PAIRS; i++) {
        assert_int_equal(dp_retain(s->dp, s->h), DP_OK);
        assert_int_equal(dp_release(s->dp, s->h), DP_OK);
    }
    atomic_fetch_add(&s->done, 1);
    return NULL;
}

static void free_obj(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)); p++)
        n++;
    return n;
}

static void test_threads_record_while_the_owner_writes_the_trace(void **state)
{
    (void)state;
    shared s = {0};
    assert_int_equal(dp_create(&(dp_desc){.trace_events = 1024}, &s.dp), DP_OK);
    dp_type_id type;
    assert_int_equal(dp_register_type(s.dp, &(dp_type){.name = "obj", .destroy = free_obj},
                                      &type), DP_OK);
    assert_int_equal(dp_add(s.dp, type, calloc(1, 4), 4, "shared", &s.h), DP_OK);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &s), 0);
    int writes = 0;
    while (atomic_load(&s.done) < THREADS || writes < 3) {
        dp_update(s.dp);
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        assert_int_equal(dp_trace_write(s.dp, m), DP_OK);
        fclose(m);
        assert_non_null(strstr(buf, "\n]}\n"));
        assert_int_equal(count(buf, "\"ph\":\"B\""), count(buf, "\"ph\":\"E\""));
        assert_int_equal(count(buf, "\"key\":\"shared\"") + count(buf, "\"key\":null"),
                         count(buf, "\"cat\":\"lifetime\""));
        free(buf);
        writes++;
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    dp_release(s.dp, s.h);
    dp_update(s.dp);
    assert_int_equal(dp_destroy(s.dp), 0);
}

/* ---- one thread's order, idle threads, reused memory -------------------------------------- */

typedef struct lane {
    dp_depot *dp;
    dp_handle h;
    const char *add;   /* if set: the lane first adds its asset under this key, of type obj */
    dp_type_id obj;
    int pairs;
    dp_test_gate gate; /* idle: after the first pair, until opened */
    bool idle;
} lane;

static void *lane_run(void *arg)
{
    lane *l = arg;
    if (l->add)
        assert_int_equal(dp_add(l->dp, l->obj, calloc(1, 4), 4, l->add, &l->h), DP_OK);
    for (int i = 0; i < l->pairs; i++) {
        assert_int_equal(dp_retain(l->dp, l->h), DP_OK);
        assert_int_equal(dp_release(l->dp, l->h), DP_OK);
        if (l->idle && i == 0)
            dp_test_gate_block(&l->gate);
    }
    return NULL;
}

static dp_handle add_obj(dp_depot *dp, const char *key)
{
    dp_handle h;
    assert_int_equal(dp_add(dp, dp_builtins(dp).blob, calloc(1, sizeof(dp_blob)), 1, key, &h),
                     DP_OK);
    return h;
}

/* The acquire and release events of `key`, in trace order: their counts and threads. */
static int lane_events(const cJSON *doc, const char *key, double *count, int *tid, int cap)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "traceEvents"))
    {
        const char *name = dp_test_ev_str(e, "name");
        if ((strcmp(name, "acquire") && strcmp(name, "release")) ||
            strcmp(dp_test_arg_str(e, "key"), key) || n == cap)
            continue;
        count[n] = dp_test_arg_num(e, "count");
        tid[n++] = cJSON_GetObjectItem(e, "tid")->valueint;
    }
    return n;
}

static void test_each_threads_events_keep_their_order_and_thread(void **state)
{
    (void)state;
    enum { N = 500 };
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.trace_events = 8192}, &dp), DP_OK);
    lane l[2] = {{.dp = dp, .h = add_obj(dp, "lane/0"), .pairs = N},
                 {.dp = dp, .h = add_obj(dp, "lane/1"), .pairs = N}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, lane_run, &l[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    cJSON *doc = dp_test_trace_json(dp);
    static double count[2 * N + 1];
    static int tid[2 * N + 1];
    int tids[2];
    for (int k = 0; k < 2; k++) {
        assert_int_equal(lane_events(doc, k ? "lane/1" : "lane/0", count, tid, 2 * N + 1), 2 * N);
        for (int i = 0; i < 2 * N; i++) {
            assert_true(count[i] == (i % 2 ? 1 : 2)); /* retain, release, retain, ... */
            assert_int_equal(tid[i], tid[0]);
        }
        tids[k] = tid[0];
    }
    assert_true(tids[0] != tids[1] && tids[0] != 1 && tids[1] != 1); /* 1: the owner */
    cJSON_Delete(doc);
    dp_release(dp, l[0].h);
    dp_release(dp, l[1].h);
    assert_int_equal(dp_destroy(dp), 0);
}

static void test_a_thread_idle_while_the_ring_wrapped_keeps_its_next_event(void **state)
{
    (void)state;
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.trace_events = 1024}, &dp), DP_OK);
    lane idle = {.dp = dp, .h = add_obj(dp, "idle"), .pairs = 2, .idle = true};
    dp_handle busy = add_obj(dp, "busy");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, lane_run, &idle), 0);
    /* it holds a claimed block */
    assert_true(dp_test_gate_wait_reached(&idle.gate, DP_TEST_WAIT_MS));
    for (int i = 0; i < 3000; i++) {
        dp_retain(dp, busy);
        dp_release(dp, busy);
    }
    dp_test_gate_open(&idle.gate);
    pthread_join(t, NULL);
    cJSON *doc = dp_test_trace_json(dp);
    double count[4];
    int tid[4];
    assert_int_equal(lane_events(doc, "idle", count, tid, 4), 2); /* the pair after the wait */
    double last_busy = -1;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "traceEvents"))
        if (!strcmp(dp_test_arg_str(e, "key"), "busy"))
            last_busy = dp_test_arg_num(e, "count");
    assert_true(last_busy == 1); /* the busy thread's newest event is still there */
    cJSON_Delete(doc);
    dp_release(dp, idle.h);
    dp_release(dp, busy);
    assert_int_equal(dp_destroy(dp), 0);
}

/* An allocator that hands a freed block back to the next request of the same size, so a
 * depot made after another one's destruction lives in the same memory. */
typedef struct reuse {
    void *freed[256];
    size_t nfreed;
} reuse;

static void *reuse_alloc(size_t size, void *user)
{
    reuse *r = user;
    for (size_t i = r->nfreed; i-- > 0;) {
        if (*((size_t *)r->freed[i] - 2) == size) {
            void *p = r->freed[i];
            r->freed[i] = r->freed[--r->nfreed];
            return p;
        }
    }
    size_t *blk = malloc(size + 2 * sizeof(size_t)); /* the size, kept 16-byte aligned */
    if (!blk)
        return NULL;
    blk[0] = size;
    return blk + 2;
}

static void reuse_free(void *p, void *user)
{
    reuse *r = user;
    if (r->nfreed < 256)
        r->freed[r->nfreed++] = p;
    else
        free((size_t *)p - 2);
}

static int count_lifetime(dp_depot *dp)
{
    cJSON *doc = dp_test_trace_json(dp);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "traceEvents"))
        n += !strcmp(dp_test_ev_str(e, "cat"), "lifetime");
    cJSON_Delete(doc);
    return n;
}

static void test_a_depot_made_in_a_destroyed_ones_memory_gets_every_threads_events(void **state)
{
    (void)state;
    reuse r = {.nfreed = 0};
    dp_allocator alloc = {.alloc = reuse_alloc, .free = reuse_free, .user = &r};
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.trace_events = 1024, .allocator = &alloc}, &dp),
                     DP_OK);
    assert_int_equal(dp_update(dp), DP_OK); /* this thread now has a block of dp's ring */
    dp_destroy(dp);
    assert_int_equal(dp_create(&(dp_desc){.trace_events = 1024, .allocator = &alloc}, &dp),
                     DP_OK);
    lane other = {.dp = dp, .add = "other", .pairs = 40};
    assert_int_equal(dp_register_type(dp, &(dp_type){.name = "obj", .destroy = free_obj},
                                      &other.obj), DP_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, lane_run, &other), 0);
    pthread_join(t, NULL); /* its 81 events are past the positions this thread had */
    dp_retain(dp, other.h);
    dp_release(dp, other.h);
    assert_int_equal(count_lifetime(dp), 1 + 80 + 2);
    dp_release(dp, other.h);
    dp_destroy(dp);
    for (size_t i = 0; i < r.nfreed; i++)
        free((size_t *)r.freed[i] - 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_record_while_the_owner_writes_the_trace),
        cmocka_unit_test(test_each_threads_events_keep_their_order_and_thread),
        cmocka_unit_test(test_a_thread_idle_while_the_ring_wrapped_keeps_its_next_event),
        cmocka_unit_test(test_a_depot_made_in_a_destroyed_ones_memory_gets_every_threads_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
