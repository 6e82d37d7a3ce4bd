#pragma once

// The clang fuzz sub-build only (force-included by tests/fuzz/project): clang
// 14 with Debian 12's libstdc++ 12 gets an empty <expected> (libstdc++ wants
// __cpp_concepts >= 202002L, which clang 14 does not claim), so code that
// names std::expected, as dataplane/policy does for its start-up errors,
// does not compile there. This is just enough of std::expected and
// std::unexpected for that code to build and run in the fuzz targets; the
// product is built with g++ and the real one.

#include <version>

#if !defined(__cpp_lib_expected)

#include <type_traits>
#include <utility>
#include <variant>

namespace std {

template <class E>
class unexpected {
   public:
    explicit unexpected(E e) : e_(std::move(e)) {}
    E& error() & { return e_; }
    E&& error() && { return std::move(e_); }

   private:
    E e_;
};

template <class E>
unexpected(E) -> unexpected<E>;

template <class T, class E>
class expected {
   public:
    template <class U = T, class = enable_if_t<is_constructible_v<T, U&&>>>
    expected(U&& v) : v_(in_place_index<0>, std::forward<U>(v)) {}
    template <class G>
    expected(unexpected<G> u) : v_(in_place_index<1>, std::move(u).error()) {}
    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    T& operator*() & { return std::get<0>(v_); }
    T&& operator*() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    E& error() & { return std::get<1>(v_); }

   private:
    variant<T, E> v_;
};

template <class E>
class expected<void, E> {
   public:
    expected() = default;
    template <class G>
    expected(unexpected<G> u) : e_(std::move(u).error()), ok_(false) {}
    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    E& error() & { return e_; }

   private:
    E e_{};
    bool ok_ = true;
};

}  // namespace std

#endif
