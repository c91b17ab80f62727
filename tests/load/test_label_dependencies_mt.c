/* test_label_dependencies_mt.c — a label with dependencies of its own (issue 9, defect 8): a
 * "mat" file emits one label per line, "<label> <texture key>" or "<label> -", and names
 * each texture for its label with dp_ctx_load_dep_for, as a glTF loader does for a
 * material. The label's deep state waits for its texture, the label alone keeps its texture
 * alive after the file is released, releasing the label releases it, and a reload replaces
 * a label's dependencies. Textures "*.slow" wait at a gate the test opens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "gate.h"
#include "testutil.h"


typedef struct mat {
    dp_handle texture; /* weak; the label's edge holds it */
} mat;

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id file, mat, tex, slow;
    dp_test_gate gate;
} fx;

static fx *the_fx;

static dp_status emit_line(dp_load_ctx *ctx, const char *label, const char *key)
{
    mat m = {DP_NULL_HANDLE};
    dp_status st = strcmp(key, "-") ? dp_ctx_load_dep_for(ctx, label, key, &m.texture) : DP_OK;
    if (st != DP_OK)
        return st;
    const dp_allocator *a = dp_ctx_allocator(ctx);
    mat *p = a->alloc(sizeof *p, a->user);
    if (!p)
        return DP_ERR_NOMEM;
    *p = m;
    st = dp_ctx_add_labelled(ctx, label, the_fx->mat, p, sizeof *p, NULL);
    if (st != DP_OK)
        a->free(p, a->user);
    return st;
}

static dp_status file_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    char text[256] = {0};
    memcpy(text, bytes, len < 255 ? len : 255);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char label[64], key[128];
        if (sscanf(line, "%63s %127s", label, key) != 2)
            return DP_ERR_FORMAT;
        dp_status st = emit_line(ctx, label, key);
        if (st != DP_OK)
            return st;
    }
    return dp_test_ctx_result(ctx, 8, asset, asset_bytes);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    the_fx = f;
    dp_test_alloc_init(&f->alloc);
    dp_desc d = {.workers = 2, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    static const char *const file_ext[] = {"mats", NULL}, *const tex_ext[] = {"tex", NULL};
    dp_type types[] = {
        {.name = "mats", .extensions = file_ext, .load = file_load},
        {.name = "mat"},
        {.name = "tex", .extensions = tex_ext, .load = dp_test_bytes_load},
    };
    dp_type_id *ids[] = {&f->file, &f->mat, &f->tex};
    for (int i = 0; i < 3; i++) {
        types[i].destroy = dp_test_alloc_destroy;
        types[i].user = &f->alloc;
        assert_int_equal(dp_register_type(f->dp, &types[i], ids[i]), DP_OK);
    }
    assert_int_equal(dp_test_slow_register(f->dp, &f->gate, &f->alloc, &f->slow), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "a.tex", "a", 1), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "b.tex", "b", 1), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "s.slow", "s", 1), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_test_gate_open(&f->gate);
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static void put(fx *f, const char *text)
{
    assert_int_equal(dp_mem_add(f->dp, "x.mats", text, strlen(text)), DP_OK);
}

/* The child of `parent` (it must have exactly one). */
static void one_child(void *user, dp_handle child)
{
    dp_handle *out = user;
    assert_true(dp_handle_is_null(*out));
    *out = child;
}

static dp_handle child_of(fx *f, dp_handle parent)
{
    dp_handle c = DP_NULL_HANDLE;
    assert_int_equal(dp_children(f->dp, parent, one_child, &c), DP_OK);
    return c;
}

typedef struct other_child {
    dp_handle skip, found;
} other_child;

static void not_skipped(void *user, dp_handle child)
{
    other_child *o = user;
    if (dp_handle_eq(child, o->skip))
        return;
    assert_true(dp_handle_is_null(o->found));
    o->found = child;
}

/* The one child of a label other than its file (a label that dp_load made holds its file). */
static dp_handle child_of_label(fx *f, dp_handle label, dp_handle file)
{
    other_child o = {file, DP_NULL_HANDLE};
    assert_int_equal(dp_children(f->dp, label, not_skipped, &o), DP_OK);
    return o.found;
}

static bool alive(fx *f, const char *key)
{
    dp_handle h;
    if (dp_find(f->dp, key, &h) != DP_OK)
        return false;
    dp_release(f->dp, h);
    return true;
}

static void settle(fx *f)
{
    for (int i = 0; i < 4; i++) {
        dp_update(f->dp);
        dp_collect_cycles(f->dp);
    }
}

