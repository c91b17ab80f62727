/* test_load_labels.c — labelled sub-assets: a "sheet" type registered by the test emits
 * frame_00 .. frame_NN (the count is the file's content) with dp_ctx_add_labelled.
 * Finding a label after its parent loaded, loading a label before its parent, a label the
 * parent never emits, and everything freed after release. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"


typedef struct sheet {
    int frames;
} sheet;

typedef struct frame {
    int index;
} frame;

typedef struct fx {
    dp_test_alloc alloc;
    char dir[256];
    dp_depot *dp;
    dp_type_id sheet_type, frame_type;
    atomic_int sheets_destroyed, frames_destroyed, sheet_loads;
} fx;

static fx *the_fx; /* the destroy callbacks find their counters through `user` */

static dp_status sheet_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    fx *f = the_fx;
    atomic_fetch_add(&f->sheet_loads, 1);
    const dp_allocator *a = dp_ctx_allocator(ctx);
    char text[16] = {0};
    memcpy(text, bytes, len < 15 ? len : 15);
    int n = atoi(text);
    for (int i = 0; i < n; i++) {
        frame *fr = a->alloc(sizeof *fr, a->user);
        if (!fr)
            return DP_ERR_NOMEM;
        fr->index = i;
        char label[32];
        snprintf(label, sizeof label, "frame_%02d", i);
        dp_handle h;
        dp_status st = dp_ctx_add_labelled(ctx, label, f->frame_type, fr, sizeof *fr, &h);
        if (st != DP_OK) {
            a->free(fr, a->user);
            return st;
        }
    }
    sheet *s = a->alloc(sizeof *s, a->user);
    if (!s)
        return DP_ERR_NOMEM;
    s->frames = n;
    *asset = s;
    *asset_bytes = sizeof *s;
    return DP_OK;
}

static void sheet_destroy(void *asset, void *user)
{
    fx *f = user;
    atomic_fetch_add(&f->sheets_destroyed, 1);
    f->alloc.iface.free(asset, f->alloc.iface.user);
}

