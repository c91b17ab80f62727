/* testutil.h — helpers shared by depot's tests: a counting allocator that can fail the Nth
 * allocation, temp directories, and a monotonic clock. */
#ifndef DP_TESTUTIL_H
#define DP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <cmocka.h>

#include "depot/asset.h"

/* Counts live allocations and bytes; fails allocation number `fail_at` (1-based, 0 = never)
 * and, if `fail_all_after`, every later one too. Thread-safe. */
typedef struct dp_test_alloc {
    dp_allocator iface;         /* pass &a.iface as dp_desc.allocator */
    atomic_long live;           /* allocations not yet freed */
    atomic_long live_bytes;
    atomic_long total;          /* allocation calls so far, failed ones included */
    atomic_long failed;         /* allocations refused */
    long fail_at;
    int fail_all_after;
} dp_test_alloc;

void dp_test_alloc_init(dp_test_alloc *a);
/* Fails the nth allocation from now on (counted from the last init/arm); 0 disarms. */
void dp_test_alloc_fail_at(dp_test_alloc *a, long n);

/* Makes a fresh empty directory under /tmp and returns its path (static storage per call
 * site is not assumed: the buffer is caller-provided, at least 256 bytes). */
void dp_test_mkdtemp(char *buf, size_t cap);
/* rm -rf of a directory made by dp_test_mkdtemp. */
void dp_test_rmrf(const char *dir);
/* Writes a file (creating parent folders); returns 0 on success. */
int dp_test_write_file(const char *path, const void *bytes, size_t len);

/* Runs as many dp_update calls as the lifetime sanitizer keeps data that left its asset
 * (dp_debug_lifetimes: DP_LIFETIMES_DEFAULT in the ASan build, 0 in the others), so that
 * data freed, evicted or replaced so far has been destroyed. Owner thread. */
void dp_test_pass_quarantine(dp_depot *dp);

/* Monotonic nanoseconds. */
uint64_t dp_test_now_ns(void);

/* How long a test waits for something that must happen (a load to settle, a thread to
 * reach a gate, a worker to finish, an event to come): a hang guard, not a speed bound.
 * Generous because CI runs on loaded machines where a thread may first run seconds late;
 * ctest's TIMEOUT is the backstop. A test that expects DP_ERR_TIMEOUT keeps its own small
 * timeout. Never assert that something took less than some time. */
#define DP_TEST_WAIT_MS 60000

/* A polling loop's hang guard: true while less than DP_TEST_WAIT_MS has passed since t0_ns
 * (a dp_test_now_ns() reading). A loop that waits for `done` bounds itself by time, never
 * by a count of iterations (a count is a speed guess):
 *     for (uint64_t t0 = dp_test_now_ns(); !done && dp_test_waiting(t0);) { ... }
 * and asserts `done` after it. */
bool dp_test_waiting(uint64_t t0_ns);

/* Lets every load finish and be applied: dp_wait_idle then dp_update, again while a load job
 * is queued or running (an applied result may queue its dependencies), up to the hang guard;
 * fails the test if jobs remain. For after a dp_wait that returned a failure: a deep state
 * turns FAILED as soon as one dependency fails, while its siblings may still load. Owner. */
void dp_test_settle(dp_depot *dp);

/* A log hook target (dp_desc.log = {dp_test_log_record, &book}): counts messages and keeps
 * the level and text of the last one. Not thread-safe (the tests log from the owner). */
typedef struct dp_test_logbook {
    int n;
    dp_log_level level;
    char last[512];
} dp_test_logbook;
void dp_test_log_record(void *user, dp_log_level level, const char *message);

#endif
