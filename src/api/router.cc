#include "api/router.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <chrono>

namespace ting::api {

namespace {

std::vector<std::string> splitPattern(const std::string& pattern) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == std::string::npos) end = pattern.size();
    out.push_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool isParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
             std::vector<std::string>& params) {
  if (pattern.size() != path.size()) return false;
  params.clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (isParam(pattern[i])) {
      if (path[i].empty()) return false;
      params.push_back(path[i]);
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}

std::string_view bearerToken(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size()) return {};
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kBearer[i]))) {
      return {};
    }
  }
  return authorization.substr(kBearer.size());
}

}  // namespace

std::vector<std::string> splitPatternForDocs(const std::string& pattern) {
  std::vector<std::string> names;
  for (const auto& seg : splitPattern(pattern)) {
    if (isParam(seg)) names.push_back(seg.substr(1, seg.size() - 2));
  }
  return names;
}

bool parseTarget(std::string_view target, std::vector<std::string>& segments, QueryParams& query) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return false;
  const boost::urls::url_view& u = *parsed;
  segments.clear();
  query.clear();
  for (auto seg : u.segments()) segments.push_back(std::string(seg));
  if (segments.empty()) segments.push_back("");  // "/"
  for (auto p : u.params()) query.emplace_back(std::string(p.key), std::string(p.value));
  return true;
}

Result<std::int64_t> Call::pathId(size_t i) const {
  const std::string& s = path_params.at(i);
  std::int64_t id = 0;
  if (s.empty() || s.size() > 18) return notFound("no such id");
  for (char c : s) {
    if (c < '0' || c > '9') return notFound("no such id");
    id = id * 10 + (c - '0');
  }
  if (id <= 0) return notFound("no such id");
  return id;
}

std::optional<std::string> Call::param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

store::Actor Call::actor() const {
  return principal ? principal->actor(request.request_id)
                   : store::Actor{0, 0, "anonymous", request.request_id};
}

Router::Router(MetricsRegistry& metrics, identity::AuthService& auth)
    : metrics_(metrics), auth_(auth) {
  for (int c = 0; c < 5; ++c) {
    unmatched_[c] = &metrics_.counter(
        "ting_http_requests_total", "HTTP requests by route, method and status class.",
        fmt::format("route=\"unmatched\",method=\"\",code=\"{}xx\"", c + 1));
  }
}

void Router::add(Route route) {
  auto e = std::make_unique<Entry>();
  e->segments = splitPattern(route.pattern);
  std::string labels =
      fmt::format("route=\"{}\",method=\"{}\"", promLabel(route.pattern), route.method);
  for (int c = 0; c < 5; ++c) {
    e->status_class[c] = &metrics_.counter("ting_http_requests_total",
                                           "HTTP requests by route, method and status class.",
                                           fmt::format("{},code=\"{}xx\"", labels, c + 1));
  }
  e->latency = &metrics_.histogram("ting_http_request_duration_seconds",
                                   "Time from a parsed request to its response.", labels);
  routes_.push_back(route);
  e->route = std::move(route);
  entries_.push_back(std::move(e));
}

void Router::record(Entry* entry, const std::string&, int status, double seconds) {
  int cls = std::clamp(status / 100, 1, 5) - 1;
  if (entry) {
    entry->status_class[cls]->inc();
    entry->latency->observe(seconds);
  } else {
    unmatched_[cls]->inc();
  }
}

std::size_t Router::bodyLimit(std::string_view method, std::string_view target,
                              std::size_t fallback) const {
  std::vector<std::string> segments;
  QueryParams query;
  if (!parseTarget(target, segments, query)) return fallback;
  std::vector<std::string> params;
  for (const auto& e : entries_) {
    if (e->route.method == method && matches(e->segments, segments, params)) {
      return e->route.body_limit > 0 ? e->route.body_limit : fallback;
    }
  }
  return fallback;
}

std::size_t Router::largestBodyLimit(std::size_t fallback) const {
  std::size_t largest = fallback;
  for (const auto& e : entries_) largest = std::max(largest, e->route.body_limit);
  return largest;
}

Result<identity::Principal> Router::authenticate(const Request& request, const QueryParams& query,
                                                 bool allow_query_token) {
  std::string_view token = bearerToken(request.authorization);
  if (token.empty() && allow_query_token) {
    for (const auto& [k, v] : query) {
      if (k == "token") token = v;
    }
  }
  if (token.empty()) {
    return Status{StatusCode::kUnauthenticated,
                  "log in and send the token as 'Authorization: Bearer <token>'"};
  }
  return auth_.authenticate(token);
}

Response Router::handle(const Request& request) {
  auto start = std::chrono::steady_clock::now();
  Entry* matched = nullptr;
  Response response;
  try {
    response = dispatch(request, matched);
  } catch (const std::exception& e) {
    // No exception may cross into the I/O loop: a bug answers 500, logged.
    spdlog::error("req={} {} {} threw: {}", request.request_id, request.method, request.target,
                  e.what());
    response = errorResponse(internalError(e.what()));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  record(matched, request.method, response.status, seconds);
  return response;
}

Response Router::dispatch(const Request& request, Entry*& matched) {
  std::vector<std::string> segments;
  QueryParams query;
  if (!parseTarget(request.target, segments, query)) {
    return errorResponse(400, "bad_request", "the request target is not a valid URI");
  }
  std::vector<std::string> params;
  std::string allowed;
  for (auto& e : entries_) {
    if (!matches(e->segments, segments, params)) continue;
    if (e->route.method != request.method &&
        !(request.method == "HEAD" && e->route.method == "GET")) {
      allowed += (allowed.empty() ? "" : ", ") + e->route.method;
      continue;
    }
    matched = e.get();
    break;
  }
  if (!matched) {
    if (!allowed.empty()) {
      Response r = errorResponse(405, "method_not_allowed",
                                 request.method + " is not allowed here; allowed: " + allowed);
      r.headers.emplace_back("Allow", allowed);
      return r;
    }
    return errorResponse(404, "not_found", "no such route");
  }
  const Route& route = matched->route;
  Call call{request, nullptr, std::move(params), std::move(query)};
  std::optional<identity::Principal> principal;
  if (route.access == Access::kAuthenticated) {
    auto p = authenticate(request, call.query, false);
    if (!p.isOk()) {
      Response r = errorResponse(p.status());
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    principal = std::move(p).value();
    if (!route.roles.contains(principal->role)) {
      return errorResponse(403, "forbidden",
                           "the role '" + std::string(identity::roleName(principal->role)) +
                               "' may not " + route.method + " " + route.pattern);
    }
    call.principal = &*principal;
  }
  if (!request.body.empty() || route.method == "POST" || route.method == "PUT" ||
      route.method == "PATCH") {
    if (!route.doc.body.empty()) {
      std::string_view ct = request.content_type;
      auto semi = ct.find(';');
      if (semi != std::string_view::npos) ct = ct.substr(0, semi);
      while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
      if (ct != "application/json") {
        return errorResponse(415, "unsupported_media_type",
                             "send the body as 'Content-Type: application/json'");
      }
    }
  }
  Result<Response> result = route.handler(call);
  if (!result.isOk()) {
    const Status& s = result.status();
    if (s.code() == StatusCode::kInternal || s.code() == StatusCode::kUnavailable) {
      spdlog::error("req={} {} {} failed: {}", request.request_id, request.method, route.pattern,
                    s.message());
    }
    return errorResponse(s);
  }
  return std::move(result).value();
}

}  // namespace ting::api
