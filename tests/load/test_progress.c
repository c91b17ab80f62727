/* requires: json */
/* test_progress.c — dp_progress and dp_group_progress over a 3-level tree of bundles from
 * mem:// (a scene bundle, two bundles under it, "node" leaves under those, one failing, one
 * shared, one held at a gate so the test sees the middle of the load): counters monotone
 * during the load, exact at the end, failures counted, shared assets counted once, closures
 * that shrink walked again. */
#include <stdlib.h>
#include <unistd.h>

#include "depot/depot.h"
#include "node_type.h"
#include "testutil.h"

#define LONG_NS ((uint64_t)DP_TEST_WAIT_MS * 1000000u) /* a hung load, not a slow machine */

typedef struct fx {
    dp_depot *dp;
    dp_type_id node;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(dp_create(&(dp_desc){.workers = 2}, &f->dp), DP_OK);
    assert_int_equal(dp_test_node_register(f->dp, &f->node), DP_OK);
    dp_test_node_put(f->dp, "scene.bundle",
                     "{\"assets\": [\"mem://a.bundle\", \"mem://b.bundle\"]}");
    dp_test_node_put(f->dp, "a.bundle",
                     "{\"assets\": [\"mem://a1.node\", \"mem://a2.node\", \"mem://shared.node\"]}");
    dp_test_node_put(f->dp, "b.bundle",
                     "{\"assets\": [\"mem://b1.node\", \"mem://bad.node\", \"mem://shared.node\"]}");
    dp_test_node_put(f->dp, "a1.node", "1");
    dp_test_node_put(f->dp, "a2.node", "22");
    dp_test_node_put(f->dp, "shared.node", "333");
    dp_test_node_put(f->dp, "b1.node", "gate");
    dp_test_node_put(f->dp, "bad.node", "fail");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&dp_test_node_gate);
    assert_int_equal(dp_destroy(f->dp), 0);
    free(f);
    return 0;
}

static size_t bytes_of_key(fx *f, const char *key)
{
    dp_handle h;
    assert_int_equal(dp_find(f->dp, key, &h), DP_OK);
    size_t n = dp_bytes_of(f->dp, h);
    dp_release(f->dp, h);
    return n;
}

/* What the whole scene adds up to once settled: 8 assets, bad.node failed. */
static void assert_scene_totals(fx *f, const dp_progress_info *p)
{
    assert_int_equal(p->total, 8);
    assert_int_equal(p->settled, 8);
    assert_int_equal(p->loaded, 7);
    assert_int_equal(p->failed, 1);
    assert_true(p->done);
    uint64_t bytes = bytes_of_key(f, "mem://scene.bundle") + bytes_of_key(f, "mem://a.bundle") +
                     bytes_of_key(f, "mem://b.bundle") + 1 + 2 + 3 + 4 /* "gate" */;
    assert_int_equal(p->bytes_loaded, bytes);
}

/* Checks p against the previous reading: nothing counted goes back during a load. */
static void assert_monotone(const dp_progress_info *prev, const dp_progress_info *p)
{
    assert_true(p->total >= prev->total);
    assert_true(p->settled >= prev->settled);
    assert_true(p->failed >= prev->failed);
    assert_true(p->bytes_loaded >= prev->bytes_loaded);
    assert_int_equal(p->settled, p->loaded + p->failed);
    assert_true(p->settled <= p->total);
}

static void test_progress_is_monotone_and_exact_at_the_end(void **state)
{
    fx *f = *state;
    dp_handle scene;
    assert_int_equal(dp_load(f->dp, "mem://scene.bundle", &scene), DP_OK);
    dp_progress_info prev = {0}, p;
    assert_int_equal(dp_progress(f->dp, scene, &p), DP_OK);
    assert_int_equal(p.total, 1); /* nothing named yet */
    assert_false(p.done);

    /* Up to the gate: b1.node's worker waits there until the test opens it. */
    uint64_t end = dp_test_now_ns() + LONG_NS;
    do {
        assert_true(dp_test_now_ns() < end);
        assert_int_equal(dp_update(f->dp), DP_OK);
        prev = p;
        assert_int_equal(dp_progress(f->dp, scene, &p), DP_OK);
        assert_monotone(&prev, &p);
        usleep(500);
    } while (p.settled < 7); /* all but b1.node */
    assert_int_equal(p.total, 8);
    assert_int_equal(p.failed, 1);
    assert_false(p.done);
    assert_int_equal(dp_state_of(f->dp, scene), DP_STATE_LOADED);

    dp_test_gate_open(&dp_test_node_gate);
    do {
        assert_true(dp_test_now_ns() < end);
        assert_int_equal(dp_update(f->dp), DP_OK);
        prev = p;
        assert_int_equal(dp_progress(f->dp, scene, &p), DP_OK);
        assert_monotone(&prev, &p);
        usleep(500);
    } while (!p.done);
    assert_scene_totals(f, &p);
    assert_int_equal(dp_state_deep(f->dp, scene), DP_STATE_FAILED);
    dp_release(f->dp, scene);
}

