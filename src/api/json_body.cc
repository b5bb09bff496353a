#include "api/json_body.h"

#include <boost/json/parse.hpp>

namespace ting::api {

namespace {

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

JsonBody::JsonBody(std::string_view text) {
  if (text.empty()) {
    fail(invalidArgument("the request body must be a JSON object").withReason("invalid_json"));
    return;
  }
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 32;
  root_ = boost::json::parse(text, ec, {}, opts);
  if (ec) {
    fail(invalidArgument("the request body is not valid JSON: " + ec.message())
             .withReason("invalid_json"));
  } else if (!root_.is_object()) {
    fail(invalidArgument("the request body must be a JSON object").withReason("invalid_json"));
  }
}

std::nullopt_t JsonBody::nullIsWrong(std::string_view key, const char* what) {
  // Only strings may be cleared with null; for other types null is a mistake.
  if (status_.isOk() && has(key)) {
    fail(invalidArgument("'" + std::string(key) + "' must be " + what + ", not null",
                         std::string(key)));
  }
  return std::nullopt;
}

void JsonBody::fail(Status s) {
  if (status_.isOk()) status_ = std::move(s);
}

bool JsonBody::has(std::string_view key) const {
  return root_.is_object() && root_.as_object().contains(key);
}

const boost::json::value* JsonBody::field(std::string_view key, bool required) {
  if (!status_.isOk()) return nullptr;
  seen_.emplace(key);
  const auto* v = root_.as_object().if_contains(key);
  if (!v) {
    if (required) {
      fail(invalidArgument("'" + std::string(key) + "' is required", std::string(key))
               .withReason("missing_field"));
    }
    return nullptr;
  }
  if (v->is_null()) {
    if (required) {
      fail(invalidArgument("'" + std::string(key) + "' may not be null", std::string(key)));
    }
    return nullptr;
  }
  return v;
}

std::optional<std::string> JsonBody::string(std::string_view key, bool required, size_t max_bytes) {
  const auto* v = field(key, required);
  if (!v) return has(key) && status_.isOk() ? std::optional<std::string>("") : std::nullopt;
  if (!v->is_string()) {
    fail(invalidArgument("'" + std::string(key) + "' must be a string", std::string(key)));
    return std::nullopt;
  }
  const auto& s = v->get_string();
  if (s.size() > max_bytes) {
    fail(invalidValue(
        "'" + std::string(key) + "' must be at most " + std::to_string(max_bytes) + " bytes",
        std::string(key)));
    return std::nullopt;
  }
  if (s.find('\0') != std::string::npos) {
    fail(invalidArgument("'" + std::string(key) + "' may not contain NUL characters",
                         std::string(key)));
    return std::nullopt;
  }
  if (!validUtf8(s)) {
    fail(invalidArgument("'" + std::string(key) + "' is not valid UTF-8", std::string(key)));
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<bool> JsonBody::boolean(std::string_view key, bool required) {
  const auto* v = field(key, required);
  if (!v) return nullIsWrong(key, "true or false");
  if (!v->is_bool()) {
    fail(invalidArgument("'" + std::string(key) + "' must be true or false", std::string(key)));
    return std::nullopt;
  }
  return v->get_bool();
}

std::optional<std::int64_t> JsonBody::integer(std::string_view key, bool required, std::int64_t min,
                                              std::int64_t max) {
  const auto* v = field(key, required);
  if (!v) return nullIsWrong(key, "an integer");
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    n = static_cast<std::int64_t>(v->get_uint64());
  } else {
    fail(invalidArgument("'" + std::string(key) + "' must be an integer", std::string(key)));
    return std::nullopt;
  }
  if (n < min || n > max) {
    fail(invalidValue("'" + std::string(key) + "' must be between " + std::to_string(min) +
                          " and " + std::to_string(max),
                      std::string(key)));
    return std::nullopt;
  }
  return n;
}

std::optional<std::optional<std::int64_t>> JsonBody::nullableInteger(std::string_view key,
                                                                     std::int64_t min,
                                                                     std::int64_t max) {
  if (!has(key)) return std::nullopt;
  if (root_.as_object().at(key).is_null()) {
    seen_.emplace(key);
    return std::optional<std::int64_t>();
  }
  auto n = integer(key, false, min, max);
  if (!n) return std::nullopt;
  return std::optional<std::int64_t>(*n);
}

std::optional<boost::json::object> JsonBody::object(std::string_view key, bool required) {
  const auto* v = field(key, required);
  if (!v) return nullIsWrong(key, "a JSON object");
  if (!v->is_object()) {
    fail(invalidArgument("'" + std::string(key) + "' must be a JSON object", std::string(key)));
    return std::nullopt;
  }
  return v->get_object();
}

std::optional<boost::json::array> JsonBody::array(std::string_view key, bool required) {
  const auto* v = field(key, required);
  if (!v) return nullIsWrong(key, "a JSON array");
  if (!v->is_array()) {
    fail(invalidArgument("'" + std::string(key) + "' must be a JSON array", std::string(key)));
    return std::nullopt;
  }
  return v->get_array();
}

Status JsonBody::finish() {
  if (!status_.isOk()) return status_;
  for (const auto& [key, value] : root_.as_object()) {
    if (!seen_.contains(std::string_view(key))) {
      return invalidArgument("unknown field '" + std::string(key) + "'", std::string(key))
          .withReason("unknown_field");
    }
  }
  return Status::ok();
}

}  // namespace ting::api
