#pragma once
// Errors as values. Anything caused by outside input returns Status or Result<T>.

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ting {

enum class StatusCode {
  kOk,
  kInvalidArgument,    // malformed input (HTTP 400)
  kInvalidValue,       // well-formed input breaking a rule (HTTP 422)
  kUnauthenticated,    // HTTP 401
  kPermissionDenied,   // HTTP 403
  kNotFound,           // HTTP 404
  kConflict,           // unique value taken (HTTP 409)
  kResourceExhausted,  // throttled (HTTP 429)
  kUnavailable,        // a dependency is down (HTTP 503)
  kInternal,           // a bug or an unexpected failure (HTTP 500)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  // The same error with a short machine-readable reason ("missing_field"),
  // which the API puts in its error code.
  Status withReason(std::string reason) && {
    reason_ = std::move(reason);
    return std::move(*this);
  }

  static Status ok() { return {}; }

  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The input field at fault, when there is one (JSON field, query parameter).
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
  std::string reason_;
};

inline Status invalidArgument(std::string msg, std::string field = {}) {
  return {StatusCode::kInvalidArgument, std::move(msg), std::move(field)};
}
inline Status invalidValue(std::string msg, std::string field = {}) {
  return {StatusCode::kInvalidValue, std::move(msg), std::move(field)};
}
inline Status notFound(std::string msg) {
  return {StatusCode::kNotFound, std::move(msg)};
}
inline Status conflict(std::string msg, std::string field = {}) {
  return {StatusCode::kConflict, std::move(msg), std::move(field)};
}
inline Status internalError(std::string msg) {
  return {StatusCode::kInternal, std::move(msg)};
}
inline Status unavailable(std::string msg) {
  return {StatusCode::kUnavailable, std::move(msg)};
}

const char* statusCodeName(StatusCode code);

// A value or the Status explaining why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).isOk() && "a Result built from a Status must carry an error");
  }

  bool isOk() const { return v_.index() == 0; }
  explicit operator bool() const { return isOk(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Status& status() const {
    static const Status kOkStatus;
    return isOk() ? kOkStatus : std::get<1>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ting

// Returns early from the enclosing function when `expr` (a Status) failed.
#define TING_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::ting::Status ting_status_ = (expr);          \
    if (!ting_status_.isOk()) return ting_status_; \
  } while (0)

#define TING_CONCAT_INNER(a, b) a##b
#define TING_CONCAT(a, b) TING_CONCAT_INNER(a, b)
// `TING_ASSIGN_OR_RETURN(auto x, resultExpr);` unwraps a Result or returns its Status.
#define TING_ASSIGN_OR_RETURN(lhs, expr) \
  TING_ASSIGN_OR_RETURN_IMPL(TING_CONCAT(ting_result_, __LINE__), lhs, expr)
#define TING_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.isOk()) return tmp.status();            \
  lhs = std::move(tmp).value()
