/* test_handles.cpp — depot.hpp: handles that retain on copy, release on destruction and
 * hand their count over on move; weak handles; type-checked get; groups; load helpers;
 * call sites for holder tracking. Every test ends with dp_destroy reporting 0 leaks, and the
 * suite runs under ASan+UBSan, so a count or a byte left behind fails it. */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" { /* this cmocka's header has no C++ guard */
#include <cmocka.h>
}

#include "depot/depot.hpp"

namespace {

struct apple {
    int seeds;
};
struct pear {
    int stalk;
};

int destroyed = 0;

template <class T>
void destroy_one(void *asset, void *)
{
    delete static_cast<T *>(asset);
    destroyed++;
}

dp_desc desc_with(bool track)
{
    dp_desc d{};
    d.workers = 1;
    d.track_holders = track;
    return d;
}

/* A depot with two custom types bound to apple and pear. */
struct fixture {
    dp::depot dp;
    explicit fixture(bool track = false) : dp(desc_with(track))
    {
        assert_int_equal(dp.status(), DP_OK);
        dp_type a{};
        a.name = "apple";
        a.destroy = destroy_one<apple>;
        dp_type p{};
        p.name = "pear";
        p.destroy = destroy_one<pear>;
        assert_int_equal(dp.register_type<apple>(a), DP_OK);
        assert_int_equal(dp.register_type<pear>(p), DP_OK);
        destroyed = 0;
    }
    dp::handle<apple> add_apple(const char *key, int seeds = 5)
    {
        auto r = dp.add(new apple{seeds}, sizeof(apple), key);
        assert_int_equal(r.status, DP_OK);
        return std::move(r.value);
    }
    /* The updates the lifetime sanitizer keeps freed data (0 outside the ASan build). */
    void pass_quarantine()
    {
        for (uint32_t i = 0; i < dp_debug_lifetimes(dp.c()); i++)
            assert_int_equal(dp.update(), DP_OK);
    }
};

/* Runs a test body, whose handles all die when it returns, then checks that the depot
 * reports no leak. */
template <void (*body)(fixture &), bool track = false>
void run(void **)
{
    fixture f(track);
    body(f);
    assert_int_equal(f.dp.destroy(), 0);
}

void test_copy_retains_and_destruction_releases(fixture &f)
{
    auto a = f.add_apple("a");
    assert_int_equal(a.count(), 1);
    {
        dp::handle<apple> b = a;
        dp::handle<apple> c(b);
        assert_int_equal(a.count(), 3);
        assert_true(b == a);
    }
    assert_int_equal(a.count(), 1);
    a.reset();
    assert_false(static_cast<bool>(a));
    assert_int_equal(f.dp.update(), DP_OK);
    f.pass_quarantine();
    assert_int_equal(destroyed, 1);
}

void test_move_hands_the_count_over_unchanged(fixture &f)
{
    auto a = f.add_apple("a");
    dp_handle raw = a.raw();
    dp::handle<apple> b = std::move(a);
    assert_false(static_cast<bool>(a));
    assert_int_equal(dp_count(f.dp.c(), raw), 1);
    dp::handle<apple> c;
    c = std::move(b);
    assert_int_equal(dp_count(f.dp.c(), raw), 1);
    assert_int_equal(c->seeds, 5);
}

void test_copy_assignment_releases_the_old_asset(fixture &f)
{
    auto a = f.add_apple("a");
    auto b = f.add_apple("b");
    dp_handle raw_b = b.raw();
    b = a;
    assert_int_equal(a.count(), 2);
    assert_int_equal(dp_count(f.dp.c(), raw_b), 0);
    auto &same = b;
    b = same; /* self-assignment keeps the count */
    assert_int_equal(a.count(), 2);
}

void test_containers_of_handles_release_everything(fixture &f)
{
    auto a = f.add_apple("a");
    {
        std::vector<dp::handle<apple>> v;
        for (int i = 0; i < 100; i++)
            v.push_back(a); /* reallocations move the handles already there */
        assert_int_equal(a.count(), 101);
        v.erase(v.begin(), v.begin() + 50);
        assert_int_equal(a.count(), 51);
        std::vector<dp::handle<apple>> w = v;
        assert_int_equal(a.count(), 101);
        v.clear();
        assert_int_equal(a.count(), 51);
    }
    assert_int_equal(a.count(), 1);
}

void throw_while_holding(const dp::handle<apple> &a)
{
    dp::handle<apple> copy = a;
    std::vector<dp::handle<apple>> more(3, a);
    assert_int_equal(a.count(), 5);
    throw std::runtime_error("unwind");
}

void test_exception_unwinding_releases_handles_in_scope(fixture &f)
{
    auto a = f.add_apple("a");
    bool caught = false;
    try {
        throw_while_holding(a);
    } catch (const std::runtime_error &) {
        caught = true;
    }
    assert_true(caught);
    assert_int_equal(a.count(), 1);
}

void test_get_with_the_wrong_type_is_null(fixture &f)
{
    auto a = f.add_apple("a", 7);
    auto as_pear = f.dp.find<pear>("a");
    assert_int_equal(as_pear.status, DP_OK);
    assert_true(static_cast<bool>(as_pear.value));              /* the count is held ... */
    assert_null(as_pear.value.get());        /* ... but an apple is not a pear */
    auto as_apple = f.dp.find<apple>("a");
    assert_non_null(as_apple.value.get());
    assert_int_equal(as_apple.value->seeds, 7);
    auto untyped = f.dp.find("a");
    assert_ptr_equal(untyped.value.get(), as_apple.value.get());
    struct unbound {
        int x;
    };
    assert_null(f.dp.adopt<unbound>(f.dp.find("a").value.detach()).get());
}

void test_weak_lock_succeeds_while_alive_and_fails_after_free(fixture &f)
{
    auto a = f.add_apple("a");
    dp::weak<apple> w = a.downgrade();
    {
        auto locked = w.lock();
        assert_true(static_cast<bool>(locked));
        assert_int_equal(a.count(), 2);
        assert_int_equal(locked->seeds, 5);
    }
    a.reset();
    assert_int_equal(f.dp.update(), DP_OK); /* count 0: freed here */
    assert_true(w.expired());
    assert_false(static_cast<bool>(w.lock()));
}

void test_copy_of_an_evicted_handle_is_empty(fixture &f)
{
    auto a = f.add_apple("a");
    assert_int_equal(dp_evict(f.dp.c(), a.raw()), DP_OK);
    dp::handle<apple> b = a;
    assert_false(static_cast<bool>(b));
    assert_null(a.get());
    a.reset(); /* releasing a stale handle is harmless */
    assert_int_equal(f.dp.update(), DP_OK);
}

void test_group_releases_its_members_when_destroyed(fixture &f)
{
    dp_handle raw;
    {
        dp::group g;
        assert_int_equal(f.dp.make_group("level", &g), DP_OK);
        auto a = f.add_apple("a");
        raw = a.raw();
        assert_int_equal(g.add(a), DP_OK);
        assert_int_equal(g.size(), 1);
        a.reset();
        assert_int_equal(dp_count(f.dp.c(), raw), 1);
    }
    assert_int_equal(dp_count(f.dp.c(), raw), 0);
    assert_int_equal(f.dp.update(), DP_OK);
    f.pass_quarantine();
    assert_int_equal(destroyed, 1);
}

void test_load_helpers_return_a_typed_handle_and_status(fixture &f)
{
    assert_int_equal(dp_mem_add(f.dp.c(), "hello.bin", "hello", 5), DP_OK);
    auto [blob, st] = f.dp.load_as<dp_blob>("mem://hello.bin");
    assert_int_equal(st, DP_OK);
    assert_int_equal(blob.wait(5000), DP_OK);
    assert_non_null(blob.get());
    assert_int_equal(blob->size, 5);
    assert_memory_equal(blob->bytes, "hello", 5);
    auto bad = f.dp.load<dp_blob>("");
    assert_int_equal(bad.status, DP_ERR_INVALID);
    assert_false(static_cast<bool>(bad.value));
    struct unbound {
        int x;
    };
    assert_int_equal(f.dp.load_as<unbound>("mem://hello.bin").status, DP_ERR_INVALID);
    blob.reset();
}

void test_copies_record_the_call_site_for_holder_tracking(fixture &f)
{
    auto a = f.add_apple("a");
    int line = __LINE__ + 1;
    dp::handle<apple> b = a;
    dp_holder hs[8];
    size_t n = dp_holders(f.dp.c(), a.raw(), hs, 8);
    assert_int_equal(n, 2);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (std::strstr(hs[i].file, "test_handles.cpp") && hs[i].line == line)
            found = true;
    assert_true(found);
}

void test_depot_with_a_missing_root_reports_its_status(void **state)
{
    (void)state;
    dp_desc d{};
    d.root = "/no-such-depot-root/at-all";
    dp::depot dp(d);
    assert_false(static_cast<bool>(dp));
    assert_int_equal(dp.status(), DP_ERR_NOT_FOUND);
    assert_int_equal(dp.destroy(), 0);
}

} // namespace

int main()
{
#define T(name) {#name, run<name>, nullptr, nullptr, nullptr}
#define T_TRACKED(name) {#name, run<name, true>, nullptr, nullptr, nullptr}
    const struct CMUnitTest tests[] = {
        T(test_copy_retains_and_destruction_releases),
        T(test_move_hands_the_count_over_unchanged),
        T(test_copy_assignment_releases_the_old_asset),
        T(test_containers_of_handles_release_everything),
        T(test_exception_unwinding_releases_handles_in_scope),
        T(test_get_with_the_wrong_type_is_null),
        T(test_weak_lock_succeeds_while_alive_and_fails_after_free),
        T(test_copy_of_an_evicted_handle_is_empty),
        T(test_group_releases_its_members_when_destroyed),
        T(test_load_helpers_return_a_typed_handle_and_status),
        T_TRACKED(test_copies_record_the_call_site_for_holder_tracking),
        cmocka_unit_test(test_depot_with_a_missing_root_reports_its_status),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
