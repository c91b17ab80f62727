/** @file depot.hpp
 * @brief C++17 RAII over depot's C API, header-only: a handle that releases by itself.
 *
 * - dp::handle<T>: a strong reference. Copying retains, destroying releases, moving hands
 *   the count over unchanged. get() returns `const T*` only when the asset's type is the
 *   one bound to T in its depot (nullptr otherwise, and while it is not LOADED).
 * - dp::weak<T>: no count; lock() turns it into a handle<T> if the asset still lives
 *   (dp_upgrade).
 * - dp::depot: owns dp_create/dp_destroy and the binding of C++ types to type ids
 *   (bind<T>, register_type<T>); the built-in types (dp_blob, dp_image, dp_sprite, dp_bundle)
 *   are bound at construction. load<T>, find<T>, add<T> return a dp::result<T>: the
 *   handle plus the status (`auto [h, st] = dp.load<dp_image>("a.png");`).
 * - dp::group: a group that is destroyed (its members released) with the object.
 *
 * No exception is thrown by anything here, and nothing allocates: the header works with
 * -fno-exceptions. Destructors release even while an exception unwinds.
 * Holder tracking (dp_desc.track_holders): functions that take a count record the call
 * site of their caller through a defaulted dp::site argument (__builtin_FILE/LINE, which
 * g++ and clang++ evaluate where the call is written). A copy constructor records where the
 * copy is made; copy assignment, which cannot take one, records this header.
 *
 * Thread rules are those of the C function each member calls: handles may be copied,
 * released and read on any thread; dp::depot's update, groups and destruction belong to the
 * owner thread. Every handle and group must be gone before its dp::depot is destroyed
 * (declare the depot first).
 */
#ifndef DEPOT_DEPOT_HPP
#define DEPOT_DEPOT_HPP

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "depot/depot.h"

#if defined(__has_builtin)
#if __has_builtin(__builtin_FILE) && __has_builtin(__builtin_LINE)
#define DP_HPP_SITE_FILE __builtin_FILE()
#define DP_HPP_SITE_LINE __builtin_LINE()
#endif
#endif
#ifndef DP_HPP_SITE_FILE
#define DP_HPP_SITE_FILE __FILE__
#define DP_HPP_SITE_LINE __LINE__
#endif

namespace dp {

/** @brief A call site for holder tracking; the default argument names the caller's line. */
struct site {
    const char *file;
    int line;
    /** The call site of the function whose default argument this call is (the builtins
     * must themselves be default arguments to see the outer call, as in source_location). */
    static constexpr site here(const char *f = DP_HPP_SITE_FILE, int l = DP_HPP_SITE_LINE) noexcept
    {
        return site{f, l};
    }
};

/** @brief The call site of the function whose default argument this is. */
#define DP_HERE ::dp::site::here()

/** @brief A per-C++-type tag: the address of one variable per T in the whole program
 * (inline function statics are merged across translation units). Not state: never written. */
template <class T>
inline const void *type_tag() noexcept
{
    static const char tag = 0;
    return &tag;
}

template <class T> class weak;
template <class T> class handle;
class depot;

namespace detail {
/** What a handle shares with its copies: the depot and the type id bound to T (0 = none). */
struct ref {
    dp_depot *dp = nullptr;
    dp_handle h = DP_NULL_HANDLE;
    dp_type_id type = 0;
};

template <class T>
inline const T *checked_get(const ref &r) noexcept
{
    if (!r.dp || dp_handle_is_null(r.h))
        return nullptr;
    if constexpr (std::is_void_v<T>) {
        return (dp_get)(r.dp, r.h);
    } else {
        if (r.type == 0 || dp_type_of(r.dp, r.h) != r.type)
            return nullptr;
        return static_cast<const T *>(dp_get(r.dp, r.h));
    }
}
} // namespace detail

/** @brief A strong reference to an asset whose data is a T (void: any type, unchecked). */
template <class T>
class handle {
public:
    handle() noexcept = default;

