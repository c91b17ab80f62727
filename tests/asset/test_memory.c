/* test_memory.c — what a depot holds: the room a burst of events and owner lists took is
 * given back a frame later (events.c, hvec.c); dp__mem_parts names every byte of the
 * bench's keyed chain; an asset's only edge is kept in its record (edges.c). */
#include <stdio.h>
#include <string.h>

#include "asset/registry.h"
#include "asset_fixture.h"

#define BURST 20000u /* over the room an event buffer or a list keeps however empty it is */

/* BURST keyless assets, each depending on the one before (edges make the deep-state lists
 * grow with the burst), added in one frame and settled by one update. */
static void add_chain(fixture *f, dp_handle *hs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hs[i] = add(f, NULL);
        if (i)
            assert_int_equal(dp_depend(f->dp, hs[i], hs[i - 1]), DP_OK);
    }
    dp_update(f->dp);
}

static void release_all(fixture *f, dp_handle *hs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dp_release(f->dp, hs[i]);
    dp_update(f->dp);
}

static void test_burst_of_events_is_given_back_a_frame_later(void **state)
{
    fixture *f = *state;
    static dp_handle hs[BURST];
    add_chain(f, hs, BURST);
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev);
    assert_true(n >= 2 * BURST); /* LOADED and LOADED_DEEP each */
    long settled = atomic_load(&f->alloc.live_bytes);
    dp_update(f->dp);
    assert_int_equal(dp_events(f->dp, &ev), 0);
    long later = atomic_load(&f->alloc.live_bytes);
    assert_true(later <= settled - (long)(n * sizeof(dp_event)));
    release_all(f, hs, BURST);
}

static void test_burst_leaves_no_list_room_a_frame_later(void **state)
{
    fixture *f = *state;
    static dp_handle hs[BURST];
    add_chain(f, hs, BURST);
    dp_update(f->dp);
    dp__mem m;
    dp__mem_parts(f->dp, &m);
    assert_int_equal(m.lists, 0);
    assert_int_equal(m.events, 0);
    release_all(f, hs, BURST);
}

static void test_events_of_a_burst_after_a_trimmed_one_all_arrive(void **state)
{
    fixture *f = *state;
    static dp_handle hs[BURST];
    add_chain(f, hs, BURST);
    dp_update(f->dp); /* the first burst's room is given back here */
    dp_handle h[3000];
    for (size_t i = 0; i < 3000; i++)
        h[i] = add(f, NULL);
    dp_update(f->dp);
    assert_int_equal(count_events(f, DP_EV_LOADED), 3000);
    const dp_event *ev;
    size_t n = dp_events(f->dp, &ev);
    for (size_t i = 0, k = 0; i < n; i++)
        if (ev[i].kind == DP_EV_LOADED)
            assert_true(dp_handle_eq(ev[i].handle, h[k++]));
    for (size_t i = 0; i < 3000; i++)
        dp_release(f->dp, h[i]);
    release_all(f, hs, BURST);
}

/* The bench's shape (keyed chain): slots, key table, key strings, edge arrays, events and
 * lists add up to every byte the allocator handed out for it. */
static void test_memory_parts_name_every_byte_of_a_keyed_chain(void **state)
{
    fixture *f = *state;
    dp__mem m0, m1;
    dp__mem_parts(f->dp, &m0);
    long before = atomic_load(&f->alloc.live_bytes);
    static dp_handle hs[2000];
    char key[32];
    for (size_t i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "tiles/t%05zu.png", i);
        hs[i] = add(f, key);
        if (i)
            assert_int_equal(dp_depend(f->dp, hs[i], hs[i - 1]), DP_OK);
    }
    dp_update(f->dp);
    dp__mem_parts(f->dp, &m1);
    long grown = atomic_load(&f->alloc.live_bytes) - before;
    size_t parts = (m1.slots - m0.slots) + (m1.key_table - m0.key_table) +
                   (m1.key_strings - m0.key_strings) + (m1.edges - m0.edges) +
                   (m1.events - m0.events) + (m1.lists - m0.lists);
    assert_int_equal(m1.key_strings - m0.key_strings, 2000 * (strlen("tiles/t00000.png") + 1));
    assert_int_equal((long)parts, grown);
    release_all(f, hs, 2000);
}