static void frame_destroy(void *asset, void *user)
{
    fx *f = user;
    atomic_fetch_add(&f->frames_destroyed, 1);
    f->alloc.iface.free(asset, f->alloc.iface.user);
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
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    write_text(f, "x.sheet", "4");
    write_text(f, "sub/y.sheet", "2");
    dp_desc d = {.root = f->dir, .workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const sheet_ext[] = {"sheet", NULL};
    dp_type st = {.name = "sheet", .extensions = sheet_ext, .load = sheet_load,
                  .destroy = sheet_destroy, .user = f};
    dp_type ft = {.name = "frame", .destroy = frame_destroy, .user = f};
    assert_int_equal(dp_register_type(f->dp, &st, &f->sheet_type), DP_OK);
    assert_int_equal(dp_register_type(f->dp, &ft, &f->frame_type), DP_OK);
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

/* Updates (and collects) until nothing is live or pending, bounded. */
static void drain(fx *f)
{
    dp_stats st;
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        dp_collect_cycles(f->dp);
        dp_get_stats(f->dp, &st);
        if (st.pending_jobs == 0 && st.live_assets == 0)
            return;
        usleep(1000);
    }
}

static void assert_nothing_live(fx *f)
{
    drain(f);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(st.pending_jobs, 0);
}

static void test_labels_emitted_by_the_parent_can_be_found_after_it_loads(void **state)
{
    fx *f = *state;
    dp_handle x;
    assert_int_equal(dp_load(f->dp, "x.sheet", &x), DP_OK);
    assert_int_equal(dp_wait(f->dp, x, DP_TEST_WAIT_MS), DP_OK);
    for (int i = 0; i < 4; i++) {
        char key[64];
        snprintf(key, sizeof key, "x.sheet#frame_%02d", i);
        dp_handle fr;
        assert_int_equal(dp_find(f->dp, key, &fr), DP_OK);
        assert_int_equal(dp_state_of(f->dp, fr), DP_STATE_LOADED);
        assert_int_equal(dp_type_of(f->dp, fr), f->frame_type);
        frame *data = dp_get(f->dp, fr);
        assert_non_null(data);
        assert_int_equal(data->index, i);
        assert_int_equal(dp_count(f->dp, fr), 2); /* the sheet's edge + our find */
        dp_release(f->dp, fr);
    }
    dp_handle none;
    assert_int_equal(dp_find(f->dp, "x.sheet#frame_04", &none), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, x);
    assert_nothing_live(f);
    assert_int_equal(atomic_load(&f->sheets_destroyed), 1);
    assert_int_equal(atomic_load(&f->frames_destroyed), 4);
}

static void test_load_of_a_label_before_its_parent_becomes_loaded_when_the_parent_applies(void **state)
{
    fx *f = *state;
    dp_handle fr;
    assert_int_equal(dp_load(f->dp, "x.sheet#frame_02", &fr), DP_OK);
    assert_null(dp_get(f->dp, fr));
    assert_int_equal(dp_wait(f->dp, fr, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_state_of(f->dp, fr), DP_STATE_LOADED);
    assert_int_equal(dp_type_of(f->dp, fr), f->frame_type);
    frame *data = dp_get(f->dp, fr);
    assert_non_null(data);
    assert_int_equal(data->index, 2);
    /* The same key again is the same asset; the parent loaded once. */
    dp_handle again;
    assert_int_equal(dp_load(f->dp, "x.sheet#frame_02", &again), DP_OK);
    assert_true(dp_handle_eq(again, fr));
    dp_release(f->dp, again);
    dp_handle x;
    assert_int_equal(dp_find(f->dp, "x.sheet", &x), DP_OK);
    assert_int_equal(dp_state_of(f->dp, x), DP_STATE_LOADED);
    assert_int_equal(atomic_load(&f->sheet_loads), 1);
    dp_release(f->dp, x);
    assert_int_equal(dp_check(f->dp), DP_OK);
    /* The placeholder holds its parent and the parent holds its label: a cycle, collected. */
    dp_release(f->dp, fr);
    assert_nothing_live(f);
    assert_int_equal(atomic_load(&f->sheets_destroyed), 1);
    assert_int_equal(atomic_load(&f->frames_destroyed), 4);
}

static void test_two_labels_requested_before_the_parent_both_load(void **state)
{
    fx *f = *state;
    dp_handle a, b;
    assert_int_equal(dp_load(f->dp, "sub/y.sheet#frame_00", &a), DP_OK);
    assert_int_equal(dp_load(f->dp, "sub/y.sheet#frame_01", &b), DP_OK);
    assert_int_equal(dp_wait(f->dp, a, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_wait(f->dp, b, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(((frame *)dp_get(f->dp, a))->index, 0);
    assert_int_equal(((frame *)dp_get(f->dp, b))->index, 1);
    assert_int_equal(atomic_load(&f->sheet_loads), 1);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
    assert_nothing_live(f);
    assert_int_equal(atomic_load(&f->frames_destroyed), 2);
}

static void test_label_the_parent_does_not_emit_fails_not_found(void **state)
{
    fx *f = *state;
    dp_handle fr;
    assert_int_equal(dp_load(f->dp, "x.sheet#frame_09", &fr), DP_OK);
    assert_int_equal(dp_wait(f->dp, fr, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_state_of(f->dp, fr), DP_STATE_FAILED);
    assert_int_equal(dp_failure_of(f->dp, fr), DP_ERR_NOT_FOUND);
    assert_null(dp_get(f->dp, fr));
    dp_release(f->dp, fr);
    assert_nothing_live(f);
    assert_int_equal(atomic_load(&f->sheets_destroyed), 1);
    assert_int_equal(atomic_load(&f->frames_destroyed), 4);
}

static void test_label_of_a_loaded_parent_that_does_not_emit_it_fails_not_found(void **state)
{
    fx *f = *state;
    dp_handle x, fr;
    assert_int_equal(dp_load(f->dp, "x.sheet", &x), DP_OK);
    assert_int_equal(dp_wait(f->dp, x, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_load(f->dp, "x.sheet#nope", &fr), DP_OK);
    assert_int_equal(dp_wait(f->dp, fr, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    dp_release(f->dp, fr);
    dp_release(f->dp, x);
    assert_nothing_live(f);
}

static void test_label_of_a_missing_parent_fails_with_the_parents_status(void **state)
{
    fx *f = *state;
    dp_handle fr;
    assert_int_equal(dp_load(f->dp, "none.sheet#frame_00", &fr), DP_OK);
    assert_int_equal(dp_wait(f->dp, fr, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_state_of(f->dp, fr), DP_STATE_FAILED);
    dp_release(f->dp, fr);
    assert_nothing_live(f);
}

static void test_label_keys_with_unknown_parent_type_or_empty_label_are_refused(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "x.unknown#frame_00", &h), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_load(f->dp, "x.sheet#", &h), DP_ERR_INVALID);
    assert_nothing_live(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_labels_emitted_by_the_parent_can_be_found_after_it_loads),
        T(test_load_of_a_label_before_its_parent_becomes_loaded_when_the_parent_applies),
        T(test_two_labels_requested_before_the_parent_both_load),
        T(test_label_the_parent_does_not_emit_fails_not_found),
        T(test_label_of_a_loaded_parent_that_does_not_emit_it_fails_not_found),
        T(test_label_of_a_missing_parent_fails_with_the_parents_status),
        T(test_label_keys_with_unknown_parent_type_or_empty_label_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