    /** Retains: the copy holds its own count. A stale source gives an empty handle. */
    handle(const handle &o, site s = DP_HERE) noexcept { take_copy(o, s); }
    /** Moves the count: o becomes empty, no count changes. */
    handle(handle &&o) noexcept : r_(o.r_) { o.r_ = detail::ref{}; }

    handle &operator=(const handle &o) noexcept
    {
        if (this != &o) {
            handle copy(o, site{__FILE__, __LINE__});
            swap(copy);
        }
        return *this;
    }
    handle &operator=(handle &&o) noexcept
    {
        if (this != &o) {
            reset();
            r_ = o.r_;
            o.r_ = detail::ref{};
        }
        return *this;
    }
    ~handle() { reset(); }

    /** Releases the count (if any) and empties the handle. */
    void reset() noexcept
    {
        if (r_.dp && !dp_handle_is_null(r_.h))
            (void)dp_release(r_.dp, r_.h); /* STALE after an evict: nothing left to drop */
        r_ = detail::ref{};
    }
    void swap(handle &o) noexcept { std::swap(r_, o.r_); }

    /** The data if the asset is LOADED and its type is the one bound to T, else nullptr.
     * Valid while this handle lives, until the next update. */
    const T *get() const noexcept { return detail::checked_get<T>(r_); }
    template <class U = T, class = std::enable_if_t<!std::is_void_v<U>>>
    const U *operator->() const noexcept { return get(); }

    /** True when the handle holds a count (the asset may still be loading or failed). */
    explicit operator bool() const noexcept { return !dp_handle_is_null(r_.h); }

    dp_handle raw() const noexcept { return r_.h; }
    dp_depot *c_depot() const noexcept { return r_.dp; }
    dp_type_id type() const noexcept { return r_.type; }
    dp_state state() const noexcept { return dp_state_of(r_.dp, r_.h); }
    dp_state state_deep() const noexcept { return dp_state_deep(r_.dp, r_.h); }
    uint32_t count() const noexcept { return dp_count(r_.dp, r_.h); }
    /** dp_wait: pumps updates until the deep state settles. Owner thread. */
    dp_status wait(int timeout_ms) const noexcept { return dp_wait(r_.dp, r_.h, timeout_ms); }
    /** A weak view of the same asset. */
    weak<T> downgrade() const noexcept { return weak<T>(r_); }

    /** Gives the count to the caller as a C handle; the handle becomes empty. */
    dp_handle detach() noexcept
    {
        dp_handle h = r_.h;
        r_ = detail::ref{};
        return h;
    }

    friend bool operator==(const handle &a, const handle &b) noexcept
    {
        return a.r_.dp == b.r_.dp && dp_handle_eq(a.r_.h, b.r_.h);
    }
    friend bool operator!=(const handle &a, const handle &b) noexcept { return !(a == b); }

private:
    friend class depot;
    template <class U> friend class weak;
    /** Takes over a count the caller already holds. */
    explicit handle(const detail::ref &r) noexcept : r_(r) {}

    void take_copy(const handle &o, site s) noexcept
    {
        if (o.r_.dp && !dp_handle_is_null(o.r_.h) &&
            dp_retain_at(o.r_.dp, o.r_.h, s.file, s.line) == DP_OK)
            r_ = o.r_;
    }

