/* test_deep_state.c — the deep and direct states as loads settle under parents (bundles,
 * chains, diamonds, cycles), edges removed and parents freed while pending, and a random
 * walk checked after every update against reachability worked out from the public graph.
 * White-box on one thread: assets are made PENDING and settled with the registry's own
 * setters, as the loader does inside dp_update. */
#include <stdlib.h>
#include <string.h>

#include "asset/asset_internal.h"
#include "depot/depot.h"
#include "testutil.h"

typedef struct fixture {
    dp_test_alloc alloc;
    dp_depot *dp;
    dp_type_id type;
} fixture;

static void destroy_obj(void *asset, void *user)
{
    (void)user;
    free(asset);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    dp_test_alloc_init(&f->alloc);
    assert_int_equal(dp_create(&(dp_desc){.allocator = &f->alloc.iface}, &f->dp), DP_OK);
    dp_type t = {.name = "obj", .destroy = destroy_obj};
    assert_int_equal(dp_register_type(f->dp, &t, &f->type), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dp_destroy(f->dp);
    assert_int_equal(atomic_load(&f->alloc.live), 0);
    free(f);
    return 0;
}

static dp_handle pending(fixture *f)
{
    dp_handle h;
    assert_int_equal(dp__create(f->dp, f->type, DP_STATE_PENDING, NULL, 0, NULL, &h, __FILE__,
                                __LINE__),
                     DP_OK);
    return h;
}

static dp_handle added(fixture *f)
{
    dp_handle h;
    assert_int_equal(dp_add(f->dp, f->type, malloc(8), 8, NULL, &h), DP_OK);
    return h;
}

static void load(fixture *f, dp_handle h)
{
    dp__set_loaded(f->dp, h, malloc(8), 8);
}

/* Loads h and runs the update that applies it, as a load result does. */
static void load_update(fixture *f, dp_handle h)
{
    load(f, h);
    dp_update(f->dp);
}

static void expect(fixture *f, dp_handle h, dp_state deep, dp_state direct)
{
    assert_int_equal(dp_state_deep(f->dp, h), deep);
    assert_int_equal(dp_state_direct(f->dp, h), direct);
}

static void depend(fixture *f, dp_handle p, dp_handle c)
{
    assert_int_equal(dp_depend(f->dp, p, c), DP_OK);
}

/* Position of h's LOADED_DEEP among the last update's events, -1 if none (or twice: -2). */
static int deep_pos(fixture *f, dp_handle h)
{
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev);
    int pos = -1;
    for (size_t k = 0; k < n; k++)
        if (ev[k].kind == DP_EV_LOADED_DEEP && dp_handle_eq(ev[k].handle, h))
            pos = pos == -1 ? (int)k : -2;
    return pos;
}

static void release_all(fixture *f, const dp_handle *h, size_t n)
{
    for (size_t k = 0; k < n; k++)
        (void)dp_release(f->dp, h[k]);
    dp_update(f->dp);
    assert_int_equal(dp_check(f->dp), DP_OK);
}

static void test_bundle_settles_when_its_last_pending_child_loads(void **state)
{
    fixture *f = *state;
    dp_handle h[6];
    h[0] = added(f);
    for (int k = 1; k < 6; k++) {
        h[k] = pending(f);
        depend(f, h[0], h[k]);
    }
    dp_update(f->dp);
    for (int k = 1; k < 5; k++) {
        load_update(f, h[k]);
        expect(f, h[k], DP_STATE_LOADED, DP_STATE_LOADED);
        expect(f, h[0], DP_STATE_PENDING, DP_STATE_PENDING);
    }
    load_update(f, h[5]);
    expect(f, h[0], DP_STATE_LOADED, DP_STATE_LOADED);
    assert_true(deep_pos(f, h[5]) >= 0);
    assert_true(deep_pos(f, h[0]) > deep_pos(f, h[5]));
    release_all(f, h, 6);
}

