/* test_render_host.c — the render layer against a hostile host program: callbacks that
 * pump the depot, backends that fail for a while or hand back NULL, calls in orders the
 * headers forbid. Counting backend and fixture: render_fixture.h. */
#include "testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_fixture.h"

/* ---- callbacks that pump the depot ---------------------------------------------------------- */

enum { CROWD = 300 };

/* In the first create: adds CROWD assets and runs dp_update, whose LOADED events make the
 * render layer add CROWD entries (growing its entry array) while prepare is in create. */
typedef struct pumper {
    fixture *f;
    dp_handle crowd[CROWD];
    int runs;
} pumper;

static void add_crowd_and_update(void *ctx)
{
    pumper *p = ctx;
    if (p->runs++ > 0)
        return;
    for (int i = 0; i < CROWD; i++)
        p->crowd[i] = add(p->f, NULL, 50);
    assert_int_equal(dp_update(p->f->dp), DP_OK);
}

static void test_create_that_pumps_the_depot_keeps_its_entry(void **state)
{
    fixture *f = *state;
    pumper p = {.f = f};
    f->be.in_create = add_crowd_and_update;
    f->be.in_create_ctx = &p;
    start(f);
    dp_handle h = add(f, "first", 1);
    full_frame(f);
    res *r = get(f, h);
    assert_non_null(r);
    assert_int_equal(r->version, 1);
    assert_int_equal(stats(f).live, 1);
    full_frame(f); /* the crowd's LOADED events were recorded during the create */
    assert_int_equal(stats(f).live, 1 + CROWD);
    for (int i = 0; i < CROWD; i++) {
        assert_non_null(get(f, p.crowd[i]));
        dp_release(f->dp, p.crowd[i]);
    }
    assert_ptr_equal(get(f, h), r);
    dp_release(f->dp, h);
}

/* A reload landing inside the create (the create read the older data) is not lost. */
typedef struct reloader {
    fixture *f;
    dp_handle h;
    int runs;
} reloader;

static void modify_and_update(void *ctx)
{
    reloader *p = ctx;
    if (p->runs++ > 0)
        return;
    modify(p->f, p->h, 2);
    assert_int_equal(dp_update(p->f->dp), DP_OK);
}

static void test_modify_landing_inside_create_is_made_next_frame(void **state)
{
    fixture *f = *state;
    reloader p = {.f = f};
    f->be.in_create = modify_and_update;
    f->be.in_create_ctx = &p;
    start(f);
    p.h = add(f, "a", 1);
    full_frame(f);
    assert_int_equal(get(f, p.h)->version, 1);
    full_frame(f);
    assert_int_equal(get(f, p.h)->version, 2);
    assert_int_equal(dp_render_state_of(f->r, p.h, NULL), DP_RENDER_READY);
    dp_release(f->dp, p.h);
}

typedef struct nester {
    fixture *f;
    dp_status sync, prepare, done;
    int runs;
} nester;

static void call_render_layer(void *ctx)
{
    nester *n = ctx;
    if (n->runs++ > 0)
        return;
    n->sync = dp_render_sync(n->f->r, n->f->frame + 1);
    n->prepare = dp_render_prepare(n->f->r);
    n->done = dp_render_frame_done(n->f->r, n->f->frame);
}

static void test_render_calls_from_inside_a_backend_callback_are_refused(void **state)
{
    fixture *f = *state;
    nester n = {.f = f};
    f->be.in_create = call_render_layer;
    f->be.in_create_ctx = &n;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    assert_int_equal(n.sync, DP_ERR_WRONG_THREAD);
    assert_int_equal(n.prepare, DP_ERR_WRONG_THREAD);
    assert_int_equal(n.done, DP_ERR_WRONG_THREAD);
    assert_non_null(get(f, h));
    assert_int_equal(f->be.created, 1);
    dp_release(f->dp, h);
}

/* Swaps in the stub, then pumps the depot: the stub's MODIFIED reaches the render layer
 * before drop_cpu returns. */
static void drop_and_update(void *user, dp_depot *dp, dp_handle h, dp_type_id type,
                            const void *asset)
{
    drop_to_stub(user, dp, h, type, asset);
    assert_int_equal(dp_update(dp), DP_OK);
}

