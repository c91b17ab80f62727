/* test_load_job_counts_mt.c — "a load job is not a holder", for every kind of job (issue 9,
 * defects 12 and 3). A finished job whose result is not applied yet holds the counts its
 * dp_ctx_load_dep calls took: dp_destroy must not report them as leaks. A labelled load
 * ("x.sheet#a") must not keep its file alive through a job: releasing the label while the
 * file still loads frees the file (its job is cancelled), the label-only step does not wait
 * behind slow I/O in the worker queue, and the label's deep state follows its file's
 * dependencies. Sources are mem:// blobs; "slow" loads block at a gate the test opens. */
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"


typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id par, leaf, sheet, frame, slow;
    dp_test_gate par_gate;   /* "par" blocks here after naming its dependency */
    dp_test_gate sheet_gate; /* "sheet" blocks here after emitting its label */
    dp_test_gate slow_gate;  /* every "slow" load blocks here */
    atomic_int sheet_cancelled;
    atomic_int sheet_loaded_events;
} fx;

static fx *the_fx;

/* Names "mem://c.leaf", then waits at par_gate. */
static dp_status par_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                          size_t *asset_bytes)
{
    (void)bytes;
    (void)len;
    dp_handle c;
    dp_status st = dp_ctx_load_dep(ctx, "mem://c.leaf", &c);
    if (st != DP_OK)
        return st;
    dp_test_gate_block(&the_fx->par_gate);
    return dp_test_ctx_result(ctx, 8, asset, asset_bytes);
}

/* Emits "#a"; content "d" also names "mem://d.slow"; content "g" waits at sheet_gate. */
static dp_status sheet_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    fx *f = the_fx;
    const char *text = bytes;
    const dp_allocator *a = dp_ctx_allocator(ctx);
    int *fr = a->alloc(sizeof *fr, a->user);
    if (!fr)
        return DP_ERR_NOMEM;
    dp_status st = dp_ctx_add_labelled(ctx, "a", f->frame, fr, sizeof *fr, NULL);
    if (st != DP_OK) {
        a->free(fr, a->user);
        return st;
    }
    dp_handle d;
    if (len && text[0] == 'd' && (st = dp_ctx_load_dep(ctx, "mem://d.slow", &d)) != DP_OK)
        return st;
    if (len && text[0] == 'g') {
        dp_test_gate_block(&f->sheet_gate);
        if (dp_ctx_cancelled(ctx)) {
            atomic_fetch_add(&f->sheet_cancelled, 1);
            return DP_ERR_CANCELLED;
        }
    }
    return dp_test_ctx_result(ctx, 8, asset, asset_bytes);
}

static void on_events(void *user, const dp_event *ev, size_t n)
{
    fx *f = user;
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == DP_EV_LOADED && ev[i].type == f->sheet)
            atomic_fetch_add(&f->sheet_loaded_events, 1);
}

typedef dp_status (*load_fn)(dp_load_ctx *, const void *, size_t, void **, size_t *);

static void reg(fx *f, const char *name, const char *const *ext, load_fn load, dp_type_id *out)
{
    dp_type t = {.name = name, .extensions = ext, .load = load,
                 .destroy = dp_test_alloc_destroy, .user = &f->alloc};
    assert_int_equal(dp_register_type(f->dp, &t, out), DP_OK);
}

static const char *const par_ext[] = {"par", NULL}, *const leaf_ext[] = {"leaf", NULL},
                  *const sheet_ext[] = {"sheet", NULL};

static int setup_workers(void **state, int workers)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = workers, .allocator = &f->alloc.iface, .track_holders = true};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    reg(f, "par", par_ext, par_load, &f->par);
    reg(f, "leaf", leaf_ext, dp_test_bytes_load, &f->leaf);
    reg(f, "sheet", sheet_ext, sheet_load, &f->sheet);
    reg(f, "frame", NULL, NULL, &f->frame);
    assert_int_equal(dp_test_slow_register(f->dp, &f->slow_gate, &f->alloc, &f->slow), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "c.leaf", "c", 1), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "p.par", "p", 1), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "g.sheet", "g", 1), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "x.sheet", "x", 1), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "dx.sheet", "d", 1), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "s.slow", "s", 1), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "d.slow", "d", 1), DP_OK);
    assert_int_equal(dp_listen(f->dp, on_events, f), DP_OK);
    *state = f;
    return 0;
}

static int setup1(void **state)
{
    return setup_workers(state, 1);
}

static int setup2(void **state)
{
    return setup_workers(state, 2);
}

/* Every test leaves nothing held: dp_destroy must find no leak. */
static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&f->par_gate);
    dp_test_gate_open(&f->sheet_gate);
    dp_test_gate_open(&f->slow_gate);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

/* Defect 12: the job ran to its end (its dependency's count taken) but no dp_update applied
 * it; its asset was released. That count belongs to no caller. */
