/* test_label_settles_without_parent_mt.c — a label that a parent's loader emitted (the worker
 * made the asset "x.sheet#a") can be found and held by dp_load before the parent's result is
 * applied. When that result is not applied (the parent's load failed after emitting, or the
 * parent died meanwhile) the label must still settle (FAILED): before the fix it stayed
 * PENDING for ever and dp_wait on it could only time out. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id sheet, frame;
    dp_test_gate emitted; /* the sheet's load emitted its label */
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
    dp_test_gate_block(&f->emitted);
    if (f->result != DP_OK)
        return f->result;
    return dp_test_ctx_result(ctx, sizeof(int), asset, asset_bytes);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const ext[] = {"sheet", NULL};
    dp_type st = {.name = "sheet", .extensions = ext, .load = sheet_load,
                  .destroy = dp_test_alloc_destroy, .user = &f->alloc};
    dp_type ft = {.name = "frame", .destroy = dp_test_alloc_destroy, .user = &f->alloc};
    assert_int_equal(dp_register_type(f->dp, &st, &f->sheet), DP_OK);
    assert_int_equal(dp_register_type(f->dp, &ft, &f->frame), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "x.sheet", "1", 1), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&f->emitted);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void test_label_of_failed_parent_fails(void **state)
{
    fx *f = *state;
    f->result = DP_ERR_FORMAT;
    dp_handle p, lb;
    assert_int_equal(dp_load(f->dp, "mem://x.sheet", &p), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->emitted, DP_TEST_WAIT_MS));
    assert_int_equal(dp_load(f->dp, "mem://x.sheet#a", &lb), DP_OK);
    dp_test_gate_open(&f->emitted);
    assert_int_equal(dp_wait(f->dp, p, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
    assert_int_equal(dp_wait(f->dp, lb, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
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
    assert_true(dp_test_gate_wait_reached(&f->emitted, DP_TEST_WAIT_MS));
    assert_int_equal(dp_load(f->dp, "mem://x.sheet#a", &lb), DP_OK);
    assert_int_equal(dp_release(f->dp, p), DP_OK);
    dp_update(f->dp); /* the parent is freed; its running job is cancelled */
    assert_int_equal(dp_state_of(f->dp, p), DP_STATE_INVALID);
    dp_test_gate_open(&f->emitted);
    dp_status st = dp_wait(f->dp, lb, DP_TEST_WAIT_MS);
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
