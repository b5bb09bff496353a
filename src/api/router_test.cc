#include "api/router.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "api/api_context.h"
#include "identity/tenants.h"
#include "store/test_database.h"

namespace ting::api {

using identity::Role;

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TING_REQUIRE_TEST_DATABASE(tdb_);
    store_ = std::make_unique<store::Store>(tdb_.db(), bus_, SystemClock::instance());
    identity::AuthOptions options;
    options.password = {.memory_kib = 64, .iterations = 1, .parallelism = 1};
    auth_ = std::make_unique<identity::AuthService>(*store_, bus_, options);
    router_ = std::make_unique<Router>(metrics_, *auth_);
    Status s = store_->write({0, 0, "test", ""}, [&](store::Tx& tx) -> Status {
      TING_ASSIGN_OR_RETURN(auto t, identity::createTenant(tx, "acme", "Acme"));
      for (auto [name, role] : {std::pair{"agent1", Role::kAgent}, {"boss", Role::kAdmin}}) {
        auto u =
            identity::createUser(tx, t.id, {name, "password1", role, "", ""}, options.password);
        if (!u.isOk()) return u.status();
      }
      return Status::ok();
    });
    ASSERT_TRUE(s.isOk()) << s.message();
    router_->add({"GET",
                  "/api/v1/things/{id}",
                  Access::kAuthenticated,
                  {Role::kAdmin},
                  [](Call& call) -> Result<Response> {
                    TING_ASSIGN_OR_RETURN(auto id, call.pathId(0));
                    return jsonResponse(boost::json::object{{"id", id}});
                  },
                  {.summary = "A thing."}});
    router_->add({"POST",
                  "/api/v1/things",
                  Access::kAuthenticated,
                  {Role::kAdmin},
                  [](Call&) -> Result<Response> { return jsonResponse({}, 201); },
                  {.summary = "Make a thing.", .body = {{"name", "string", true, ""}}}});
    router_->add({"GET",
                  "/open",
                  Access::kPublic,
                  {},
                  [](Call&) -> Result<Response> { return jsonResponse("hi"); },
                  {.summary = "Open."}});
  }

  std::string token(const std::string& user) {
    identity::LoginRefusal refusal;
    auto r = auth_->login("acme", user, "password1", "", refusal);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? "Bearer " + r->token : "";
  }

  Response call(const std::string& method, const std::string& target, const std::string& auth = "",
                const std::string& body = "", const std::string& type = "application/json") {
    Request r;
    r.method = method;
    r.target = target;
    r.authorization = auth;
    r.body = body;
    r.content_type = type;
    r.request_id = "t";
    return router_->handle(r);
  }

  static std::string code(const Response& r) {
    auto v = boost::json::parse(r.body);
    return std::string(v.at("error").at("code").as_string());
  }

  store::TestDatabase tdb_{store::Dialect::kSqlite};
  EventBus bus_;
  MetricsRegistry metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<identity::AuthService> auth_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, RoutesByPathMethodAndRole) {
  std::string admin = token("boss"), agent = token("agent1");
  Response ok = call("GET", "/api/v1/things/42", admin);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"id":42})");
  EXPECT_EQ(call("GET", "/api/v1/things/42", agent).status, 403);
  EXPECT_EQ(code(call("GET", "/api/v1/things/42")), "unauthenticated");
  EXPECT_EQ(call("GET", "/api/v1/things/42", "Bearer tk_nonsense").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/things/abc", admin).status, 404);
  EXPECT_EQ(code(call("GET", "/api/v1/nothing", admin)), "not_found");
  Response wrong = call("DELETE", "/api/v1/things/1", admin);
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(call("GET", "/open").status, 200);
  EXPECT_EQ(call("GET", "/open?x=%ZZ").status, 400);
}

