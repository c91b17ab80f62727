/* requires: pack */
/* test_list.c — listing a folder's keys through the source interface (dp_source.list and
 * dp__source_list, which folder loading calls): a real pack made by the pack writer lists
 * the entries of a folder, directly or recursively; a mod folder and the root folder over
 * it give their union, sorted, each key once; mem:// lists with its scheme; a custom source
 * lists through its own `list` and one without it is DP_ERR_UNSUPPORTED; missing folders,
 * escapes, labels and unknown schemes are refused; names no key can hold, hidden files and
 * symbolic links are left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "load/loader.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp__loader *L;
    char dir[256], root[300], pack[300], mods[300];
    char **keys;
    size_t n;
} fx;

static void write_at(const char *folder, const char *rel, const char *text)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", folder, rel);
    assert_int_equal(dp_test_write_file(path, text, strlen(text)), 0);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    snprintf(f->root, sizeof f->root, "%s/root", f->dir);
    snprintf(f->pack, sizeof f->pack, "%s/base.dpk", f->dir);
    snprintf(f->mods, sizeof f->mods, "%s/mods", f->dir);
    write_at(f->root, "lvl/root_only.txt", "r");
    write_at(f->root, "top.txt", "t");
    write_at(f->mods, "lvl/a.txt", "mod a");
    write_at(f->mods, "lvl/mod_only.txt", "m");
    static const char *const kv[] = {"lvl/a.txt", "base a", "lvl/b.txt", "base b",
                                     "lvl/deep/c.txt", "base c", "lvlx/d.txt", "other folder",
                                     "ui/e.txt", "e", NULL};
    dp_pack_writer *w;
    assert_int_equal(dp_pack_writer_new(NULL, &w), DP_OK);
    for (const char *const *p = kv; p[0]; p += 2)
        assert_int_equal(dp_pack_writer_add(w, p[0], p[1], strlen(p[1]), 3), DP_OK);
    assert_int_equal(dp_pack_writer_save(w, f->pack), DP_OK);
    dp_pack_writer_free(w);
    assert_int_equal(dp_create(&(dp_desc){.workers = 1, .root = f->root,
                                           .allocator = &f->alloc.iface}, &f->dp), DP_OK);
    f->L = dp__loader_get(f->dp);
    assert_non_null(f->L);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp__free(f->L->alloc, f->keys);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* Lists `folder` and checks the keys against `want` (NULL-terminated, in order). */
static void expect_list(fx *f, const char *folder, bool recursive, const char *const *want)
{
    dp__free(f->L->alloc, f->keys);
    assert_int_equal(dp__source_list(f->L, folder, recursive, &f->keys, &f->n), DP_OK);
    size_t i = 0;
    for (; want[i]; i++) {
        assert_true(i < f->n);
        assert_string_equal(f->keys[i], want[i]);
    }
    assert_int_equal(f->n, i);
}

static dp_status list_status(fx *f, const char *folder)
{
    dp__free(f->L->alloc, f->keys);
    return dp__source_list(f->L, folder, true, &f->keys, &f->n);
}

/* The pack alone: the root folder has no lvl/. */
static void drop_root_lvl(const fx *f)
{
    char path[400];
    snprintf(path, sizeof path, "%s/lvl", f->root);
    dp_test_rmrf(path);
}

static void test_pack_folder_lists_only_its_direct_entries(void **state)
{
    fx *f = *state;
    drop_root_lvl(f);
    assert_int_equal(dp_mount(f->dp, "pack", f->pack, 0), DP_OK);
    /* not lvl/deep/c.txt (below), not lvlx/d.txt (a folder whose name only starts alike) */
    expect_list(f, "lvl", false, (const char *const[]){"lvl/a.txt", "lvl/b.txt", NULL});
    expect_list(f, "lvl/", false, (const char *const[]){"lvl/a.txt", "lvl/b.txt", NULL});
    expect_list(f, "lvl/deep", false, (const char *const[]){"lvl/deep/c.txt", NULL});
}

static void test_recursive_listing_reaches_every_entry_below(void **state)
{
    fx *f = *state;
    drop_root_lvl(f);
    assert_int_equal(dp_mount(f->dp, "pack", f->pack, 0), DP_OK);
    expect_list(f, "lvl", true,
                (const char *const[]){"lvl/a.txt", "lvl/b.txt", "lvl/deep/c.txt", NULL});
    expect_list(f, "", true,
                (const char *const[]){"lvl/a.txt", "lvl/b.txt", "lvl/deep/c.txt", "lvlx/d.txt",
                                      "top.txt", "ui/e.txt", NULL});
    /* The keys listed are the keys that load. */
    dp_handle h;
    assert_int_equal(dp_load_as(f->dp, f->keys[2], dp_builtins(f->dp).blob, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_memory_equal(((const dp_blob *)dp_get(f->dp, h))->bytes, "base c", 6);
    dp_release(f->dp, h);
}

static void test_mounts_and_root_list_their_union_each_key_once(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_mount(f->dp, "pack", f->pack, 0), DP_OK);
    assert_int_equal(dp_mount(f->dp, "file", f->mods, 5), DP_OK);
    /* lvl/a.txt is in the mod folder and the pack: once */
    expect_list(f, "lvl", false,
                (const char *const[]){"lvl/a.txt", "lvl/b.txt", "lvl/mod_only.txt",
                                      "lvl/root_only.txt", NULL});
    expect_list(f, "file://lvl", false,
                (const char *const[]){"lvl/a.txt", "lvl/b.txt", "lvl/mod_only.txt",
                                      "lvl/root_only.txt", NULL});
}

static void test_unmounted_pack_is_no_longer_listed(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_mount(f->dp, "pack", f->pack, 0), DP_OK);
    expect_list(f, "ui", true, (const char *const[]){"ui/e.txt", NULL});
    assert_int_equal(dp_unmount(f->dp, f->pack), DP_OK);
    assert_int_equal(list_status(f, "ui"), DP_ERR_NOT_FOUND);
    expect_list(f, "", false, (const char *const[]){"top.txt", NULL});
}

