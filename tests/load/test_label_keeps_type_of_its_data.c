/* test_label_keeps_type_of_its_data.c — a label's type is fixed. dp_load_as of a label that
 * exists with another type is refused like a plain key (issue 9, defect 4), and a
 * placeholder made by dp_load_as refuses data its file emits with another type (FAILED,
 * DP_ERR_EXISTS; the data goes to the destroy of the type that made it, nothing reads it as
 * the wrong struct). Also: a parent's reload emits an existing label with another type
 * (labels named by index, "#0", "#1", are the usual way this happens after an edit). The
 * label's old data must be destroyed by the type that made it; before the fix the label's
 * type was overwritten first and the old data went to the new type's destroy. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"

typedef struct item {
    char tag; /* 'A' or 'B': the type that made it */
} item;

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id sheet, ta, tb;
    atomic_int mismatched, loads;
} fx;

static fx *the_fx;

/* Emits label "a" with type A or B, as the file says. */
static dp_status sheet_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    fx *f = the_fx;
    atomic_fetch_add(&f->loads, 1);
    const dp_allocator *a = dp_ctx_allocator(ctx);
    char tag = len ? ((const char *)bytes)[0] : 'A';
    item *it = a->alloc(sizeof *it, a->user);
    if (!it)
        return DP_ERR_NOMEM;
    it->tag = tag;
    dp_handle h;
    dp_status st = dp_ctx_add_labelled(ctx, "a", tag == 'B' ? f->tb : f->ta, it, sizeof *it, &h);
    if (st != DP_OK) {
        a->free(it, a->user);
        return st;
    }
    item *s = a->alloc(sizeof *s, a->user);
    if (!s)
        return DP_ERR_NOMEM;
    s->tag = 'S';
    *asset = s;
    *asset_bytes = sizeof *s;
    return DP_OK;
}

static void destroy_as(fx *f, item *it, char tag)
{
    if (it->tag != tag)
        atomic_fetch_add(&f->mismatched, 1);
    f->alloc.iface.free(it, f->alloc.iface.user);
}
static void sheet_destroy(void *p, void *u) { destroy_as(u, p, 'S'); }
static void a_destroy(void *p, void *u) { destroy_as(u, p, 'A'); }
static void b_destroy(void *p, void *u) { destroy_as(u, p, 'B'); }

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const ext[] = {"sheet", NULL};
    dp_type s = {.name = "sheet", .extensions = ext, .load = sheet_load, .destroy = sheet_destroy,
                 .user = f};
    dp_type ta = {.name = "ta", .destroy = a_destroy, .user = f};
    dp_type tb = {.name = "tb", .destroy = b_destroy, .user = f};
    assert_int_equal(dp_register_type(f->dp, &s, &f->sheet), DP_OK);
    assert_int_equal(dp_register_type(f->dp, &ta, &f->ta), DP_OK);
    assert_int_equal(dp_register_type(f->dp, &tb, &f->tb), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "x.sheet", "A", 1), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->mismatched), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void test_reload_changing_a_label_type_destroys_old_data_with_its_type(void **state)
{
    fx *f = *state;
    dp_handle p, lb;
    assert_int_equal(dp_load(f->dp, "mem://x.sheet", &p), DP_OK);
    assert_int_equal(dp_wait(f->dp, p, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_load(f->dp, "mem://x.sheet#a", &lb), DP_OK);
    assert_int_equal(dp_type_of(f->dp, lb), f->ta);
    assert_int_equal(dp_mem_add(f->dp, "x.sheet", "B", 1), DP_OK);
    assert_int_equal(dp_reload(f->dp, p), DP_OK);
    dp_stats st;
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        dp_get_stats(f->dp, &st);
        if (atomic_load(&f->loads) == 2 && st.pending_jobs == 0)
            break;
        usleep(1000);
    }
    assert_int_equal(st.pending_jobs, 0);
    dp_update(f->dp);
    dp_update(f->dp); /* retired data is destroyed here */
    assert_int_equal(atomic_load(&f->mismatched), 0);
    /* Data and type of the label still agree. */
    const item *it = dp_get(f->dp, lb);
    assert_non_null(it);
    assert_int_equal(it->tag, dp_type_of(f->dp, lb) == f->ta ? 'A' : 'B');
    assert_int_equal(dp_release(f->dp, lb), DP_OK);
    assert_int_equal(dp_release(f->dp, p), DP_OK);
    dp_update(f->dp);
    dp_collect_cycles(f->dp);
    dp_update(f->dp);
}

static void test_load_as_of_a_label_with_another_type_is_refused(void **state)
{
    fx *f = *state;
    dp_handle p, lb;
    assert_int_equal(dp_load(f->dp, "mem://x.sheet", &p), DP_OK);
    assert_int_equal(dp_wait(f->dp, p, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_load_as(f->dp, "mem://x.sheet#a", f->tb, &lb), DP_ERR_EXISTS);
    assert_true(dp_handle_is_null(lb));
    assert_int_equal(dp_load_as(f->dp, "mem://x.sheet#a", f->ta, &lb), DP_OK);
    assert_int_equal(dp_type_of(f->dp, lb), f->ta);
    assert_int_equal(dp_release(f->dp, lb), DP_OK);
    assert_int_equal(dp_release(f->dp, p), DP_OK);
    dp_update(f->dp);
    dp_collect_cycles(f->dp);
    dp_update(f->dp);
}

static void test_a_forced_placeholder_refuses_another_emitted_type(void **state)
{
    fx *f = *state;
    dp_handle lb, p;
    assert_int_equal(dp_load_as(f->dp, "mem://x.sheet#a", f->tb, &lb), DP_OK); /* file: A */
    assert_int_equal(dp_wait(f->dp, lb, DP_TEST_WAIT_MS), DP_ERR_EXISTS);
    assert_int_equal(dp_state_of(f->dp, lb), DP_STATE_FAILED);
    assert_int_equal(dp_failure_of(f->dp, lb), DP_ERR_EXISTS);
    assert_int_equal(dp_type_of(f->dp, lb), f->tb);
    assert_null(dp_get(f->dp, lb));
    assert_int_equal(dp_find(f->dp, "mem://x.sheet", &p), DP_OK);
    assert_int_equal(dp_state_of(f->dp, p), DP_STATE_LOADED);
    assert_int_equal(dp_release(f->dp, p), DP_OK);
    assert_int_equal(dp_release(f->dp, lb), DP_OK);
    dp_update(f->dp);
    dp_collect_cycles(f->dp);
    dp_update(f->dp);
}

static void test_a_forced_placeholder_takes_data_of_its_type(void **state)
{
    fx *f = *state;
    dp_handle lb;
    assert_int_equal(dp_load_as(f->dp, "mem://x.sheet#a", f->ta, &lb), DP_OK);
    assert_int_equal(dp_wait(f->dp, lb, DP_TEST_WAIT_MS), DP_OK);
    const item *it = dp_get(f->dp, lb);
    assert_non_null(it);
    assert_int_equal(it->tag, 'A');
    assert_int_equal(dp_release(f->dp, lb), DP_OK);
    dp_update(f->dp);
    dp_collect_cycles(f->dp);
    dp_update(f->dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_reload_changing_a_label_type_destroys_old_data_with_its_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_as_of_a_label_with_another_type_is_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_forced_placeholder_refuses_another_emitted_type,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_forced_placeholder_takes_data_of_its_type, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
