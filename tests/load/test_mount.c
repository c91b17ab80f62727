/* requires: pack */
/* test_mount.c — mounts with overlay order: a key resolves through the mounted packs and
 * folders, highest priority first, then the root; a patch pack or a mod folder overrides a
 * base pack without changing keys; unmounting is deferred (live assets keep their data, new
 * loads skip the mount); hot reload works for mounted folders, also when a mod file appears
 * over a pack entry; a corrupt entry fails its load with DP_ERR_FORMAT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    char dir[256];
    char root[300], base[300], patch[300], mods[300];
    dp_type_id blob;
} fx;

static void write_at(const fx *f, const char *folder, const char *rel, const char *text)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", folder, rel);
    assert_int_equal(dp_test_write_file(path, text, strlen(text)), 0);
}

/* A pack at `out` holding pairs of (key, text), NULL-terminated. */
static void make_pack(const char *out, const char *const *kv)
{
    dp_pack_writer *w;
    assert_int_equal(dp_pack_writer_new(NULL, &w), DP_OK);
    for (; kv[0]; kv += 2)
        assert_int_equal(dp_pack_writer_add(w, kv[0], kv[1], strlen(kv[1]), 3), DP_OK);
    assert_int_equal(dp_pack_writer_save(w, out), DP_OK);
    dp_pack_writer_free(w);
}

static void start(fx *f, bool watch)
{
    assert_int_equal(dp_create(&(dp_desc){.workers = 2, .root = f->root, .watch = watch,
                                           .allocator = &f->alloc.iface}, &f->dp), DP_OK);
    f->blob = dp_builtins(f->dp).blob;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    snprintf(f->root, sizeof f->root, "%s/root", f->dir);
    snprintf(f->base, sizeof f->base, "%s/base.dpk", f->dir);
    snprintf(f->patch, sizeof f->patch, "%s/patch.dpk", f->dir);
    snprintf(f->mods, sizeof f->mods, "%s/mods", f->dir);
    write_at(f, f->root, "a.txt", "root a");
    write_at(f, f->root, "only_root.txt", "root only");
    write_at(f, f->mods, "b.txt", "mod b");
    make_pack(f->base, (const char *const[]){"a.txt", "base a", "b.txt", "base b",
                                             "c.txt", "base c", NULL});
    make_pack(f->patch, (const char *const[]){"a.txt", "patch a", NULL});
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->dp)
        assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* Loads key as a blob and returns its text (valid while h is held). */
static const char *text_of(fx *f, const char *key, dp_handle *h)
{
    assert_int_equal(dp_load_as(f->dp, key, f->blob, h), DP_OK);
    assert_int_equal(dp_wait(f->dp, *h, DP_TEST_WAIT_MS), DP_OK);
    return (const char *)((const dp_blob *)dp_get(f->dp, *h))->bytes;
}

static void expect(fx *f, const char *key, const char *want)
{
    dp_handle h;
    assert_string_equal(text_of(f, key, &h), want);
    dp_release(f->dp, h);
    dp_update(f->dp); /* freed: the next load of the key reads again */
}

static void test_key_resolves_through_the_highest_priority_mount(void **state)
{
    fx *f = *state;
    start(f, false);
    assert_int_equal(dp_mount(f->dp, "pack", f->base, 0), DP_OK);
    assert_int_equal(dp_mount(f->dp, "pack", f->patch, 10), DP_OK);
    expect(f, "a.txt", "patch a");
    expect(f, "b.txt", "base b");
}

static void test_priority_not_mount_order_decides(void **state)
{
    fx *f = *state;
    start(f, false);
    assert_int_equal(dp_mount(f->dp, "pack", f->patch, 10), DP_OK);
    assert_int_equal(dp_mount(f->dp, "pack", f->base, 0), DP_OK);
    expect(f, "a.txt", "patch a");
}

static void test_mod_folder_overrides_one_file_of_a_base_pack(void **state)
{
    fx *f = *state;
    start(f, false);
    assert_int_equal(dp_mount(f->dp, "pack", f->base, 0), DP_OK);
    assert_int_equal(dp_mount(f->dp, "file", f->mods, 5), DP_OK);
    expect(f, "b.txt", "mod b");
    expect(f, "a.txt", "base a");
    expect(f, "c.txt", "base c");
}