    detail::ref r_;
};

/** @brief A reference without a count: the asset may die; lock() tells. */
template <class T>
class weak {
public:
    weak() noexcept = default;
    /** A strong handle if the asset is still alive (also UNUSED or cached), else empty. */
    handle<T> lock(site s = DP_HERE) const noexcept
    {
        if (!r_.dp || dp_handle_is_null(r_.h) ||
            dp_upgrade_at(r_.dp, r_.h, s.file, s.line) != DP_OK)
            return handle<T>();
        return handle<T>(r_);
    }
    bool expired() const noexcept { return dp_state_of(r_.dp, r_.h) == DP_STATE_INVALID; }
    dp_handle raw() const noexcept { return r_.h; }

private:
    friend class handle<T>;
    friend class depot;
    explicit weak(const detail::ref &r) noexcept : r_(r) {}
    detail::ref r_;
};

/** @brief A handle and the status of the call that made it (empty unless status is DP_OK,
 * or DP_ERR_EXISTS from add, which hands back the live asset). */
template <class T>
struct result {
    handle<T> value;
    dp_status status;
};

/** @brief A group that releases its members and is destroyed with the object. Owner thread. */
class group {
public:
    group() noexcept = default;
    group(const group &) = delete;
    group &operator=(const group &) = delete;
    group(group &&o) noexcept : dp_(o.dp_), g_(o.g_) { o.dp_ = nullptr; }
    group &operator=(group &&o) noexcept
    {
        if (this != &o) {
            reset();
            dp_ = o.dp_;
            g_ = o.g_;
            o.dp_ = nullptr;
        }
        return *this;
    }
    ~group() { reset(); }

    /** Destroys the group now: every member loses the group's count. */
    void reset() noexcept
    {
        if (dp_)
            (void)dp_group_destroy(dp_, g_);
        dp_ = nullptr;
    }
    template <class T>
    dp_status add(const handle<T> &h) noexcept { return dp_group_add(dp_, g_, h.raw()); }
    template <class T>
    dp_status remove(const handle<T> &h) noexcept { return dp_group_remove(dp_, g_, h.raw()); }
    /** Drops every member's count; the group stays, empty. */
    dp_status release() noexcept { return dp_group_release(dp_, g_); }
    size_t size() const noexcept { return dp_ ? dp_group_size(dp_, g_) : 0; }
    dp_group raw() const noexcept { return g_; }
    explicit operator bool() const noexcept { return dp_ != nullptr; }

private:
    friend class depot;
    group(dp_depot *dp, dp_group g) noexcept : dp_(dp), g_(g) {}
    dp_depot *dp_ = nullptr;
    dp_group g_{};
};

/** @brief Owns a dp_depot: created with the object, destroyed (dp_destroy) with it. */
class depot {
public:
    /** dp_create; check status() (or operator bool) before use. */
    explicit depot(const dp_desc &desc = dp_desc{}) noexcept
    {
        status_ = dp_create(&desc, &dp_);
        if (status_ == DP_OK)
            bind_builtins();
    }
    depot(const depot &) = delete;
    depot &operator=(const depot &) = delete;
    ~depot() { destroy(); }

    /** dp_destroy now: the number of assets still held (leaks). Owner thread. */
    size_t destroy() noexcept
    {
        size_t leaks = dp_ ? dp_destroy(dp_) : 0;
        dp_ = nullptr;
        return leaks;
    }

    dp_status status() const noexcept { return status_; }
    explicit operator bool() const noexcept { return dp_ != nullptr; }
    dp_depot *c() const noexcept { return dp_; }

    /** Owner thread: the per-frame step (dp_update). */
    dp_status update() noexcept { return dp_update(dp_); }

    /** Binds T to a type id already registered in this depot, so that handle<T>::get()
     * accepts assets of that type. DP_ERR_INVALID for id 0 or an unknown id. */
    template <class T>
    dp_status bind(dp_type_id id) noexcept
    {
        if (id == 0 || id >= kMaxTypes || !dp_type_name(dp_, id))
            return DP_ERR_INVALID;
        tags_[id] = type_tag<T>();
        return DP_OK;
    }
    /** dp_register_type, then bind<T> to the new id (or to the existing one on EXISTS). */
    template <class T>
    dp_status register_type(const dp_type &t, dp_type_id *out = nullptr) noexcept
    {
        dp_type_id id = 0;
        dp_status st = dp_register_type(dp_, &t, &id);
        if (st == DP_OK || st == DP_ERR_EXISTS)
            (void)bind<T>(id);
        if (out)
            *out = id;
        return st;
    }
    /** The type id bound to T, or 0. */
    template <class T>
    dp_type_id type_id() const noexcept
    {
        for (dp_type_id id = 1; id < kMaxTypes; id++)
            if (tags_[id] == type_tag<T>())
                return id;
        return 0;
    }

