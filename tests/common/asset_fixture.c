/* asset_fixture.c — see asset_fixture.h. */
#include "asset_fixture.h"

#include "asset/asset_internal.h" /* dp__cycles_phase, the candidate list */

#include <stdlib.h>

static void destroy_obj(void *asset, void *user)
{
    fixture *f = user;
    obj *o = asset;
    f->destroyed++;
    if (o->id >= 0 && o->id < DP_FX_MAXID)
        f->per_id[o->id]++;
    free(o);
}

int dp_fx_setup_desc(void **state, dp_desc d)
{
    fixture *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    d.allocator = &f->alloc.iface;
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    dp_type t = {.name = "obj", .destroy = destroy_obj, .user = f};
    assert_int_equal(dp_register_type(f->dp, &t, &f->type), DP_OK);
    *state = f;
    return 0;
}

int dp_fx_setup(void **state)
{
    return dp_fx_setup_desc(state, (dp_desc){0});
}

int dp_fx_teardown(void **state)
{
    fixture *f = *state;
    if (f->dp)
        dp_destroy(f->dp);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    for (int i = 0; i < f->next_id && i < DP_FX_MAXID; i++)
        assert_int_equal(f->per_id[i], 1); /* every asset destroyed exactly once */
    free(f);
    return 0;
}

obj *dp_fx_mk(fixture *f)
{
    obj *o = malloc(sizeof *o);
    o->id = f->next_id++;
    return o;
}

dp_handle dp_fx_add(fixture *f, const char *key)
{
    dp_handle h;
    assert_int_equal((dp_add)(f->dp, f->type, dp_fx_mk(f), 16, key, &h), DP_OK);
    return h;
}

size_t dp_fx_count_events(fixture *f, dp_event_kind kind)
{
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev), c = 0;
    for (size_t i = 0; i < n; i++)
        c += ev[i].kind == kind;
    return c;
}

dp_handle *dp_fx_ring(fixture *f, size_t n, const char *key0)
{
    dp_handle *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = dp_fx_add(f, i ? NULL : key0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(dp_depend(f->dp, v[i], v[(i + 1) % n]), DP_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(dp_release(f->dp, v[i]), DP_OK);
    return v;
}

int dp_fx_settle(fixture *f)
{
    int u = 0;
    do {
        assert_int_equal(dp_update(f->dp), DP_OK);
        assert_true(++u < 100000);
    } while (dp__cycles_phase(f->dp) != 0 || f->dp->cands.n);
    return u;
}

void dp_fx_step_to(fixture *f, int phase)
{
    for (int u = 0; dp__cycles_phase(f->dp) != phase; u++) {
        assert_true(u < 100000);
        assert_int_equal(dp_update(f->dp), DP_OK);
    }
}

size_t dp_fx_freed_total(fixture *f)
{
    dp_stats st;
    assert_int_equal(dp_get_stats(f->dp, &st), DP_OK);
    return st.freed_total;
}
