/* requires: png json */
/* test_load_files.c — dp_load over real files in a temp directory: the PNG set with corrupt
 * and truncated copies, sprites and bundles sharing dependencies, missing files, a cycle of
 * bundles, path escapes, forced types, unknown extensions and schemes, "./" dependencies;
 * and the error codes of dp_state, dp_state_deep, dp_wait, dp_get and dp_reload. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"


typedef struct fx {
    dp_test_alloc alloc;
    char dir[256];
    char outside[256]; /* a second temp dir, outside the root */
    dp_depot *dp;
    dp_event ev[512];
    size_t nev;
} fx;

static void on_events(void *user, const dp_event *e, size_t n)
{
    fx *f = user;
    for (size_t i = 0; i < n && f->nev < 512; i++)
        f->ev[f->nev++] = e[i];
}

static size_t count_events(const fx *f, dp_event_kind kind, dp_handle h, dp_status *st)
{
    size_t c = 0;
    for (size_t i = 0; i < f->nev; i++) {
        if (f->ev[i].kind == kind && dp_handle_eq(f->ev[i].handle, h)) {
            c++;
            if (st)
                *st = f->ev[i].status;
        }
    }
    return c;
}

static size_t read_data(const char *name, void *buf, size_t cap)
{
    char src[512];
    snprintf(src, sizeof src, "%s/%s", DP_TEST_DATA, name);
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    size_t n = fread(buf, 1, cap, in);
    fclose(in);
    return n;
}

static void put_bytes(const char *dir, const char *name, const void *b, size_t n)
{
    char dst[512];
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    assert_int_equal(dp_test_write_file(dst, b, n), 0);
}

static void copy_data(fx *f, const char *from, const char *to)
{
    static char buf[1 << 16];
    size_t n = read_data(from, buf, sizeof buf);
    put_bytes(f->dir, to, buf, n);
}

static void write_text(fx *f, const char *name, const char *text)
{
    put_bytes(f->dir, name, text, strlen(text));
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    dp_test_mkdtemp(f->outside, sizeof f->outside);
    copy_data(f, "rgba_4x4.png", "img/a.png");
    copy_data(f, "rgb_3x2.png", "img/b.png");
    copy_data(f, "palette_trns_4x2.png", "img/pal.png");
    copy_data(f, "grey_5x3.png", "img/grey.png");
    copy_data(f, "corrupt_crc.png", "bad/crc.png");
    copy_data(f, "corrupt_zlib.png", "bad/zlib.png");
    copy_data(f, "truncated.png", "bad/trunc.png");
    copy_data(f, "oversized_20000x20000.png", "bad/huge.png");
    /* A truncated copy of a good file, made here. */
    static char buf[4096];
    size_t n = read_data("rgba_4x4.png", buf, sizeof buf);
    put_bytes(f->dir, "bad/half.png", buf, n / 2);
    put_bytes(f->dir, "bad/empty.png", "", 0);
    write_text(f, "hero.sprite", "{\"image\": \"img/a.png\", \"rect\": [0, 0, 2, 2]}");
    write_text(f, "ui.sprite", "{\"image\": \"img/a.png\", \"rect\": [2, 2, 2, 2]}");
    write_text(f, "one.bundle", "{\"assets\": [\"hero.sprite\", \"img/b.png\"]}");
    write_text(f, "two.bundle", "{\"assets\": [\"ui.sprite\", \"img/b.png\", \"img/grey.png\"]}");
    write_text(f, "lost.sprite", "{\"image\": \"img/none.png\", \"rect\": [0, 0, 1, 1]}");
    write_text(f, "cyc/a.bundle", "{\"assets\": [\"cyc/b.bundle\", \"img/a.png\"]}");
    write_text(f, "cyc/b.bundle", "{\"assets\": [\"cyc/a.bundle\"]}");
    copy_data(f, "rgb_3x2.png", "sub/pic.png");
    write_text(f, "sub/rel.sprite", "{\"image\": \"./pic.png\", \"rect\": [1, 0, 2, 2]}");
    write_text(f, "notes.xyz", "plain text");
    dp_desc d = {.root = f->dir, .workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    assert_int_equal(dp_listen(f->dp, on_events, f), DP_OK);
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
    dp_test_rmrf(f->outside);
    free(f);
    return 0;
}

/* Runs updates until nothing is pending or live beyond `live`, bounded. */
static void settle(fx *f, size_t live)
{
    dp_stats st;
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        dp_get_stats(f->dp, &st);
        if (st.pending_jobs == 0 && st.live_assets == live)
            return;
        usleep(1000);
    }
}

