/* test_ranged.c — ranged reads: a type marked with dp_type_ranged reads parts of its content
 * with dp_ctx_read (pread on the file source), any type may use dp_ctx_read on the whole
 * content, custom sources gain open/size/read_at/close, and a source struct of the first
 * version (without those fields) still registers and loads. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

typedef struct fx {
    dp_test_alloc alloc;
    dp_depot *dp;
    char dir[256];
    dp_type_id slice; /* keeps bytes [4, 12) of its content */
} fx;

/* What the "slice" loader saw. */
typedef struct slice {
    char part[9];
    bool got_bytes;   /* the callback was given the whole content */
    uint64_t size;    /* dp_ctx_size */
    dp_status past_end; /* dp_ctx_read of a range past the end */
} slice;

static dp_status slice_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                            size_t *asset_bytes)
{
    slice *s = calloc(1, sizeof *s);
    s->got_bytes = bytes != NULL;
    dp_ctx_size(ctx, &s->size);
    assert_int_equal(s->size, len);
    dp_status st = dp_ctx_read(ctx, 4, 8, s->part);
    if (st != DP_OK) {
        free(s);
        return st;
    }
    char one;
    s->past_end = dp_ctx_read(ctx, len, 1, &one);
    *asset = s;
    *asset_bytes = sizeof *s;
    return DP_OK;
}

static void slice_destroy(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    char path[512];
    snprintf(path, sizeof path, "%s/a.slice", f->dir);
    assert_int_equal(dp_test_write_file(path, "0123456789abcdefghij", 20), 0);
    assert_int_equal(dp_create(&(dp_desc){.workers = 2, .root = f->dir,
                                           .allocator = &f->alloc.iface}, &f->dp), DP_OK);
    static const char *const exts[] = {"slice", NULL};
    dp_type t = {.name = "slice", .extensions = exts, .load = slice_load,
                 .destroy = slice_destroy};
    assert_int_equal(dp_register_type(f->dp, &t, &f->slice), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    dp_test_rmrf(f->dir);
    free(f);
    return 0;
}

static const slice *load_slice(fx *f, const char *key, dp_handle *h)
{
    assert_int_equal(dp_load(f->dp, key, h), DP_OK);
    assert_int_equal(dp_wait(f->dp, *h, DP_TEST_WAIT_MS), DP_OK);
    return dp_get(f->dp, *h);
}

static void test_ranged_type_reads_part_of_a_file_without_reading_it_whole(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_type_ranged(f->dp, f->slice, true), DP_OK);
    dp_handle h;
    const slice *s = load_slice(f, "a.slice", &h);
    assert_false(s->got_bytes);
    assert_int_equal(s->size, 20);
    assert_string_equal(s->part, "456789ab");
    dp_release(f->dp, h);
}

static void test_ctx_read_works_on_the_whole_content_of_any_type(void **state)
{
    fx *f = *state;
    dp_handle h;
    const slice *s = load_slice(f, "a.slice", &h);
    assert_true(s->got_bytes);
    assert_int_equal(s->size, 20);
    assert_string_equal(s->part, "456789ab");
    dp_release(f->dp, h);
}

static void test_ctx_read_past_the_end_is_a_format_error(void **state)
{
    fx *f = *state;
    for (int ranged = 0; ranged < 2; ranged++) {
        assert_int_equal(dp_type_ranged(f->dp, f->slice, ranged), DP_OK);
        dp_handle h;
        const slice *s = load_slice(f, "a.slice", &h);
        assert_int_equal(s->past_end, DP_ERR_FORMAT);
        dp_release(f->dp, h);
        dp_update(f->dp);
    }
}

static void test_ranged_type_on_a_source_without_ranges_gets_the_whole_content(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_type_ranged(f->dp, f->slice, true), DP_OK);
    assert_int_equal(dp_mem_add(f->dp, "m.slice", "ABCDEFGHIJKLMNOP", 16), DP_OK);
    dp_handle h;
    const slice *s = load_slice(f, "mem://m.slice", &h);
    assert_true(s->got_bytes);
    assert_string_equal(s->part, "EFGHIJKL");
    dp_release(f->dp, h);
}

static void test_a_content_shorter_than_the_range_fails_the_load(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_type_ranged(f->dp, f->slice, true), DP_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/short.slice", f->dir);
    assert_int_equal(dp_test_write_file(path, "0123", 4), 0);
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "short.slice", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_FORMAT);
    dp_release(f->dp, h);
}

/* ---- custom sources ------------------------------------------------------------------- */

/* A source whose content is "r:" + path repeated, counting how it was read. */
typedef struct gen {
    int reads, opens, read_ats, closes;
} gen;

