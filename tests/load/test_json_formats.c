/* requires: json */
/* test_json_formats.c — the sprite and bundle JSON formats: valid input, every kind of bad
 * input, and allocation failure at each step. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/json/json_formats.h"

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct fixture {
    dp_test_alloc ta;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    assert_int_equal(atomic_load(&f->ta.live), 0);
    free(f);
    return 0;
}

static dp_status sprite(fixture *f, const char *json, dp__sprite_desc *d)
{
    return dp__sprite_parse(&f->ta.iface, json, strlen(json), d, NULL, 0);
}

static dp_status bundle(fixture *f, const char *json, dp__bundle_desc *d)
{
    return dp__bundle_parse(&f->ta.iface, json, strlen(json), d, NULL, 0);
}

/* Expects `json` to be refused as a sprite, with *out zeroed and nothing allocated. */
static void sprite_bad(fixture *f, const char *json)
{
    dp__sprite_desc d;
    memset(&d, 0xab, sizeof d);
    dp_status s = sprite(f, json, &d);
    if (s != DP_ERR_FORMAT)
        fail_msg("accepted or wrong status %d for sprite: %s", s, json);
    assert_null(d.image_key);
    assert_int_equal(d.x | d.y | d.w | d.h, 0);
    assert_int_equal(atomic_load(&f->ta.live), 0);
}

static void bundle_bad(fixture *f, const char *json)
{
    dp__bundle_desc d;
    memset(&d, 0xab, sizeof d);
    dp_status s = bundle(f, json, &d);
    if (s != DP_ERR_FORMAT)
        fail_msg("accepted or wrong status %d for bundle: %s", s, json);
    assert_null(d.keys);
    assert_int_equal(d.count, 0);
    assert_int_equal(atomic_load(&f->ta.live), 0);
}

/* ---- sprites ------------------------------------------------------------------------------- */

static void test_sprite_parses_image_and_rect(void **state)
{
    fixture *f = *state;
    dp__sprite_desc d;
    assert_int_equal(sprite(f, "{\"image\": \"sheet.png\", \"rect\": [1, 2, 30, 40]}", &d),
                     DP_OK);
    assert_string_equal(d.image_key, "sheet.png");
    assert_int_equal(d.x, 1);
    assert_int_equal(d.y, 2);
    assert_int_equal(d.w, 30);
    assert_int_equal(d.h, 40);
    dp__sprite_desc_free(&f->ta.iface, &d);
    assert_null(d.image_key);
}

static void test_sprite_accepts_full_32_bit_range(void **state)
{
    fixture *f = *state;
    dp__sprite_desc d;
    assert_int_equal(sprite(f, "{\"rect\":[0,0,4294967295,1],\"image\":\"a\",\"extra\":1}", &d),
                     DP_OK);
    assert_int_equal(d.w, UINT32_MAX);
    assert_int_equal(d.x, 0);
    dp__sprite_desc_free(&f->ta.iface, &d);
}

static void test_sprite_accepts_trailing_whitespace(void **state)
{
    fixture *f = *state;
    dp__sprite_desc d;
    assert_int_equal(sprite(f, " {\"image\":\"a\",\"rect\":[0,0,1,1]}\n\t\r ", &d), DP_OK);
    dp__sprite_desc_free(&f->ta.iface, &d);
}

static void test_sprite_refuses_corrupt_json(void **state)
{
    fixture *f = *state;
    sprite_bad(f, "");
    sprite_bad(f, "not json");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,0,1,1],}");
    sprite_bad(f, "{\"image\": \"a\" \"rect\": [0,0,1,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,0,1,1]} trailing");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,0,1,1]}{}");
}

static void test_sprite_refuses_truncated_json(void **state)
{
    fixture *f = *state;
    const char *full = "{\"image\": \"a.png\", \"rect\": [10, 20, 30, 40]}";
    size_t n = strlen(full);
    for (size_t cut = 0; cut < n; cut++) {
        dp__sprite_desc d;
        assert_int_equal(dp__sprite_parse(&f->ta.iface, full, cut, &d, NULL, 0), DP_ERR_FORMAT);
        assert_null(d.image_key);
    }
    assert_int_equal(atomic_load(&f->ta.live), 0);
}

