/* test_fs.c — reading whole files: sizes, errors, cancellation, allocation failure. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load/cancel.h"
#include "os/fs.h"

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct fixture {
    dp_test_alloc ta;
    char tmp[256];
    char path[512];     /* scratch: a path inside tmp */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    dp_test_mkdtemp(f->tmp, sizeof f->tmp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    assert_int_equal(atomic_load(&f->ta.live), 0);
    dp_test_rmrf(f->tmp);
    free(f);
    return 0;
}

/* Writes `len` bytes to tmp/name and leaves its path in f->path. */
static void put(fixture *f, const char *name, const void *bytes, size_t len)
{
    snprintf(f->path, sizeof f->path, "%s/%s", f->tmp, name);
    assert_int_equal(dp_test_write_file(f->path, bytes, len), 0);
}

static void release(fixture *f, void *bytes)
{
    if (bytes)
        f->ta.iface.free(bytes, f->ta.iface.user);
}

/* A cancel check that says "cancelled" once it has been asked `arg` times. */
static bool cancel_after(const struct dp_cancel *c)
{
    size_t *calls = (size_t *)c->ctx;
    return ++*calls > c->arg;
}

/* The stop predicate the file source passes: the job's token. */
static bool poll_token(const void *c)
{
    return dp_cancelled(c);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_read_small_file_is_nul_terminated(void **state)
{
    fixture *f = *state;
    put(f, "a.txt", "hello", 5);
    void *bytes = NULL;
    size_t len = 0;
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, NULL, NULL, &bytes, &len), DP_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(bytes, "hello", 6);
    release(f, bytes);
}

static void test_read_empty_file(void **state)
{
    fixture *f = *state;
    put(f, "empty", "", 0);
    void *bytes = NULL;
    size_t len = 99;
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, NULL, NULL, &bytes, &len), DP_OK);
    assert_int_equal(len, 0);
    assert_non_null(bytes);
    assert_int_equal(((char *)bytes)[0], '\0');
    release(f, bytes);
}

static void test_read_large_file_intact(void **state)
{
    fixture *f = *state;
    size_t n = 5u * 1024 * 1024 + 123; /* several chunks, not a multiple of one */
    unsigned char *data = malloc(n);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    put(f, "big.bin", data, n);
    void *bytes = NULL;
    size_t len = 0;
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, NULL, NULL, &bytes, &len), DP_OK);
    assert_int_equal(len, n);
    assert_memory_equal(bytes, data, n);
    assert_int_equal(((unsigned char *)bytes)[n], 0);
    release(f, bytes);
    free(data);
}

static void test_read_file_at_exact_limit(void **state)
{
    fixture *f = *state;
    put(f, "ten", "0123456789", 10);
    void *bytes = NULL;
    size_t len = 0;
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 10, NULL, NULL, &bytes, &len), DP_OK);
    assert_int_equal(len, 10);
    release(f, bytes);
}

static void test_read_too_large_is_format_error(void **state)
{
    fixture *f = *state;
    put(f, "eleven", "0123456789a", 11);
    void *bytes = (void *)0x1;
    size_t len = 7;
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 10, NULL, NULL, &bytes, &len),
                     DP_ERR_FORMAT);
    assert_null(bytes);
    assert_int_equal(len, 0);
    assert_int_equal(atomic_load(&f->ta.total), 0); /* refused before allocating */
}

static void test_read_missing_file_is_not_found(void **state)
{
    fixture *f = *state;
    snprintf(f->path, sizeof f->path, "%s/missing", f->tmp);
    void *bytes = (void *)0x1;
    size_t len = 7;
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, NULL, NULL, &bytes, &len),
                     DP_ERR_NOT_FOUND);
    assert_null(bytes);
    assert_int_equal(len, 0);
}

static void test_read_through_a_file_as_folder_is_not_found(void **state)
{
    fixture *f = *state;
    put(f, "plain", "x", 1);
    snprintf(f->path, sizeof f->path, "%s/plain/inner", f->tmp);
    void *bytes = NULL;
    size_t len = 0;
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, NULL, NULL, &bytes, &len),
                     DP_ERR_NOT_FOUND);
}

