/* test_type_for_path_mt.c — a type registered on one thread while another looks paths up
 * (dp__type_for_path reads the extension table without a lock): the reader sees each
 * extension as not registered yet or as its type, never anything else, and once
 * dp_register_type has returned every later lookup finds it. Run under TSan. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "asset/registry.h"
#include "depot/depot.h"
#include "testutil.h"

#define NTYPES 60 /* 3 extensions each: past the table's 3/4 (the scan is raced too) */

static void nothing(void *asset, void *user)
{
    (void)asset;
    (void)user;
}

typedef struct shared {
    dp_depot *dp;
    _Atomic dp_type_id ids[NTYPES]; /* 0 until its registration returned */
    atomic_bool done;
    atomic_int wrong;
} shared;

static void *reader(void *p)
{
    shared *s = p;
    char path[64];
    while (!atomic_load(&s->done)) {
        for (int t = 0; t < NTYPES; t++) {
            dp_type_id known = atomic_load(&s->ids[t]);
            snprintf(path, sizeof path, "dir/f.e%d_%d", t, t % 3);
            dp_type_id got = dp__type_for_path(s->dp, path);
            /* registered before we looked: found; else 0 or its type (being registered) */
            if (known ? got != known : got != 0 && got != (dp_type_id)(t + 1))
                atomic_fetch_add(&s->wrong, 1);
        }
    }
    return NULL;
}

static void test_lookups_race_registrations(void **state)
{
    (void)state;
    static shared s;
    assert_int_equal(dp_create(&(dp_desc){0}, &s.dp), DP_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reader, &s), 0);
    static char names[NTYPES][8], exts[NTYPES][3][8];
    for (int t = 0; t < NTYPES; t++) {
        snprintf(names[t], sizeof names[t], "t%d", t);
        const char *list[4];
        for (int e = 0; e < 3; e++) {
            snprintf(exts[t][e], sizeof exts[t][e], "e%d_%d", t, e);
            list[e] = exts[t][e];
        }
        list[3] = NULL;
        dp_type ty = {.name = names[t], .extensions = list, .destroy = nothing};
        dp_type_id id;
        assert_int_equal(dp_register_type(s.dp, &ty, &id), DP_OK);
        assert_int_equal(id, (dp_type_id)(t + 1));
        atomic_store(&s.ids[t], id);
    }
    atomic_store(&s.done, true);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&s.wrong), 0);
    assert_int_equal(dp__type_for_path(s.dp, "x.e59_2"), 60);
    assert_int_equal(dp_destroy(s.dp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups_race_registrations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
