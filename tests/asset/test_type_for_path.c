/* test_type_for_path.c — the type a path loads as (dp__type_for_path, which dp_load uses when
 * no type is forced): the longest registered extension after a dot wins, the first type
 * registered with an extension keeps it, a "#label" is not part of the extension, and every
 * extension is found however many are registered (past what the extension table holds, the
 * types are scanned). */
#include <stdio.h>
#include <string.h>

#include "asset/registry.h"
#include "depot/depot.h"
#include "testutil.h"

static void nothing(void *asset, void *user)
{
    (void)asset;
    (void)user;
}

static dp_type_id reg(dp_depot *dp, const char *name, const char *const *ext)
{
    dp_type t = {.name = name, .extensions = ext, .destroy = nothing};
    dp_type_id id;
    assert_int_equal(dp_register_type(dp, &t, &id), DP_OK);
    return id;
}

static int setup(void **state)
{
    dp_depot *dp;
    assert_int_equal(dp_create(&(dp_desc){0}, &dp), DP_OK);
    *state = dp;
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(dp_destroy(*state), 0);
    return 0;
}

static void test_longest_extension_after_a_dot_wins(void **state)
{
    dp_depot *dp = *state;
    static const char *const json[] = {"json", NULL};
    static const char *const sprite[] = {"sprite.json", NULL};
    dp_type_id j = reg(dp, "json", json);
    dp_type_id s = reg(dp, "sprite", sprite);
    assert_int_equal(dp__type_for_path(dp, "a/hero.sprite.json"), s);
    assert_int_equal(dp__type_for_path(dp, "a/hero.json"), j);
    assert_int_equal(dp__type_for_path(dp, "a/herosprite.json"), j); /* no dot before it */
    assert_int_equal(dp__type_for_path(dp, "sprite.json"), j); /* the dot must be there */
    assert_int_equal(dp__type_for_path(dp, "a.sprite.json/x.json"), j);
}

static void test_first_registration_keeps_an_extension(void **state)
{
    dp_depot *dp = *state;
    static const char *const ext[] = {"dat", NULL};
    dp_type_id first = reg(dp, "first", ext);
    (void)reg(dp, "second", ext);
    assert_int_equal(dp__type_for_path(dp, "x/y.dat"), first);
}

static void test_label_dots_in_folders_and_no_extension(void **state)
{
    dp_depot *dp = *state;
    static const char *const ext[] = {"png", NULL};
    dp_type_id png = reg(dp, "png", ext);
    assert_int_equal(dp__type_for_path(dp, "sheet.png#frame.dat"), png);
    assert_int_equal(dp__type_for_path(dp, "v1.2/sheet.png"), png);
    assert_int_equal(dp__type_for_path(dp, "v1.png/sheet"), 0);
    assert_int_equal(dp__type_for_path(dp, "sheet.png."), 0);
    assert_int_equal(dp__type_for_path(dp, "png"), 0);
    assert_int_equal(dp__type_for_path(dp, "sheet.PNG"), 0); /* extensions are exact */
    assert_int_equal(dp__type_for_path(dp, "sheet.pn"), 0);
    assert_int_equal(dp__type_for_path(dp, ""), 0);
}

/* 40 types of 10 extensions each: more than the table takes, every one still found, and
 * the longest match still wins once the types are scanned. */
static void test_every_extension_is_found_past_the_table(void **state)
{
    dp_depot *dp = *state;
    static char names[40][8], exts[40][10][8];
    static const char *lists[40][11];
    dp_type_id ids[40];
    for (int t = 0; t < 40; t++) {
        snprintf(names[t], sizeof names[t], "t%d", t);
        for (int e = 0; e < 10; e++) {
            snprintf(exts[t][e], sizeof exts[t][e], "e%d_%d", t, e);
            lists[t][e] = exts[t][e];
        }
        lists[t][10] = NULL;
        ids[t] = reg(dp, names[t], lists[t]);
    }
    static const char *const long_ext[] = {"x.e39_9", NULL};
    dp_type_id longer = reg(dp, "longer", long_ext);
    char path[64];
    for (int t = 0; t < 40; t++) {
        for (int e = 0; e < 10; e++) {
            snprintf(path, sizeof path, "dir/file.%s", exts[t][e]);
            assert_int_equal(dp__type_for_path(dp, path), ids[t]);
        }
    }
    assert_int_equal(dp__type_for_path(dp, "dir/file.x.e39_9"), longer);
    assert_int_equal(dp__type_for_path(dp, "dir/file.e40_0"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_longest_extension_after_a_dot_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_registration_keeps_an_extension, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_label_dots_in_folders_and_no_extension, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_every_extension_is_found_past_the_table, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
