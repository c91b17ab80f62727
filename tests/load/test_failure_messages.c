/* requires: png json jpeg webp pack */
/* test_failure_messages.c — what dp_failure says for the built-in types' failures: the
 * decoder's own words (libpng, libjpeg-turbo, libwebp, the KTX2 parser), a mounted pack's
 * damaged entry, cJSON's stopping
 * point as line, column and byte, a bundle's bad or missing member by its key; and the
 * one-line form dp_failure_text that the tools print. Real files under a temporary root:
 * the damaged images are tests/data's (tests/data/README says how they were made), the
 * JSON is written here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "depot/pack.h"
#include "testutil.h"


typedef struct fx {
    dp_test_alloc alloc;
    char dir[256];
    dp_depot *dp;
    dp_failure_info info;
    char line[1024];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    dp_test_mkdtemp(f->dir, sizeof f->dir);
    dp_desc d = {.root = f->dir, .workers = 1, .allocator = &f->alloc.iface};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
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

static void put(const fx *f, const char *name, const void *bytes, size_t len)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    assert_int_equal(dp_test_write_file(path, bytes, len), 0);
}

static void put_text(const fx *f, const char *name, const char *text)
{
    put(f, name, text, strlen(text));
}

/* Copies tests/data/<data> to <name> under the root, with byte `flip` (if >= 0) inverted. */
static void put_data_flipped(const fx *f, const char *name, const char *data, long flip)
{
    char src[512];
    snprintf(src, sizeof src, "%s/%s", DP_TEST_DATA, data);
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    if (flip >= 0) {
        assert_true((size_t)flip < n);
        buf[flip] ^= 0xFF;
    }
    put(f, name, buf, n);
}

static void put_data(const fx *f, const char *name, const char *data)
{
    put_data_flipped(f, name, data, -1);
}

/* Loads `key`, waits until it settles, and fills f->info and f->line for it. */
static dp_handle load_failed(fx *f, const char *key, dp_status want)
{
    dp_handle h;
    assert_int_equal(dp_load(f->dp, key, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), want);
    assert_int_equal(dp_failure(f->dp, h, &f->info), DP_OK);
    assert_int_equal(f->info.status, want);
    assert_string_equal(f->info.key, key);
    size_t n = dp_failure_text(&f->info, f->line, sizeof f->line);
    assert_int_equal(n, strlen(f->line));
    print_message("    %s\n", f->line);
    return h;
}

static void assert_contains(const char *text, const char *part)
{
    if (!text || !strstr(text, part))
        fail_msg("\"%s\" does not contain \"%s\"", text ? text : "(null)", part);
}

