/* test_memory.c — what a depot holds once a burst is over: the room a burst of events and
 * owner lists took is given back a frame later (events.c, hvec.c), and dp__mem_parts
 * names every byte of the bench's keyed chain. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_burst_of_events_is_given_back_a_frame_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_leaves_no_list_room_a_frame_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_of_a_burst_after_a_trimmed_one_all_arrive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_parts_name_every_byte_of_a_keyed_chain, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