static size_t live_of_type(fx *f, dp_type_id t)
{
    size_t count = 0, bytes = 0;
    assert_int_equal(dp_type_stats(f->dp, t, &count, &bytes), DP_OK);
    return count;
}

/* ---- images ------------------------------------------------------------------------------ */

static void expect_image(fx *f, const char *key, uint32_t w, uint32_t h)
{
    dp_handle a;
    assert_int_equal(dp_load(f->dp, key, &a), DP_OK);
    assert_int_equal(dp_wait(f->dp, a, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_state_of(f->dp, a), DP_STATE_LOADED);
    assert_int_equal(dp_state_deep(f->dp, a), DP_STATE_LOADED);
    dp_image *img = dp_get(f->dp, a);
    assert_non_null(img);
    assert_int_equal(img->width, w);
    assert_int_equal(img->height, h);
    assert_non_null(img->pixels);
    assert_int_equal(dp_bytes_of(f->dp, a), sizeof *img + (size_t)w * h * 4);
    assert_int_equal(count_events(f, DP_EV_LOADED, a, NULL), 1);
    assert_int_equal(count_events(f, DP_EV_LOADED_DEEP, a, NULL), 1);
    assert_int_equal(dp_release(f->dp, a), DP_OK);
}

static void test_valid_pngs_load_as_rgba_images_of_their_size(void **state)
{
    fx *f = *state;
    expect_image(f, "img/a.png", 4, 4);
    expect_image(f, "img/b.png", 3, 2);
    expect_image(f, "img/pal.png", 4, 2);
    expect_image(f, "img/grey.png", 5, 3);
    settle(f, 0);
}

static void test_palette_png_with_transparency_expands_to_rgba(void **state)
{
    fx *f = *state;
    dp_handle a;
    assert_int_equal(dp_load(f->dp, "img/pal.png", &a), DP_OK);
    assert_int_equal(dp_wait(f->dp, a, DP_TEST_WAIT_MS), DP_OK);
    dp_image *img = dp_get(f->dp, a);
    /* At least one pixel carries the tRNS transparency: alpha below 255. */
    int transparent = 0;
    for (uint32_t i = 0; i < img->width * img->height; i++)
        transparent += img->pixels[i * 4 + 3] != 255;
    assert_true(transparent > 0);
    dp_release(f->dp, a);
}

static void expect_format_failure(fx *f, const char *key)
{
    dp_handle a;
    assert_int_equal(dp_load(f->dp, key, &a), DP_OK);
    assert_int_equal(dp_wait(f->dp, a, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
    assert_int_equal(dp_state_of(f->dp, a), DP_STATE_FAILED);
    assert_int_equal(dp_state_deep(f->dp, a), DP_STATE_FAILED);
    assert_int_equal(dp_failure_of(f->dp, a), DP_ERR_FORMAT);
    assert_null(dp_get(f->dp, a));
    dp_status st = DP_OK;
    assert_int_equal(count_events(f, DP_EV_FAILED, a, &st), 1);
    assert_int_equal(st, DP_ERR_FORMAT);
    assert_int_equal(count_events(f, DP_EV_LOADED, a, NULL), 0);
    assert_int_equal(dp_release(f->dp, a), DP_OK);
}

static void test_corrupt_truncated_and_oversized_pngs_fail_with_format(void **state)
{
    fx *f = *state;
    expect_format_failure(f, "bad/crc.png");
    expect_format_failure(f, "bad/zlib.png");
    expect_format_failure(f, "bad/trunc.png");
    expect_format_failure(f, "bad/half.png");
    expect_format_failure(f, "bad/empty.png");
    expect_format_failure(f, "bad/huge.png");
    settle(f, 0);
}

static void test_missing_file_fails_with_not_found(void **state)
{
    fx *f = *state;
    dp_handle a;
    assert_int_equal(dp_load(f->dp, "img/none.png", &a), DP_OK);
    assert_int_equal(dp_wait(f->dp, a, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_state_of(f->dp, a), DP_STATE_FAILED);
    assert_int_equal(dp_failure_of(f->dp, a), DP_ERR_NOT_FOUND);
    dp_release(f->dp, a);
    settle(f, 0);
}

static void test_sprite_with_missing_image_is_loaded_but_deep_failed(void **state)
{
    fx *f = *state;
    dp_handle s;
    assert_int_equal(dp_load(f->dp, "lost.sprite", &s), DP_OK);
    assert_int_equal(dp_wait(f->dp, s, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_state_of(f->dp, s), DP_STATE_LOADED);
    assert_int_equal(dp_state_deep(f->dp, s), DP_STATE_FAILED);
    /* The parent's own load succeeded; dp_failure_of names the failed dependency's status. */
    assert_int_equal(dp_failure_of(f->dp, s), DP_ERR_NOT_FOUND);
    dp_release(f->dp, s);
    settle(f, 0);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
}

/* ---- sprites and bundles ------------------------------------------------------------------ */

static void test_bundles_share_members_loaded_once(void **state)
{
    fx *f = *state;
    dp_builtin_types bt = dp_builtins(f->dp);
    dp_handle one, two;
    assert_int_equal(dp_load(f->dp, "one.bundle", &one), DP_OK);
    assert_int_equal(dp_load(f->dp, "two.bundle", &two), DP_OK);
    assert_int_equal(dp_wait(f->dp, one, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_wait(f->dp, two, DP_TEST_WAIT_MS), DP_OK);
    /* img/a.png (under both sprites), img/b.png (in both bundles), img/grey.png. */
    assert_int_equal(live_of_type(f, bt.image), 3);
    assert_int_equal(live_of_type(f, bt.sprite), 2);
    assert_int_equal(live_of_type(f, bt.bundle), 2);
    dp_handle a, b, grey;
    assert_int_equal(dp_find(f->dp, "img/a.png", &a), DP_OK);
    assert_int_equal(dp_find(f->dp, "img/b.png", &b), DP_OK);
    assert_int_equal(dp_find(f->dp, "img/grey.png", &grey), DP_OK);
    assert_int_equal(dp_count(f->dp, a), 2 + 1);    /* two sprites + our find */
    assert_int_equal(dp_count(f->dp, b), 2 + 1);    /* two bundles + our find */
    assert_int_equal(dp_count(f->dp, grey), 1 + 1); /* one bundle + our find */
    assert_int_equal(count_events(f, DP_EV_LOADED, a, NULL), 1);
    assert_int_equal(count_events(f, DP_EV_LOADED, b, NULL), 1);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
    dp_release(f->dp, grey);
    assert_int_equal(dp_check(f->dp), DP_OK);

    /* Releasing one bundle keeps what the other uses. */
    dp_bundle *bd = dp_get(f->dp, one);
    dp_handle hero = bd->members[0];
    assert_int_equal(dp_release(f->dp, one), DP_OK);
    dp_update(f->dp);
    dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, one), DP_STATE_INVALID);
    assert_int_equal(dp_state_of(f->dp, hero), DP_STATE_INVALID);
    assert_int_equal(live_of_type(f, bt.image), 3);
    assert_int_equal(live_of_type(f, bt.sprite), 1);
    assert_int_equal(dp_state_deep(f->dp, two), DP_STATE_LOADED);
    assert_int_equal(dp_count(f->dp, a), 1); /* ui.sprite only */
    assert_int_equal(dp_count(f->dp, b), 1); /* two.bundle only */
    assert_int_equal(dp_check(f->dp), DP_OK);

    dp_release(f->dp, two);
    settle(f, 0);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(st.freed_total, 7);
}

static void test_bundle_cycle_loads_deep_and_is_collected_after_release(void **state)
{
    fx *f = *state;
    dp_handle a;
    assert_int_equal(dp_load(f->dp, "cyc/a.bundle", &a), DP_OK);
    assert_int_equal(dp_wait(f->dp, a, DP_TEST_WAIT_MS), DP_OK);
    dp_handle b;
    assert_int_equal(dp_find(f->dp, "cyc/b.bundle", &b), DP_OK);
    assert_int_equal(dp_wait(f->dp, b, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_state_deep(f->dp, a), DP_STATE_LOADED);
    assert_int_equal(dp_state_deep(f->dp, b), DP_STATE_LOADED);
    assert_int_equal(dp_count(f->dp, a), 2); /* us + b's edge */
    assert_int_equal(dp_count(f->dp, b), 2); /* our find + a's edge */
    dp_release(f->dp, b);
    dp_release(f->dp, a);
    dp_update(f->dp);
    assert_int_equal(dp_collect_cycles(f->dp), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, a), DP_STATE_INVALID);
    assert_int_equal(dp_state_of(f->dp, b), DP_STATE_INVALID);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0); /* the image under a went too */
    assert_true(st.cycles_collected >= 2);
}

static void test_bundle_cycle_is_collected_by_updates_alone(void **state)
{
    fx *f = *state;
    dp_handle a;
    assert_int_equal(dp_load(f->dp, "cyc/a.bundle", &a), DP_OK);
    assert_int_equal(dp_wait(f->dp, a, DP_TEST_WAIT_MS), DP_OK);
    dp_release(f->dp, a);
    settle(f, 0);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
}

static void test_dot_slash_dependency_resolves_against_the_sprite_folder(void **state)
{
    fx *f = *state;
    dp_handle s;
    assert_int_equal(dp_load(f->dp, "sub/rel.sprite", &s), DP_OK);
    assert_int_equal(dp_wait(f->dp, s, DP_TEST_WAIT_MS), DP_OK);
    dp_sprite *sp = dp_get(f->dp, s);
    assert_non_null(sp);
    assert_int_equal(sp->x, 1);
    assert_int_equal(sp->w, 2);
    dp_handle pic;
    assert_int_equal(dp_find(f->dp, "sub/pic.png", &pic), DP_OK);
    assert_true(dp_handle_eq(pic, sp->image));
    assert_string_equal(dp_key_of(f->dp, pic), "sub/pic.png");
    dp_image *img = dp_get(f->dp, pic);
    assert_int_equal(img->width, 3);
    dp_release(f->dp, pic);
    dp_release(f->dp, s);
    settle(f, 0);
}

/* ---- keys ---------------------------------------------------------------------------------- */

static void test_dot_dot_and_absolute_paths_are_refused_invalid(void **state)
{
    fx *f = *state;
    dp_handle h = {12345};
    assert_int_equal(dp_load(f->dp, "../x.png", &h), DP_ERR_INVALID);
    assert_true(dp_handle_eq(h, DP_NULL_HANDLE));
    assert_int_equal(dp_load(f->dp, "img/../../x.png", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "img/../a.png", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "/etc/passwd.png", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "file:///etc/passwd.png", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "file://../x.png", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "", &h), DP_ERR_INVALID);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(st.pending_jobs, 0);
}

static void test_symlink_to_a_fifo_outside_is_refused_by_dp_load_without_opening_it(void **state)
{
    fx *f = *state;
    char fifo[512], link[512];
    snprintf(fifo, sizeof fifo, "%s/trap.png", f->outside);
    snprintf(link, sizeof link, "%s/trap.png", f->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(symlink(fifo, link), 0);
    dp_handle h;
    /* Refused by dp_load itself, as load.h says (issue 9, defect 7: it used to be accepted
     * and fail later on the worker). */
    dp_status st = dp_load(f->dp, "trap.png", &h);
    assert_true(dp_handle_is_null(h));
    for (int i = 0; i < 3; i++)
        dp_update(f->dp);
    /* No reader ever opened the FIFO: a non-blocking writer finds none (ENXIO). */
    int wfd = open(fifo, O_WRONLY | O_NONBLOCK);
    int err = errno;
    if (wfd >= 0)
        close(wfd); /* a reader was blocked in open: this released it */
    assert_int_equal(wfd, -1);
    assert_int_equal(err, ENXIO);
    assert_int_equal(st, DP_ERR_INVALID);
    assert_int_equal(dp_find(f->dp, "trap.png", &h), DP_ERR_NOT_FOUND);
}

static void test_symlinked_folder_leading_out_is_refused_by_dp_load(void **state)
{
    fx *f = *state;
    put_bytes(f->outside, "x.png", "not read", 8);
    char link[512];
    snprintf(link, sizeof link, "%s/out", f->dir);
    assert_int_equal(symlink(f->outside, link), 0);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "out/x.png", &h), DP_ERR_INVALID);
    assert_true(dp_handle_is_null(h));
    assert_int_equal(dp_load(f->dp, "out/missing.png", &h), DP_ERR_INVALID);
    assert_int_equal(dp_load(f->dp, "out/x.png#label", &h), DP_ERR_INVALID);
    assert_int_equal(dp_find(f->dp, "out/x.png#label", &h), DP_ERR_NOT_FOUND);
}

/* dp_load remembers the folders it found inside the root until the next dp_update
 * (os/path_dirs.h): a symlink added to such a folder is still seen. */
static void test_symlink_added_to_a_folder_loaded_from_this_frame_is_refused_by_dp_load(
    void **state)
{
    fx *f = *state;
    put_bytes(f->outside, "x.png", "not read", 8);
    dp_handle a, h;
    assert_int_equal(dp_load(f->dp, "img/a.png", &a), DP_OK);
    char target[512], link[512];
    snprintf(target, sizeof target, "%s/x.png", f->outside);
    snprintf(link, sizeof link, "%s/img/out.png", f->dir);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(dp_load(f->dp, "img/out.png", &h), DP_ERR_INVALID);
    assert_true(dp_handle_is_null(h));
    dp_release(f->dp, a);
}

/* Swaps the root's folder `sub` for a symlink to the outside folder. */
static void swap_sub_for_link_out(fx *f)
{
    char from[512], to[512];
    snprintf(from, sizeof from, "%s/sub", f->dir);
    snprintf(to, sizeof to, "%s/sub.old", f->dir);
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(symlink(f->outside, from), 0);
}

static void test_folder_swapped_for_a_symlink_out_is_refused_by_dp_load_after_an_update(
    void **state)
{
    fx *f = *state;
    put_bytes(f->outside, "x.png", "not read", 8);
    dp_handle a, h;
    assert_int_equal(dp_load(f->dp, "sub/pic.png", &a), DP_OK);
    swap_sub_for_link_out(f);
    dp_update(f->dp);
    assert_int_equal(dp_load(f->dp, "sub/x.png", &h), DP_ERR_INVALID);
    assert_true(dp_handle_is_null(h));
    dp_release(f->dp, a);
}

static void test_folder_swapped_for_a_symlink_out_within_a_frame_is_never_read(void **state)
{
    fx *f = *state;
    static char png[4096]; /* a valid image, so only the path check can refuse it */
    put_bytes(f->outside, "x.png", png, read_data("rgb_3x2.png", png, sizeof png));
    dp_handle a, h;
    assert_int_equal(dp_load(f->dp, "sub/pic.png", &a), DP_OK);
    swap_sub_for_link_out(f);
    /* dp_load may answer from the folder it remembers; the worker's own check refuses it. */
    dp_status st = dp_load(f->dp, "sub/x.png", &h);
    if (st == DP_OK) {
        assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_INVALID);
        assert_null(dp_get(f->dp, h));
        dp_release(f->dp, h);
    } else {
        assert_int_equal(st, DP_ERR_INVALID);
    }
    dp_release(f->dp, a);
}

static void test_symlink_inside_the_root_pointing_inside_is_allowed(void **state)
{
    fx *f = *state;
    char target[512], link[512];
    snprintf(target, sizeof target, "%s/img/a.png", f->dir);
    snprintf(link, sizeof link, "%s/alias.png", f->dir);
    assert_int_equal(symlink(target, link), 0);
    snprintf(link, sizeof link, "%s/imgs", f->dir);
    assert_int_equal(symlink("img", link), 0); /* relative link to a folder */
    dp_handle h, g;
    assert_int_equal(dp_load(f->dp, "alias.png", &h), DP_OK);
    assert_int_equal(dp_load(f->dp, "imgs/b.png", &g), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_wait(f->dp, g, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(((dp_image *)dp_get(f->dp, h))->width, 4);
    assert_int_equal(((dp_image *)dp_get(f->dp, g))->width, 3);
    dp_release(f->dp, h);
    dp_release(f->dp, g);
}

static void test_load_as_forces_the_type_and_conflicts_with_another(void **state)
{
    fx *f = *state;
    dp_builtin_types bt = dp_builtins(f->dp);
    dp_handle n;
    assert_int_equal(dp_load_as(f->dp, "notes.xyz", bt.blob, &n), DP_OK);
    assert_int_equal(dp_wait(f->dp, n, DP_TEST_WAIT_MS), DP_OK);
    dp_blob *b = dp_get(f->dp, n);
    assert_int_equal(b->size, 10);
    assert_memory_equal(b->bytes, "plain text", 10);
    /* A PNG read raw. */
    dp_handle raw;
    assert_int_equal(dp_load_as(f->dp, "img/a.png", bt.blob, &raw), DP_OK);
    assert_int_equal(dp_wait(f->dp, raw, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_type_of(f->dp, raw), bt.blob);
    assert_memory_equal(((dp_blob *)dp_get(f->dp, raw))->bytes, "\x89PNG", 4);
    /* The same key with its natural type is another type: EXISTS, nothing held. */
    dp_handle img = {777};
    assert_int_equal(dp_load(f->dp, "img/a.png", &img), DP_ERR_EXISTS);
    assert_true(dp_handle_eq(img, DP_NULL_HANDLE));
    assert_int_equal(dp_count(f->dp, raw), 1);
    /* Same forced type: the same asset. */
    dp_handle again;
    assert_int_equal(dp_load_as(f->dp, "img/a.png", bt.blob, &again), DP_OK);
    assert_true(dp_handle_eq(again, raw));
    assert_int_equal(dp_load_as(f->dp, "img/a.png", 0, &again), DP_ERR_INVALID);
    assert_int_equal(dp_load_as(f->dp, "img/a.png", 200, &again), DP_ERR_INVALID);
    dp_release(f->dp, raw);
    dp_release(f->dp, raw);
    dp_release(f->dp, n);
    settle(f, 0);
}

static void test_unknown_extension_and_unknown_scheme_are_not_found(void **state)
{
    fx *f = *state;
    dp_handle h = {99};
    assert_int_equal(dp_load(f->dp, "notes.xyz", &h), DP_ERR_NOT_FOUND);
    assert_true(dp_handle_eq(h, DP_NULL_HANDLE));
    assert_int_equal(dp_load(f->dp, "noext", &h), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_load(f->dp, "gopher://host/a.png", &h), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_load(f->dp, "ftp://host/a.png", &h), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_load(f->dp, "://a.png", &h), DP_ERR_NOT_FOUND); /* empty scheme */
    assert_int_equal(dp_load(f->dp, "a:b://a.png", &h), DP_ERR_NOT_FOUND);
    /* a "://" after the first '/' is part of a file path (here an empty component) */
    assert_int_equal(dp_load(f->dp, "img/mem://a.png", &h), DP_ERR_INVALID);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
}

/* ---- the state API -------------------------------------------------------------------------- */

static void test_get_is_null_and_state_pending_until_the_update_that_applies(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "img/a.png", &h), DP_OK);
    /* No update yet: nothing can have been applied. */
    assert_null(dp_get(f->dp, h));
    dp_state s = dp_state_of(f->dp, h);
    assert_true(s == DP_STATE_PENDING || s == DP_STATE_LOADING);
    assert_int_equal(dp_state_deep(f->dp, h), DP_STATE_PENDING);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_non_null(dp_get(f->dp, h));
    dp_release(f->dp, h);
}

static void test_null_and_stale_handles_have_invalid_state(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_state_of(f->dp, DP_NULL_HANDLE), DP_STATE_INVALID);
    assert_int_equal(dp_state_deep(f->dp, DP_NULL_HANDLE), DP_STATE_INVALID);
    assert_null(dp_get(f->dp, DP_NULL_HANDLE));
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "img/a.png", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    dp_release(f->dp, h);
    dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_INVALID);
    assert_int_equal(dp_state_deep(f->dp, h), DP_STATE_INVALID);
    assert_null(dp_get(f->dp, h));
    assert_int_equal(dp_wait(f->dp, h, 100), DP_ERR_STALE);
    assert_int_equal(dp_wait(f->dp, DP_NULL_HANDLE, 100), DP_ERR_STALE);
    assert_int_equal(dp_reload(f->dp, h), DP_ERR_STALE);
    assert_int_equal(dp_reload(f->dp, DP_NULL_HANDLE), DP_ERR_STALE);
}