static void test_drop_cpu_that_pumps_the_depot_keeps_the_resource(void **state)
{
    fixture *f = *state;
    int calls = 0;
    f->desc.drop_cpu = drop_and_update;
    f->desc.drop_cpu_user = &calls;
    start(f);
    dp_handle h = add(f, "mesh", 7);
    full_frame(f);
    res *r = get(f, h);
    assert_non_null(r);
    for (int i = 0; i < 4; i++) {
        full_frame(f);
        assert_ptr_equal(get(f, h), r);
    }
    assert_int_equal(calls, 1);
    assert_int_equal(f->be.created, 1);
    assert_int_equal(stats(f).retired, 0);
    assert_false(r->destroyed);
    assert_true(((const tasset *)dp_get(f->dp, h))->stub);
    /* A real change afterwards still re-creates. */
    modify(f, h, 8);
    full_frame(f);
    assert_int_equal(get(f, h)->version, 8);
    dp_release(f->dp, h);
}

/* ---- failing backends ------------------------------------------------------------------------ */

static void test_transient_failure_during_reload_keeps_the_old_resource_and_retries(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    res *r1 = get(f, h);
    f->be.nomems = 1;
    modify(f, h, 2);
    full_frame(f);
    assert_ptr_equal(get(f, h), r1); /* never blinks */
    assert_false(r1->destroyed);
    assert_int_equal(stats(f).retired, 0);
    assert_int_equal(dp_render_state_of(f->r, h, NULL), DP_RENDER_WAITING);
    full_frame(f);
    res *r2 = get(f, h);
    assert_int_equal(r2->version, 2);
    assert_int_equal(dp_render_state_of(f->r, h, NULL), DP_RENDER_READY);
    full_frame(f);
    assert_true(r1->destroyed);
    dp_release(f->dp, h);
}

static void test_transient_failure_of_a_first_create_is_retried(void **state)
{
    fixture *f = *state;
    start(f);
    f->be.nomems = 2;
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    full_frame(f);
    assert_null(get(f, h));
    assert_int_equal(stats(f).waiting, 1);
    full_frame(f);
    assert_int_equal(get(f, h)->version, 1);
    dp_release(f->dp, h);
}

static void test_permanent_failure_during_reload_drops_the_old_resource_and_says_failed(
    void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    res *r1 = get(f, h);
    f->be.failures = 1;
    modify(f, h, 2);
    full_frame(f);
    assert_null(get(f, h));
    dp_status why = DP_OK;
    assert_int_equal(dp_render_state_of(f->r, h, &why), DP_RENDER_FAILED);
    assert_int_equal(why, DP_ERR_FORMAT);
    full_frame(f);
    assert_true(r1->destroyed);
    modify(f, h, 3);
    full_frame(f);
    assert_int_equal(get(f, h)->version, 3);
    assert_int_equal(dp_render_state_of(f->r, h, &why), DP_RENDER_READY);
    dp_release(f->dp, h);
}

/* A backend that stores integer ids in the resource pointer, starting at 0. */
typedef struct idbackend {
    dp_type_id type;
    uintptr_t next;
    int created, destroyed;
    bool destroyed_id[8];
} idbackend;

static bool id_handles(void *user, dp_type_id type)
{
    return type == ((idbackend *)user)->type;
}

static dp_status id_create(void *user, dp_type_id type, const void *asset, void **gpu,
                           size_t *gpu_bytes)
{
    (void)type;
    (void)asset;
    idbackend *b = user;
    assert_true(b->next < 8);
    *gpu = (void *)b->next++;
    *gpu_bytes = 10;
    b->created++;
    return DP_OK;
}

static void id_destroy(void *user, dp_type_id type, void *gpu)
{
    (void)type;
    idbackend *b = user;
    uintptr_t id = (uintptr_t)gpu;
    assert_true(id < 8);
    assert_false(b->destroyed_id[id]);
    b->destroyed_id[id] = true;
    b->destroyed++;
}

static void test_null_resource_from_create_is_destroyed_and_the_asset_fails(void **state)
{
    fixture *f = *state;
    idbackend ib = {.type = f->type};
    f->desc.backend = (dp_render_backend){id_handles, id_create, id_destroy, &ib};
    start(f);
    dp_handle a = add(f, "zero", 1);
    full_frame(f); /* id 0 comes back as NULL */
    assert_null(dp_render_get(f->r, a));
    dp_status why = DP_OK;
    assert_int_equal(dp_render_state_of(f->r, a, &why), DP_RENDER_FAILED);
    assert_int_equal(why, DP_ERR_INVALID);
    assert_true(ib.destroyed_id[0]);
    dp_handle b = add(f, "one", 1);
    full_frame(f);
    assert_ptr_equal(dp_render_get(f->r, b), (void *)1);
    dp_render_destroy(f->r);
    f->r = NULL;
    assert_int_equal(ib.created, ib.destroyed);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
}

