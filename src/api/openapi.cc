// Router::openApi — the OpenAPI 3.0 document, generated from the route table.

#include "api/router.h"

namespace ting::api {

namespace {

boost::json::object schemaFor(const std::string& type) {
  return {{"type", type}};
}

boost::json::object errorSchema() {
  return {{"type", "object"},
          {"required", boost::json::array{"error"}},
          {"properties",
           {{"error",
             {{"type", "object"},
              {"required", boost::json::array{"code", "message"}},
              {"properties",
               {{"code", {{"type", "string"}}},
                {"message", {{"type", "string"}}},
                {"field", {{"type", "string"}}}}}}}}}};
}

}  // namespace

boost::json::object Router::openApi() const {
  boost::json::object paths;
  for (const auto& route : routes_) {
    boost::json::object op;
    op["summary"] = route.doc.summary;
    op["operationId"] = route.method + " " + route.pattern;
    if (!route.doc.tag.empty()) op["tags"] = boost::json::array{route.doc.tag};
    boost::json::array roles;
    if (route.access == Access::kPublic) {
      roles.push_back("public");
      op["security"] = boost::json::array{};
    } else {
      for (auto name : route.roles.names()) roles.push_back(boost::json::string(name));
    }
    op["x-roles"] = std::move(roles);

    boost::json::array parameters;
    for (const auto& seg : splitPatternForDocs(route.pattern)) {
      parameters.push_back(
          {{"name", seg}, {"in", "path"}, {"required", true}, {"schema", schemaFor("string")}});
    }
    for (const auto& q : route.doc.query) {
      parameters.push_back({{"name", q.name},
                            {"in", "query"},
                            {"required", q.required},
                            {"description", q.description},
                            {"schema", schemaFor(q.type)}});
    }
    if (!parameters.empty()) op["parameters"] = std::move(parameters);

    if (!route.doc.body.empty()) {
      boost::json::object props;
      boost::json::array required;
      for (const auto& f : route.doc.body) {
        boost::json::object p = schemaFor(f.type);
        if (!f.description.empty()) p["description"] = f.description;
        props[f.name] = std::move(p);
        if (f.required) required.push_back(boost::json::string(f.name));
      }
      boost::json::object schema{
          {"type", "object"}, {"additionalProperties", false}, {"properties", std::move(props)}};
      if (!required.empty()) schema["required"] = std::move(required);
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
    } else if (!route.doc.raw_body.empty()) {
      boost::json::object binary{{"type", "string"}, {"format", "binary"}};
      op["requestBody"] = {{"required", true},
                           {"content", {{route.doc.raw_body, {{"schema", std::move(binary)}}}}}};
    }

    boost::json::object responses;
    boost::json::object ok{{"description", route.doc.success_description}};
    if (route.doc.success_status != 204) {
      boost::json::object schema{{"type", "object"}};
      if (route.doc.success_type != "application/json") {
        schema = {{"type", "string"}, {"format", "binary"}};
      }
      ok["content"] = {{route.doc.success_type, {{"schema", std::move(schema)}}}};
    }
    responses[std::to_string(route.doc.success_status)] = std::move(ok);
    boost::json::object err{
        {"description", "Error"},
        {"content",
         {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
    responses["default"] = std::move(err);
    op["responses"] = std::move(responses);

    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto& entry = paths[route.pattern];
    if (!entry.is_object()) entry = boost::json::object();
    entry.as_object()[method] = std::move(op);
  }
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "Ting contact center API"},
            {"version", TING_VERSION},
            {"license", {{"name", "GPL-3.0-or-later"}}}}},
          {"servers", boost::json::array{{{"url", "/"}}}},
          {"paths", std::move(paths)},
          {"components",
           {{"schemas", {{"Error", errorSchema()}}},
            {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
          {"security", boost::json::array{{{"bearer", boost::json::array{}}}}}};
}

}  // namespace ting::api
