#pragma once
// Requests and responses as handlers see them: plain structs, no Beast, so
// handlers compile fast and are tested without sockets.

#include <boost/json/value.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ting::api {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path and query
  std::string content_type;
  std::string authorization;
  std::string range;  // the Range header, for media downloads
  std::string request_id;
  std::string remote_address;
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// 200 (or `status`) with a JSON body.
Response jsonResponse(const boost::json::value& body, int status = 200);
Response noContent();
// The one error shape: {"error":{"code","message","field"?}}.
Response errorResponse(int status, std::string_view code, std::string_view message,
                       std::string_view field = {});
// Maps a Status to its HTTP status and error code. Internal errors are
// answered without their detail (which the caller logs).
Response errorResponse(const Status& status);
int httpStatusFor(StatusCode code);

// RFC 9110 §14.1.2: one "bytes=a-b", "bytes=a-" or "bytes=-n" range; nullopt
// when the header is empty, 416 `range` when unsatisfiable or multiple.
struct ByteRange {
  std::uint64_t first = 0, last = 0;
};
Result<std::optional<ByteRange>> parseRange(const std::string& header, std::uint64_t size);

// What fileResponse would refuse (404 no file, 416-style range errors),
// checked before a download is put on the record.
Status checkFileRange(const std::filesystem::path& path, const std::string& range_header);

// A file on disk as the response body (200, or 206 for a Range), with
// Accept-Ranges; 404 when it is not there.
Result<Response> fileResponse(const std::filesystem::path& path, std::string content_type,
                              const std::string& range_header);

}  // namespace ting::api