static void test_chain_settles_parent_and_grandparent_dependencies_first(void **state)
{
    fixture *f = *state;
    dp_handle g = added(f), p = added(f), k = pending(f);
    depend(f, g, p);
    depend(f, p, k);
    dp_update(f->dp);
    expect(f, g, DP_STATE_PENDING, DP_STATE_LOADED); /* p itself is loaded */
    expect(f, p, DP_STATE_PENDING, DP_STATE_PENDING);
    load_update(f, k);
    expect(f, p, DP_STATE_LOADED, DP_STATE_LOADED);
    expect(f, g, DP_STATE_LOADED, DP_STATE_LOADED);
    assert_true(deep_pos(f, k) >= 0);
    assert_true(deep_pos(f, p) > deep_pos(f, k));
    assert_true(deep_pos(f, g) > deep_pos(f, p));
    release_all(f, (dp_handle[]){g, p, k}, 3);
}

static void test_diamond_top_waits_for_both_paths(void **state)
{
    fixture *f = *state;
    dp_handle top = added(f), l = added(f), r = added(f), x = pending(f), y = pending(f);
    depend(f, top, l);
    depend(f, top, r);
    depend(f, l, x);
    depend(f, r, x);
    depend(f, r, y);
    dp_update(f->dp);
    load_update(f, x);
    expect(f, l, DP_STATE_LOADED, DP_STATE_LOADED);
    expect(f, r, DP_STATE_PENDING, DP_STATE_PENDING);
    expect(f, top, DP_STATE_PENDING, DP_STATE_LOADED);
    assert_int_equal(deep_pos(f, top), -1);
    load_update(f, y);
    expect(f, r, DP_STATE_LOADED, DP_STATE_LOADED);
    expect(f, top, DP_STATE_LOADED, DP_STATE_LOADED);
    assert_true(deep_pos(f, r) > deep_pos(f, y));
    assert_true(deep_pos(f, top) > deep_pos(f, r));
    assert_int_equal(deep_pos(f, l), -1); /* announced once, an update earlier */
    release_all(f, (dp_handle[]){top, l, r, x, y}, 5);
}

static void test_failure_reaches_grandparent_and_the_first_failure_stays(void **state)
{
    fixture *f = *state;
    dp_handle g = added(f), p = added(f), k = pending(f), k2 = pending(f), s = pending(f);
    depend(f, g, p);
    depend(f, g, s); /* keeps g waiting: direct state pending */
    depend(f, p, k);
    depend(f, p, k2);
    dp_update(f->dp);
    dp__set_failed(f->dp, k, DP_ERR_FORMAT);
    dp_update(f->dp);
    expect(f, p, DP_STATE_FAILED, DP_STATE_FAILED);
    expect(f, g, DP_STATE_FAILED, DP_STATE_PENDING);
    assert_int_equal(dp_failure_of(f->dp, g), DP_ERR_FORMAT);
    dp__set_failed(f->dp, k2, DP_ERR_IO);
    load_update(f, s);
    expect(f, g, DP_STATE_FAILED, DP_STATE_LOADED);
    assert_int_equal(dp_failure_of(f->dp, g), DP_ERR_FORMAT);
    assert_int_equal(deep_pos(f, g), -1);
    release_all(f, (dp_handle[]){g, p, k, k2, s}, 5);
}

/* s settles deep-FAILED (its child u is loaded itself) while u waits for k2 (deep-FAILED
 * through m, direct-PENDING); when u drops m, u is pending again, and so is s, which no
 * waiting list holds. */
static void test_settled_failed_parent_follows_a_child_that_stops_failing(void **state)
{
    fixture *f = *state;
    dp_handle s = added(f), u = added(f), m = added(f), k1 = pending(f), k2 = pending(f);
    depend(f, s, u);
    depend(f, u, m);
    depend(f, m, k1);
    depend(f, u, k2);
    dp_update(f->dp);
    dp__set_failed(f->dp, k1, DP_ERR_FORMAT);
    dp_update(f->dp);
    expect(f, s, DP_STATE_FAILED, DP_STATE_LOADED);
    expect(f, u, DP_STATE_FAILED, DP_STATE_PENDING);
    assert_int_equal(dp_undepend(f->dp, u, m), DP_OK);
    dp_update(f->dp);
    expect(f, u, DP_STATE_PENDING, DP_STATE_PENDING);
    expect(f, s, DP_STATE_PENDING, DP_STATE_LOADED);
    assert_int_equal(dp_failure_of(f->dp, s), DP_OK);
    load_update(f, k2);
    expect(f, s, DP_STATE_LOADED, DP_STATE_LOADED);
    release_all(f, (dp_handle[]){s, u, m, k1, k2}, 5);
}

