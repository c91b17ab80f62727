/* requires: pack */
/* test_mount_mt.c — many workers load from one mounted pack at once; unmounting while
 * those loads are in flight is safe (the pack stays open until the last read through it
 * ends) and every load settles either with the pack's bytes or NOT_FOUND. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

#define KEYS 200

static void test_many_workers_load_from_one_pack_and_unmount_mid_flight(void **state)
{
    (void)state;
    dp_test_alloc alloc;
    dp_test_alloc_init(&alloc);
    char dir[256], pack[400];
    dp_test_mkdtemp(dir, sizeof dir);
    snprintf(pack, sizeof pack, "%s/many.dpk", dir);
    dp_pack_writer *w;
    assert_int_equal(dp_pack_writer_new(NULL, &w), DP_OK);
    for (int i = 0; i < KEYS; i++) {
        char key[64], text[600];
        snprintf(key, sizeof key, "k/%d.txt", i);
        int n = snprintf(text, sizeof text, "entry %d:", i);
        for (int r = 0; r < 40; r++) /* long enough to be compressed */
            n += snprintf(text + n, sizeof text - (size_t)n, " %d", i);
        assert_int_equal(dp_pack_writer_add(w, key, text, strlen(text), 3), DP_OK);
    }
    assert_int_equal(dp_pack_writer_save(w, pack), DP_OK);
    dp_pack_writer_free(w);

    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){.workers = 4, .root = dir,
                                           .allocator = &alloc.iface}, &dp), DP_OK);
    dp_type_id blob = dp_builtins(dp).blob;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(dp_mount(dp, "pack", pack, 0), DP_OK);
        dp_handle h[KEYS];
        for (int i = 0; i < KEYS; i++) {
            char key[64];
            snprintf(key, sizeof key, "k/%d.txt", i);
            assert_int_equal(dp_load_as(dp, key, blob, &h[i]), DP_OK);
            if (round == 1 && i == KEYS / 2)
                assert_int_equal(dp_unmount(dp, pack), DP_OK); /* loads still in flight */
        }
        for (int i = 0; i < KEYS; i++) {
            dp_status st = dp_wait(dp, h[i], DP_TEST_WAIT_MS);
            if (round == 0 || st == DP_OK) {
                assert_int_equal(st, DP_OK);
                char want[32];
                snprintf(want, sizeof want, "entry %d:", i);
                const dp_blob *b = dp_get(dp, h[i]);
                assert_memory_equal(b->bytes, want, strlen(want));
            } else {
                assert_int_equal(st, DP_ERR_NOT_FOUND); /* read after the unmount */
            }
            dp_release(dp, h[i]);
        }
        dp_update(dp);
        if (round == 0)
            assert_int_equal(dp_unmount(dp, pack), DP_OK);
    }
    assert_int_equal(dp_destroy(dp), 0);
    assert_int_equal(atomic_load(&alloc.live), 0);
    dp_test_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_workers_load_from_one_pack_and_unmount_mid_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
