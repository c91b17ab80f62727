/* asset_fixture.h — the registry tests' shared fixture: a depot on a counting allocator with
 * one type, "obj", whose destroy counts how often each object was destroyed. Teardown
 * destroys the depot and requires zero live allocations and every object destroyed exactly
 * once. Each test file uses the short names below. */
#ifndef DP_ASSET_FIXTURE_H
#define DP_ASSET_FIXTURE_H

#include "depot/depot.h"
#include "testutil.h"

enum { DP_FX_MAXID = 64 };

typedef struct obj {
    int id;
} obj;

typedef struct fixture {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id type;
    int destroyed;
    int per_id[DP_FX_MAXID];
    int next_id;
} fixture;

/* cmocka setup with a desc (its allocator is replaced by the fixture's). */
int dp_fx_setup_desc(void **state, dp_desc d);
int dp_fx_setup(void **state);
int dp_fx_teardown(void **state);
/* A new object with the next id (malloc'd; the type's destroy frees it). */
obj *dp_fx_mk(fixture *f);
/* dp_add of a new object, 16 bytes, with the given key (may be NULL); asserts DP_OK. */
dp_handle dp_fx_add(fixture *f, const char *key);
/* dp_stats.freed_total: assets freed so far (their destroy may still wait in quarantine). */
size_t dp_fx_freed_total(fixture *f);
/* Events of `kind` in the last update's batch. */
size_t dp_fx_count_events(fixture *f, dp_event_kind kind);
/* n new objects in a ring, each depending on the next, v[0] with key `key0` (may be NULL),
 * the others keyless; the caller's counts are released, so only the ring's edges hold them.
 * Returns the handles (malloc'd; the caller frees the array). */
dp_handle *dp_fx_ring(fixture *f, size_t n, const char *key0);
/* dp_update until no cycle collection is in progress and no candidate waits (asserting it
 * ends); returns the number of updates. */
int dp_fx_settle(fixture *f);
/* dp_update until the cycle collector's next step belongs to `phase` (dp__cycles_phase);
 * with a collect_budget of 1, each update takes one step. */
void dp_fx_step_to(fixture *f, int phase);

static inline int setup_desc(void **state, dp_desc d) { return dp_fx_setup_desc(state, d); }
static inline int setup(void **state) { return dp_fx_setup(state); }
static inline int teardown(void **state) { return dp_fx_teardown(state); }
static inline obj *mk(fixture *f) { return dp_fx_mk(f); }
static inline dp_handle add(fixture *f, const char *key) { return dp_fx_add(f, key); }
static inline dp_handle *make_ring(fixture *f, size_t n) { return dp_fx_ring(f, n, NULL); }
static inline int settle(fixture *f) { return dp_fx_settle(f); }
static inline void step_to(fixture *f, int phase) { dp_fx_step_to(f, phase); }
static inline void pass_quarantine(fixture *f) { dp_test_pass_quarantine(f->dp); }
static inline size_t freed_total(fixture *f) { return dp_fx_freed_total(f); }
static inline size_t count_events(fixture *f, dp_event_kind kind)
{
    return dp_fx_count_events(f, kind);
}

#endif
