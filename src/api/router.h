#pragma once
// The route table: each route names its method, path pattern, the roles that
// may call it (declared beside the handler, reviewable at a glance) and its
// documentation, from which the OpenAPI document is generated.

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_types.h"
#include "common/metrics.h"
#include "identity/auth.h"
#include "identity/role.h"

namespace ting::api {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// One request being handled.
struct Call {
  const Request& request;
  const identity::Principal* principal = nullptr;  // set unless the route is public
  std::vector<std::string> path_params;            // values of {x} segments, in order
  QueryParams query;

  // The i-th path parameter as a positive id; kNotFound when it is not one.
  Result<std::int64_t> pathId(size_t i) const;
  // The query parameter `name`, or nullopt.
  std::optional<std::string> param(std::string_view name) const;
  // Who is acting, for store writes.
  store::Actor actor() const;
};

using Handler = std::function<Result<Response>(Call&)>;

struct FieldDoc {
  std::string name;
  std::string type;  // string, integer, boolean
  bool required = false;
  std::string description;
};

struct RouteDoc {
  std::string summary;
  std::string tag;
  std::vector<FieldDoc> body{};   // JSON request body fields
  std::vector<FieldDoc> query{};  // query parameters
  int success_status = 200;
  std::string success_description = "OK";
  // A request body that is not JSON: its media type ("audio/*"), sent as is.
  std::string raw_body{};
  // The media type of a successful answer.
  std::string success_type = "application/json";
};

enum class Access { kPublic, kAuthenticated };

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/users/{id}"
  Access access = Access::kAuthenticated;
  identity::RoleSet roles;  // who may call it (ignored for public routes)
  Handler handler;
  RouteDoc doc;
  // Largest request body this route takes, in bytes; 0: the server's
  // http.body_limit. Routes for uploads raise it.
  std::size_t body_limit = 0;
};

class Router {
 public:
  Router(MetricsRegistry& metrics, identity::AuthService& auth);

  void add(Route route);
  Response handle(const Request& request);

  // Authenticates a request: Bearer header, or the `token` query parameter
  // when `allow_query_token` (WebSocket handshakes, where browsers cannot set
  // headers).
  Result<identity::Principal> authenticate(const Request& request, const QueryParams& query,
                                           bool allow_query_token);

  // The body limit of the route `method` `target` would reach: its own, or
  // `fallback` (no own limit, no such route). Checked by the HTTP server once
  // the request head is read, before the body.
  std::size_t bodyLimit(std::string_view method, std::string_view target,
                        std::size_t fallback) const;
  // The largest body any route takes, at least `fallback`.
  std::size_t largestBodyLimit(std::size_t fallback) const;

  const std::vector<Route>& routes() const { return routes_; }
  boost::json::object openApi() const;

 private:
  struct Entry {
    Route route;
    std::vector<std::string> segments;
    Counter* status_class[5];  // 1xx..5xx
    Histogram* latency;
  };
  Response dispatch(const Request& request, Entry*& matched);
  void record(Entry* entry, const std::string& method, int status, double seconds);

  MetricsRegistry& metrics_;
  identity::AuthService& auth_;
  std::vector<Route> routes_;
  std::vector<std::unique_ptr<Entry>> entries_;
  Counter* unmatched_[5];
};

// Names of the {x} parameters of a route pattern, in order.
std::vector<std::string> splitPatternForDocs(const std::string& pattern);

// Splits a request target into decoded path segments and query parameters.
// False when the target is not a valid origin-form URI.
bool parseTarget(std::string_view target, std::vector<std::string>& segments, QueryParams& query);

}  // namespace ting::api
