#include "api/list_params.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "common/crypto.h"

namespace ting::api {

namespace {

Status badQuery(const std::string& message, const std::string& param) {
  return invalidArgument(message, param).withReason("invalid_query");
}

}  // namespace

Result<ListParams> parseListParams(const Call& call, const ListSpec& spec) {
  ListParams out;
  std::string sort = spec.default_sort;
  std::optional<std::string> cursor;
  for (const auto& [key, value] : call.query) {
    if (key.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      return badQuery("query parameters may not contain NUL characters", key);
    }
    if (key == "limit") {
      int n = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || r.ec != std::errc() || r.ptr != value.data() + value.size() || n < 1 ||
          n > 200) {
        return badQuery("'limit' must be an integer from 1 to 200", "limit");
      }
      out.page.limit = n;
    } else if (key == "sort") {
      sort = value;
    } else if (key == "cursor") {
      cursor = value;
    } else if (std::find(spec.filters.begin(), spec.filters.end(), key) != spec.filters.end()) {
      out.filters[key] = value;
    } else {
      return badQuery("unknown query parameter '" + key + "'", key);
    }
  }
  out.sort_name = sort;
  bool desc = !sort.empty() && sort.front() == '-';
  std::string name = desc ? sort.substr(1) : sort;
  if (name == "id") {
    out.page.sort_column = "id";
  } else {
    auto it = spec.sortable.find(name);
    if (it == spec.sortable.end()) {
      std::string options = "id";
      for (const auto& [k, v] : spec.sortable) options += ", " + k;
      return badQuery("'sort' must be one of " + options + " (prefix '-' for descending)", "sort");
    }
    out.page.sort_column = it->second;
  }
  out.page.descending = desc;
  if (cursor) {
    std::string raw;
    boost::system::error_code ec;
    boost::json::value v;
    if (base64UrlDecode(*cursor, raw)) v = boost::json::parse(raw, ec);
    // [sort, value, id]
    if (raw.empty() || ec || !v.is_array() || v.as_array().size() != 3 ||
        !v.as_array()[0].is_string() || !v.as_array()[2].is_int64()) {
      return badQuery("'cursor' is not a cursor this API returned", "cursor");
    }
    const auto& a = v.as_array();
    if (a[0].as_string() != sort) {
      return badQuery("'cursor' belongs to another sort order", "cursor");
    }
    store::Value sort_value;
    if (a[1].is_int64()) {
      sort_value = a[1].as_int64();
    } else if (a[1].is_string()) {
      sort_value = std::string(a[1].as_string());
    } else {
      return badQuery("'cursor' is not a cursor this API returned", "cursor");
    }
    out.page.after = std::make_pair(sort_value, a[2].as_int64());
  }
  return out;
}

Response listResponse(boost::json::array items, const store::Page& page, const ListParams& params) {
  boost::json::value next = nullptr;
  if (page.has_more && !page.rows.empty()) {
    const store::Value& last = page.sort_values.back();
    boost::json::value sort_value;
    if (auto p = std::get_if<std::int64_t>(&last))
      sort_value = *p;
    else if (auto s = std::get_if<std::string>(&last))
      sort_value = *s;
    boost::json::array cursor{boost::json::string(params.sort_name), sort_value,
                              page.rows.back().integer(0)};
    next = base64UrlEncode(boost::json::serialize(cursor));
  }
  return jsonResponse(boost::json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

Result<Response> pageResponse(store::Store& store, const store::PageQuery& q,
                              const ListParams& params,
                              const std::function<boost::json::value(const store::Row&)>& to_json) {
  store::Page page;
  TING_RETURN_IF_ERROR(store.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(page, store::listPage(s, q, params.page));
    return Status::ok();
  }));
  boost::json::array items;
  for (const auto& row : page.rows) items.push_back(to_json(row));
  return listResponse(std::move(items), page, params);
}

std::vector<FieldDoc> listQueryDocs(const ListSpec& spec) {
  std::string sorts = "id";
  for (const auto& [k, v] : spec.sortable) sorts += ", " + k;
  std::vector<FieldDoc> docs = {
      {"limit", "integer", false, "Page size, 1..200 (default 50)."},
      {"cursor", "string", false, "next_cursor of the previous page."},
      {"sort", "string", false, "One of " + sorts + "; prefix '-' for descending."},
  };
  for (const auto& f : spec.filters) docs.push_back({f, "string", false, "Filter."});
  return docs;
}

Status addTimeFilter(store::PageQuery& q, const std::string& key, const std::string& value,
                     const std::string& column) {
  UnixMillis t = 0;
  if (!parseTimestamp(value, t)) {
    return invalidArgument("'" + key + "' must be an RFC 3339 time", key).withReason("invalid_query");
  }
  q.filter_sql += " AND " + column + (key == "since" ? " >= ?" : " < ?");
  q.filter_params.emplace_back(t);
  return Status::ok();
}

boost::json::value columnText(const store::Row& r, size_t i) {
  return r.isNull(i) ? boost::json::value(nullptr) : boost::json::value(r.text(i));
}

boost::json::value columnInteger(const store::Row& r, size_t i) {
  return r.isNull(i) ? boost::json::value(nullptr) : boost::json::value(r.integer(i));
}

boost::json::value columnTime(const store::Row& r, size_t i) {
  return r.isNull(i) ? boost::json::value(nullptr)
                     : boost::json::value(formatTimestamp(r.integer(i)));
}

Status badQueryValue(const std::string& key, const std::string& what) {
  return invalidArgument("'" + key + "' must be " + what, key).withReason("invalid_query");
}

Result<std::int64_t> queryId(const std::string& key, const std::string& v) {
  try {
    std::size_t used = 0;
    const long long id = std::stoll(v, &used);
    if (used == v.size() && id > 0) return static_cast<std::int64_t>(id);
  } catch (...) {
  }
  return badQueryValue(key, "an id");
}

Result<bool> queryBool(const std::string& key, const std::string& v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return badQueryValue(key, "true or false");
}

}  // namespace ting::api