static void test_cycle_of_pending_assets_settles_once_both_load(void **state)
{
    fixture *f = *state;
    dp_handle a = pending(f), b = pending(f), top = added(f);
    depend(f, a, b);
    depend(f, b, a);
    depend(f, top, a);
    dp_update(f->dp);
    load_update(f, a);
    expect(f, a, DP_STATE_PENDING, DP_STATE_PENDING);
    expect(f, top, DP_STATE_PENDING, DP_STATE_LOADED);
    load_update(f, b);
    expect(f, a, DP_STATE_LOADED, DP_STATE_LOADED);
    expect(f, b, DP_STATE_LOADED, DP_STATE_LOADED);
    expect(f, top, DP_STATE_LOADED, DP_STATE_LOADED);
    assert_true(deep_pos(f, a) >= 0);
    assert_true(deep_pos(f, b) >= 0);
    assert_true(deep_pos(f, top) > deep_pos(f, a));
    assert_true(deep_pos(f, top) > deep_pos(f, b)); /* both members before what needs them */
    dp_undepend(f->dp, a, b); /* let the cycle go */
    release_all(f, (dp_handle[]){a, b, top}, 3);
}

/* The pass that sees a settle works out only what is above it; here that is a cycle
 * (c1 -> c2 -> c3 -> c1) between the loading asset k and the parent top. */
static void test_cycle_above_a_settling_child_announces_its_members_before_the_parent(void **state)
{
    fixture *f = *state;
    dp_handle c1 = added(f), c2 = added(f), c3 = added(f), k = pending(f), top = added(f);
    depend(f, top, c1);
    depend(f, c1, c2);
    depend(f, c2, c3);
    depend(f, c3, c1);
    depend(f, c3, k);
    dp_update(f->dp);
    expect(f, c1, DP_STATE_PENDING, DP_STATE_LOADED);
    expect(f, c3, DP_STATE_PENDING, DP_STATE_PENDING);
    load_update(f, k);
    dp_handle cyc[3] = {c1, c2, c3};
    int last = -1, first = 1 << 30;
    for (int i = 0; i < 3; i++) {
        expect(f, cyc[i], DP_STATE_LOADED, DP_STATE_LOADED);
        int pos = deep_pos(f, cyc[i]);
        assert_true(pos > deep_pos(f, k));
        last = pos > last ? pos : last;
        first = pos < first ? pos : first;
    }
    assert_int_equal(last - first, 2); /* the cycle's members one after another */
    assert_true(deep_pos(f, top) > last);
    dp_undepend(f->dp, c3, c1);
    release_all(f, (dp_handle[]){top, c1, c2, c3, k}, 5);
}

/* A cycle whose members wait for different children settles only once both loaded, and
 * then all at once. */
static void test_cycle_members_waiting_for_different_children_settle_together(void **state)
{
    fixture *f = *state;
    dp_handle a = added(f), b = added(f), ka = pending(f), kb = pending(f), top = added(f);
    depend(f, top, b);
    depend(f, a, b);
    depend(f, b, a);
    depend(f, a, ka);
    depend(f, b, kb);
    dp_update(f->dp);
    load_update(f, ka);
    expect(f, a, DP_STATE_PENDING, DP_STATE_LOADED);
    expect(f, b, DP_STATE_PENDING, DP_STATE_PENDING);
    assert_int_equal(deep_pos(f, a), -1);
    load_update(f, kb);
    expect(f, a, DP_STATE_LOADED, DP_STATE_LOADED);
    expect(f, b, DP_STATE_LOADED, DP_STATE_LOADED);
    expect(f, top, DP_STATE_LOADED, DP_STATE_LOADED);
    assert_true(deep_pos(f, a) > deep_pos(f, kb));
    assert_true(deep_pos(f, b) > deep_pos(f, kb));
    assert_true(deep_pos(f, top) > deep_pos(f, a));
    assert_true(deep_pos(f, top) > deep_pos(f, b));
    dp_undepend(f->dp, b, a);
    release_all(f, (dp_handle[]){top, a, b, ka, kb}, 5);
}

