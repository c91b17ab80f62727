/* render_fixture.h — the counting backend and the depot fixture shared by the render-layer
 * tests (test_render, test_render_host). Header-only (static inline).
 *
 * The backend keeps every resource it made until the fixture ends, so a second destroy is
 * caught; each resource records the last frame dp_render_get handed it out, and its destroy
 * asserts that dp_render_frame_done had been called for that frame (nothing in use was
 * destroyed). Every teardown checks that the render layer destroyed everything it created
 * and that the depot's allocator has nothing left. Include after testutil.h. */
#ifndef DP_TEST_RENDER_FIXTURE_H
#define DP_TEST_RENDER_FIXTURE_H

#include <stdlib.h>

#include "depot/render.h"

/* ---- a test asset type ------------------------------------------------------------------- */

typedef struct tasset {
    uint32_t version; /* what the resource must show */
    uint32_t meta;    /* survives a render-only drop */
    bool stub;        /* CPU data dropped */
} tasset;

static inline void tasset_destroy(void *a, void *user)
{
    (void)user;
    free(a);
}

static inline tasset *tasset_new(uint32_t version)
{
    tasset *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->version = version;
    t->meta = 1000 + version;
    return t;
}

/* ---- the counting backend ---------------------------------------------------------------- */

enum { MAX_RES = 4096 };

typedef struct res {
    uint32_t version;
    uint64_t last_used; /* last frame dp_render_get returned it */
    bool destroyed;
} res;

typedef struct cbackend {
    dp_type_id type;
    long live, created, destroyed;
    uint64_t done;      /* newest frame reported done */
    int timeouts;       /* answer DP_ERR_TIMEOUT this many more times */
    int failures;       /* answer DP_ERR_FORMAT this many more times */
    int nomems;         /* answer DP_ERR_NOMEM this many more times */
    void (*in_create)(void *ctx); /* called by every create first (a host pumping the depot) */
    void *in_create_ctx;
    res *all[MAX_RES];
    size_t n;
} cbackend;

static inline bool cb_handles(void *user, dp_type_id type)
{
    return type == ((cbackend *)user)->type;
}

static inline dp_status cb_create(void *user, dp_type_id type, const void *asset,
                                  void **gpu, size_t *gpu_bytes)
{
    cbackend *b = user;
    const tasset *a = asset;
    *gpu = NULL;
    *gpu_bytes = 0;
    assert_int_equal(type, b->type);
    assert_false(a->stub); /* a resource is never made from a dropped asset */
    if (b->in_create)
        b->in_create(b->in_create_ctx);
    if (b->timeouts > 0) {
        b->timeouts--;
        return DP_ERR_TIMEOUT;
    }
    if (b->failures > 0) {
        b->failures--;
        return DP_ERR_FORMAT;
    }
    if (b->nomems > 0) {
        b->nomems--;
        return DP_ERR_NOMEM;
    }
    assert_true(b->n < MAX_RES);
    res *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->version = a->version;
    b->all[b->n++] = r;
    b->live++;
    b->created++;
    *gpu = r;
    *gpu_bytes = 100;
    return DP_OK;
}

static inline void cb_destroy(void *user, dp_type_id type, void *gpu)
{
    cbackend *b = user;
    res *r = gpu;
    assert_false(r->destroyed);            /* exactly once */
    assert_true(r->last_used <= b->done);  /* never while a frame that used it runs */
    r->destroyed = true;
    b->live--;
    b->destroyed++;
}

/* ---- fixture ----------------------------------------------------------------------------- */

typedef struct fixture {
    dp_test_alloc ta;
    dp_depot *dp;
    dp_type_id type;
    cbackend be;
    dp_render *r;
    dp_render_desc desc;
    uint64_t frame;
} fixture;

static inline int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    dp_desc d = {.allocator = &f->ta.iface, .workers = 1};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    dp_type t = {.name = "tasset", .destroy = tasset_destroy};
    assert_int_equal(dp_register_type(f->dp, &t, &f->type), DP_OK);
    f->be.type = f->type;
    f->desc.backend = (dp_render_backend){cb_handles, cb_create, cb_destroy, &f->be};
    *state = f;
    return 0;
}

static inline void start(fixture *f)
{
    assert_int_equal(dp_render_create(f->dp, &f->desc, &f->r), DP_OK);
}

static inline int teardown(void **state)
{
    fixture *f = *state;
    f->be.done = f->frame; /* the GPU is idle at shutdown */
    dp_render_destroy(f->r);
    assert_int_equal(f->be.live, 0);
    assert_int_equal(f->be.created, f->be.destroyed);
    dp_destroy(f->dp);
    assert_int_equal(atomic_load(&f->ta.live), 0);
    for (size_t i = 0; i < f->be.n; i++)
        free(f->be.all[i]);
    free(f);
    return 0;
}

static inline dp_handle add(fixture *f, const char *key, uint32_t version)
{
    dp_handle h;
    tasset *a = tasset_new(version);
    assert_int_equal(dp_add(f->dp, f->type, a, 1000, key, &h), DP_OK);
    return h;
}

static inline void modify(fixture *f, dp_handle h, uint32_t version)
{
    tasset *a = tasset_new(version);
    assert_int_equal(dp_replace(f->dp, h, a, 1000), DP_OK);
}

/* The resource of h in the current frame (recording its use), or NULL. */
static inline res *get(fixture *f, dp_handle h)
{
    res *r = dp_render_get(f->r, h);
    if (r) {
        assert_false(r->destroyed);
        r->last_used = f->frame;
    }
    return r;
}

static inline void done(fixture *f, uint64_t frame)
{
    if (frame > f->be.done)
        f->be.done = frame;
    assert_int_equal(dp_render_frame_done(f->r, frame), DP_OK);
}

/* update, sync of the next frame, prepare. */
static inline void next_frame(fixture *f)
{
    assert_int_equal(dp_update(f->dp), DP_OK);
    f->frame++;
    assert_int_equal(dp_render_sync(f->r, f->frame), DP_OK);
    assert_int_equal(dp_render_prepare(f->r), DP_OK);
}

/* A whole frame: next_frame and frame_done of it. */
static inline void full_frame(fixture *f)
{
    next_frame(f);
    done(f, f->frame);
}

static inline dp_render_stats stats(fixture *f)
{
    dp_render_stats s;
    dp_render_get_stats(f->r, 0, &s);
    return s;
}

/* drop_cpu: swaps in a stub that keeps the metadata; counts calls in *(int *)user (NULL:
 * none). */
static inline void drop_to_stub(void *user, dp_depot *dp, dp_handle h, dp_type_id type,
                                const void *asset)
{
    (void)type;
    tasset *stub = tasset_new(0);
    stub->meta = ((const tasset *)asset)->meta;
    stub->stub = true;
    assert_int_equal(dp_replace(dp, h, stub, sizeof *stub), DP_OK);
    if (user)
        (*(int *)user)++;
}

#endif
