#include "testutil.h"

#include "depot/diag.h"
#include "depot/load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Each block carries its size in a 16-byte header so that live bytes can be counted. */
static void *count_alloc(size_t size, void *user)
{
    dp_test_alloc *a = user;
    long n = atomic_fetch_add(&a->total, 1) + 1;
    if (a->fail_at > 0 && (n == a->fail_at || (a->fail_all_after && n > a->fail_at))) {
        atomic_fetch_add(&a->failed, 1);
        return NULL;
    }
    unsigned char *p = malloc(size + 16);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    atomic_fetch_add(&a->live, 1);
    atomic_fetch_add(&a->live_bytes, (long)size);
    return p + 16;
}

static void count_free(void *ptr, void *user)
{
    dp_test_alloc *a = user;
    unsigned char *p = (unsigned char *)ptr - 16;
    size_t size;
    memcpy(&size, p, sizeof size);
    atomic_fetch_sub(&a->live, 1);
    atomic_fetch_sub(&a->live_bytes, (long)size);
    free(p);
}

void dp_test_alloc_init(dp_test_alloc *a)
{
    memset(a, 0, sizeof *a);
    a->iface.alloc = count_alloc;
    a->iface.free = count_free;
    a->iface.user = a;
}

void dp_test_alloc_fail_at(dp_test_alloc *a, long n)
{
    a->fail_at = n > 0 ? atomic_load(&a->total) + n : 0;
}

void dp_test_mkdtemp(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/depot-test-XXXXXX");
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        abort();
    }
}

void dp_test_rmrf(const char *dir)
{
    char cmd[512];
    if (strncmp(dir, "/tmp/depot-test-", 16) != 0)
        return; /* never remove anything we did not make */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
}

int dp_test_write_file(const char *path, const void *bytes, size_t len)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *s = tmp + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            mkdir(tmp, 0755);
            *s = '/';
        }
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(bytes, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

uint64_t dp_test_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool dp_test_waiting(uint64_t t0_ns)
{
    return dp_test_now_ns() - t0_ns < (uint64_t)DP_TEST_WAIT_MS * 1000000u;
}

void dp_test_settle(dp_depot *dp)
{
    dp_stats st;
    uint64_t t0 = dp_test_now_ns();
    do {
        dp_wait_idle(dp, DP_TEST_WAIT_MS);
        assert_int_equal(dp_update(dp), DP_OK);
        assert_int_equal(dp_get_stats(dp, &st), DP_OK);
    } while (st.pending_jobs > 0 && dp_test_waiting(t0));
    assert_int_equal(st.pending_jobs, 0);
}

void dp_test_log_record(void *user, dp_log_level level, const char *message)
{
    dp_test_logbook *b = user;
    b->n++;
    b->level = level;
    snprintf(b->last, sizeof b->last, "%s", message);
}

void dp_test_pass_quarantine(dp_depot *dp)
{
    for (uint32_t i = 0; i < dp_debug_lifetimes(dp); i++)
        assert_int_equal(dp_update(dp), DP_OK);
}
