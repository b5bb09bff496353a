#include "api/http_types.h"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <fstream>

namespace ting::api {

Response jsonResponse(const boost::json::value& body, int status) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

Response noContent() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Response errorResponse(int status, std::string_view code, std::string_view message,
                       std::string_view field) {
  boost::json::object err{{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  return jsonResponse(boost::json::object{{"error", std::move(err)}}, status);
}

int httpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kInvalidValue:
      return 422;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

Response errorResponse(const Status& s) {
  int http = httpStatusFor(s.code());
  std::string code = s.reason();
  if (code.empty()) {
    code = s.code() == StatusCode::kInvalidArgument
               ? (s.field().empty() ? "bad_request" : "invalid_field")
               : statusCodeName(s.code());
  }
  if (s.code() == StatusCode::kInternal) {
    return errorResponse(500, "internal", "internal error; the request id names it in the log");
  }
  if (s.code() == StatusCode::kUnavailable) {
    return errorResponse(503, code, "a service Ting depends on is unavailable; retry later");
  }
  return errorResponse(http, code, s.message(), s.field());
}

// RFC 9110 §14.1.2: one "bytes=a-b", "bytes=a-" or "bytes=-n" range.
// nullopt when absent or unsatisfiable/multiple (the caller answers 416).
Result<std::optional<ByteRange>> parseRange(const std::string& header, std::uint64_t size) {
  if (header.empty()) return std::optional<ByteRange>();
  auto bad = [] { return invalidValue("unsatisfiable range", "Range").withReason("range"); };
  if (header.rfind("bytes=", 0) != 0 || header.find(',') != std::string::npos) return bad();
  std::string spec = header.substr(6);
  auto dash = spec.find('-');
  if (dash == std::string::npos || size == 0) return bad();
  auto num = [](std::string_view v, std::uint64_t& out) {
    auto r = std::from_chars(v.data(), v.data() + v.size(), out);
    return !v.empty() && r.ec == std::errc() && r.ptr == v.data() + v.size();
  };
  ByteRange range;
  std::string_view a(spec.data(), dash), b(spec.data() + dash + 1, spec.size() - dash - 1);
  if (a.empty()) {
    std::uint64_t n = 0;
    if (!num(b, n) || n == 0) return bad();
    range.first = n >= size ? 0 : size - n;
    range.last = size - 1;
  } else {
    if (!num(a, range.first) || range.first >= size) return bad();
    range.last = size - 1;
    if (!b.empty()) {
      std::uint64_t last = 0;
      if (!num(b, last) || last < range.first) return bad();
      range.last = std::min(last, size - 1);
    }
  }
  return std::optional<ByteRange>(range);
}


Status checkFileRange(const std::filesystem::path& path, const std::string& range_header) {
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return notFound("the file is not on disk");
  return parseRange(range_header, size).status();
}

Result<Response> fileResponse(const std::filesystem::path& path, std::string content_type,
                              const std::string& range_header) {
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return notFound("the file is not on disk");
  TING_ASSIGN_OR_RETURN(auto range, parseRange(range_header, size));
  const std::uint64_t first = range ? range->first : 0;
  const std::uint64_t last = range ? range->last : size - 1;
  std::ifstream in(path, std::ios::binary);
  Response res;
  res.status = range ? 206 : 200;
  res.content_type = std::move(content_type);
  res.body.resize(size == 0 ? 0 : last - first + 1);
  in.seekg(static_cast<std::streamoff>(first));
  in.read(res.body.data(), static_cast<std::streamsize>(res.body.size()));
  if (!in) return internalError("cannot read " + path.string());
  res.headers.emplace_back("Accept-Ranges", "bytes");
  if (range) {
    res.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                  std::to_string(last) + "/" +
                                                  std::to_string(size));
  }
  return res;
}

}  // namespace ting::api
