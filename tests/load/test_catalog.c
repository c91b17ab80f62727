/* requires: png json */
/* test_catalog.c — stable ids and redirects: "id:0x..." loads the asset the catalog names,
 * a renamed file is found under its old key (same handle as the new key), also as the
 * dependency of a sprite that still names the old key; ids and redirects of keys with a
 * scheme (mem://) work the same; bad ids, unknown ids, redirect loops and malformed
 * catalogs give status codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    char dir[256], root[300], cat[300];
} fx;

static void put(const fx *f, const char *rel, const void *bytes, size_t len)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", f->root, rel);
    assert_int_equal(dp_test_write_file(path, bytes, len), 0);
}

static void write_catalog(const fx *f, const char *text)
{
    assert_int_equal(dp_test_write_file(f->cat, text, strlen(text)), 0);
}

static const char *good =
    "depot-catalog 1\n"
    "id\t0x00000000000000a1\t0x0000000000000001\timg/new.png\n"
    "id\t0x00000000000000b2\t0x0000000000000002\thero.sprite\n"
    "redirect\timg/old.png\timg/new.png\n";

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    snprintf(f->root, sizeof f->root, "%s/root", f->dir);
    snprintf(f->cat, sizeof f->cat, "%s/game.catalog", f->dir);
    FILE *png = fopen(DP_TEST_DATA "/rgba_4x4.png", "rb");
    assert_non_null(png);
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, png);
    fclose(png);
    put(f, "img/new.png", buf, n);
    const char *sprite = "{\"image\": \"img/old.png\", \"rect\": [0, 0, 2, 2]}";
    put(f, "hero.sprite", sprite, strlen(sprite));
    write_catalog(f, good);
    assert_int_equal(dp_create(&(dp_desc){.workers = 2, .root = f->root,
                                           .allocator = &f->alloc.iface}, &f->dp), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

static void test_id_key_loads_the_asset_the_catalog_names(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_catalog_load(f->dp, f->cat), DP_OK);
    dp_handle by_id, by_key;
    assert_int_equal(dp_load(f->dp, "id:0xa1", &by_id), DP_OK);
    assert_int_equal(dp_wait(f->dp, by_id, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_load(f->dp, "img/new.png", &by_key), DP_OK);
    assert_true(dp_handle_eq(by_id, by_key));
    assert_string_equal(dp_key_of(f->dp, by_id), "img/new.png");
    dp_release(f->dp, by_id);
    dp_release(f->dp, by_key);
}

static void test_old_key_of_a_renamed_file_gives_the_new_keys_asset(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_catalog_load(f->dp, f->cat), DP_OK);
    dp_handle old, cur;
    assert_int_equal(dp_load(f->dp, "img/old.png", &old), DP_OK);
    assert_int_equal(dp_wait(f->dp, old, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_load(f->dp, "img/new.png", &cur), DP_OK);
    assert_true(dp_handle_eq(old, cur));
    dp_release(f->dp, old);
    dp_release(f->dp, cur);
}

static void test_sprite_naming_a_renamed_image_still_loads(void **state)
{
    fx *f = *state;
    dp_handle s;
    /* Without the catalog the sprite's image is missing... */
    assert_int_equal(dp_load(f->dp, "hero.sprite", &s), DP_OK);
    assert_int_not_equal(dp_wait(f->dp, s, DP_TEST_WAIT_MS), DP_OK);
    dp_release(f->dp, s);
    dp_update(f->dp);
    dp_collect_cycles(f->dp);
    dp_update(f->dp);
    /* ...with it, the redirect finds the renamed file. */
    assert_int_equal(dp_catalog_load(f->dp, f->cat), DP_OK);
    assert_int_equal(dp_load(f->dp, "id:0xB2", &s), DP_OK);
    assert_int_equal(dp_wait(f->dp, s, DP_TEST_WAIT_MS), DP_OK);
    const dp_sprite *sp = dp_get(f->dp, s);
    assert_string_equal(dp_key_of(f->dp, sp->image), "img/new.png");
    dp_release(f->dp, s);
}

