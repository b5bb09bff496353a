#pragma once
// Reads a JSON request body field by field, collecting the first error.
// Every body parser in the API goes through here (and the fuzz target does
// too): malformed JSON, a non-object, wrong types, missing required fields and
// unknown fields each give a 400 naming the field.
//
//   JsonBody body(request.body);
//   auto name = body.string("name", kRequired);
//   auto vip = body.boolean("vip");
//   TING_RETURN_IF_ERROR(body.finish());

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ting::api {

inline constexpr bool kRequired = true;

class JsonBody {
 public:
  explicit JsonBody(std::string_view text);

  // A string (null counts as absent for optional fields, "" for clearing).
  std::optional<std::string> string(std::string_view key, bool required = false,
                                    size_t max_bytes = 10000);
  std::optional<bool> boolean(std::string_view key, bool required = false);
  std::optional<std::int64_t> integer(std::string_view key, bool required = false,
                                      std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
  // A reference that may be cleared: absent → nullopt; null → an empty
  // optional (clear it); else the integer, checked like integer().
  std::optional<std::optional<std::int64_t>> nullableInteger(std::string_view key,
                                                             std::int64_t min = INT64_MIN,
                                                             std::int64_t max = INT64_MAX);
  // A JSON object (a nested document, kept whole).
  std::optional<boost::json::object> object(std::string_view key, bool required = false);
  // A JSON array, kept whole.
  std::optional<boost::json::array> array(std::string_view key, bool required = false);
  // True when the body has `key` (even as null).
  bool has(std::string_view key) const;

  // The first error met, else an error for the first field nobody asked for.
  Status finish();
  const Status& status() const { return status_; }

 private:
  const boost::json::value* field(std::string_view key, bool required);
  void fail(Status s);
  std::nullopt_t nullIsWrong(std::string_view key, const char* what);

  boost::json::value root_;
  Status status_;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace ting::api
