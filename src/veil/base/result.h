// Errors are values: every fallible operation returns Result<T>.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace veil {

// A failure with a stable machine-readable code ("quote.bad_signature",
// "http.body_too_large", ...) and a human message. Messages never carry
// prompt or completion content.
struct Error {
  std::string code;
  std::string message;

  std::string to_string() const { return code + ": " + message; }
};

inline Error make_error(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

// Result<T> holds a T or an Error. Access to the wrong alternative is a
// programming error (asserted in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return Status(); }

}  // namespace veil

// Propagate an error from an expression returning Result<...>.
#define VEIL_TRY(expr)                       \
  do {                                       \
    auto veil_try_r_ = (expr);               \
    if (!veil_try_r_.ok()) return veil_try_r_.error(); \
  } while (0)

#define VEIL_CONCAT_INNER_(a, b) a##b
#define VEIL_CONCAT_(a, b) VEIL_CONCAT_INNER_(a, b)
// VEIL_ASSIGN_OR_RETURN(auto x, f()): binds the value or returns the error.
#define VEIL_ASSIGN_OR_RETURN(lhs, expr) \
  VEIL_ASSIGN_OR_RETURN_IMPL_(VEIL_CONCAT_(veil_r_, __LINE__), lhs, expr)
#define VEIL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.error();                \
  lhs = std::move(tmp).value()