static void test_removing_the_last_pending_child_settles_the_parent(void **state)
{
    fixture *f = *state;
    dp_handle b = added(f), k1 = pending(f), k2 = pending(f);
    depend(f, b, k1);
    depend(f, b, k2);
    dp_update(f->dp);
    assert_int_equal(dp_undepend(f->dp, b, k2), DP_OK);
    dp_update(f->dp);
    assert_int_equal(dp_state_deep(f->dp, b), DP_STATE_PENDING);
    load_update(f, k2); /* no longer a child: b does not care */
    assert_int_equal(dp_state_deep(f->dp, b), DP_STATE_PENDING);
    assert_int_equal(dp_undepend(f->dp, b, k1), DP_OK);
    dp_update(f->dp);
    expect(f, b, DP_STATE_LOADED, DP_STATE_LOADED);
    assert_true(deep_pos(f, b) >= 0);
    release_all(f, (dp_handle[]){b, k1, k2}, 3);
}

static void test_pending_parent_freed_before_its_children_load(void **state)
{
    fixture *f = *state;
    dp_handle top = added(f), b = pending(f), k = pending(f), k2 = pending(f);
    depend(f, top, b);
    depend(f, b, k);
    depend(f, b, k2);
    dp_update(f->dp);
    assert_int_equal(dp_release(f->dp, b), DP_OK); /* top still holds it */
    assert_int_equal(dp_evict(f->dp, b), DP_OK);   /* forced free while pending */
    dp_update(f->dp);
    load(f, k);
    dp__set_failed(f->dp, k2, DP_ERR_IO);
    dp_update(f->dp);
    assert_int_equal(dp_state_deep(f->dp, k), DP_STATE_LOADED);
    assert_int_equal(dp_state_deep(f->dp, top), DP_STATE_LOADED); /* b is gone */
    assert_int_equal(dp_check(f->dp), DP_OK);
    release_all(f, (dp_handle[]){top, k, k2}, 3);
}

/* A chain of n pending assets, each depending on the next, linked while all of them wait
 * (top first, or bottom first), then all loaded in one update (top first): every one
 * settles, and each announces after the one below it. Linked top first, the chain is too
 * long for the index to keep its levels in order as it grows, so it orders by walking up;
 * linked bottom first, each link only numbers the new parent. */
static void chain_loaded_at_once(fixture *f, bool top_first)
{
    enum { N = 300 };
    dp_handle h[N];
    for (int k = 0; k < N; k++)
        h[k] = pending(f);
    dp_update(f->dp);
    for (int k = 0; k < N - 1; k++) {
        int at = top_first ? k : N - 2 - k;
        depend(f, h[at], h[at + 1]);
    }
    dp_update(f->dp);
    expect(f, h[0], DP_STATE_PENDING, DP_STATE_PENDING);
    for (int k = 0; k < N; k++)
        load(f, h[k]);
    dp_update(f->dp);
    for (int k = 0; k < N; k++) {
        expect(f, h[k], DP_STATE_LOADED, DP_STATE_LOADED);
        if (k + 1 < N)
            assert_true(deep_pos(f, h[k]) > deep_pos(f, h[k + 1]));
    }
    release_all(f, h, N);
}

static void test_chain_linked_top_first_settles_bottom_up(void **state)
{
    chain_loaded_at_once(*state, true);
}

static void test_chain_linked_bottom_first_settles_bottom_up(void **state)
{
    chain_loaded_at_once(*state, false);
}

/* ---- a random walk against reachability ------------------------------------------------- */

#define RN 48

typedef struct walk {
    fixture *f;
    dp_handle h[RN];
    bool held[RN];
    dp_state was[RN]; /* deep state after the previous update */
} walk;

static bool alive(const walk *w, int i)
{
    return w->h[i].bits && dp_state_of(w->f->dp, w->h[i]) != DP_STATE_INVALID;
}

static int index_of(const walk *w, dp_handle h)
{
    for (int i = 0; i < RN; i++)
        if (w->h[i].bits == h.bits)
            return i;
    return -1;
}

