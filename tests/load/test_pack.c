/* requires: pack */
/* test_pack.c — the pack format: writing and reading back, deterministic output, folder
 * listing, and hostile packs (corrupt index, truncated file, checksum mismatch, offsets
 * outside the file, huge declared sizes) giving status codes without crashes and without
 * any allocation larger than the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "depot/pack.h"
#include "testutil.h"

/* ---- an allocator that remembers its largest request ----------------------------------- */

static size_t largest;

static void *big_alloc(size_t size, void *user)
{
    (void)user;
    if (size > largest)
        largest = size;
    return malloc(size);
}

static void big_free(void *p, void *user)
{
    (void)user;
    free(p);
}

static const dp_allocator tracking = {big_alloc, big_free, NULL};

/* ---- a small pack in memory ------------------------------------------------------------ */

static char text[4000];       /* compresses well */
static unsigned char noise[3000]; /* does not */

static void fill_inputs(void)
{
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "the quick brown fox "[i % 20];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        x = x * 1103515245u + 12345u;
        noise[i] = (unsigned char)(x >> 16);
    }
}

static char dir[256];

/* Writes the three-entry pack and returns its bytes (malloc) and size. */
static unsigned char *sample_pack(size_t *len, bool reversed)
{
    fill_inputs();
    dp_pack_writer *w;
    assert_int_equal(dp_pack_writer_new(NULL, &w), DP_OK);
    const char *keys[3] = {"docs/fox.txt", "img/noise.bin", "empty"};
    const void *data[3] = {text, noise, ""};
    size_t sizes[3] = {sizeof text, sizeof noise, 0};
    for (int k = 0; k < 3; k++) {
        int i = reversed ? 2 - k : k;
        assert_int_equal(dp_pack_writer_add(w, keys[i], data[i], sizes[i], 9), DP_OK);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/sample%d.dpk", dir, reversed);
    assert_int_equal(dp_pack_writer_save(w, path), DP_OK);
    dp_pack_writer_free(w);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

/* Recomputes the index and header checksums after a test edited the index, so that the
 * reader's structural checks (not the checksums) must catch the edit. */
static void refix(unsigned char *b, size_t len)
{
    uint64_t count = get64(b + 16), index = get64(b + 24), strings = get64(b + 32);
    uint64_t ssize = get64(b + 40);
    assert_true(index + count * 48 <= len && strings + ssize <= len);
    XXH3_state_t *x = XXH3_createState();
    XXH3_64bits_reset(x);
    XXH3_64bits_update(x, b + index, count * 48);
    XXH3_64bits_update(x, b + strings, ssize);
    put64(b + 48, XXH3_64bits_digest(x));
    XXH3_freeState(x);
    put64(b + 56, XXH3_64bits(b, 56));
}

/* The index record of `key` in the pack bytes. */
static unsigned char *record_of(unsigned char *b, const char *key)
{
    uint64_t count = get64(b + 16), index = get64(b + 24);
    uint64_t h = XXH3_64bits(key, strlen(key));
    for (uint64_t i = 0; i < count; i++)
        if (get64(b + index + i * 48) == h)
            return b + index + i * 48;
    fail_msg("no record for %s", key);
    return NULL;
}

/* Opens (and, if that works, reads every entry of) possibly hostile bytes; returns the
 * first failure. Opening allocates nothing larger than the input (beyond the small pack
 * struct itself), and a read nothing larger than DP_PACK_MAX_RATIO times the input. */
static dp_status open_and_read_all(const unsigned char *b, size_t len)
{
    largest = 0;
    dp_pack *p;
    dp_status st = dp_pack_open_memory(b, len, &tracking, &p);
    assert_true(largest <= (len > 256 ? len : 256));
    largest = 0;
    if (st == DP_OK) {
        for (size_t i = 0; i < dp_pack_count(p) && st == DP_OK; i++) {
            void *bytes;
            size_t n;
            st = dp_pack_read(p, i, &bytes, &n);
            dp_pack_free(p, bytes);
        }
        dp_pack_close(p);
    }
    assert_true(largest <= len * DP_PACK_MAX_RATIO + 1);
    return st;
}

static int setup(void **state)
{
    (void)state;
    dp_test_mkdtemp(dir, sizeof dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dp_test_rmrf(dir);
    return 0;
}

/* ---- behaviour ---------------------------------------------------------------------------- */

static void test_pack_round_trip_gives_identical_bytes_and_picks_codecs_by_gain(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = sample_pack(&len, false);
    dp_pack *p;
    assert_int_equal(dp_pack_open_memory(b, len, NULL, &p), DP_OK);
    assert_int_equal(dp_pack_count(p), 3);
    const char *keys[3] = {"docs/fox.txt", "img/noise.bin", "empty"};
    const void *data[3] = {text, noise, ""};
    size_t sizes[3] = {sizeof text, sizeof noise, 0};
    dp_pack_codec codecs[3] = {DP_PACK_ZSTD, DP_PACK_STORED, DP_PACK_STORED};
    for (int k = 0; k < 3; k++) {
        size_t i;
        assert_int_equal(dp_pack_find(p, keys[k], &i), DP_OK);
        dp_pack_entry e;
        assert_int_equal(dp_pack_entry_at(p, i, &e), DP_OK);
        assert_string_equal(e.key, keys[k]);
        assert_int_equal(e.codec, codecs[k]);
        void *bytes;
        size_t n;
        assert_int_equal(dp_pack_read(p, i, &bytes, &n), DP_OK);
        assert_int_equal(n, sizes[k]);
        assert_memory_equal(bytes, data[k], n);
        dp_pack_free(p, bytes);
    }
    size_t i;
    assert_int_equal(dp_pack_find(p, "docs/fox.tx", &i), DP_ERR_NOT_FOUND);
    dp_pack_close(p);
    free(b);
}

static void test_same_entries_in_another_order_give_the_same_bytes(void **state)
{
    (void)state;
    size_t l1, l2;
    unsigned char *a = sample_pack(&l1, false), *b = sample_pack(&l2, true);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    free(a);
    free(b);
}

static void test_a_key_added_twice_fails_the_save(void **state)
{
    (void)state;
    dp_pack_writer *w;
    assert_int_equal(dp_pack_writer_new(NULL, &w), DP_OK);
    assert_int_equal(dp_pack_writer_add(w, "a.txt", "x", 1, 0), DP_OK);
    assert_int_equal(dp_pack_writer_add(w, "a.txt", "y", 1, 0), DP_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/dup.dpk", dir);
    assert_int_equal(dp_pack_writer_save(w, path), DP_ERR_EXISTS);
    assert_null(fopen(path, "rb")); /* nothing written */
    dp_pack_writer_free(w);
}

static void test_writer_refuses_keys_that_escape(void **state)
{
    (void)state;
    dp_pack_writer *w;
    assert_int_equal(dp_pack_writer_new(NULL, &w), DP_OK);
    assert_int_equal(dp_pack_writer_add(w, "../x", "x", 1, 0), DP_ERR_INVALID);
    assert_int_equal(dp_pack_writer_add(w, "/abs", "x", 1, 0), DP_ERR_INVALID);
    assert_int_equal(dp_pack_writer_add(w, "", "x", 1, 0), DP_ERR_INVALID);
    dp_pack_writer_free(w);
}

static void collect(void *user, const char *key)
{
    char *out = user;
    strcat(out, key);
    strcat(out, ";");
}

static void test_list_gives_the_keys_under_a_folder_in_order(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = sample_pack(&len, false);
    dp_pack *p;
    assert_int_equal(dp_pack_open_memory(b, len, NULL, &p), DP_OK);
    char out[256] = "";
    assert_int_equal(dp_pack_list(p, "img/", collect, out), DP_OK);
    assert_string_equal(out, "img/noise.bin;");
    out[0] = 0;
    assert_int_equal(dp_pack_list(p, "", collect, out), DP_OK);
    assert_string_equal(out, "docs/fox.txt;empty;img/noise.bin;");
    out[0] = 0;
    assert_int_equal(dp_pack_list(p, "im", collect, out), DP_OK);
    assert_string_equal(out, "");
    dp_pack_close(p);
    free(b);
}

static void test_pack_file_opens_and_reads_with_pread(void **state)
{
    (void)state;
    size_t len;
    free(sample_pack(&len, false));
    char path[512];
    snprintf(path, sizeof path, "%s/sample0.dpk", dir);
    dp_pack *p;
    assert_int_equal(dp_pack_open(path, NULL, &p), DP_OK);
    size_t i;
    assert_int_equal(dp_pack_find(p, "docs/fox.txt", &i), DP_OK);
    void *bytes;
    size_t n;
    assert_int_equal(dp_pack_read(p, i, &bytes, &n), DP_OK);
    assert_memory_equal(bytes, text, sizeof text);
    dp_pack_free(p, bytes);
    dp_pack_close(p);
    snprintf(path, sizeof path, "%s/none.dpk", dir);
    assert_int_equal(dp_pack_open(path, NULL, &p), DP_ERR_NOT_FOUND);
    assert_null(p);
}

/* ---- hostile packs ------------------------------------------------------------------------ */

static void test_every_truncation_of_a_pack_is_a_format_error(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = sample_pack(&len, false);
    for (size_t cut = 0; cut < len; cut++) {
        unsigned char *t = malloc(cut ? cut : 1);
        memcpy(t, b, cut);
        assert_int_equal(open_and_read_all(t, cut), DP_ERR_FORMAT);
        free(t);
    }
    assert_int_equal(open_and_read_all(b, len), DP_OK);
    free(b);
}

static void test_any_flipped_byte_in_header_index_or_strings_is_a_format_error(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = sample_pack(&len, false);
    uint64_t index = get64(b + 24);
    for (size_t i = 0; i < len; i++) {
        if (i >= 64 && i < index)
            continue; /* entry data: the next test */
        b[i] ^= 0x20;
        assert_int_equal(open_and_read_all(b, len), DP_ERR_FORMAT);
        b[i] ^= 0x20;
    }
    free(b);
}

static void test_a_flipped_byte_in_entry_data_is_a_checksum_mismatch(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = sample_pack(&len, false);
    const char *keys[2] = {"docs/fox.txt", "img/noise.bin"};
    for (int k = 0; k < 2; k++) {
        unsigned char *r = record_of(b, keys[k]);
        uint64_t off = get64(r + 8), packed = get64(r + 16);
        for (uint64_t at = off; at < off + packed; at += packed / 7 + 1) {
            b[at] ^= 0x01;
            dp_pack *p;
            assert_int_equal(dp_pack_open_memory(b, len, NULL, &p), DP_OK);
            size_t i;
            assert_int_equal(dp_pack_find(p, keys[k], &i), DP_OK);
            void *bytes = (void *)1;
            size_t n = 7;
            assert_int_equal(dp_pack_read(p, i, &bytes, &n), DP_ERR_FORMAT);
            assert_null(bytes);
            assert_int_equal(n, 0);
            dp_pack_close(p);
            b[at] ^= 0x01;
        }
    }
    free(b);
}

static void test_entry_offsets_outside_the_file_are_refused(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = sample_pack(&len, false);
    unsigned char *r = record_of(b, "img/noise.bin");
    uint64_t off = get64(r + 8);
    const uint64_t bad[] = {len, len - 10, UINT64_MAX - 5, 0, 3};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        put64(r + 8, bad[k]);
        refix(b, len);
        assert_int_equal(open_and_read_all(b, len), DP_ERR_FORMAT);
    }
    put64(r + 8, off);
    refix(b, len);
    assert_int_equal(open_and_read_all(b, len), DP_OK);
    free(b);
}

static void test_huge_declared_sizes_are_refused_without_allocating_them(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = sample_pack(&len, false);
    unsigned char *stored = record_of(b, "img/noise.bin"), *z = record_of(b, "docs/fox.txt");
    /* A stored entry whose sizes both lie. */
    put64(stored + 16, (uint64_t)1 << 40);
    put64(stored + 24, (uint64_t)1 << 40);
    refix(b, len);
    assert_int_equal(open_and_read_all(b, len), DP_ERR_FORMAT);
    free(b);
    b = sample_pack(&len, false);
    z = record_of(b, "docs/fox.txt");
    /* A compressed entry that claims to unpack to more than the ratio allows. */
    put64(z + 24, get64(z + 16) * DP_PACK_MAX_RATIO + DP_PACK_MAX_RATIO);
    refix(b, len);
    assert_int_equal(open_and_read_all(b, len), DP_ERR_FORMAT);
    /* Within the ratio, but not what the frame holds. */
    put64(z + 24, get64(z + 16) * 2);
    refix(b, len);
    assert_int_equal(open_and_read_all(b, len), DP_ERR_FORMAT);
    free(b);
    b = sample_pack(&len, false);
    /* A count whose index could not fit in the file. */
    put64(b + 16, (uint64_t)1 << 58);
    put64(b + 56, XXH3_64bits(b, 56));
    assert_int_equal(open_and_read_all(b, len), DP_ERR_FORMAT);
    free(b);
}

static void test_an_unsorted_index_is_refused(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = sample_pack(&len, false);
    uint64_t index = get64(b + 24);
    unsigned char tmp[48];
    memcpy(tmp, b + index, 48);
    memmove(b + index, b + index + 48, 48);
    memcpy(b + index + 48, tmp, 48);
    refix(b, len);
    assert_int_equal(open_and_read_all(b, len), DP_ERR_FORMAT);
    free(b);
}

static void test_open_and_read_survive_every_failed_allocation(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = sample_pack(&len, false);
    for (long n = 1;; n++) {
        dp_test_alloc a;
        dp_test_alloc_init(&a);
        dp_test_alloc_fail_at(&a, n);
        dp_pack *p;
        dp_status st = dp_pack_open_memory(b, len, &a.iface, &p);
        if (st == DP_OK) {
            for (size_t i = 0; i < dp_pack_count(p) && st == DP_OK; i++) {
                void *bytes;
                size_t k;
                st = dp_pack_read(p, i, &bytes, &k);
                dp_pack_free(p, bytes);
            }
            dp_pack_close(p);
        }
        assert_int_equal(atomic_load(&a.live), 0);
        if (st == DP_OK && atomic_load(&a.failed) == 0)
            break;
        assert_int_equal(st, DP_ERR_NOMEM);
    }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pack_round_trip_gives_identical_bytes_and_picks_codecs_by_gain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_entries_in_another_order_give_the_same_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_key_added_twice_fails_the_save, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_refuses_keys_that_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_gives_the_keys_under_a_folder_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pack_file_opens_and_reads_with_pread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_truncation_of_a_pack_is_a_format_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_any_flipped_byte_in_header_index_or_strings_is_a_format_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_flipped_byte_in_entry_data_is_a_checksum_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_offsets_outside_the_file_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_declared_sizes_are_refused_without_allocating_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_unsorted_index_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_and_read_survive_every_failed_allocation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