static void test_reload_of_a_keyless_asset_is_invalid(void **state)
{
    fx *f = *state;
    dp_builtin_types bt = dp_builtins(f->dp);
    dp_blob *b = f->alloc.iface.alloc(sizeof *b, f->alloc.iface.user);
    b->size = 0;
    b->bytes = NULL;
    dp_handle h;
    assert_int_equal(dp_add(f->dp, bt.blob, b, sizeof *b, NULL, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK); /* a run-time asset is loaded */
    assert_int_equal(dp_reload(f->dp, h), DP_ERR_INVALID);
    dp_release(f->dp, h);
}

typedef struct thread_call {
    fx *f;
    dp_handle h;
    dp_status wait, reload;
} thread_call;

static void *call_owner_only(void *arg)
{
    thread_call *c = arg;
    c->wait = dp_wait(c->f->dp, c->h, 100);
    c->reload = dp_reload(c->f->dp, c->h);
    return NULL;
}

static void test_wait_and_reload_from_another_thread_are_wrong_thread(void **state)
{
    fx *f = *state;
    thread_call c = {.f = f};
    assert_int_equal(dp_load(f->dp, "img/a.png", &c.h), DP_OK);
    assert_int_equal(dp_wait(f->dp, c.h, DP_TEST_WAIT_MS), DP_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, call_owner_only, &c), 0);
    pthread_join(t, NULL);
    assert_int_equal(c.wait, DP_ERR_WRONG_THREAD);
    assert_int_equal(c.reload, DP_ERR_WRONG_THREAD);
    dp_release(f->dp, c.h);
}

