/* requires: png */
/* test_load_watch.c — hot reload with dp_desc.watch: an edited file reloads with one
 * MODIFIED event, the new data is visible after it, the old data is destroyed exactly one
 * update later; quick successive writes and a rename-over save give one reload. Issue 9,
 * defect 10: a file whose first load failed is reloaded once it is fixed; hot reload keeps
 * working after the file's folder is deleted and made again; freed assets stop being
 * watched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "load/loader.h" /* the watcher's table size, to see freed assets leave it */
#include "testutil.h"


typedef struct text {
    char s[32];
} text;

typedef struct fx {
    dp_test_alloc alloc;
    char dir[256];
    dp_depot *dp;
    dp_type_id text_type;
    atomic_int destroys;
} fx;

static dp_status text_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    const dp_allocator *a = dp_ctx_allocator(ctx);
    text *t = a->alloc(sizeof *t, a->user);
    if (!t)
        return DP_ERR_NOMEM;
    memset(t, 0, sizeof *t);
    memcpy(t->s, bytes, len < sizeof t->s - 1 ? len : sizeof t->s - 1);
    *asset = t;
    *asset_bytes = sizeof *t;
    return DP_OK;
}

static void text_destroy(void *asset, void *user)
{
    fx *f = user;
    atomic_fetch_add(&f->destroys, 1);
    f->alloc.iface.free(asset, f->alloc.iface.user);
}

static void put(fx *f, const char *name, const void *bytes, size_t n)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", f->dir, name);
    assert_int_equal(dp_test_write_file(p, bytes, n), 0);
}

static void put_data(fx *f, const char *from, const char *to)
{
    char src[512], buf[4096];
    snprintf(src, sizeof src, "%s/%s", DP_TEST_DATA, from);
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    put(f, to, buf, n);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    put_data(f, "rgba_4x4.png", "pic.png");
    put(f, "note.text", "v1", 2);
    dp_desc d = {.root = f->dir, .workers = 1, .watch = true, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const ext[] = {"text", NULL};
    dp_type t = {.name = "text", .extensions = ext, .load = text_load, .destroy = text_destroy,
                 .user = f};
    assert_int_equal(dp_register_type(f->dp, &t, &f->text_type), DP_OK);
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

/* Number of MODIFIED events for h in the last update. */
static int modified_now(fx *f, dp_handle h)
{
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev);
    int m = 0;
    for (size_t i = 0; i < n; i++)
        m += ev[i].kind == DP_EV_MODIFIED && dp_handle_eq(ev[i].handle, h);
    return m;
}

/* Updates until a MODIFIED for h arrives (true) or the bound passes (false). */
static bool until_modified(fx *f, dp_handle h)
{
    uint64_t end = dp_test_now_ns() + (uint64_t)DP_TEST_WAIT_MS * 1000000u;
    while (dp_test_now_ns() < end) {
        dp_update(f->dp);
        if (modified_now(f, h))
            return true;
        usleep(2000);
    }
    return false;
}

/* Counts MODIFIED events for h over `ms` of updates. */
static int modified_during(fx *f, dp_handle h, int ms)
{
    int m = 0;
    uint64_t end = dp_test_now_ns() + (uint64_t)ms * 1000000u;
    while (dp_test_now_ns() < end) {
        dp_update(f->dp);
        m += modified_now(f, h);
        usleep(2000);
    }
    return m;
}

static void test_edited_png_reloads_with_new_pixels_after_modified(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "pic.png", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(((dp_image *)dp_get(f->dp, h))->width, 4);
    usleep(100000); /* the watch is in place (added when the load applied) */
    put_data(f, "rgb_3x2.png", "pic.png");
    assert_true(until_modified(f, h));
    dp_image *img = dp_get(f->dp, h);
    assert_non_null(img);
    assert_int_equal(img->width, 3);
    assert_int_equal(img->height, 2);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_LOADED);
    dp_release(f->dp, h);
}

static void test_old_data_is_destroyed_exactly_one_update_after_modified(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "note.text", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    text *old = dp_get(f->dp, h);
    assert_string_equal(old->s, "v1");
    usleep(100000);
    put(f, "note.text", "v2", 2);
    assert_true(until_modified(f, h));
    /* The update that swapped: new data visible, old data alive for this frame. */
    assert_string_equal(((text *)dp_get(f->dp, h))->s, "v2");
    assert_int_equal(atomic_load(&f->destroys), 0);
    assert_string_equal(old->s, "v1"); /* still readable (ASan would object) */
    dp_update(f->dp);
    assert_int_equal(atomic_load(&f->destroys), 1); /* the following update */
    dp_update(f->dp);
    assert_int_equal(atomic_load(&f->destroys), 1);
    dp_release(f->dp, h);
    dp_update(f->dp);
    assert_int_equal(atomic_load(&f->destroys), 2);
}