static void test_unknown_and_malformed_ids_are_status_codes(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "id:0xa1", &h), DP_ERR_NOT_FOUND); /* no catalog yet */
    assert_int_equal(dp_catalog_load(f->dp, f->cat), DP_OK);
    assert_int_equal(dp_load(f->dp, "id:0xa2", &h), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_load(f->dp, "id:a1", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "id:0x", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "id:0x00000000000000a1z", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "id:0x100000000000000a1", &h), DP_ERR_INVALID);
    assert_true(dp_handle_is_null(h));
}

static void test_ids_and_redirects_name_keys_with_a_scheme(void **state)
{
    fx *f = *state;
    write_catalog(f, "depot-catalog 1\n"
                     "id\t0x00000000000000c3\t0x0000000000000003\tmem://cfg/new.json\n"
                     "redirect\tmem://cfg/old.json\tmem://cfg/new.json\n");
    assert_int_equal(dp_catalog_load(f->dp, f->cat), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "cfg/new.json", "{}", 2), DP_OK);
    dp_handle by_id, by_old;
    dp_type_id blob = dp_builtins(f->dp).blob;
    assert_int_equal(dp_load_as(f->dp, "id:0xc3", blob, &by_id), DP_OK);
    assert_int_equal(dp_wait(f->dp, by_id, DP_TEST_WAIT_MS), DP_OK);
    assert_string_equal(dp_key_of(f->dp, by_id), "mem://cfg/new.json");
    assert_int_equal(dp_load_as(f->dp, "mem://cfg/old.json", blob, &by_old), DP_OK);
    assert_true(dp_handle_eq(by_id, by_old));
    dp_release(f->dp, by_id);
    dp_release(f->dp, by_old);
}

static void test_redirect_loop_is_invalid(void **state)
{
    fx *f = *state;
    write_catalog(f, "depot-catalog 1\nredirect\ta.png\tb.png\nredirect\tb.png\ta.png\n");
    assert_int_equal(dp_catalog_load(f->dp, f->cat), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "a.png", &h), DP_ERR_INVALID);
}

static void test_malformed_catalogs_are_refused_and_keep_the_old_one(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_catalog_load(f->dp, f->cat), DP_OK);
    const char *bad[] = {
        "",
        "depot-catalog 2\n",
        "depot-catalog 1\nid\t0xa1\t0x1\n",
        "depot-catalog 1\nid\t0xa1\t0x1\ta.png\nid\t0xa1\t0x2\tb.png\n",
        "depot-catalog 1\nid\t0xa1\t0x1\t../escape.png\n",
        "depot-catalog 1\nredirect\ta.png\tb.png\nredirect\ta.png\tc.png\n",
        "depot-catalog 1\nsomething\telse\n",
        "depot-catalog 1\nid\t0xa1\t0x1\ta.png\nid\t0xa2\t0x1\ta.png\n", /* two ids */
        "depot-catalog 1\nid\t0xa1\t0x1\t://a.png\n",
        "depot-catalog 1\nid\t0xa1\t0x1\tmem://\n",
        "depot-catalog 1\nid\t0xa1\t0x1\tm m://a\n",
        "depot-catalog 1\nid\t0xa1\t0x1\tmem://a#label\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_catalog(f, bad[i]);
        assert_int_equal(dp_catalog_load(f->dp, f->cat), DP_ERR_FORMAT);
    }
    char missing[400];
    snprintf(missing, sizeof missing, "%s/none.catalog", f->dir);
    assert_int_equal(dp_catalog_load(f->dp, missing), DP_ERR_NOT_FOUND);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "id:0xa1", &h), DP_OK); /* the good one still serves */
    dp_release(f->dp, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_id_key_loads_the_asset_the_catalog_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_key_of_a_renamed_file_gives_the_new_keys_asset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sprite_naming_a_renamed_image_still_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_malformed_ids_are_status_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_and_redirects_name_keys_with_a_scheme, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirect_loop_is_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_catalogs_are_refused_and_keep_the_old_one, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