static void test_a_labels_deep_state_waits_for_its_own_dependency(void **state)
{
    fx *f = *state;
    put(f, "slowmat mem://s.slow\nplain -\n");
    dp_handle x, m, p;
    assert_int_equal(dp_load(f->dp, "mem://x.mats", &x), DP_OK);
    uint64_t until = dp_test_now_ns() + (uint64_t)DP_TEST_WAIT_MS * 1000000u;
    while (dp_state_of(f->dp, x) != DP_STATE_LOADED && dp_test_now_ns() < until)
        dp_update(f->dp);
    assert_int_equal(dp_find(f->dp, "mem://x.mats#slowmat", &m), DP_OK);
    assert_int_equal(dp_find(f->dp, "mem://x.mats#plain", &p), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_state_of(f->dp, m), DP_STATE_LOADED);
    assert_int_not_equal(dp_state_deep(f->dp, m), DP_STATE_LOADED); /* s.slow is loading */
    assert_int_equal(dp_state_deep(f->dp, p), DP_STATE_LOADED);
    const mat *md = dp_get(f->dp, m);
    assert_true(dp_handle_eq(child_of(f, m), md->texture)); /* the edge starts at the label */
    dp_test_gate_open(&f->gate);
    assert_int_equal(dp_wait(f->dp, m, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_state_deep(f->dp, x), DP_STATE_LOADED);
    dp_release(f->dp, p);
    dp_release(f->dp, m);
    dp_release(f->dp, x);
    settle(f);
    assert_false(alive(f, "mem://s.slow"));
}

static void test_a_label_alone_keeps_its_dependency_and_releases_it(void **state)
{
    fx *f = *state;
    put(f, "m mem://a.tex\n");
    dp_handle x, m;
    assert_int_equal(dp_load(f->dp, "mem://x.mats", &x), DP_OK);
    assert_int_equal(dp_wait(f->dp, x, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_find(f->dp, "mem://x.mats#m", &m), DP_OK);
    assert_int_equal(dp_release(f->dp, x), DP_OK);
    settle(f);
    assert_false(alive(f, "mem://x.mats")); /* the file went; the label stays ours */
    assert_int_equal(dp_state_of(f->dp, m), DP_STATE_LOADED);
    assert_true(alive(f, "mem://a.tex"));   /* kept by the label's own edge */
    assert_int_equal(dp_state_deep(f->dp, m), DP_STATE_LOADED);
    assert_int_equal(dp_release(f->dp, m), DP_OK);
    settle(f);
    assert_false(alive(f, "mem://a.tex"));  /* the release cascaded through the label */
}

static void test_a_reload_replaces_a_labels_dependencies(void **state)
{
    fx *f = *state;
    put(f, "m mem://a.tex\n");
    dp_handle x, m;
    assert_int_equal(dp_load(f->dp, "mem://x.mats#m", &m), DP_OK);
    assert_int_equal(dp_wait(f->dp, m, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_find(f->dp, "mem://x.mats", &x), DP_OK);
    put(f, "m mem://b.tex\n");
    assert_int_equal(dp_reload(f->dp, x), DP_OK);
    /* Until the reload is applied: the label's data names b.tex. */
    uint64_t until = dp_test_now_ns() + (uint64_t)DP_TEST_WAIT_MS * 1000000u;
    const mat *md = dp_get(f->dp, m);
    dp_handle a = md->texture;
    while (dp_handle_eq(md->texture, a) && dp_test_now_ns() < until) {
        dp_update(f->dp);
        md = dp_get(f->dp, m);
    }
    assert_int_equal(dp_wait(f->dp, m, DP_TEST_WAIT_MS), DP_OK);
    settle(f);
    assert_false(alive(f, "mem://a.tex"));
    dp_handle b;
    assert_int_equal(dp_find(f->dp, "mem://b.tex", &b), DP_OK);
    md = dp_get(f->dp, m);
    assert_true(dp_handle_eq(md->texture, b));
    assert_true(dp_handle_eq(child_of_label(f, m, x), b));
    dp_release(f->dp, b);
    dp_release(f->dp, x);
    dp_release(f->dp, m);
    settle(f);
    assert_false(alive(f, "mem://b.tex"));
}

static void test_load_dep_for_refuses_bad_labels(void **state)
{
    (void)state;
    dp_handle c;
    assert_int_equal(dp_ctx_load_dep_for(NULL, "m", "mem://a.tex", &c), DP_ERR_INVALID);
    assert_true(dp_handle_is_null(c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_labels_deep_state_waits_for_its_own_dependency,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_label_alone_keeps_its_dependency_and_releases_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_reload_replaces_a_labels_dependencies, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_dep_for_refuses_bad_labels, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
