/* test_job_gives_back_holder_records.c — with holder tracking, a dependency count that a load
 * job took (recorded at the "(load job)" site) and that is given back because the job's
 * result is not applied (the load failed, or its asset died) must take its holder record with
 * it: otherwise dp_check sees more holders than counts and the leak report names a job that
 * is long gone. */
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id par;
} fx;

/* Names a dependency, then fails. */
static dp_status par_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                          size_t *asset_bytes)
{
    (void)bytes;
    (void)len;
    (void)asset;
    (void)asset_bytes;
    dp_handle c;
    dp_status st = dp_ctx_load_dep(ctx, "mem://c.bin", &c);
    return st != DP_OK ? st : DP_ERR_FORMAT;
}

static void par_destroy(void *asset, void *user)
{
    (void)asset;
    (void)user;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 2, .allocator = &f->alloc.iface, .track_holders = true};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const ext[] = {"par", NULL};
    dp_type t = {.name = "par", .extensions = ext, .load = par_load, .destroy = par_destroy};
    assert_int_equal(dp_register_type(f->dp, &t, &f->par), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "c.bin", "child", 5), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "p.par", "x", 1), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void test_failed_job_gives_back_its_holder_record(void **state)
{
    fx *f = *state;
    dp_handle c, p;
    assert_int_equal(dp_load(f->dp, "mem://c.bin", &c), DP_OK);
    assert_int_equal(dp_wait(f->dp, c, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_load(f->dp, "mem://p.par", &p), DP_OK);
    assert_int_equal(dp_wait(f->dp, p, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
    dp_update(f->dp);
    assert_int_equal(dp_count(f->dp, c), 1); /* ours only: the job's count was given back */
    assert_int_equal(dp_check(f->dp), DP_OK);  /* ... and so was its holder record: */
    dp_holder hs[4];
    size_t n = dp_holders(f->dp, c, hs, 4);
    uint32_t held = 0;
    for (size_t i = 0; i < n && i < 4; i++)
        held += hs[i].count;
    assert_int_equal(held, 1); /* only our dp_load's record is left */
    assert_int_equal(dp_release(f->dp, p), DP_OK);
    assert_int_equal(dp_release(f->dp, c), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failed_job_gives_back_its_holder_record, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
