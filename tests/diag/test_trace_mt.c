/* test_trace_mt.c — the lifetime recorder under threads: workers retain and release while
 * the owner writes the trace again and again; every write is complete JSON with balanced
 * update pairs and no torn event, and the recorder counts every event (TSan: no race). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_record_while_the_owner_writes_the_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