static void test_sprite_refuses_wrong_types(void **state)
{
    fixture *f = *state;
    sprite_bad(f, "[]");
    sprite_bad(f, "\"a\"");
    sprite_bad(f, "42");
    sprite_bad(f, "null");
    sprite_bad(f, "{\"image\": 5, \"rect\": [0,0,1,1]}");
    sprite_bad(f, "{\"image\": null, \"rect\": [0,0,1,1]}");
    sprite_bad(f, "{\"image\": [\"a\"], \"rect\": [0,0,1,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": {\"x\":0}}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": \"0,0,1,1\"}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,\"0\",1,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,0,true,1]}");
    sprite_bad(f, "{\"Image\": \"a\", \"rect\": [0,0,1,1]}");
}

static void test_sprite_refuses_missing_fields(void **state)
{
    fixture *f = *state;
    sprite_bad(f, "{}");
    sprite_bad(f, "{\"image\": \"a\"}");
    sprite_bad(f, "{\"rect\": [0,0,1,1]}");
    sprite_bad(f, "{\"image\": \"\", \"rect\": [0,0,1,1]}");
}

static void test_sprite_refuses_rect_of_wrong_length(void **state)
{
    fixture *f = *state;
    sprite_bad(f, "{\"image\": \"a\", \"rect\": []}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,0,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,0,1,1,1]}");
}

static void test_sprite_refuses_bad_numbers(void **state)
{
    fixture *f = *state;
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0.5,0,1,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,0,1.25,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [-1,0,1,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,-5,1,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [4294967296,0,1,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [1e300,0,1,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,0,0,1]}");
    sprite_bad(f, "{\"image\": \"a\", \"rect\": [0,0,1,0]}");
}

static void test_sprite_reads_input_without_nul_terminator(void **state)
{
    fixture *f = *state;
    const char *json = "{\"image\":\"a\",\"rect\":[1,2,3,4]}";
    size_t n = strlen(json);
    /* An exactly sized heap copy with no NUL: ASan flags any read past the end. */
    char *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, json, n);
    dp__sprite_desc d;
    assert_int_equal(dp__sprite_parse(&f->ta.iface, copy, n, &d, NULL, 0), DP_OK);
    assert_string_equal(d.image_key, "a");
    assert_int_equal(d.h, 4);
    dp__sprite_desc_free(&f->ta.iface, &d);
    /* The same bytes cut before the closing brace are refused, without over-reading. */
    assert_int_equal(dp__sprite_parse(&f->ta.iface, copy, n - 1, &d, NULL, 0), DP_ERR_FORMAT);
    free(copy);
}

static void test_sprite_out_of_memory_leaks_nothing(void **state)
{
    fixture *f = *state;
    const char *json = "{\"image\": \"sheet.png\", \"rect\": [1, 2, 3, 4]}";
    for (long n = 1;; n++) {
        assert_true(n < 100);
        dp__sprite_desc d;
        dp_test_alloc_fail_at(&f->ta, n);
        dp_status s = sprite(f, json, &d);
        dp_test_alloc_fail_at(&f->ta, 0);
        if (s == DP_OK) {
            assert_string_equal(d.image_key, "sheet.png");
            dp__sprite_desc_free(&f->ta.iface, &d);
            assert_int_equal(atomic_load(&f->ta.live), 0);
            break;
        }
        assert_int_equal(s, DP_ERR_NOMEM);
        assert_null(d.image_key);
        assert_int_equal(atomic_load(&f->ta.live), 0);
    }
}

static void test_sprite_null_args(void **state)
{
    fixture *f = *state;
    dp__sprite_desc d;
    assert_int_equal(dp__sprite_parse(NULL, "{}", 2, &d, NULL, 0), DP_ERR_INVALID);
    assert_int_equal(dp__sprite_parse(&f->ta.iface, "{}", 2, NULL, NULL, 0), DP_ERR_INVALID);
    assert_int_equal(dp__sprite_parse(&f->ta.iface, NULL, 5, &d, NULL, 0), DP_ERR_FORMAT);
    dp__sprite_desc_free(&f->ta.iface, NULL);
}

/* ---- bundles ------------------------------------------------------------------------------- */

static void test_bundle_parses_assets_object(void **state)
{
    fixture *f = *state;
    dp__bundle_desc d;
    assert_int_equal(bundle(f, "{\"assets\": [\"a.png\", \"b.json\", \"c\"], \"v\": 1}", &d),
                     DP_OK);
    assert_int_equal(d.count, 3);
    assert_string_equal(d.keys[0], "a.png");
    assert_string_equal(d.keys[1], "b.json");
    assert_string_equal(d.keys[2], "c");
    dp__bundle_desc_free(&f->ta.iface, &d);
    assert_null(d.keys);
    assert_int_equal(d.count, 0);
}

static void test_bundle_parses_bare_array(void **state)
{
    fixture *f = *state;
    dp__bundle_desc d;
    assert_int_equal(bundle(f, "[\"x\", \"y\"]", &d), DP_OK);
    assert_int_equal(d.count, 2);
    assert_string_equal(d.keys[0], "x");
    assert_string_equal(d.keys[1], "y");
    dp__bundle_desc_free(&f->ta.iface, &d);
}

static void test_bundle_empty_list_is_valid(void **state)
{
    fixture *f = *state;
    dp__bundle_desc d;
    assert_int_equal(bundle(f, "[]", &d), DP_OK);
    assert_int_equal(d.count, 0);
    assert_int_equal(atomic_load(&f->ta.live), 0);
    dp__bundle_desc_free(&f->ta.iface, &d);
    assert_int_equal(bundle(f, "{\"assets\": []}", &d), DP_OK);
    assert_int_equal(d.count, 0);
    dp__bundle_desc_free(&f->ta.iface, &d);
}

static void test_bundle_keeps_duplicates_once_in_first_order(void **state)
{
    fixture *f = *state;
    dp__bundle_desc d;
    assert_int_equal(bundle(f, "[\"b\", \"a\", \"b\", \"c\", \"a\", \"a\"]", &d), DP_OK);
    assert_int_equal(d.count, 3);
    assert_string_equal(d.keys[0], "b");
    assert_string_equal(d.keys[1], "a");
    assert_string_equal(d.keys[2], "c");
    dp__bundle_desc_free(&f->ta.iface, &d);
}

static void test_bundle_dedupes_large_lists(void **state)
{
    fixture *f = *state;
    enum { N = 5000 };
    size_t cap = (size_t)N * 2 * 16 + 16;
    char *json = malloc(cap);
    assert_non_null(json);
    size_t at = 0;
    json[at++] = '[';
    for (int i = 0; i < 2 * N; i++)
        at += (size_t)snprintf(json + at, cap - at, "%s\"k%d\"", i ? "," : "", i % N);
    json[at++] = ']';
    dp__bundle_desc d;
    assert_int_equal(dp__bundle_parse(&f->ta.iface, json, at, &d, NULL, 0), DP_OK);
    assert_int_equal(d.count, N);
    assert_string_equal(d.keys[0], "k0");
    assert_string_equal(d.keys[N - 1], "k4999");
    dp__bundle_desc_free(&f->ta.iface, &d);
    free(json);
}

static void test_bundle_refuses_non_strings_and_empty_strings(void **state)
{
    fixture *f = *state;
    bundle_bad(f, "[\"a\", 1]");
    bundle_bad(f, "[\"a\", null]");
    bundle_bad(f, "[\"a\", [\"b\"]]");
    bundle_bad(f, "[\"a\", {\"key\": \"b\"}]");
    bundle_bad(f, "[\"a\", \"\"]");
    bundle_bad(f, "{\"assets\": [true]}");
}

static void test_bundle_refuses_wrong_shapes(void **state)
{
    fixture *f = *state;
    bundle_bad(f, "{}");
    bundle_bad(f, "{\"assets\": \"a\"}");
    bundle_bad(f, "{\"assets\": {\"a\": 1}}");
    bundle_bad(f, "{\"Assets\": []}");
    bundle_bad(f, "\"a\"");
    bundle_bad(f, "7");
}

static void test_bundle_refuses_corrupt_and_truncated_json(void **state)
{
    fixture *f = *state;
    bundle_bad(f, "");
    bundle_bad(f, "[\"a\",]");
    bundle_bad(f, "[\"a\" \"b\"]");
    bundle_bad(f, "[\"a\"] x");
    const char *full = "{\"assets\": [\"a.png\", \"b.png\"]}";
    size_t n = strlen(full);
    for (size_t cut = 0; cut < n; cut++) {
        dp__bundle_desc d;
        assert_int_equal(dp__bundle_parse(&f->ta.iface, full, cut, &d, NULL, 0), DP_ERR_FORMAT);
        assert_null(d.keys);
    }
    assert_int_equal(atomic_load(&f->ta.live), 0);
}

static void test_bundle_reads_input_without_nul_terminator(void **state)
{
    fixture *f = *state;
    const char *json = "[\"abc\",\"de\"]";
    size_t n = strlen(json);
    char *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, json, n);
    dp__bundle_desc d;
    assert_int_equal(dp__bundle_parse(&f->ta.iface, copy, n, &d, NULL, 0), DP_OK);
    assert_int_equal(d.count, 2);
    assert_string_equal(d.keys[1], "de");
    dp__bundle_desc_free(&f->ta.iface, &d);
    assert_int_equal(dp__bundle_parse(&f->ta.iface, copy, n - 1, &d, NULL, 0), DP_ERR_FORMAT);
    free(copy);
}

