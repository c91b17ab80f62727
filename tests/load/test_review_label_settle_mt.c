/* test_review_label_settle_mt.c — a label that a parent's loader emitted (the worker made
 * the asset "x.sheet#a") can be found and held by dp_load before the parent's result is
 * applied. When that result is not applied (the parent's load failed after emitting, or the
 * parent died meanwhile) the label must still settle (FAILED): before the fix it stayed
 * PENDING for ever and dp_wait on it could only time out. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id sheet, frame;
    atomic_int emitted, go;
    dp_status result; /* what the sheet's load returns after emitting */
} fx;

static fx *the_fx;

static dp_status sheet_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    (void)bytes;
    (void)len;
    fx *f = the_fx;
    const dp_allocator *a = dp_ctx_allocator(ctx);
    int *fr = a->alloc(sizeof *fr, a->user);
    if (!fr)
        return DP_ERR_NOMEM;
    dp_handle h;
    dp_status st = dp_ctx_add_labelled(ctx, "a", f->frame, fr, sizeof *fr, &h);
    if (st != DP_OK) {
        a->free(fr, a->user);
        return st;
    }
    atomic_store(&f->emitted, 1);
    while (!atomic_load(&f->go))
        usleep(1000);
    if (f->result != DP_OK)
        return f->result;
    int *s = a->alloc(sizeof *s, a->user);
    if (!s)
        return DP_ERR_NOMEM;
    *asset = s;
    *asset_bytes = sizeof *s;
    return DP_OK;
}

static void free_it(void *asset, void *user)
{
    fx *f = user;
    f->alloc.iface.free(asset, f->alloc.iface.user);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const ext[] = {"sheet", NULL};
    dp_type st = {.name = "sheet", .extensions = ext, .load = sheet_load, .destroy = free_it,
                  .user = f};
    dp_type ft = {.name = "frame", .destroy = free_it, .user = f};
    assert_int_equal(dp_register_type(f->dp, &st, &f->sheet), DP_OK);
    assert_int_equal(dp_register_type(f->dp, &ft, &f->frame), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "x.sheet", "1", 1), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    atomic_store(&f->go, 1);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void wait_emitted(fx *f)
{
    for (int i = 0; i < 5000 && !atomic_load(&f->emitted); i++)
        usleep(1000);
    assert_true(atomic_load(&f->emitted));
}

static void test_label_of_failed_parent_fails(void **state)
{
    fx *f = *state;
    f->result = DP_ERR_FORMAT;
    dp_handle p, lb;
    assert_int_equal(dp_load(f->dp, "mem://x.sheet", &p), DP_OK);
    wait_emitted(f);
    assert_int_equal(dp_load(f->dp, "mem://x.sheet#a", &lb), DP_OK);
    atomic_store(&f->go, 1);
    assert_int_equal(dp_wait(f->dp, p, 5000), DP_ERR_FORMAT);
    assert_int_equal(dp_wait(f->dp, lb, 2000), DP_ERR_FORMAT);
    assert_int_equal(dp_state_of(f->dp, lb), DP_STATE_FAILED);
    assert_int_equal(dp_release(f->dp, lb), DP_OK);
    assert_int_equal(dp_release(f->dp, p), DP_OK);
    dp_update(f->dp);
}

static void test_label_of_dead_parent_fails(void **state)
{
    fx *f = *state;
    f->result = DP_OK;
    dp_handle p, lb;
    assert_int_equal(dp_load(f->dp, "mem://x.sheet", &p), DP_OK);
    wait_emitted(f);
    assert_int_equal(dp_load(f->dp, "mem://x.sheet#a", &lb), DP_OK);
    assert_int_equal(dp_release(f->dp, p), DP_OK);
    dp_update(f->dp); /* the parent is freed; its running job is cancelled */
    assert_int_equal(dp_state_of(f->dp, p), DP_STATE_INVALID);
    atomic_store(&f->go, 1);
    dp_status st = dp_wait(f->dp, lb, 2000);
    assert_int_not_equal(st, DP_ERR_TIMEOUT);
    assert_int_equal(dp_state_of(f->dp, lb), DP_STATE_FAILED);
    assert_int_equal(dp_release(f->dp, lb), DP_OK);
    dp_update(f->dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_label_of_failed_parent_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_of_dead_parent_fails, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
