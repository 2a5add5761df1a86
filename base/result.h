// Result<T> and Error: errors as values (CONVENTIONS.md, principle 2).
// Member names follow std::expected so a later switch is a rename.
#pragma once

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace rampart {

// What kind of failure this is, beyond errno. Callers branch on it (the CLI
// maps it to exit codes); messages are for humans.
enum class ErrorKind {
  kSystem,       // a syscall failed; errno() says why
  kInvalid,      // bad input: profile, config, argument
  kNotFound,     // a named thing does not exist
  kExists,       // a named thing already exists
  kUnsupported,  // the host cannot do what was asked (fail-closed)
  kInternal,     // a bug or an unexpected state
};

class Error {
 public:
  Error(ErrorKind kind, std::string message, int err = 0)
      : kind_(kind), errno_(err), message_(std::move(message)) {}

  // A failed syscall: "open /x: permission denied".
  static Error FromErrno(int err, const std::string& what);
  static Error Invalid(std::string message) { return {ErrorKind::kInvalid, std::move(message)}; }
  static Error NotFound(std::string message) { return {ErrorKind::kNotFound, std::move(message), ENOENT}; }
  static Error Unsupported(std::string message) { return {ErrorKind::kUnsupported, std::move(message)}; }
  static Error Internal(std::string message) { return {ErrorKind::kInternal, std::move(message)}; }

  ErrorKind kind() const { return kind_; }
  int err() const { return errno_; }
  const std::string& message() const { return message_; }

  // Context grows on the way up: Wrap("load profile web") gives
  // "load profile web: open ...: no such file or directory".
  Error Wrap(const std::string& context) const& {
    return Error(kind_, context + ": " + message_, errno_);
  }
  // Same, and also records a failure that happened while rolling back.
  Error WithCleanupFailure(const Error& cleanup) const& {
    return Error(kind_, message_ + " (cleanup also failed: " + cleanup.message_ + ")", errno_);
  }

 private:
  ErrorKind kind_;
  int errno_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& v) : v_(v) {}  // NOLINT(google-explicit-constructor)
  Result(T&& v) : v_(std::move(v)) {}  // NOLINT(google-explicit-constructor)
  Result(const Error& e) : v_(e) {}  // NOLINT(google-explicit-constructor)
  Result(Error&& e) : v_(std::move(e)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { Check(); return std::get<0>(v_); }
  const T& value() const& { Check(); return std::get<0>(v_); }
  T&& value() && { Check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    if (has_value()) std::abort();
    return std::get<1>(v_);
  }

 private:
  void Check() const {
    if (!has_value()) std::abort();
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(const Error& e) : e_(e), ok_(false) {}  // NOLINT(google-explicit-constructor)
  Result(Error&& e) : e_(std::move(e)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {
    if (!ok_) std::abort();
  }
  const Error& error() const {
    if (ok_) std::abort();
    return e_;
  }

 private:
  Error e_{ErrorKind::kInternal, ""};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status Ok() { return {}; }

}  // namespace rampart

#define RAMPART_CONCAT_INNER(a, b) a##b
#define RAMPART_CONCAT(a, b) RAMPART_CONCAT_INNER(a, b)

// Propagates an error from a Result/Status expression.
#define RAMPART_TRY(expr)                              \
  do {                                                 \
    auto&& rampart_try_result_ = (expr);               \
    if (!rampart_try_result_.has_value())              \
      return rampart_try_result_.error();              \
  } while (0)

#define RAMPART_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.has_value()) return tmp.error();           \
  lhs = std::move(tmp).value()

// RAMPART_ASSIGN_OR_RETURN(auto v, Parse(x));
#define RAMPART_ASSIGN_OR_RETURN(lhs, expr) \
  RAMPART_ASSIGN_OR_RETURN_IMPL(RAMPART_CONCAT(rampart_aor_, __LINE__), lhs, expr)
