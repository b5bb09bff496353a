#include "api/http_types.h"

#include <boost/json/serialize.hpp>

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

}  // namespace ting::api
