/* requires: json */
/* test_load_api.c — events of loaded assets, custom sources that watch and report changes,
 * and loading a bundle into a group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depot/depot.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    assert_int_equal(dp_create(&(dp_desc){.workers = 1, .allocator = &f->alloc.iface}, &f->dp),
                     DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->dp)
        assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

/* Pumps updates counting events of `kind` for `h`: at least `updates` of them, on (up to the
 * hang guard DP_TEST_WAIT_MS) until one was seen, and then `updates` more, so that a second
 * one would be counted too. A fixed number of updates failed on a loaded machine whose
 * worker had not run yet (the count came back 0). */
static int pump_count(fx *f, dp_handle h, dp_event_kind kind, int updates)
{
    int seen = 0, after = 0;
    uint64_t t0 = dp_test_now_ns();
    for (int i = 0; (i < updates || !seen || after < updates) && dp_test_waiting(t0); i++) {
        dp_update(f->dp);
        const dp_event *ev;
        size_t n = dp_events(f->dp, &ev);
        for (size_t k = 0; k < n; k++)
            seen += ev[k].kind == kind && dp_handle_eq(ev[k].handle, h);
        after += seen > 0;
        usleep(1000);
    }
    return seen;
}

static void test_loaded_asset_announces_loaded_once(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_mem_add(f->dp, "a.txt", "abc", 3), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "mem://a.txt", &h), DP_OK);
    /* Let the worker finish before the first update, so that the result and the creation
     * are seen by the same update: that used to announce LOADED twice. */
    assert_int_equal(dp_wait_idle(f->dp, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(pump_count(f, h, DP_EV_LOADED, 20), 1);
    dp_release(f->dp, h);
}

/* A source whose content the test changes; it reports changes through poll. */
typedef struct gen_src {
    int version;
    int watched;
    int changed;
    char path[64];
} gen_src;

static dp_status gen_read(void *user, const char *path, const dp_cancel *c, void **bytes, size_t *len)
{
    (void)c;
    gen_src *g = user;
    char *s = malloc(64);
    *len = (size_t)snprintf(s, 64, "%s v%d", path, g->version);
    *bytes = s;
    return DP_OK;
}

static void gen_free(void *user, void *bytes)
{
    (void)user;
    free(bytes);
}

static dp_status gen_watch(void *user, const char *path)
{
    gen_src *g = user;
    g->watched++;
    snprintf(g->path, sizeof g->path, "%s", path);
    return DP_OK;
}

static void gen_poll(void *user, void (*changed)(void *ctx, const char *path), void *ctx)
{
    gen_src *g = user;
    if (g->changed) {
        g->changed = 0;
        changed(ctx, g->path);
    }
}

static void test_custom_source_watch_and_poll_reload_the_asset(void **state)
{
    fx *f = *state;
    gen_src g = {.version = 1};
    dp_source src = {.scheme = "gen", .read = gen_read, .free_bytes = gen_free,
                     .watch = gen_watch, .poll = gen_poll, .user = &g};
    assert_int_equal(dp_register_source(f->dp, &src), DP_OK);
    dp_handle h;
    assert_int_equal(dp_load_as(f->dp, "gen://x.txt", dp_builtins(f->dp).blob, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(g.watched, 1);
    assert_string_equal(g.path, "x.txt");
    assert_string_equal((char *)((dp_blob *)dp_get(f->dp, h))->bytes, "x.txt v1");
    g.version = 2;
    g.changed = 1;
    assert_int_equal(pump_count(f, h, DP_EV_MODIFIED, 200), 1);
    assert_string_equal((char *)((dp_blob *)dp_get(f->dp, h))->bytes, "x.txt v2");
    dp_release(f->dp, h);
    dp_update(f->dp);
}

static void test_load_into_group_unloads_with_the_group(void **state)
{
    fx *f = *state;
    const char *bundle = "{\"assets\": [\"mem://m1.txt\", \"mem://m2.txt\"]}";
    dp_mem_add(f->dp, "scene.bundle", bundle, strlen(bundle));
    dp_mem_add(f->dp, "m1.txt", "1", 1);
    dp_mem_add(f->dp, "m2.txt", "2", 1);
    dp_group g;
    assert_int_equal(dp_group_create(f->dp, "scene", &g), DP_OK);
    dp_handle b;
    assert_int_equal(dp_load_into(f->dp, "mem://scene.bundle", g, &b), DP_OK);
    assert_int_equal(dp_count(f->dp, b), 1); /* the group's */
    assert_int_equal(dp_load_into(f->dp, "mem://scene.bundle", g, NULL), DP_ERR_EXISTS);
    assert_int_equal(dp_count(f->dp, b), 1);
    assert_int_equal(dp_wait(f->dp, b, DP_TEST_WAIT_MS), DP_OK);
    dp_stats st;
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 3);
    assert_int_equal(dp_group_release(f->dp, g), DP_OK);
    dp_update(f->dp);
    dp_get_stats(f->dp, &st);
    assert_int_equal(st.live_assets, 0);
    assert_int_equal(dp_group_destroy(f->dp, g), DP_OK);
    assert_int_equal(dp_load_into(f->dp, "mem://scene.bundle", g, NULL), DP_ERR_STALE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_loaded_asset_announces_loaded_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_source_watch_and_poll_reload_the_asset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_into_group_unloads_with_the_group, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
