// Full-text search over the tenant's articles, scripts, work orders and
// customers, in Chinese and English (search/search_index.h).

#include "api/api_context.h"
#include "search/search_index.h"

namespace ting::api {

using identity::Role;

namespace {

const std::vector<std::string> kAllKinds = {"article", "script", "work_order", "customer"};

// What each role may find: QA inspectors see customers' numbers masked, so
// cards (whose snippets carry numbers) are left out; department staff find
// the knowledge base only.
std::vector<std::string> kindsFor(Role role) {
  if (role == Role::kDepartment) return {"article", "script"};
  if (role == Role::kQaInspector) return {"article", "script", "work_order"};
  return kAllKinds;
}

boost::json::array hitsJson(const std::vector<search::Hit>& hits) {
  boost::json::array out;
  for (const auto& h : hits) {
    out.push_back({{"kind", h.kind},
                   {"id", h.id},
                   {"score", h.score},
                   {"title", h.title},
                   {"snippet", h.snippet}});
  }
  return out;
}

}  // namespace

void addSearchRoutes(Router& router, ApiContext& ctx) {
  router.add(
      {"GET",
       "/api/v1/search",
       Access::kAuthenticated,
       {Role::kAgent, Role::kTeamLead, Role::kQaInspector, Role::kSupervisor, Role::kAdmin,
        Role::kDepartment},
       [&ctx](Call& call) -> Result<Response> {
         if (!ctx.search) return unavailable("search is not available on this server");
         search::Query q{.tenant_id = call.principal->tenant_id};
         const std::vector<std::string> allowed = kindsFor(call.principal->role);
         std::string category;
         for (const auto& [k, v] : call.query) {
           if (k == "q") {
             q.text = v;
           } else if (k == "kinds") {
             std::size_t start = 0;
             while (start <= v.size()) {
               auto end = v.find(',', start);
               if (end == std::string::npos) end = v.size();
               const std::string kind = v.substr(start, end - start);
               if (std::find(kAllKinds.begin(), kAllKinds.end(), kind) == kAllKinds.end()) {
                 return invalidArgument("'kinds' lists article, script, work_order, customer",
                                        "kinds")
                     .withReason("invalid_query");
               }
               if (std::find(allowed.begin(), allowed.end(), kind) != allowed.end()) {
                 q.kinds.push_back(kind);
               }
               start = end + 1;
             }
             if (q.kinds.empty()) return jsonResponse({{"items", boost::json::array{}}});
           } else if (k == "category_id") {
             category = v;
           } else if (k == "limit" || k == "offset") {
             int n = -1;
             try {
               n = std::stoi(v);
             } catch (...) {
             }
             if (n < 0 || n > (k == "limit" ? 100 : 10000)) {
               return invalidArgument("'" + k + "' is out of range", k).withReason("invalid_query");
             }
             (k == "limit" ? q.limit : q.offset) = k == "limit" ? std::max(n, 1) : n;
           } else {
             return invalidArgument("unknown query parameter '" + k + "'", k)
                 .withReason("invalid_query");
           }
         }
         if (q.kinds.empty()) q.kinds = allowed;
         std::vector<search::Hit> hits;
         if (q.text.empty()) {
           if (category.empty()) {
             return invalidArgument("'q' (or 'category_id' for suggestions) is required", "q")
                 .withReason("invalid_query");
           }
           TING_ASSIGN_OR_RETURN(hits,
                                 ctx.search->suggest(q.tenant_id, category, q.kinds, q.limit));
         } else {
           q.category = category;
           TING_ASSIGN_OR_RETURN(hits, ctx.search->search(q));
         }
         return jsonResponse({{"items", hitsJson(hits)}});
       },
       {.summary = "Search articles, scripts, work orders and customers in Chinese and English, "
                   "ranked, with snippets (matches in <mark>). Without q, category_id gives the "
                   "suggestions for a work-order category, newest first. New and changed "
                   "records are found within about two seconds.",
        .tag = "search",
        .query = {{"q", "string", false, "words in Chinese and/or English, a reference, a number"},
                  {"kinds", "string", false,
                   "comma-separated: article, script, work_order, "
                   "customer (default: all you may see)"},
                  {"category_id", "integer", false, "a work-order category"},
                  {"limit", "integer", false, "1-100 (default 20)"},
                  {"offset", "integer", false, ""}}}});
}

}  // namespace ting::api