    /** dp_load: the handle and DP_OK, or an empty handle and the error. A handle<T> whose
     * asset turns out to be of another type is kept (the count is yours) but get() gives
     * nullptr. */
    template <class T = void>
    result<T> load(const char *key, site s = DP_HERE) noexcept
    {
        dp_handle h = DP_NULL_HANDLE;
        dp_status st = dp_load_at(dp_, key, &h, s.file, s.line);
        return made<T>(st, h);
    }
    /** dp_load_as with the type bound to T (DP_ERR_INVALID if none is bound). */
    template <class T>
    result<T> load_as(const char *key, site s = DP_HERE) noexcept
    {
        dp_type_id id = type_id<T>();
        if (id == 0)
            return result<T>{handle<T>(), DP_ERR_INVALID};
        dp_handle h = DP_NULL_HANDLE;
        dp_status st = dp_load_as_at(dp_, key, id, &h, s.file, s.line);
        return made<T>(st, h);
    }
    /** dp_find. */
    template <class T = void>
    result<T> find(const char *key, site s = DP_HERE) noexcept
    {
        dp_handle h = DP_NULL_HANDLE;
        dp_status st = dp_find_at(dp_, key, &h, s.file, s.line);
        return made<T>(st, h);
    }
    /** dp_add with the type bound to T: on DP_OK the depot owns `asset` (the type's destroy
     * frees it). DP_ERR_EXISTS hands back the live asset and `asset` stays yours. */
    template <class T>
    result<T> add(T *asset, size_t bytes, const char *key = nullptr, site s = DP_HERE) noexcept
    {
        dp_type_id id = type_id<T>();
        if (id == 0)
            return result<T>{handle<T>(), DP_ERR_INVALID};
        dp_handle h = DP_NULL_HANDLE;
        dp_status st = dp_add_at(dp_, id, asset, bytes, key, &h, s.file, s.line);
        return made<T>(st == DP_ERR_EXISTS ? DP_OK : st, h, st);
    }
    /** Takes over a count you hold on a C handle (from dp_load, dp_retain...). */
    template <class T = void>
    handle<T> adopt(dp_handle h) noexcept { return handle<T>(make_ref<T>(h)); }
    /** A weak view of a C handle (e.g. dp_sprite::image). */
    template <class T = void>
    weak<T> weak_of(dp_handle h) noexcept { return weak<T>(make_ref<T>(h)); }

    /** dp_group_create. Owner thread. */
    dp_status make_group(const char *name, group *out) noexcept
    {
        dp_group g{};
        dp_status st = dp_group_create(dp_, name, &g);
        if (st == DP_OK && out)
            *out = group(dp_, g);
        return st;
    }

private:
    static constexpr dp_type_id kMaxTypes = 256; /* at most 255 types; ids are never reused */

    void bind_builtins() noexcept
    {
        dp_builtin_types b = dp_builtins(dp_);
        if (b.blob)
            (void)bind<dp_blob>(b.blob);
        if (b.image)
            (void)bind<dp_image>(b.image);
        if (b.sprite)
            (void)bind<dp_sprite>(b.sprite);
        if (b.bundle)
            (void)bind<dp_bundle>(b.bundle);
    }
    template <class T>
    detail::ref make_ref(dp_handle h) const noexcept
    {
        detail::ref r;
        r.dp = dp_;
        r.h = h;
        if constexpr (!std::is_void_v<T>)
            r.type = type_id<T>();
        return r;
    }
    template <class T>
    result<T> made(dp_status st, dp_handle h) const noexcept { return made<T>(st, h, st); }
    template <class T>
    result<T> made(dp_status st, dp_handle h, dp_status report) const noexcept
    {
        if (st != DP_OK)
            return result<T>{handle<T>(), report};
        return result<T>{handle<T>(make_ref<T>(h)), report};
    }

    dp_depot *dp_ = nullptr;
    dp_status status_ = DP_ERR_INVALID;
    const void *tags_[kMaxTypes] = {};
};

} // namespace dp

#endif