typedef struct kids {
    const walk *w;
    int n, at[RN];
} kids;

static void add_kid(void *user, dp_handle c)
{
    kids *k = user;
    k->at[k->n++] = index_of(k->w, c);
}

static void kids_of(const walk *w, int i, kids *k)
{
    k->w = w;
    k->n = 0;
    assert_int_equal(dp_children(w->f->dp, w->h[i], add_kid, k), DP_OK);
}

/* Marks in seen[] every asset reachable from `from` along edges (from included). */
static void reach(const walk *w, int from, bool *seen)
{
    int stack[RN], sp = 0;
    stack[sp++] = from;
    seen[from] = true;
    while (sp) {
        kids k;
        kids_of(w, stack[--sp], &k);
        for (int e = 0; e < k.n; e++)
            if (k.at[e] >= 0 && !seen[k.at[e]]) {
                seen[k.at[e]] = true;
                stack[sp++] = k.at[e];
            }
    }
}

static bool reaches(const walk *w, int from, int to)
{
    bool seen[RN] = {0};
    reach(w, from, seen);
    return seen[to];
}

/* The deep state by reachability: FAILED if a failed asset is reachable, else PENDING if a
 * pending one is, else LOADED. */
static dp_state reference_deep(const walk *w, int i)
{
    bool seen[RN] = {0}, pend = false;
    reach(w, i, seen);
    for (int x = 0; x < RN; x++) {
        dp_state s = seen[x] ? dp_state_of(w->f->dp, w->h[x]) : DP_STATE_LOADED;
        if (s == DP_STATE_FAILED)
            return DP_STATE_FAILED;
        pend = pend || s == DP_STATE_PENDING || s == DP_STATE_LOADING;
    }
    return pend ? DP_STATE_PENDING : DP_STATE_LOADED;
}