static void test_bundle_out_of_memory_leaks_nothing(void **state)
{
    fixture *f = *state;
    const char *json = "{\"assets\": [\"a\", \"b\", \"a\", \"c\", \"d\", \"b\"]}";
    long failures = 0;
    for (long n = 1;; n++) {
        assert_true(n < 100);
        dp__bundle_desc d;
        dp_test_alloc_fail_at(&f->ta, n);
        dp_status s = bundle(f, json, &d);
        dp_test_alloc_fail_at(&f->ta, 0);
        if (s == DP_OK) {
            assert_int_equal(d.count, 4);
            dp__bundle_desc_free(&f->ta.iface, &d);
            assert_int_equal(atomic_load(&f->ta.live), 0);
            break;
        }
        failures++;
        assert_int_equal(s, DP_ERR_NOMEM);
        assert_null(d.keys);
        assert_int_equal(d.count, 0);
        assert_int_equal(atomic_load(&f->ta.live), 0);
    }
    assert_true(failures >= 4); /* the arrays and every kept key were each refused once */
}

static void test_bundle_null_args(void **state)
{
    fixture *f = *state;
    dp__bundle_desc d;
    assert_int_equal(dp__bundle_parse(NULL, "[]", 2, &d, NULL, 0), DP_ERR_INVALID);
    assert_int_equal(dp__bundle_parse(&f->ta.iface, "[]", 2, NULL, NULL, 0), DP_ERR_INVALID);
    assert_int_equal(dp__bundle_parse(&f->ta.iface, NULL, 2, &d, NULL, 0), DP_ERR_FORMAT);
    dp__bundle_desc_free(&f->ta.iface, NULL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_sprite_parses_image_and_rect),
        T(test_sprite_accepts_full_32_bit_range),
        T(test_sprite_accepts_trailing_whitespace),
        T(test_sprite_refuses_corrupt_json),
        T(test_sprite_refuses_truncated_json),
        T(test_sprite_refuses_wrong_types),
        T(test_sprite_refuses_missing_fields),
        T(test_sprite_refuses_rect_of_wrong_length),
        T(test_sprite_refuses_bad_numbers),
        T(test_sprite_reads_input_without_nul_terminator),
        T(test_sprite_out_of_memory_leaks_nothing),
        T(test_sprite_null_args),
        T(test_bundle_parses_assets_object),
        T(test_bundle_parses_bare_array),
        T(test_bundle_empty_list_is_valid),
        T(test_bundle_keeps_duplicates_once_in_first_order),
        T(test_bundle_dedupes_large_lists),
        T(test_bundle_refuses_non_strings_and_empty_strings),
        T(test_bundle_refuses_wrong_shapes),
        T(test_bundle_refuses_corrupt_and_truncated_json),
        T(test_bundle_reads_input_without_nul_terminator),
        T(test_bundle_out_of_memory_leaks_nothing),
        T(test_bundle_null_args),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