static void test_keys_no_mount_has_come_from_the_root(void **state)
{
    fx *f = *state;
    start(f, false);
    assert_int_equal(dp_mount(f->dp, "pack", f->base, 0), DP_OK);
    expect(f, "only_root.txt", "root only");
    expect(f, "a.txt", "base a"); /* any mount is above the root */
    dp_handle h;
    assert_int_equal(dp_load_as(f->dp, "nowhere.txt", f->blob, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    dp_release(f->dp, h);
}

static void test_unmount_is_deferred_live_assets_keep_their_data(void **state)
{
    fx *f = *state;
    start(f, false);
    assert_int_equal(dp_mount(f->dp, "pack", f->base, 0), DP_OK);
    assert_int_equal(dp_mount(f->dp, "pack", f->patch, 10), DP_OK);
    dp_handle h;
    assert_string_equal(text_of(f, "a.txt", &h), "patch a");
    assert_int_equal(dp_unmount(f->dp, f->patch), DP_OK);
    dp_update(f->dp);
    assert_string_equal((const char *)((const dp_blob *)dp_get(f->dp, h))->bytes, "patch a");
    /* A reload resolves through what is mounted now. */
    assert_int_equal(dp_reload(f->dp, h), DP_OK);
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        if (!strcmp((const char *)((const dp_blob *)dp_get(f->dp, h))->bytes, "base a"))
            break;
        usleep(1000);
    }
    assert_string_equal((const char *)((const dp_blob *)dp_get(f->dp, h))->bytes, "base a");
    dp_release(f->dp, h);
    assert_int_equal(dp_unmount(f->dp, f->patch), DP_ERR_NOT_FOUND);
}

static void test_mount_errors_are_status_codes(void **state)
{
    fx *f = *state;
    start(f, false);
    char missing[400], corrupt[400];
    snprintf(missing, sizeof missing, "%s/none.dpk", f->dir);
    snprintf(corrupt, sizeof corrupt, "%s/corrupt.dpk", f->dir);
    assert_int_equal(dp_test_write_file(corrupt, "DPAK but not really a pack at all", 33), 0);
    assert_int_equal(dp_mount(f->dp, "zip", f->base, 0), DP_ERR_INVALID);
    assert_int_equal(dp_mount(f->dp, "pack", missing, 0), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_mount(f->dp, "pack", corrupt, 0), DP_ERR_FORMAT);
    assert_int_equal(dp_mount(f->dp, "file", missing, 0), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_mount(f->dp, "pack", f->base, 0), DP_OK);
    assert_int_equal(dp_mount(f->dp, "pack", f->base, 3), DP_ERR_EXISTS);
    assert_int_equal(dp_unmount(f->dp, missing), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_mount(NULL, "pack", f->base, 0), DP_ERR_INVALID);
}

typedef struct other_call {
    fx *f;
    dp_status mount, unmount, catalog, cache;
} other_call;

static void *call_from_another_thread(void *arg)
{
    other_call *c = arg;
    c->mount = dp_mount(c->f->dp, "pack", c->f->patch, 1);
    c->unmount = dp_unmount(c->f->dp, c->f->base);
    c->catalog = dp_catalog_load(c->f->dp, c->f->base);
    c->cache = dp_http_cache(c->f->dp, &(dp_http_cache_desc){.dir = c->f->dir});
    return NULL;
}

static void test_owner_only_functions_refuse_other_threads(void **state)
{
    fx *f = *state;
    start(f, false);
    assert_int_equal(dp_mount(f->dp, "pack", f->base, 0), DP_OK);
    other_call c = {.f = f};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, call_from_another_thread, &c), 0);
    pthread_join(t, NULL);
    assert_int_equal(c.mount, DP_ERR_WRONG_THREAD);
    assert_int_equal(c.unmount, DP_ERR_WRONG_THREAD);
    assert_int_equal(c.catalog, DP_ERR_WRONG_THREAD);
    assert_true(c.cache == DP_ERR_WRONG_THREAD || c.cache == DP_ERR_NOT_FOUND /* no curl */);
    expect(f, "a.txt", "base a"); /* nothing changed */
}

static void test_corrupt_entry_in_a_mounted_pack_fails_with_format(void **state)
{
    fx *f = *state;
    /* Flip one byte of the first entry's data (right after the 64-byte header). */
    FILE *p = fopen(f->base, "r+b");
    assert_non_null(p);
    fseek(p, 64, SEEK_SET);
    int c = fgetc(p);
    fseek(p, 64, SEEK_SET);
    fputc(c ^ 0x40, p);
    fclose(p);
    start(f, false);
    assert_int_equal(dp_mount(f->dp, "pack", f->base, 0), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load_as(f->dp, "a.txt", f->blob, &h), DP_OK); /* data in key order */
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
    assert_null(dp_get(f->dp, h));
    dp_release(f->dp, h);
}

/* Pumps until the blob of h reads `want` (a MODIFIED swap), or gives up after DP_TEST_WAIT_MS. */
static bool wait_text(fx *f, dp_handle h, const char *want)
{
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        const dp_blob *b = dp_get(f->dp, h);
        if (b && !strcmp((const char *)b->bytes, want))
            return true;
        usleep(1000);
    }
    return false;
}

static void test_hot_reload_works_for_a_mounted_folder(void **state)
{
    fx *f = *state;
    start(f, true);
    assert_int_equal(dp_mount(f->dp, "file", f->mods, 5), DP_OK);
    dp_handle h;
    assert_string_equal(text_of(f, "b.txt", &h), "mod b");
    write_at(f, f->mods, "b.txt", "mod b v2");
    assert_true(wait_text(f, h, "mod b v2"));
    dp_release(f->dp, h);
}

static void test_a_mod_file_dropped_over_a_pack_entry_reloads_the_asset(void **state)
{
    fx *f = *state;
    start(f, true);
    assert_int_equal(dp_mount(f->dp, "pack", f->base, 0), DP_OK);
    assert_int_equal(dp_mount(f->dp, "file", f->mods, 5), DP_OK);
    dp_handle h;
    assert_string_equal(text_of(f, "c.txt", &h), "base c");
    write_at(f, f->mods, "c.txt", "mod c");
    assert_true(wait_text(f, h, "mod c"));
    dp_release(f->dp, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_resolves_through_the_highest_priority_mount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_not_mount_order_decides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mod_folder_overrides_one_file_of_a_base_pack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_no_mount_has_come_from_the_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmount_is_deferred_live_assets_keep_their_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mount_errors_are_status_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_only_functions_refuse_other_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_entry_in_a_mounted_pack_fails_with_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hot_reload_works_for_a_mounted_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_mod_file_dropped_over_a_pack_entry_reloads_the_asset, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