static void test_quick_successive_writes_give_one_reload(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "note.text", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    usleep(100000);
    const char *v[] = {"w1", "w2", "w3", "w4", "w5"};
    for (int i = 0; i < 5; i++)
        put(f, "note.text", v[i], 2);
    assert_true(until_modified(f, h));
    assert_string_equal(((text *)dp_get(f->dp, h))->s, "w5");
    assert_int_equal(modified_during(f, h, 400), 0); /* no second reload */
    dp_release(f->dp, h);
}

static void test_rename_over_save_gives_one_reload(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "note.text", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    usleep(100000);
    put(f, "note.text.tmp", "r1", 2);
    char from[512], to[512];
    snprintf(from, sizeof from, "%s/note.text.tmp", f->dir);
    snprintf(to, sizeof to, "%s/note.text", f->dir);
    assert_int_equal(rename(from, to), 0);
    assert_true(until_modified(f, h));
    assert_string_equal(((text *)dp_get(f->dp, h))->s, "r1");
    assert_int_equal(modified_during(f, h, 400), 0);
    /* The file is still watched after the rename: a second edit reloads again. */
    put(f, "note.text", "r2", 2);
    assert_true(until_modified(f, h));
    assert_string_equal(((text *)dp_get(f->dp, h))->s, "r2");
    dp_release(f->dp, h);
}

/* Updates until h's state is `want` (true) or the bound passes (false). */
static bool until_state(fx *f, dp_handle h, dp_state want)
{
    uint64_t end = dp_test_now_ns() + (uint64_t)DP_TEST_WAIT_MS * 1000000u;
    while (dp_test_now_ns() < end) {
        dp_update(f->dp);
        if (dp_state_of(f->dp, h) == want)
            return true;
        usleep(2000);
    }
    return false;
}

static void test_a_file_whose_first_load_failed_reloads_when_it_is_fixed(void **state)
{
    fx *f = *state;
    dp_handle h, g;
    assert_int_equal(dp_load(f->dp, "late.text", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_load(f->dp, "later/late.text", &g), DP_OK); /* folder missing too */
    assert_int_equal(dp_wait(f->dp, g, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    put(f, "late.text", "fixed", 5);
    assert_true(until_state(f, h, DP_STATE_LOADED));
    assert_string_equal(((text *)dp_get(f->dp, h))->s, "fixed");
    put(f, "later/late.text", "made", 4);
    assert_true(until_state(f, g, DP_STATE_LOADED));
    assert_string_equal(((text *)dp_get(f->dp, g))->s, "made");
    dp_release(f->dp, h);
    dp_release(f->dp, g);
}

static void test_hot_reload_survives_its_folder_being_deleted_and_made_again(void **state)
{
    fx *f = *state;
    put(f, "sub/n.text", "v1", 2);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "sub/n.text", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/sub", f->dir);
    dp_test_rmrf(sub); /* a clean step, a checkout */
    modified_during(f, h, 200); /* the watcher sees its folder go */
    put(f, "sub/n.text", "v2", 2);
    assert_true(until_modified(f, h));
    uint64_t end = dp_test_now_ns() + (uint64_t)DP_TEST_WAIT_MS * 1000000u;
    while (strcmp(((text *)dp_get(f->dp, h))->s, "v2") && dp_test_now_ns() < end)
        until_modified(f, h);
    assert_string_equal(((text *)dp_get(f->dp, h))->s, "v2");
    modified_during(f, h, 200);
    put(f, "sub/n.text", "v3", 2); /* and it stays watched */
    assert_true(until_modified(f, h));
    assert_string_equal(((text *)dp_get(f->dp, h))->s, "v3");
    dp_release(f->dp, h);
}

static void test_freed_assets_stop_being_watched(void **state)
{
    fx *f = *state;
    dp__loader *L = dp__loader_get(f->dp);
    assert_non_null(L);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "note.text", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp__watch_count(L->watch), 1);
    dp_release(f->dp, h);
    dp_update(f->dp);
    dp_update(f->dp);
    assert_int_equal(dp__watch_count(L->watch), 0);
    /* Loaded anew, it is watched anew. */
    assert_int_equal(dp_load(f->dp, "note.text", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp__watch_count(L->watch), 1);
    put(f, "note.text", "v2", 2);
    assert_true(until_modified(f, h));
    dp_release(f->dp, h);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_edited_png_reloads_with_new_pixels_after_modified),
        T(test_old_data_is_destroyed_exactly_one_update_after_modified),
        T(test_quick_successive_writes_give_one_reload),
        T(test_rename_over_save_gives_one_reload),
        T(test_a_file_whose_first_load_failed_reloads_when_it_is_fixed),
        T(test_hot_reload_survives_its_folder_being_deleted_and_made_again),
        T(test_freed_assets_stop_being_watched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
