/* requires: pack */
/* test_pack_mt.c — one open pack read by many threads at once (pread, no shared position,
 * no lock): every thread gets every entry's exact bytes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/pack.h"
#include "testutil.h"

#define ENTRIES 64
#define THREADS 8
#define ROUNDS 20

static unsigned char content[ENTRIES][2048];
static size_t content_len[ENTRIES];
static dp_pack *pack;
static atomic_int mismatches;

static void *reader(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < ENTRIES; k++) {
            int i = (int)((k + seed * 7u) % ENTRIES);
            char key[64];
            snprintf(key, sizeof key, "dir%d/entry%d.bin", i % 4, i);
            size_t index;
            void *bytes;
            size_t len;
            if (dp_pack_find(pack, key, &index) != DP_OK ||
                dp_pack_read(pack, index, &bytes, &len) != DP_OK) {
                atomic_fetch_add(&mismatches, 1);
                continue;
            }
            if (len != content_len[i] || memcmp(bytes, content[i], len) != 0)
                atomic_fetch_add(&mismatches, 1);
            dp_pack_free(pack, bytes);
        }
    }
    return NULL;
}

static void test_many_threads_read_one_pack_at_once(void **state)
{
    (void)state;
    char dir[256], path[512];
    dp_test_mkdtemp(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/many.dpk", dir);
    dp_pack_writer *w;
    assert_int_equal(dp_pack_writer_new(NULL, &w), DP_OK);
    for (int i = 0; i < ENTRIES; i++) {
        content_len[i] = 100 + (size_t)i * 29;
        for (size_t b = 0; b < content_len[i]; b++) /* half compressible, half not */
            content[i][b] = i % 2 ? (unsigned char)(b * 2654435761u >> 13) : (unsigned char)(b % 7);
        char key[64];
        snprintf(key, sizeof key, "dir%d/entry%d.bin", i % 4, i);
        assert_int_equal(dp_pack_writer_add(w, key, content[i], content_len[i], 3), DP_OK);
    }
    assert_int_equal(dp_pack_writer_save(w, path), DP_OK);
    dp_pack_writer_free(w);
    assert_int_equal(dp_pack_open(path, NULL, &pack), DP_OK);
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&mismatches), 0);
    dp_pack_close(pack);
    dp_test_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_threads_read_one_pack_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
