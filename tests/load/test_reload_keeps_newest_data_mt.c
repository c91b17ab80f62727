/* test_reload_keeps_newest_data_mt.c — two reloads of one asset in flight: the older one's
 * read is slow, the newer one's is quick. The newer data is applied first; the older result,
 * arriving later, must not replace it (before the fix the asset ended with the stale data
 * until the next change of the file). Each data is destroyed exactly once. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id t;
    atomic_int reads, destroyed;
    dp_test_gate read2; /* the second read is in progress */
} fx;

static fx *the_fx;

/* Read n (1-based) returns "v<n-1>"; read 2 waits for the gate. */
static dp_status slow_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                           size_t *len)
{
    (void)path;
    (void)cancel;
    fx *f = user;
    int n = atomic_fetch_add(&f->reads, 1) + 1;
    if (n == 2)
        dp_test_gate_block(&f->read2);
    char *b = malloc(4);
    b[0] = 'v';
    b[1] = (char)('0' + n - 1);
    b[2] = 0;
    *bytes = b;
    *len = 2;
    return DP_OK;
}

static void slow_free(void *user, void *bytes)
{
    (void)user;
    free(bytes);
}

static dp_status t_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                        size_t *asset_bytes)
{
    const dp_allocator *a = dp_ctx_allocator(ctx);
    char *s = a->alloc(len + 1, a->user);
    if (!s)
        return DP_ERR_NOMEM;
    memcpy(s, bytes, len);
    s[len] = 0;
    *asset = s;
    *asset_bytes = len + 1;
    return DP_OK;
}

static void t_destroy(void *asset, void *user)
{
    fx *f = user;
    atomic_fetch_add(&f->destroyed, 1);
    f->alloc.iface.free(asset, f->alloc.iface.user);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const ext[] = {"t", NULL};
    dp_type t = {.name = "t", .extensions = ext, .load = t_load, .destroy = t_destroy, .user = f};
    assert_int_equal(dp_register_type(f->dp, &t, &f->t), DP_OK);
    dp_source src = {.scheme = "slow", .read = slow_read, .free_bytes = slow_free, .user = f};
    assert_int_equal(dp_register_source(f->dp, &src), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&f->read2);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void pump_until(fx *f, dp_handle h, const char *want)
{
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        const char *s = dp_get(f->dp, h);
        if (s && strcmp(s, want) == 0)
            return;
        usleep(1000);
    }
    fail_msg("never saw %s", want);
}

static void test_older_reload_result_does_not_replace_newer_data(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "slow://x.t", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_string_equal(dp_get(f->dp, h), "v0");
    assert_int_equal(dp_reload(f->dp, h), DP_OK); /* read 2: slow */
    assert_true(dp_test_gate_wait_reached(&f->read2, DP_TEST_WAIT_MS));
    assert_int_equal(dp_reload(f->dp, h), DP_OK); /* read 3: quick */
    pump_until(f, h, "v2");
    dp_test_gate_open(&f->read2);
    dp_stats st;
    for (uint64_t t0 = dp_test_now_ns(); dp_test_waiting(t0);) {
        dp_update(f->dp);
        dp_get_stats(f->dp, &st);
        if (st.pending_jobs == 0)
            break;
        usleep(1000);
    }
    assert_int_equal(st.pending_jobs, 0);
    dp_update(f->dp);
    dp_update(f->dp);
    assert_string_equal(dp_get(f->dp, h), "v2"); /* the newest read wins */
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    dp_update(f->dp);
    assert_int_equal(atomic_load(&f->destroyed), 3); /* v0, v1, v2: each once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_older_reload_result_does_not_replace_newer_data,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