static void test_progress_asked_first_after_the_load_is_exact(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&dp_test_node_gate);
    dp_handle scene;
    assert_int_equal(dp_load(f->dp, "mem://scene.bundle", &scene), DP_OK);
    assert_int_equal(dp_wait(f->dp, scene, -1), DP_ERR_FORMAT);
    /* dp_wait returns once bad.node made the scene deep-FAILED: the other members may still
     * load (a loaded machine, a late worker). The progress is asked after all are in. */
    dp_test_settle(f->dp);
    dp_progress_info p;
    assert_int_equal(dp_progress(f->dp, scene, &p), DP_OK);
    assert_scene_totals(f, &p);
    dp_release(f->dp, scene);
}

static void test_group_progress_counts_shared_assets_once_and_late_members(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&dp_test_node_gate);
    dp_group g;
    assert_int_equal(dp_group_create(f->dp, "level", &g), DP_OK);
    assert_int_equal(dp_load_into(f->dp, "mem://a.bundle", g, NULL), DP_OK);
    dp_progress_info p;
    assert_int_equal(dp_group_progress(f->dp, g, &p), DP_OK);
    assert_int_equal(p.total, 1);

    /* b.bundle joins later; shared.node is under both bundles. */
    dp_handle b;
    assert_int_equal(dp_load_into(f->dp, "mem://b.bundle", g, &b), DP_OK);
    assert_int_equal(dp_wait(f->dp, b, -1), DP_ERR_FORMAT);
    dp_handle a;
    assert_int_equal(dp_find(f->dp, "mem://a.bundle", &a), DP_OK);
    assert_int_equal(dp_wait(f->dp, a, -1), DP_OK);
    dp_release(f->dp, a);
    dp_test_settle(f->dp); /* b is deep-FAILED once bad.node failed: b1.node may still load */
    assert_int_equal(dp_group_progress(f->dp, g, &p), DP_OK);
    assert_int_equal(p.total, 2 + 5); /* two bundles; a1 a2 shared b1 bad */
    assert_int_equal(p.loaded, 6);
    assert_int_equal(p.failed, 1);
    assert_true(p.done);

    /* Removing a member shrinks the closure: the next call walks it again. */
    assert_int_equal(dp_group_remove(f->dp, g, b), DP_OK);
    assert_int_equal(dp_group_progress(f->dp, g, &p), DP_OK);
    assert_int_equal(p.total, 4); /* a.bundle a1 a2 shared */
    assert_int_equal(p.failed, 0);
    assert_int_equal(dp_group_destroy(f->dp, g), DP_OK);
    assert_int_equal(dp_group_progress(f->dp, g, &p), DP_ERR_STALE);
    assert_int_equal(dp_update(f->dp), DP_OK);
}

static void test_progress_follows_edges_the_program_adds_and_removes(void **state)
{
    fx *f = *state;
    size_t *x = malloc(sizeof *x), *y = malloc(sizeof *y);
    dp_handle a, b;
    assert_int_equal(dp_add(f->dp, f->node, x, 10, NULL, &a), DP_OK);
    assert_int_equal(dp_add(f->dp, f->node, y, 5, NULL, &b), DP_OK);
    dp_progress_info p;
    assert_int_equal(dp_progress(f->dp, a, &p), DP_OK);
    assert_int_equal(p.total, 1);
    assert_int_equal(p.bytes_loaded, 10);

    assert_int_equal(dp_depend(f->dp, a, b), DP_OK);
    assert_int_equal(dp_progress(f->dp, a, &p), DP_OK);
    assert_int_equal(p.total, 2);
    assert_int_equal(p.loaded, 2);
    assert_int_equal(p.bytes_loaded, 15);

    size_t *y2 = malloc(sizeof *y2);
    assert_int_equal(dp_replace(f->dp, b, y2, 7), DP_OK); /* a new size is counted */
    assert_int_equal(dp_progress(f->dp, a, &p), DP_OK);
    assert_int_equal(p.bytes_loaded, 17);

    assert_int_equal(dp_undepend(f->dp, a, b), DP_OK);
    assert_int_equal(dp_progress(f->dp, a, &p), DP_OK);
    assert_int_equal(p.total, 1);
    assert_int_equal(p.bytes_loaded, 10);

    dp_release(f->dp, a);
    dp_release(f->dp, b);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_progress(f->dp, a, &p), DP_ERR_STALE);
    assert_int_equal(p.total, 0);
}

static void test_progress_refuses_bad_arguments(void **state)
{
    fx *f = *state;
    dp_progress_info p;
    assert_int_equal(dp_progress(NULL, DP_NULL_HANDLE, &p), DP_ERR_INVALID);
    assert_int_equal(dp_progress(f->dp, DP_NULL_HANDLE, NULL), DP_ERR_INVALID);
    assert_int_equal(dp_progress(f->dp, DP_NULL_HANDLE, &p), DP_ERR_STALE);
    assert_int_equal(dp_group_progress(f->dp, (dp_group){0}, &p), DP_ERR_STALE);
    assert_int_equal(dp_group_progress(f->dp, (dp_group){0}, NULL), DP_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_progress_is_monotone_and_exact_at_the_end, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_progress_asked_first_after_the_load_is_exact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_group_progress_counts_shared_assets_once_and_late_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_follows_edges_the_program_adds_and_removes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_refuses_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