static void test_mem_folder_lists_keys_with_their_scheme(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_mem_add(f->dp, "cfg/a.json", "{}", 2), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "cfg/sub/b.json", "{}", 2), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "cfgx.json", "{}", 2), DP_OK);
    expect_list(f, "mem://cfg", false, (const char *const[]){"mem://cfg/a.json", NULL});
    expect_list(f, "mem://cfg", true,
                (const char *const[]){"mem://cfg/a.json", "mem://cfg/sub/b.json", NULL});
    assert_int_equal(list_status(f, "mem://nothing"), DP_ERR_NOT_FOUND);
}

static dp_status gen_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                          size_t *len)
{
    (void)user;
    (void)path;
    (void)cancel;
    *bytes = strdup("x");
    *len = 1;
    return DP_OK;
}

static void gen_free(void *user, void *bytes)
{
    (void)user;
    free(bytes);
}

static dp_status gen_list(void *user, const char *folder, bool recursive,
                          void (*found)(void *ctx, const char *path), void *ctx)
{
    (void)user;
    (void)recursive;
    if (strcmp(folder, "set") != 0)
        return DP_ERR_NOT_FOUND;
    found(ctx, "set/two");
    found(ctx, "set/one");
    found(ctx, "elsewhere/three"); /* not in the folder: dropped */
    found(ctx, "set/one");         /* twice: once */
    return DP_OK;
}

static void test_custom_source_lists_through_its_own_list(void **state)
{
    fx *f = *state;
    dp_source with = {.scheme = "gen", .read = gen_read, .free_bytes = gen_free,
                      .list = gen_list};
    dp_source without = {.scheme = "nolist", .read = gen_read, .free_bytes = gen_free};
    assert_int_equal(dp_register_source(f->dp, &with), DP_OK);
    assert_int_equal(dp_register_source(f->dp, &without), DP_OK);
    expect_list(f, "gen://set", true, (const char *const[]){"gen://set/one", "gen://set/two", NULL});
    assert_int_equal(list_status(f, "gen://other"), DP_ERR_NOT_FOUND);
    assert_int_equal(list_status(f, "nolist://set"), DP_ERR_UNSUPPORTED);
    /* The first version of the struct has no `list`: the field is not read. */
    assert_int_equal(dp_register_source_sized(f->dp, &(dp_source){.scheme = "old",
                         .read = gen_read, .free_bytes = gen_free, .list = gen_list},
                         offsetof(dp_source, list)), DP_OK);
    assert_int_equal(list_status(f, "old://set"), DP_ERR_UNSUPPORTED);
}

static void test_bad_folder_keys_are_refused(void **state)
{
    fx *f = *state;
    assert_int_equal(list_status(f, "nowhere"), DP_ERR_NOT_FOUND);
    assert_int_equal(list_status(f, "../root"), DP_ERR_INVALID);
    assert_int_equal(list_status(f, "/etc"), DP_ERR_INVALID);
    assert_int_equal(list_status(f, "lvl#label"), DP_ERR_INVALID);
    assert_int_equal(list_status(f, "nope://lvl"), DP_ERR_NOT_FOUND);
    assert_int_equal(dp__source_list(f->L, NULL, true, &f->keys, &f->n), DP_ERR_INVALID);
    assert_null(f->keys);
}

static void test_hidden_files_odd_names_and_symlinks_are_left_out(void **state)
{
    fx *f = *state;
    write_at(f->root, "lvl/.hidden", "h");
    write_at(f->root, "lvl/back\\slash.txt", "b");
    char target[700], link[700];
    snprintf(target, sizeof target, "%s/lvl/root_only.txt", f->root);
    snprintf(link, sizeof link, "%s/lvl/link.txt", f->root);
    assert_int_equal(symlink(target, link), 0);
    snprintf(link, sizeof link, "%s/lvl/loop", f->root);
    assert_int_equal(symlink(f->root, link), 0); /* a folder link back up: not followed */
    expect_list(f, "lvl", true, (const char *const[]){"lvl/root_only.txt", NULL});
}

static void test_a_listing_that_cannot_allocate_fails_cleanly(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_mount(f->dp, "pack", f->pack, 0), DP_OK);
    long fails = 0;
    for (long at = 1; at < 200; at++) {
        dp_test_alloc_fail_at(&f->alloc, at);
        dp_status st = list_status(f, "lvl");
        dp_test_alloc_fail_at(&f->alloc, 0);
        if (st == DP_OK)
            break;
        assert_int_equal(st, DP_ERR_NOMEM);
        assert_null(f->keys);
        fails++;
    }
    assert_true(fails > 0);
    assert_int_equal(f->n, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pack_folder_lists_only_its_direct_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recursive_listing_reaches_every_entry_below, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mounts_and_root_list_their_union_each_key_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmounted_pack_is_no_longer_listed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mem_folder_lists_keys_with_their_scheme, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_source_lists_through_its_own_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_folder_keys_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hidden_files_odd_names_and_symlinks_are_left_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_listing_that_cannot_allocate_fails_cleanly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