/* A source whose read blocks until the test opens the gate (or the job is cancelled). */
static atomic_bool gate;

static dp_status gated_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                            size_t *len)
{
    (void)user;
    (void)path;
    while (!atomic_load(&gate) && !dp_cancelled(cancel))
        usleep(1000);
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;
    char *b = malloc(4);
    memcpy(b, "abc", 4);
    *bytes = b;
    *len = 3;
    return DP_OK;
}

static void gated_free(void *user, void *bytes)
{
    (void)user;
    free(bytes);
}

static void test_wait_times_out_on_a_load_that_cannot_finish_in_time(void **state)
{
    fx *f = *state;
    atomic_store(&gate, false);
    dp_source src = {.scheme = "gated", .read = gated_read, .free_bytes = gated_free};
    assert_int_equal(dp_register_source(f->dp, &src), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "gated://x.txt", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, 50), DP_ERR_TIMEOUT);
    assert_int_equal(dp_state_deep(f->dp, h), DP_STATE_PENDING);
    assert_null(dp_get(f->dp, h));
    atomic_store(&gate, true);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    dp_blob *b = dp_get(f->dp, h);
    assert_memory_equal(b->bytes, "abc", 3);
    dp_release(f->dp, h);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_valid_pngs_load_as_rgba_images_of_their_size),
        T(test_palette_png_with_transparency_expands_to_rgba),
        T(test_corrupt_truncated_and_oversized_pngs_fail_with_format),
        T(test_missing_file_fails_with_not_found),
        T(test_sprite_with_missing_image_is_loaded_but_deep_failed),
        T(test_bundles_share_members_loaded_once),
        T(test_bundle_cycle_loads_deep_and_is_collected_after_release),
        T(test_bundle_cycle_is_collected_by_updates_alone),
        T(test_dot_slash_dependency_resolves_against_the_sprite_folder),
        T(test_dot_dot_and_absolute_paths_are_refused_invalid),
        T(test_symlink_to_a_fifo_outside_is_refused_by_dp_load_without_opening_it),
        T(test_symlinked_folder_leading_out_is_refused_by_dp_load),
        T(test_symlink_inside_the_root_pointing_inside_is_allowed),
        T(test_symlink_added_to_a_folder_loaded_from_this_frame_is_refused_by_dp_load),
        T(test_folder_swapped_for_a_symlink_out_is_refused_by_dp_load_after_an_update),
        T(test_folder_swapped_for_a_symlink_out_within_a_frame_is_never_read),
        T(test_load_as_forces_the_type_and_conflicts_with_another),
        T(test_unknown_extension_and_unknown_scheme_are_not_found),
        T(test_get_is_null_and_state_pending_until_the_update_that_applies),
        T(test_null_and_stale_handles_have_invalid_state),
        T(test_reload_of_a_keyless_asset_is_invalid),
        T(test_wait_and_reload_from_another_thread_are_wrong_thread),
        T(test_wait_times_out_on_a_load_that_cannot_finish_in_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
