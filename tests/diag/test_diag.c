/* test_diag.c — diagnostics: the dot graph parses and names every key and edge, dp_check
 * catches a count that nothing explains, a key that leads to another asset and a repeated
 * edge, and dp_get_stats counts what is there. */
#include "asset/asset_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "asset_fixture.h"
#include "testutil.h"

static int setup_holders(void **state) { return setup_desc(state, (dp_desc){.track_holders = true, .keep_unused_bytes = 64}); }

static char *dot_of(fixture *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_int_equal(dp_write_dot(f->dp, m), DP_OK);
    fclose(m);
    return buf;
}

static void test_dot_output_parses_and_names_every_key_and_edge(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "scene/a \"quoted\""), b = add(f, "tex\\b"), c = add(f, NULL);
    dp_depend(f->dp, a, b);
    dp_depend(f->dp, b, c);
    dp_depend(f->dp, c, a);
    dp_group g;
    dp_group_create(f->dp, "level \"1\"", &g);
    dp_group_add(f->dp, g, b);
    char *dot = dot_of(f);
    assert_non_null(strstr(dot, "digraph"));
    assert_non_null(strstr(dot, "scene/a \\\"quoted\\\""));
    assert_non_null(strstr(dot, "tex\\\\b"));
    char edge[64];
    dp_handle from[] = {a, b, c}, to[] = {b, c, a};
    for (int i = 0; i < 3; i++) {
        snprintf(edge, sizeof edge, "a%u -> a%u;", dp_handle_index(from[i]), dp_handle_index(to[i]));
        assert_non_null(strstr(dot, edge));
    }
    if (system("command -v dot >/dev/null 2>&1") == 0) {
        FILE *p = popen("dot -Tsvg >/dev/null", "w");
        assert_non_null(p);
        fputs(dot, p);
        assert_int_equal(pclose(p), 0);
    }
    free(dot);
    dp_group_destroy(f->dp, g);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
    dp_release(f->dp, c);
    dp_collect_cycles(f->dp);
}

static void test_check_catches_a_count_nothing_explains(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "a");
    assert_int_equal(dp_check(f->dp), DP_OK);
    _Atomic uint64_t *w = dp__word(f->dp, h);
    atomic_fetch_add(w, (uint64_t)1 << 32); /* a count without a holder */
    assert_int_equal(dp_check(f->dp), DP_ERR_OVERFLOW);
    atomic_fetch_sub(w, (uint64_t)2 << 32); /* a holder without a count */
    assert_int_equal(dp_check(f->dp), DP_ERR_UNDERFLOW);
    atomic_fetch_add(w, (uint64_t)1 << 32);
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, h);
}

static void test_check_catches_a_broken_key_table(void **state)
{
    fixture *f = *state;
    dp_handle h = add(f, "a");
    dp__asset *r = dp__rec_at(f->dp, dp_handle_index(h));
    char *key = r->key;
    r->key = NULL; /* the table names an asset that has no key */
    assert_int_equal(dp_check(f->dp), DP_ERR_INVALID);
    r->key = key;
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, h);
}

static void test_check_catches_a_key_that_leads_to_another_asset(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "a"), b = add(f, "b");
    dp__asset *ra = dp__rec_at(f->dp, dp_handle_index(a));
    dp__asset *rb = dp__rec_at(f->dp, dp_handle_index(b));
    char *ka = ra->key;
    ra->key = rb->key; /* every handle is still in the table, but "b" does not lead to a */
    rb->key = ka;
    assert_int_equal(dp_check(f->dp), DP_ERR_INVALID);
    rb->key = ra->key;
    ra->key = ka;
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, a);
    dp_release(f->dp, b);
}

/* 3,000 keyed children of one keyed parent: the check holds at that scale, and a repeat of
 * the first edge in the last place is caught. */
static void test_check_catches_a_repeated_edge_among_thousands(void **state)
{
    enum { N = 3000 };
    fixture *f = *state;
    dp_handle p = add(f, "parent"), kids[N];
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "kid/%d", i);
        kids[i] = add(f, key);
        assert_int_equal(dp_depend(f->dp, p, kids[i]), DP_OK);
    }
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp__asset *r = dp__rec_at(f->dp, dp_handle_index(p));
    assert_int_equal(r->nkids, N);
    dp_handle last = r->kids.many[N - 1];
    r->kids.many[N - 1] = r->kids.many[0];
    assert_int_equal(dp_check(f->dp), DP_ERR_INVALID);
    r->kids.many[N - 1] = last;
    assert_int_equal(dp_check(f->dp), DP_OK);
    dp_release(f->dp, p);
    for (int i = 0; i < N; i++)
        dp_release(f->dp, kids[i]);
}

static void test_stats_count_states_bytes_edges_groups_and_frees(void **state)
{
    fixture *f = *state;
    dp_handle a = add(f, "a"), b = add(f, "b"), c = add(f, NULL), x = add(f, NULL), y = add(f, NULL);
    dp_depend(f->dp, a, b);
    dp_depend(f->dp, x, y);
    dp_depend(f->dp, y, x);
    dp_group g;
    dp_group_create(f->dp, "g", &g);
    dp_group_add(f->dp, g, c);
    dp_release(f->dp, c);    /* held by the group */
    dp_release(f->dp, b);    /* held by a's edge */
    dp_release(f->dp, x);
    dp_release(f->dp, y);    /* a garbage cycle, until the next update collects it */
    dp_stats st;
    assert_int_equal(dp_get_stats(f->dp, &st), DP_OK);
    assert_int_equal(st.assets_by_state[DP_STATE_LOADED], 5);
    assert_int_equal(st.live_assets, 5);
    assert_int_equal(st.held_bytes, 5 * 16);
    assert_int_equal(st.edges, 3);
    assert_int_equal(st.groups, 1);
    assert_int_equal(st.freed_total, 0);

    dp_update(f->dp);
    dp_release(f->dp, a); /* a is keyed: cached; its edge keeps b */
    dp_update(f->dp);
    assert_int_equal(dp_get_stats(f->dp, &st), DP_OK);
    assert_int_equal(st.cycles_collected, 2);
    assert_int_equal(st.freed_total, 2);
    assert_int_equal(st.live_assets, 3);
    assert_int_equal(st.unused_assets, 1);
    assert_int_equal(st.unused_cached_bytes, 2 * 16); /* a, and b that only a's edge keeps */
    assert_int_equal(st.held_bytes, 2 * 16);
    assert_int_equal(st.edges, 1);

    dp_group_destroy(f->dp, g);
    dp_release_unused(f->dp);
    dp_update(f->dp);
    assert_int_equal(dp_get_stats(f->dp, &st), DP_OK);
    assert_int_equal(st.groups, 0);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(st.edges, 0);
    assert_int_equal(st.freed_total, 5);
    assert_int_equal(dp_check(f->dp), DP_OK);
    size_t n, bytes;
    assert_int_equal(dp_type_stats(f->dp, f->type, &n, &bytes), DP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(count_events(f, DP_EV_FREED), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dot_output_parses_and_names_every_key_and_edge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_catches_a_count_nothing_explains, setup_holders, teardown),
        cmocka_unit_test_setup_teardown(test_check_catches_a_broken_key_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_catches_a_key_that_leads_to_another_asset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_catches_a_repeated_edge_among_thousands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_count_states_bytes_edges_groups_and_frees, setup_holders, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