static void test_destroy_does_not_count_an_unapplied_jobs_dependency_as_a_leak(void **state)
{
    fx *f = *state;
    dp_handle p;
    assert_int_equal(dp_load(f->dp, "mem://p.par", &p), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->par_gate, DP_TEST_WAIT_MS));
    assert_int_equal(dp_release(f->dp, p), DP_OK);
    /* teardown opens the gate: the job finishes, and dp_destroy joins it before counting */
}

/* Defect 3: one worker, busy reading the file; the label is released before the file is
 * read. Nobody wants the file any more: it is freed and its job is cancelled. */
static void test_releasing_a_label_while_its_file_loads_frees_the_file(void **state)
{
    fx *f = *state;
    dp_handle lb, p;
    assert_int_equal(dp_load(f->dp, "mem://g.sheet#a", &lb), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->sheet_gate, DP_TEST_WAIT_MS));
    assert_int_equal(dp_release(f->dp, lb), DP_OK);
    dp_update(f->dp);
    dp_update(f->dp);
    assert_int_equal(dp_find(f->dp, "mem://g.sheet", &p), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_find(f->dp, "mem://g.sheet#a", &lb), DP_ERR_NOT_FOUND);
    dp_test_gate_open(&f->sheet_gate);
    dp_stats st;
    do {
        dp_update(f->dp);
        assert_int_equal(dp_get_stats(f->dp, &st), DP_OK);
    } while (st.pending_jobs > 0);
    assert_int_equal(atomic_load(&f->sheet_cancelled), 1);
    assert_int_equal(atomic_load(&f->sheet_loaded_events), 0); /* nobody held it */
}

/* Defect 3: released before any dp_update; dp_destroy finds nothing held. */
static void test_destroy_after_releasing_a_label_reports_no_leak(void **state)
{
    fx *f = *state;
    dp_handle lb;
    assert_int_equal(dp_load(f->dp, "mem://g.sheet#a", &lb), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->sheet_gate, DP_TEST_WAIT_MS));
    assert_int_equal(dp_release(f->dp, lb), DP_OK);
}

/* Defect 3: the only worker is stuck in a slow read; a label its (loaded) file did not emit
 * settles FAILED at the next update all the same. */
static void test_a_label_step_does_not_wait_behind_slow_io(void **state)
{
    fx *f = *state;
    dp_handle x, s, lb;
    assert_int_equal(dp_load(f->dp, "mem://x.sheet", &x), DP_OK);
    assert_int_equal(dp_wait(f->dp, x, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_load(f->dp, "mem://s.slow", &s), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->slow_gate, DP_TEST_WAIT_MS));
    assert_int_equal(dp_load(f->dp, "mem://x.sheet#nope", &lb), DP_OK);
    assert_int_equal(dp_wait(f->dp, lb, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    dp_test_gate_open(&f->slow_gate);
    assert_int_equal(dp_wait(f->dp, s, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_release(f->dp, lb), DP_OK);
    assert_int_equal(dp_release(f->dp, s), DP_OK);
    assert_int_equal(dp_release(f->dp, x), DP_OK);
    dp_update(f->dp);
}

/* Defect 3: the file is applied and emitted the label, but the file's dependency is still
 * loading: the label is not deep-LOADED before it. */
static void test_a_label_is_not_deep_loaded_before_its_files_dependency(void **state)
{
    fx *f = *state;
    dp_handle lb, file;
    assert_int_equal(dp_load(f->dp, "mem://dx.sheet#a", &lb), DP_OK);
    assert_true(dp_test_gate_wait_reached(&f->slow_gate, DP_TEST_WAIT_MS));
    uint64_t until = dp_test_now_ns() + (uint64_t)DP_TEST_WAIT_MS * 1000000u;
    while (dp_state_of(f->dp, lb) != DP_STATE_LOADED && dp_test_now_ns() < until)
        dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, lb), DP_STATE_LOADED);
    dp_update(f->dp);
    assert_int_not_equal(dp_state_deep(f->dp, lb), DP_STATE_LOADED);
    assert_int_equal(dp_find(f->dp, "mem://dx.sheet", &file), DP_OK);
    assert_int_not_equal(dp_state_deep(f->dp, file), DP_STATE_LOADED);
    dp_test_gate_open(&f->slow_gate);
    assert_int_equal(dp_wait(f->dp, lb, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_state_deep(f->dp, file), DP_STATE_LOADED);
    assert_int_equal(dp_release(f->dp, file), DP_OK);
    assert_int_equal(dp_release(f->dp, lb), DP_OK);
    dp_update(f->dp);
    dp_collect_cycles(f->dp);
    dp_update(f->dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_destroy_does_not_count_an_unapplied_jobs_dependency_as_a_leak, setup2, teardown),
        cmocka_unit_test_setup_teardown(test_releasing_a_label_while_its_file_loads_frees_the_file,
                                        setup1, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_after_releasing_a_label_reports_no_leak,
                                        setup1, teardown),
        cmocka_unit_test_setup_teardown(test_a_label_step_does_not_wait_behind_slow_io, setup1,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_label_is_not_deep_loaded_before_its_files_dependency,
                                        setup2, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