/* ---- contract edges ------------------------------------------------------------------------ */

static void test_get_of_a_freed_asset_is_null_before_the_next_sync(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    res *r = get(f, h);
    assert_non_null(r);
    dp_release(f->dp, h);
    assert_int_equal(dp_update(f->dp), DP_OK); /* FREED */
    assert_null(dp_render_get(f->r, h));
    assert_int_equal(dp_render_state_of(f->r, h, NULL), DP_RENDER_NONE);
    full_frame(f);
    full_frame(f);
    assert_true(r->destroyed);
}

/* Refuses a stub the way the GL backend refuses an image without pixels. */
static dp_status refusing_create(void *user, dp_type_id type, const void *asset, void **gpu,
                                 size_t *gpu_bytes)
{
    if (((const tasset *)asset)->stub) {
        *gpu = NULL;
        *gpu_bytes = 0;
        return DP_ERR_INVALID;
    }
    return cb_create(user, type, asset, gpu, gpu_bytes);
}

static void test_second_layer_sees_a_render_only_asset_as_failed_until_new_data(void **state)
{
    fixture *f = *state;
    f->desc.drop_cpu = drop_to_stub;
    start(f);
    dp_handle h = add(f, "tex", 1);
    full_frame(f);
    assert_non_null(get(f, h));
    /* A device reset: the first layer goes, a new one comes. */
    f->be.done = f->frame;
    dp_render_destroy(f->r);
    dp_render_desc d = {.backend = f->desc.backend};
    d.backend.create = refusing_create;
    assert_int_equal(dp_render_create(f->dp, &d, &f->r), DP_OK);
    full_frame(f);
    assert_null(dp_render_get(f->r, h));
    dp_status why = DP_OK;
    assert_int_equal(dp_render_state_of(f->r, h, &why), DP_RENDER_FAILED);
    assert_int_equal(why, DP_ERR_INVALID);
    /* The program gives the data back (a dp_reload from disk does the same). */
    modify(f, h, 2);
    full_frame(f);
    assert_int_equal(get(f, h)->version, 2);
    dp_release(f->dp, h);
}

static void test_depot_destroyed_under_a_render_layer_is_reported_not_a_crash(void **state)
{
    fixture *f = *state;
    start(f);
    dp_handle h = add(f, "a", 1);
    full_frame(f);
    res *r = get(f, h);
    assert_non_null(r);
    dp_release(f->dp, h);
    /* The wrong order: the layer's own asset is still held, and the depot says so. */
    assert_int_equal(dp_destroy(f->dp), 1);
    f->dp = NULL;
    assert_int_equal(dp_render_sync(f->r, f->frame + 1), DP_ERR_STALE);
    assert_int_equal(dp_render_prepare(f->r), DP_ERR_STALE);
    assert_null(dp_render_get(f->r, h));
    assert_int_equal(dp_render_state_of(f->r, h, NULL), DP_RENDER_NONE);
    assert_false(r->destroyed); /* the GPU may still read it until the layer goes */
    f->be.done = f->frame;
    dp_render_destroy(f->r);
    f->r = NULL;
    assert_true(r->destroyed);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]); /* one test by name, e.g. under ASan */
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_create_that_pumps_the_depot_keeps_its_entry),
        T(test_modify_landing_inside_create_is_made_next_frame),
        T(test_render_calls_from_inside_a_backend_callback_are_refused),
        T(test_drop_cpu_that_pumps_the_depot_keeps_the_resource),
        T(test_transient_failure_during_reload_keeps_the_old_resource_and_retries),
        T(test_transient_failure_of_a_first_create_is_retried),
        T(test_permanent_failure_during_reload_drops_the_old_resource_and_says_failed),
        T(test_null_resource_from_create_is_destroyed_and_the_asset_fails),
        T(test_get_of_a_freed_asset_is_null_before_the_next_sync),
        T(test_second_layer_sees_a_render_only_asset_as_failed_until_new_data),
        T(test_depot_destroyed_under_a_render_layer_is_reported_not_a_crash),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
