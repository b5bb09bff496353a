#pragma once
// The list conventions of docs/api.md: limit, cursor, sort, filters.

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/router.h"
#include "store/store.h"

namespace ting::api {

struct ListSpec {
  // API sort name → column (NOT NULL columns only). "id" is always allowed.
  std::map<std::string, std::string> sortable;
  std::string default_sort = "id";   // may start with '-'
  std::vector<std::string> filters;  // query parameters the endpoint accepts
};

struct ListParams {
  store::PageRequest page;
  std::string sort_name;  // as the caller gave it, for the cursor
  std::map<std::string, std::string> filters;
};

// Parses limit, cursor, sort and filters; any other query parameter is a 400
// invalid_query naming it.
Result<ListParams> parseListParams(const Call& call, const ListSpec& spec);

// Adds `column >= t` (since) or `column < t` (until) to `q` for an RFC 3339
// time in `value`; 400 invalid_query naming `key` otherwise.
Status addTimeFilter(store::PageQuery& q, const std::string& key, const std::string& value,
                     const std::string& column);

// {"items": items, "next_cursor": ...}
Response listResponse(boost::json::array items, const store::Page& page, const ListParams& params);

// Reads one page of `q` and answers it as a list, each row through `to_json`.
Result<Response> pageResponse(store::Store& store, const store::PageQuery& q,
                              const ListParams& params,
                              const std::function<boost::json::value(const store::Row&)>& to_json);

// A column as JSON, null when the column is NULL: text, an integer, or a
// time in ms as RFC 3339.
boost::json::value columnText(const store::Row& r, size_t i);
boost::json::value columnInteger(const store::Row& r, size_t i);
boost::json::value columnTime(const store::Row& r, size_t i);

// Query documentation for a list route.
std::vector<FieldDoc> listQueryDocs(const ListSpec& spec);

// A query parameter that is not what it must be: 400 invalid_query naming it.
Status badQueryValue(const std::string& key, const std::string& what);
// A query parameter holding an id (a positive integer) or true/false.
Result<std::int64_t> queryId(const std::string& key, const std::string& v);
Result<bool> queryBool(const std::string& key, const std::string& v);

}  // namespace ting::api