static void test_read_directory_is_io_error(void **state)
{
    fixture *f = *state;
    void *bytes = (void *)0x1;
    size_t len = 0;
    assert_int_equal(dp__file_read(&f->ta.iface, f->tmp, 0, NULL, NULL, &bytes, &len), DP_ERR_IO);
    assert_null(bytes);
}

static void test_read_fifo_is_io_error_without_blocking(void **state)
{
    fixture *f = *state;
    snprintf(f->path, sizeof f->path, "%s/fifo", f->tmp);
    assert_int_equal(mkfifo(f->path, 0600), 0);
    void *bytes = NULL;
    size_t len = 0;
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, NULL, NULL, &bytes, &len), DP_ERR_IO);
}

static void test_read_cancelled_before_start(void **state)
{
    fixture *f = *state;
    put(f, "a.txt", "hello", 5);
    struct dp_cancel c;
    dp__cancel_init(&c);
    dp__cancel_set(&c);
    void *bytes = (void *)0x1;
    size_t len = 0;
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, poll_token, &c, &bytes, &len),
                     DP_ERR_CANCELLED);
    assert_null(bytes);
}

static void test_read_cancelled_between_chunks_frees_buffer(void **state)
{
    fixture *f = *state;
    size_t n = 1024 * 1024;
    void *data = calloc(1, n);
    assert_non_null(data);
    put(f, "big.bin", data, n);
    free(data);
    size_t calls = 0;
    struct dp_cancel c;
    dp__cancel_init(&c);
    c.check = cancel_after;
    c.ctx = &calls;
    c.arg = 3; /* cancelled while reading, after a few chunks */
    void *bytes = (void *)0x1;
    size_t len = 0;
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, poll_token, &c, &bytes, &len),
                     DP_ERR_CANCELLED);
    assert_null(bytes);
    assert_true(calls > 2); /* the token was polled more than once: between chunks */
    assert_int_equal(atomic_load(&f->ta.live), 0);
}

static void test_read_out_of_memory_leaks_nothing(void **state)
{
    fixture *f = *state;
    put(f, "a.txt", "hello", 5);
    void *bytes = (void *)0x1;
    size_t len = 0;
    dp_test_alloc_fail_at(&f->ta, 1);
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, NULL, NULL, &bytes, &len),
                     DP_ERR_NOMEM);
    dp_test_alloc_fail_at(&f->ta, 0);
    assert_null(bytes);
    assert_int_equal(atomic_load(&f->ta.live), 0);
}

static void test_read_null_args_are_invalid(void **state)
{
    fixture *f = *state;
    put(f, "a.txt", "hello", 5);
    void *bytes = NULL;
    size_t len = 0;
    assert_int_equal(dp__file_read(NULL, f->path, 0, NULL, NULL, &bytes, &len), DP_ERR_INVALID);
    assert_int_equal(dp__file_read(&f->ta.iface, NULL, 0, NULL, NULL, &bytes, &len),
                     DP_ERR_INVALID);
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, NULL, NULL, NULL, &len),
                     DP_ERR_INVALID);
    assert_int_equal(dp__file_read(&f->ta.iface, f->path, 0, NULL, NULL, &bytes, NULL),
                     DP_ERR_INVALID);
}

static void test_cpu_count_is_positive(void **state)
{
    (void)state;
    int n = dp__cpu_count();
    assert_true(n >= 1);
    assert_int_equal(n, (int)sysconf(_SC_NPROCESSORS_ONLN));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_read_small_file_is_nul_terminated),
        T(test_read_empty_file),
        T(test_read_large_file_intact),
        T(test_read_file_at_exact_limit),
        T(test_read_too_large_is_format_error),
        T(test_read_missing_file_is_not_found),
        T(test_read_through_a_file_as_folder_is_not_found),
        T(test_read_directory_is_io_error),
        T(test_read_fifo_is_io_error_without_blocking),
        T(test_read_cancelled_before_start),
        T(test_read_cancelled_between_chunks_frees_buffer),
        T(test_read_out_of_memory_leaks_nothing),
        T(test_read_null_args_are_invalid),
        T(test_cpu_count_is_positive),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
