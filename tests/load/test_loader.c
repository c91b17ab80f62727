/* requires: png json */
/* test_loader.c — loading from real files: images, sprites and bundles with shared
 * dependencies, failures, escapes, memory blobs, labels, reload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    char dir[256];
    dp_depot *dp;
} fx;

static void copy_data(fx *f, const char *from, const char *to)
{
    char src[512], dst[512];
    snprintf(src, sizeof src, "%s/%s", DP_TEST_DATA, from);
    snprintf(dst, sizeof dst, "%s/%s", f->dir, to);
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    assert_int_equal(dp_test_write_file(dst, buf, n), 0);
}

static void write_text(fx *f, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", f->dir, name);
    assert_int_equal(dp_test_write_file(p, text, strlen(text)), 0);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    copy_data(f, "rgba_4x4.png", "img/a.png");
    copy_data(f, "rgb_3x2.png", "img/b.png");
    copy_data(f, "truncated.png", "img/bad.png");
    write_text(f, "hero.sprite", "{\"image\": \"img/a.png\", \"rect\": [0, 0, 2, 2]}");
    write_text(f, "ui.sprite", "{\"image\": \"img/a.png\", \"rect\": [2, 2, 2, 2]}");
    write_text(f, "level1.bundle", "{\"assets\": [\"hero.sprite\", \"ui.sprite\", \"img/b.png\"]}");
    write_text(f, "broken.bundle", "{\"assets\": [\"hero.sprite\", \"img/bad.png\"]}");
    dp_desc d = {.root = f->dir, .workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->dp)
        dp_destroy(f->dp);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

static void test_load_png_gives_rgba_image(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "img/a.png", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    dp_image *img = dp_get(f->dp, h);
    assert_non_null(img);
    assert_int_equal(img->width, 4);
    assert_int_equal(img->height, 4);
    assert_int_equal(dp_type_of(f->dp, h), dp_builtins(f->dp).image);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_bundle_loads_members_and_shares_image(void **state)
{
    fx *f = *state;
    dp_handle b;
    assert_int_equal(dp_load(f->dp, "level1.bundle", &b), DP_OK);
    assert_int_equal(dp_wait(f->dp, b, DP_TEST_WAIT_MS), DP_OK);
    dp_bundle *bd = dp_get(f->dp, b);
    assert_non_null(bd);
    assert_int_equal(bd->count, 3);
    dp_sprite *hero = dp_get(f->dp, bd->members[0]), *ui = dp_get(f->dp, bd->members[1]);
    assert_non_null(hero);
    assert_non_null(ui);
    assert_true(dp_handle_eq(hero->image, ui->image)); /* one image, two sprites */
    assert_int_equal(dp_count(f->dp, hero->image), 2);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, b);
    dp_update(f->dp);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0); /* bundle, 2 sprites, 2 images */
    assert_int_equal(st.freed_total, 5);
}

static void test_failed_dependency_fails_parent_deep_state(void **state)
{
    fx *f = *state;
    dp_handle b;
    assert_int_equal(dp_load(f->dp, "broken.bundle", &b), DP_OK);
    assert_int_equal(dp_wait(f->dp, b, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
    assert_int_equal(dp_state_of(f->dp, b), DP_STATE_LOADED);
    assert_int_equal(dp_state_deep(f->dp, b), DP_STATE_FAILED);
    dp_release(f->dp, b);
}

static void test_missing_file_fails_not_found(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "img/none.png", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_FAILED);
    dp_release(f->dp, h);
}

static void test_path_escape_is_refused_before_opening(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "../etc/passwd.png", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "/etc/passwd.png", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "img/../../x.png", &h), DP_ERR_INVALID);
    char link[512];
    snprintf(link, sizeof link, "%s/out.png", f->dir);
    assert_int_equal(symlink(DP_TEST_DATA "/rgba_4x4.png", link), 0);
    assert_int_equal(dp_load(f->dp, "out.png", &h), DP_ERR_INVALID); /* a symlink leading out */
    assert_true(dp_handle_is_null(h));
}

static void test_same_key_gives_same_handle(void **state)
{
    fx *f = *state;
    dp_handle a, b, c;
    dp_load(f->dp, "img/a.png", &a);
    dp_load(f->dp, "img/a.png", &b);
    dp_load(f->dp, "file://img/a.png", &c);
    assert_true(dp_handle_eq(a, b));
    assert_true(dp_handle_eq(a, c));
    assert_int_equal(dp_count(f->dp, a), 3);
    for (int i = 0; i < 3; i++)
        dp_release(f->dp, a);
}