static dp_state reference_direct(const walk *w, int i)
{
    dp_state s = dp_state_of(w->f->dp, w->h[i]);
    bool fail = s == DP_STATE_FAILED, pend = s == DP_STATE_PENDING;
    kids k;
    kids_of(w, i, &k);
    for (int e = 0; e < k.n; e++) {
        dp_state c = dp_state_of(w->f->dp, w->h[k.at[e]]);
        fail = fail || c == DP_STATE_FAILED;
        pend = pend || c == DP_STATE_PENDING;
    }
    return fail ? DP_STATE_FAILED : pend ? DP_STATE_PENDING : DP_STATE_LOADED;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static void random_step(walk *w, uint64_t *seed)
{
    fixture *f = w->f;
    int i = (int)(rnd(seed) % RN), j = (int)(rnd(seed) % RN);
    bool ai = alive(w, i), aj = alive(w, j);
    dp_state si = ai ? dp_state_of(f->dp, w->h[i]) : DP_STATE_INVALID;
    switch (rnd(seed) % 10) {
    case 0:
    case 1:
        if (!ai) { /* (out of memory: the slot stays empty) */
            void *data = malloc(8);
            dp_status st = rnd(seed) % 3
                ? dp__create(f->dp, f->type, DP_STATE_PENDING, NULL, 0, NULL, &w->h[i],
                             __FILE__, __LINE__)
                : dp_add(f->dp, f->type, data, 8, NULL, &w->h[i]);
            if (st != DP_OK || dp_state_of(f->dp, w->h[i]) == DP_STATE_PENDING)
                free(data);
            w->h[i] = st == DP_OK ? w->h[i] : DP_NULL_HANDLE;
            w->held[i] = st == DP_OK;
        }
        break;
    case 2:
    case 3:
        if (ai && aj)
            (void)dp_depend(f->dp, w->h[i], w->h[j]);
        break;
    case 4:
        if (ai && aj)
            (void)dp_undepend(f->dp, w->h[i], w->h[j]);
        break;
    case 5:
    case 6:
        if (si == DP_STATE_PENDING)
            load(f, w->h[i]);
        break;
    case 7:
        if (si == DP_STATE_PENDING)
            dp__set_failed(f->dp, w->h[i], DP_ERR_FORMAT);
        else if (si == DP_STATE_FAILED) { /* a retry, as the loader makes one */
            dp__set_state(f->dp, w->h[i], DP_STATE_PENDING);
            dp__deep_note_change(f->dp, w->h[i], DP_NULL_HANDLE);
        }
        break;
    case 8:
        if (ai && w->held[i]) {
            (void)dp_release(f->dp, w->h[i]);
            w->held[i] = false;
        }
        break;
    default:
        if (ai && rnd(seed) % 4 == 0)
            (void)dp_evict(f->dp, w->h[i]);
        break;
    }
}

/* Every live asset's deep and direct states match reachability; LOADED_DEEP is announced
 * once by each asset that became deep-LOADED, after everything it reaches that announced
 * this update (unless that is on a cycle with it). */
static void check_walk(walk *w, bool events)
{
    for (int i = 0; i < RN; i++) {
        if (!alive(w, i)) {
            w->was[i] = DP_STATE_INVALID;
            continue;
        }
        dp_state deep = dp_state_deep(w->f->dp, w->h[i]);
        assert_int_equal(deep, reference_deep(w, i));
        assert_int_equal(dp_state_direct(w->f->dp, w->h[i]), reference_direct(w, i));
        if (!events)
            continue;
        int pos = deep_pos(w->f, w->h[i]);
        bool became = deep == DP_STATE_LOADED && w->was[i] != DP_STATE_LOADED;
        assert_true(became ? pos >= 0 : pos == -1);
        bool below[RN] = {0};
        if (pos >= 0)
            reach(w, i, below);
        for (int j = 0; j < RN; j++) /* all it reaches: after i only on a cycle with it */
            if (below[j] && deep_pos(w->f, w->h[j]) > pos)
                assert_true(reaches(w, j, i));
        w->was[i] = deep;
    }
    assert_int_equal(dp_check(w->f->dp), DP_OK);
}

/* Random walks of `rounds` updates from 4 seeds; with `oom`, one allocation of each round
 * (its steps and its update) fails, and the round ends with a clean update after which
 * the states must be right again (events are not checked: a lost event is allowed). */
static void random_walks(fixture *f, int rounds, bool oom)
{
    for (uint64_t seed = 0x5eed12; seed < 0x5eed12 + 4; seed++) {
        walk w = {.f = f};
        uint64_t s = seed;
        for (int i = 0; i < RN; i++)
            w.was[i] = DP_STATE_INVALID;
        for (int round = 0; round < rounds; round++) {
            int steps = 1 + (int)(rnd(&s) % 6);
            if (oom)
                dp_test_alloc_fail_at(&f->alloc, 1 + (long)(rnd(&s) % 16));
            for (int k = 0; k < steps; k++)
                random_step(&w, &s);
            dp_update(f->dp);
            if (oom) {
                dp_test_alloc_fail_at(&f->alloc, 0);
                dp_update(f->dp);
            }
            check_walk(&w, !oom);
        }
        for (int i = 0; i < RN; i++)
            if (alive(&w, i) && w.held[i])
                (void)dp_release(f->dp, w.h[i]);
        for (int i = 0; i < RN; i++) /* what holds itself (a cycle) goes as garbage */
            if (alive(&w, i))
                (void)dp_evict(f->dp, w.h[i]);
        dp_update(f->dp);
    }
}

static void test_random_changes_keep_deep_states_equal_to_reachability(void **state)
{
    random_walks(*state, 1500, false);
}

static void test_out_of_memory_anywhere_in_an_update_heals_at_the_next(void **state)
{
    random_walks(*state, 600, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bundle_settles_when_its_last_pending_child_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_settles_parent_and_grandparent_dependencies_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diamond_top_waits_for_both_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_reaches_grandparent_and_the_first_failure_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settled_failed_parent_follows_a_child_that_stops_failing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle_of_pending_assets_settles_once_both_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle_above_a_settling_child_announces_its_members_before_the_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle_members_waiting_for_different_children_settle_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removing_the_last_pending_child_settles_the_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_parent_freed_before_its_children_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_linked_top_first_settles_bottom_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_linked_bottom_first_settles_bottom_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_changes_keep_deep_states_equal_to_reachability, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_anywhere_in_an_update_heals_at_the_next, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