static dp_status gen_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                          size_t *len)
{
    (void)cancel;
    gen *g = user;
    g->reads++;
    char *s = malloc(64);
    snprintf(s, 64, "r:%s-%s-%s", path, path, path);
    *bytes = s;
    *len = strlen(s);
    return DP_OK;
}

static void gen_free(void *user, void *bytes)
{
    (void)user;
    free(bytes);
}

static dp_status gen_open(void *user, const char *path, const dp_cancel *cancel, void **file)
{
    (void)cancel;
    gen *g = user;
    g->opens++;
    char *s = malloc(64);
    snprintf(s, 64, "o:%s-%s-%s", path, path, path);
    *file = s;
    return DP_OK;
}

static dp_status gen_size(void *user, void *file, uint64_t *size)
{
    (void)user;
    *size = strlen(file);
    return DP_OK;
}

static dp_status gen_read_at(void *user, void *file, uint64_t offset, void *buf, size_t len,
                             const dp_cancel *cancel)
{
    (void)cancel;
    gen *g = user;
    g->read_ats++;
    memcpy(buf, (char *)file + offset, len);
    return DP_OK;
}

static void gen_close(void *user, void *file)
{
    gen *g = user;
    g->closes++;
    free(file);
}

static void test_custom_source_with_ranged_fields_is_read_in_ranges(void **state)
{
    fx *f = *state;
    gen g = {0};
    dp_source src = {.scheme = "gen", .read = gen_read, .free_bytes = gen_free, .user = &g,
                     .open = gen_open, .size = gen_size, .read_at = gen_read_at,
                     .close = gen_close};
    assert_int_equal(dp_register_source(f->dp, &src), DP_OK);
    assert_int_equal(dp_type_ranged(f->dp, f->slice, true), DP_OK);
    dp_handle h;
    const slice *s = load_slice(f, "gen://x.slice", &h);
    assert_string_equal(s->part, "slice-x."); /* "o:x.slice-x.slice-x.slice"[4..12) */
    assert_int_equal(g.reads, 0);
    assert_int_equal(g.opens, 1);
    assert_int_equal(g.read_ats, 1);
    assert_int_equal(g.closes, 1);
    dp_release(f->dp, h);
}

/* The dp_source of the first version: the fields up to `user`, nothing after. */
typedef struct source_v1 {
    const char *scheme;
    dp_status (*read)(void *, const char *, const dp_cancel *, void **, size_t *);
    void (*free_bytes)(void *, void *);
    dp_status (*watch)(void *, const char *);
    void (*poll)(void *, void (*)(void *, const char *), void *);
    void (*destroy)(void *);
    void *user;
} source_v1;

static void test_source_struct_of_the_first_version_still_registers_and_loads(void **state)
{
    fx *f = *state;
    gen g = {0};
    /* Exactly as large as the old struct, on the heap: ASan reports any read past it. */
    source_v1 *old = malloc(sizeof *old);
    *old = (source_v1){.scheme = "old", .read = gen_read, .free_bytes = gen_free, .user = &g};
    assert_int_equal(sizeof *old, offsetof(dp_source, open));
    assert_int_equal((dp_register_source)(f->dp, (const dp_source *)old), DP_OK);
    free(old);
    assert_int_equal(dp_type_ranged(f->dp, f->slice, true), DP_OK);
    dp_handle h;
    const slice *s = load_slice(f, "old://y.slice", &h);
    assert_true(s->got_bytes);
    assert_string_equal(s->part, "slice-y."); /* "r:y.slice-..." [4..12) */
    assert_int_equal(g.reads, 1);
    dp_release(f->dp, h);
}

static void test_source_with_only_some_ranged_fields_is_refused(void **state)
{
    fx *f = *state;
    gen g = {0};
    dp_source src = {.scheme = "half", .read = gen_read, .free_bytes = gen_free, .user = &g,
                     .open = gen_open, .read_at = gen_read_at};
    assert_int_equal(dp_register_source(f->dp, &src), DP_ERR_INVALID);
    assert_int_equal(dp_register_source_sized(f->dp, &src, 8), DP_ERR_INVALID);
}

static void test_type_ranged_of_an_unknown_type_is_invalid(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_type_ranged(f->dp, 0, true), DP_ERR_INVALID);
    assert_int_equal(dp_type_ranged(f->dp, 200, true), DP_ERR_INVALID);
    assert_int_equal(dp_type_ranged(NULL, f->slice, true), DP_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ranged_type_reads_part_of_a_file_without_reading_it_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctx_read_works_on_the_whole_content_of_any_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctx_read_past_the_end_is_a_format_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranged_type_on_a_source_without_ranges_gets_the_whole_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_content_shorter_than_the_range_fails_the_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_source_with_ranged_fields_is_read_in_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_struct_of_the_first_version_still_registers_and_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_with_only_some_ranged_fields_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_ranged_of_an_unknown_type_is_invalid, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