static void test_mem_source_and_blob(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_mem_add(f->dp, "hello.txt", "hi there", 8), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "mem://hello.txt", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    dp_blob *b = dp_get(f->dp, h);
    assert_int_equal(b->size, 8);
    assert_memory_equal(b->bytes, "hi there", 8);
    dp_release(f->dp, h);
}

static void test_release_while_loading_discards_result(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "level1.bundle", &h), DP_OK);
    dp_release(f->dp, h);
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        dp_stats st;
        dp_get_stats(f->dp, &st);
        if (st.pending_jobs == 0 && st.live_assets == 0)
            break;
        usleep(2000);
    }
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(st.pending_jobs, 0);
}

static void test_reload_swaps_data_with_modified_event(void **state)
{
    fx *f = *state;
    dp_handle h;
    dp_load(f->dp, "img/a.png", &h);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    copy_data(f, "rgb_3x2.png", "img/a.png");
    assert_int_equal(dp_reload(f->dp, h), DP_OK);
    int modified = 0;
    for (uint64_t t0 = dp_test_now_ns(); !modified && dp_test_waiting(t0);) {
        dp_update(f->dp);
        const dp_event *ev;
        size_t n = dp_events(f->dp, &ev);
        for (size_t k = 0; k < n; k++)
            modified += ev[k].kind == DP_EV_MODIFIED && dp_handle_eq(ev[k].handle, h);
        usleep(1000);
    }
    assert_int_equal(modified, 1);
    dp_image *img = dp_get(f->dp, h);
    assert_int_equal(img->width, 3);
    dp_release(f->dp, h);
}

static void test_a_loaded_asset_announces_loaded_exactly_once(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "level1.bundle", &h), DP_OK);
    int loaded = 0, deep = 0, after = 0;
    /* Until the deep load, then 10 updates more: a late second announcement counts too. */
    for (uint64_t t0 = dp_test_now_ns(); after < 10 && dp_test_waiting(t0);) {
        after += deep > 0;
        dp_update(f->dp);
        const dp_event *ev;
        size_t n = dp_events(f->dp, &ev);
        for (size_t k = 0; k < n; k++) {
            loaded += ev[k].kind == DP_EV_LOADED && dp_handle_eq(ev[k].handle, h);
            deep += ev[k].kind == DP_EV_LOADED_DEEP && dp_handle_eq(ev[k].handle, h);
        }
        usleep(1000);
    }
    assert_int_equal(deep, 1);
    assert_int_equal(loaded, 1);
    dp_release(f->dp, h);
}

/* A root settles in the deep state's fast pass (no parents) and leaves a stale entry on the
 * waiting list; given a pending dependency afterwards it is deep-PENDING again and back on
 * the list beside its stale entry: it must settle again once the dependency loads,
 * announcing LOADED_DEEP at most once per update. */
static void test_a_settled_root_given_a_pending_dependency_settles_again(void **state)
{
    fx *f = *state;
    dp_handle h, k;
    assert_int_equal(dp_load(f->dp, "img/a.png", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_state_deep(f->dp, h), DP_STATE_LOADED);
    assert_int_equal(dp_load(f->dp, "img/b.png", &k), DP_OK);
    assert_int_equal(dp_depend(f->dp, h, k), DP_OK);
    int most = 0;
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        const dp_event *ev;
        size_t n = dp_events(f->dp, &ev);
        int deep = 0;
        for (size_t e = 0; e < n; e++)
            deep += ev[e].kind == DP_EV_LOADED_DEEP && dp_handle_eq(ev[e].handle, h);
        most = deep > most ? deep : most;
        if (dp_state_of(f->dp, k) == DP_STATE_LOADED && dp_state_deep(f->dp, h) == DP_STATE_LOADED)
            break;
        usleep(1000);
    }
    assert_int_equal(dp_state_deep(f->dp, k), DP_STATE_LOADED);
    assert_int_equal(dp_state_deep(f->dp, h), DP_STATE_LOADED);
    assert_true(most <= 1);
    dp_release(f->dp, k);
    dp_release(f->dp, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_png_gives_rgba_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundle_loads_members_and_shares_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_dependency_fails_parent_deep_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_fails_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_escape_is_refused_before_opening, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_key_gives_same_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mem_source_and_blob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_while_loading_discards_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_swaps_data_with_modified_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_loaded_asset_announces_loaded_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_settled_root_given_a_pending_dependency_settles_again, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