static void test_png_with_a_bad_crc_says_what_libpng_said(void **state)
{
    fx *f = *state;
    /* The last byte of IHDR's CRC (8 signature + 8 chunk head + 13 data + 4 CRC). */
    put_data_flipped(f, "art/hero.png", "rgba_4x4.png", 32);
    dp_handle h = load_failed(f, "art/hero.png", DP_ERR_FORMAT);
    assert_string_equal(f->info.message, "libpng: IHDR: CRC error");
    assert_contains(f->line, "art/hero.png: DP_ERR_FORMAT: libpng: ");
    assert_contains(f->line, "/art/hero.png)");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_truncated_png_says_it_is_truncated(void **state)
{
    fx *f = *state;
    put_data(f, "cut.png", "truncated.png");
    dp_handle h = load_failed(f, "cut.png", DP_ERR_FORMAT);
    assert_string_equal(f->info.message, "libpng: truncated PNG");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_png_with_garbled_image_data_names_the_zlib_error(void **state)
{
    fx *f = *state;
    put_data(f, "z.png", "corrupt_zlib.png");
    dp_handle h = load_failed(f, "z.png", DP_ERR_FORMAT);
    assert_string_equal(f->info.message, "libpng: IDAT: incorrect header check");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
    put_data(f, "c.png", "corrupt_crc.png"); /* IDAT bytes flipped, CRC left as it was */
    h = load_failed(f, "c.png", DP_ERR_FORMAT);
    assert_string_equal(f->info.message, "libpng: IDAT: invalid literal/length code");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_truncated_jpeg_gives_libjpeg_turbos_words(void **state)
{
    fx *f = *state;
    put_data(f, "photo.jpg", "jpeg_truncated.jpg");
    dp_handle h = load_failed(f, "photo.jpg", DP_ERR_FORMAT);
    assert_contains(f->info.message, "libjpeg-turbo: ");
    assert_true(strlen(f->info.message) > strlen("libjpeg-turbo: "));
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_truncated_webp_gives_libwebps_words(void **state)
{
    fx *f = *state;
    put_data(f, "sky.webp", "webp_truncated.webp");
    dp_handle h = load_failed(f, "sky.webp", DP_ERR_FORMAT);
    assert_contains(f->info.message, "libwebp: ");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_image_no_codec_reads_says_so(void **state)
{
    fx *f = *state;
    put_text(f, "fake.png", "this is text, not an image");
    dp_handle h = load_failed(f, "fake.png", DP_ERR_FORMAT);
    assert_contains(f->info.message, "no image codec of this build reads it");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_truncated_ktx2_names_the_part_that_is_cut(void **state)
{
    fx *f = *state;
    put_data(f, "tex/wall.ktx2", "ktx2_truncated.ktx2");
    dp_handle h = load_failed(f, "tex/wall.ktx2", DP_ERR_FORMAT);
    assert_contains(f->info.message, "KTX2: ");
    assert_contains(f->info.message, "truncated");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_unsupported_ktx2_says_which_payload(void **state)
{
    fx *f = *state;
    put_data(f, "tex/basis.ktx2", "ktx2_basislz.ktx2");
    dp_handle h = load_failed(f, "tex/basis.ktx2", DP_ERR_UNSUPPORTED);
    assert_string_equal(f->info.message, "KTX2: BasisLZ supercompression (not transcoded)");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_truncated_json_gives_line_column_and_byte(void **state)
{
    fx *f = *state;
    const char *text = "{\n  \"assets\": [\n    \"a.png\",\n    \"b.p";
    put_text(f, "level.bundle", text);
    dp_handle h = load_failed(f, "level.bundle", DP_ERR_FORMAT);
    /* cJSON points into the string that never ends: the 'b' of "b.p, byte 34 of 37. */
    assert_string_equal(f->info.message, "JSON syntax error at line 4, column 6 (byte 34 of 37)");
    assert_contains(f->line, "level.bundle: DP_ERR_FORMAT: JSON syntax error at line 4");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_json_error_in_the_middle_points_at_it(void **state)
{
    fx *f = *state;
    put_text(f, "s.sprite", "{\"image\": \"a.png\",\n \"rect\": [1, 2, 3 4]}");
    dp_handle h = load_failed(f, "s.sprite", DP_ERR_FORMAT);
    assert_string_equal(f->info.message, "JSON syntax error at line 2, column 19 (byte 37 of 40)");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_sprite_without_rect_says_what_a_sprite_is(void **state)
{
    fx *f = *state;
    put_text(f, "s.sprite", "{\"image\": \"a.png\"}");
    dp_handle h = load_failed(f, "s.sprite", DP_ERR_FORMAT);
    assert_string_equal(f->info.message,
                        "a sprite is {\"image\": \"key\", \"rect\": [x, y, w, h]}");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_bundle_with_a_missing_member_names_the_member(void **state)
{
    fx *f = *state;
    put_data(f, "img/ok.png", "rgba_4x4.png");
    put_text(f, "scene.bundle", "{\"assets\": [\"img/ok.png\", \"img/missing.png\"]}");
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "scene.bundle", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, DP_TEST_WAIT_MS), DP_ERR_NOT_FOUND);
    assert_int_equal(dp_failure(f->dp, h, &f->info), DP_OK);
    assert_int_equal(f->info.status, DP_ERR_NOT_FOUND);
    assert_string_equal(f->info.key, "scene.bundle");
    assert_string_equal(f->info.failed_key, "img/missing.png");
    assert_contains(f->info.path, "/img/missing.png");
    dp_failure_text(&f->info, f->line, sizeof f->line);
    print_message("    %s\n", f->line);
    assert_contains(f->line, "scene.bundle: DP_ERR_NOT_FOUND: dependency img/missing.png (");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_bundle_member_that_escapes_the_root_is_named(void **state)
{
    fx *f = *state;
    put_text(f, "bad.bundle", "[\"ok.png\", \"../outside.png\"]");
    dp_handle h = load_failed(f, "bad.bundle", DP_ERR_FORMAT);
    assert_string_equal(f->info.message, "member 1 \"../outside.png\": DP_ERR_INVALID");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_bundle_with_a_non_string_member_says_which(void **state)
{
    fx *f = *state;
    put_text(f, "n.bundle", "[\"a.png\", 7]");
    dp_handle h = load_failed(f, "n.bundle", DP_ERR_FORMAT);
    assert_string_equal(f->info.message, "asset 1 of the list is not a non-empty string");
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

static void test_damaged_pack_entry_names_the_pack(void **state)
{
    fx *f = *state;
    static const char content[] = "an entry whose bytes get damaged in the pack file";
    dp_pack_writer *w;
    assert_int_equal(dp_pack_writer_new(NULL, &w), DP_OK);
    assert_int_equal(dp_pack_writer_add(w, "notes/a.txt", content, sizeof content - 1, 0), DP_OK);
    char pack[400];
    snprintf(pack, sizeof pack, "%s/game.dpk", f->dir);
    assert_int_equal(dp_pack_writer_save(w, pack), DP_OK);
    dp_pack_writer_free(w);
    /* Stored (level 0): the entry's bytes are in the file as they are; damage one. */
    FILE *io = fopen(pack, "r+b");
    assert_non_null(io);
    static char buf[1 << 14];
    size_t n = fread(buf, 1, sizeof buf, io);
    char *at = memmem(buf, n, content, sizeof content - 1);
    assert_non_null(at);
    assert_int_equal(fseek(io, (long)(at - buf) + 3, SEEK_SET), 0);
    assert_int_equal(fputc(at[3] ^ 0x01, io), at[3] ^ 0x01);
    assert_int_equal(fclose(io), 0);
    assert_int_equal(dp_mount(f->dp, "pack", pack, 0), DP_OK);
    dp_handle h = load_failed(f, "notes/a.txt", DP_ERR_FORMAT);
    char want[512];
    snprintf(want, sizeof want,
             "pack %s: the entry does not unpack to what was packed (zstd frame or checksum)",
             pack);
    assert_string_equal(f->info.message, want);
    assert_int_equal(dp_release(f->dp, h), DP_OK);
}

/* The formatter alone: every shape of line, and a buffer too small. */
static void test_failure_text_leaves_out_what_is_missing(void **state)
{
    (void)state;
    char buf[128];
    dp_failure_info own = {.status = DP_ERR_FORMAT, .key = "a.png", .failed_key = "a.png",
                           .path = "/r/a.png", .message = "libpng: CRC error"};
    dp_failure_text(&own, buf, sizeof buf);
    assert_string_equal(buf, "a.png: DP_ERR_FORMAT: libpng: CRC error (/r/a.png)");
    dp_failure_info dep = {.status = DP_ERR_NOT_FOUND, .key = "s.bundle", .failed_key = "b.png",
                           .path = "/r/b.png"};
    dp_failure_text(&dep, buf, sizeof buf);
    assert_string_equal(buf, "s.bundle: DP_ERR_NOT_FOUND: dependency b.png (/r/b.png)");
    dep.message = "HTTP 404";
    dep.path = NULL;
    dp_failure_text(&dep, buf, sizeof buf);
    assert_string_equal(buf, "s.bundle: DP_ERR_NOT_FOUND: dependency b.png: HTTP 404");
    dp_failure_info bare = {.status = DP_ERR_NOMEM, .key = NULL};
    dp_failure_text(&bare, buf, sizeof buf);
    assert_string_equal(buf, "(no key): DP_ERR_NOMEM");
    size_t whole = dp_failure_text(&own, NULL, 0);
    assert_int_equal(whole, strlen("a.png: DP_ERR_FORMAT: libpng: CRC error (/r/a.png)"));
    assert_int_equal(dp_failure_text(&own, buf, 6), whole);
    assert_string_equal(buf, "a.png");
    assert_int_equal(dp_failure_text(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_png_with_a_bad_crc_says_what_libpng_said, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_png_says_it_is_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_png_with_garbled_image_data_names_the_zlib_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_jpeg_gives_libjpeg_turbos_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_webp_gives_libwebps_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_no_codec_reads_says_so, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_ktx2_names_the_part_that_is_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_ktx2_says_which_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_json_gives_line_column_and_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_error_in_the_middle_points_at_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sprite_without_rect_says_what_a_sprite_is, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundle_with_a_missing_member_names_the_member, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundle_member_that_escapes_the_root_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundle_with_a_non_string_member_says_which, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_pack_entry_names_the_pack, setup, teardown),
        cmocka_unit_test(test_failure_text_leaves_out_what_is_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