/* ---- edges: the first in the record, more in an array ---------------------------------- */

typedef struct kids_seen {
    dp_handle v[8];
    size_t n;
} kids_seen;

static void collect(void *user, dp_handle child)
{
    kids_seen *k = user;
    if (k->n < 8)
        k->v[k->n++] = child;
}

static kids_seen children(fixture *f, dp_handle p)
{
    kids_seen k = {.n = 0};
    assert_int_equal(dp_children(f->dp, p, collect, &k), DP_OK);
    return k;
}

static void test_first_edge_takes_no_allocation(void **state)
{
    fixture *f = *state;
    /* A first edge elsewhere makes the owner's lists that every new edge is noted on. */
    dp_handle q = add(f, NULL), d = add(f, NULL);
    assert_int_equal(dp_depend(f->dp, q, d), DP_OK);
    dp_handle p = add(f, NULL), c = add(f, NULL);
    long calls = atomic_load(&f->alloc.total);
    assert_int_equal(dp_depend(f->dp, p, c), DP_OK);
    assert_int_equal(atomic_load(&f->alloc.total), calls);
    dp__mem m;
    dp__mem_parts(f->dp, &m);
    assert_int_equal(m.edges, 0);
    kids_seen k = children(f, p);
    assert_int_equal(k.n, 1);
    assert_true(dp_handle_eq(k.v[0], c));
    dp_release(f->dp, p); /* frees p, whose one edge lets c go */
    dp_release(f->dp, c);
    dp_release(f->dp, q);
    dp_release(f->dp, d);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 4);
}

static void test_edges_move_back_into_the_record_when_one_is_left(void **state)
{
    fixture *f = *state;
    dp_handle p = add(f, NULL), c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = add(f, NULL);
        assert_int_equal(dp_depend(f->dp, p, c[i]), DP_OK);
    }
    dp__mem m;
    dp__mem_parts(f->dp, &m);
    assert_int_equal(m.edges, 4 * sizeof(dp_handle));
    assert_int_equal(dp_undepend(f->dp, p, c[1]), DP_OK);
    assert_int_equal(dp_undepend(f->dp, p, c[0]), DP_OK);
    long live = atomic_load(&f->alloc.live);
    dp__mem_parts(f->dp, &m);
    assert_int_equal(m.edges, 0);
    kids_seen k = children(f, p);
    assert_int_equal(k.n, 1);
    assert_true(dp_handle_eq(k.v[0], c[2]));
    assert_int_equal(dp_depend(f->dp, p, c[0]), DP_OK); /* two again: an array */
    assert_int_equal(atomic_load(&f->alloc.live), live + 1);
    k = children(f, p);
    assert_int_equal(k.n, 2);
    assert_true(dp_handle_eq(k.v[0], c[2]) && dp_handle_eq(k.v[1], c[0]));
    assert_int_equal(dp_count(f->dp, c[0]), 2);
    assert_int_equal(dp_count(f->dp, c[1]), 1);
    dp_release(f->dp, p);
    for (int i = 0; i < 3; i++)
        dp_release(f->dp, c[i]);
    dp_update(f->dp);
    pass_quarantine(f);
    assert_int_equal(f->destroyed, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_burst_of_events_is_given_back_a_frame_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_leaves_no_list_room_a_frame_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_of_a_burst_after_a_trimmed_one_all_arrive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_parts_name_every_byte_of_a_keyed_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_edge_takes_no_allocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edges_move_back_into_the_record_when_one_is_left, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