TEST_F(RouterTest, BodiesMustBeJson) {
  std::string admin = token("boss");
  Response r = call("POST", "/api/v1/things", admin, "name=x", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(call("POST", "/api/v1/things", admin, "{}", "application/json; charset=utf-8").status,
            201);
}

TEST_F(RouterTest, CountsRequestsPerRoute) {
  call("GET", "/open");
  call("GET", "/missing");
  std::string text = metrics_.renderPrometheus();
  EXPECT_NE(text.find("ting_http_requests_total{route=\"/open\",method=\"GET\",code=\"2xx\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("route=\"unmatched\",method=\"\",code=\"4xx\"} 1"), std::string::npos);
}

TEST_F(RouterTest, OpenApiListsEveryRouteWithItsRoles) {
  auto doc = router_->openApi();
  EXPECT_EQ(doc.at("openapi").as_string(), "3.0.3");
  for (const auto& route : router_->routes()) {
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    auto* path = doc.at("paths").as_object().if_contains(route.pattern);
    ASSERT_NE(path, nullptr) << route.pattern;
    ASSERT_NE(path->as_object().if_contains(method), nullptr) << route.method << route.pattern;
  }
  auto& op = doc.at("paths").at("/api/v1/things/{id}").at("get");
  EXPECT_EQ(op.at("x-roles").as_array().size(), 1u);
  EXPECT_EQ(op.at("parameters").as_array()[0].at("name").as_string(), "id");
}

TEST_F(RouterTest, UploadRoutesRaiseTheirBodyLimitAndDocumentTheirMediaTypes) {
  router_->add({"PUT",
                "/api/v1/things/{id}/audio",
                Access::kAuthenticated,
                {Role::kAdmin},
                [](Call&) -> Result<Response> { return noContent(); },
                {.summary = "Upload.", .success_status = 204, .raw_body = "audio/*"},
                5000});
  EXPECT_EQ(router_->bodyLimit("PUT", "/api/v1/things/7/audio", 100), 5000u);
  EXPECT_EQ(router_->bodyLimit("GET", "/api/v1/things/7/audio", 100), 100u) << "no such route";
  EXPECT_EQ(router_->bodyLimit("POST", "/api/v1/things", 100), 100u);
  EXPECT_EQ(router_->bodyLimit("PUT", "not a target", 100), 100u);
  EXPECT_EQ(router_->largestBodyLimit(100), 5000u);
  EXPECT_EQ(router_->largestBodyLimit(9000), 9000u);
  // A raw body needs no JSON content type.
  Response r = call("PUT", "/api/v1/things/7/audio", token("boss"), "RIFF", "audio/wav");
  EXPECT_EQ(r.status, 204) << r.body;
  auto doc = router_->openApi();
  auto& op = doc.at("paths").at("/api/v1/things/{id}/audio").at("put");
  EXPECT_NE(op.at("requestBody").at("content").as_object().if_contains("audio/*"), nullptr);
}

TEST(ApplyChange, AFailedReloadSaysTheChangeIsSavedButNotInEffect) {
  Request request;
  request.method = "PUT";
  request.target = "/api/v1/ivr/flows/main";
  Call call{request, nullptr, {}, {}};
  EXPECT_EQ(applyChange(nullptr, noContent(), "IVR flows", call).status, 204);
  EXPECT_EQ(applyChange([] { return Status::ok(); }, noContent(), "IVR flows", call).status, 204);
  Response r =
      applyChange([] { return internalError("disk on fire"); }, noContent(), "IVR flows", call);
  EXPECT_EQ(r.status, 500);
  auto body = boost::json::parse(r.body);
  EXPECT_EQ(body.at("error").at("code").as_string(), "reload_failed");
  EXPECT_EQ(std::string(body.at("error").at("message").as_string()).find("disk on fire"),
            std::string::npos)
      << "the cause goes to the log only";
}

TEST(TargetParsing, DecodesPathAndQuery) {
  std::vector<std::string> segments;
  QueryParams query;
  ASSERT_TRUE(parseTarget("/api/v1/customers?q=%E8%B5%B5&limit=5", segments, query));
  EXPECT_EQ(segments, (std::vector<std::string>{"api", "v1", "customers"}));
  ASSERT_EQ(query.size(), 2u);
  EXPECT_EQ(query[0].second, "赵");
  EXPECT_FALSE(parseTarget("no-slash", segments, query));
}

}  // namespace ting::api
