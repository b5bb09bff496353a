#include "server/search_sync.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <map>
#include <sstream>

namespace ting::server {

namespace {

constexpr int kBatch = 1000;
// Rows can commit a little after their change time was taken: each pass looks
// back this far, re-indexing (idempotently) what it may have seen already.
constexpr std::int64_t kLookbackMs = 2000;

// A page of changed rows: the first from the look-back time, the next ones
// after the last row read, by (updated_at, id) — many rows share a time when
// one transaction wrote them (an import writes hundreds).
constexpr const char* kPageWhere =
    "updated_at >= ? AND (updated_at > ? OR (updated_at = ? AND id > ?))";

std::vector<store::Value> pageParams(std::int64_t read_so_far, UnixMillis from, UnixMillis at,
                                     std::int64_t id) {
  if (read_so_far == 0) return {from, from - 1, from - 1, std::int64_t{0}, std::int64_t{kBatch}};
  return {at, at, at, id, std::int64_t{kBatch}};
}

std::string idList(const store::Rows& rows) {
  std::string out;
  for (const auto& r : rows) out += (out.empty() ? "" : ",") + std::to_string(r.integer(0));
  return out;
}

}  // namespace

SearchSync::SearchSync(store::Store& store, search::Index& index, std::filesystem::path cursor_file,
                       std::chrono::milliseconds interval)
    : store_(store), index_(index), cursor_file_(std::move(cursor_file)), interval_(interval) {
  loadCursors();
}

SearchSync::~SearchSync() {
  stop();
}

void SearchSync::start() {
  thread_ = std::thread([this] { run(); });
}

void SearchSync::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SearchSync::loadCursors() {
  std::ifstream in(cursor_file_);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(text.str(), ec);
  if (ec || !v.is_object()) return;
  auto read = [&](const char* key, Cursor& c) {
    if (auto* o = v.as_object().if_contains(key); o && o->is_array() && o->as_array().size() == 2) {
      c.at = o->as_array()[0].to_number<std::int64_t>();
      c.id = o->as_array()[1].to_number<std::int64_t>();
    }
  };
  read("customers", customers_);
  read("work_orders", work_orders_);
  read("kb", kb_);
  if (auto* a = v.as_object().if_contains("audit_id"); a && a->is_int64())
    audit_id_ = a->as_int64();
}

void SearchSync::saveCursors() const {
  const boost::json::object o{{"customers", {customers_.at, customers_.id}},
                              {"work_orders", {work_orders_.at, work_orders_.id}},
                              {"kb", {kb_.at, kb_.id}},
                              {"audit_id", audit_id_}};
  const auto tmp = cursor_file_.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << boost::json::serialize(o);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, cursor_file_, ec);
}

Result<std::int64_t> SearchSync::syncCustomers() {
  std::int64_t n = 0;
  for (;;) {
    store::Rows rows, phones, tags;
    const UnixMillis from = customers_.at - kLookbackMs;
    TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
      TING_ASSIGN_OR_RETURN(
          rows,
          s.query("SELECT id, tenant_id, name, email, company, address, notes, updated_at "
                  "FROM customers WHERE " +
                      std::string(kPageWhere) + " ORDER BY updated_at, id LIMIT ?",
                  pageParams(n, from, customers_.at, customers_.id)));
      if (rows.empty()) return Status::ok();
      const std::string ids = idList(rows);
      TING_ASSIGN_OR_RETURN(phones, s.query("SELECT customer_id, number, e164 FROM "
                                            "customer_phones WHERE customer_id IN (" +
                                                ids + ") ORDER BY customer_id, position",
                                            {}));
      TING_ASSIGN_OR_RETURN(tags, s.query("SELECT customer_id, tag FROM customer_tags WHERE "
                                          "customer_id IN (" +
                                              ids + ")",
                                          {}));
      return Status::ok();
    }));
    if (rows.empty()) break;
    std::map<std::int64_t, std::string> extra;
    for (const auto& p : phones) {
      // As entered and as E.164 (with the national form: 13800138000).
      std::string e164 = p.text(2);
      std::string national = e164.rfind("+86", 0) == 0 ? e164.substr(3) : "";
      extra[p.integer(0)] += " " + p.text(1) + " " + e164 + " " + national;
    }
    for (const auto& t : tags) extra[t.integer(0)] += " " + t.text(1);
    for (const auto& r : rows) {
      search::Document d{
          .kind = "customer",
          .tenant_id = r.integer(1),
          .id = r.integer(0),
          .title = r.text(2) + (r.text(4).empty() ? "" : " " + r.text(4)),
          .body = r.text(3) + " " + r.text(5) + " " + r.text(6) + extra[r.integer(0)],
          .updated_at = r.integer(7)};
      TING_RETURN_IF_ERROR(index_.put(d));
      customers_ = {r.integer(7), r.integer(0)};
      ++n;
    }
    if (rows.size() < static_cast<std::size_t>(kBatch)) break;
  }
  return n;
}

Result<std::int64_t> SearchSync::syncWorkOrders() {
  std::int64_t n = 0;
  for (;;) {
    store::Rows rows;
    const UnixMillis from = work_orders_.at - kLookbackMs;
    TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
      TING_ASSIGN_OR_RETURN(
          rows,
          s.query("SELECT id, tenant_id, reference, subject, description, desired_remedy, "
                  "resolution, category_id, updated_at FROM work_orders WHERE " +
                      std::string(kPageWhere) + " ORDER BY updated_at, id LIMIT ?",
                  pageParams(n, from, work_orders_.at, work_orders_.id)));
      return Status::ok();
    }));
    for (const auto& r : rows) {
      search::Document d{.kind = "work_order",
                         .tenant_id = r.integer(1),
                         .id = r.integer(0),
                         .title = r.text(2) + " " + r.text(3),
                         .body = r.text(4) + " " + r.text(5) + " " + r.text(6),
                         .category = r.isNull(7) ? "" : std::to_string(r.integer(7)),
                         .updated_at = r.integer(8)};
      TING_RETURN_IF_ERROR(index_.put(d));
      work_orders_ = {r.integer(8), r.integer(0)};
      ++n;
    }
    if (rows.size() < static_cast<std::size_t>(kBatch)) break;
  }
  return n;
}

Result<std::int64_t> SearchSync::syncKb() {
  std::int64_t n = 0;
  for (;;) {
    store::Rows rows;
    const UnixMillis from = kb_.at - kLookbackMs;
    TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
      TING_ASSIGN_OR_RETURN(
          rows, s.query("SELECT id, tenant_id, kind, title, body, category_id, lang, active, "
                        "updated_at FROM kb_entries WHERE " +
                            std::string(kPageWhere) + " ORDER BY updated_at, id LIMIT ?",
                        pageParams(n, from, kb_.at, kb_.id)));
      return Status::ok();
    }));
    for (const auto& r : rows) {
      if (r.integer(7) == 0) {
        // Retired entries are not suggested.
        TING_RETURN_IF_ERROR(index_.remove(r.text(2), r.integer(1), r.integer(0)));
      } else {
        search::Document d{.kind = r.text(2),
                           .tenant_id = r.integer(1),
                           .id = r.integer(0),
                           .title = r.text(3),
                           .body = r.text(4),
                           .category = r.isNull(5) ? "" : std::to_string(r.integer(5)),
                           .lang = r.text(6),
                           .updated_at = r.integer(8)};
        TING_RETURN_IF_ERROR(index_.put(d));
      }
      kb_ = {r.integer(8), r.integer(0)};
      ++n;
    }
    if (rows.size() < static_cast<std::size_t>(kBatch)) break;
  }
  return n;
}

Result<std::int64_t> SearchSync::syncDeletions() {
  std::int64_t n = 0;
  store::Rows rows;
  TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
    if (audit_id_ == 0) {
      // A new index: what is deleted already was never indexed.
      TING_ASSIGN_OR_RETURN(auto last,
                            s.queryOne("SELECT COALESCE(MAX(id), 0) FROM audit_log", {}));
      audit_id_ = last.integer(0);
      return Status::ok();
    }
    TING_ASSIGN_OR_RETURN(
        rows, s.query("SELECT id, tenant_id, entity, entity_id, action, before_json FROM "
                      "audit_log WHERE id > ? AND action IN ('delete', 'merge') AND entity IN "
                      "('customer', 'kb_entry') ORDER BY id LIMIT ?",
                      {audit_id_, std::int64_t{kBatch}}));
    return Status::ok();
  }));
  for (const auto& r : rows) {
    std::string kind = r.text(2) == "customer" ? "customer" : "";
    std::int64_t id = 0;
    if (r.text(4) == "merge") {
      // The customer merged away is the entry's before.from.
      boost::system::error_code ec;
      auto v = boost::json::parse(r.text(5), ec);
      if (!ec && v.is_object()) {
        if (auto* from = v.as_object().if_contains("from"); from && from->is_object()) {
          if (auto* fid = from->as_object().if_contains("id"); fid && fid->is_int64()) {
            id = fid->as_int64();
          }
        }
      }
    } else {
      id = std::atoll(r.text(3).c_str());
      if (r.text(2) == "kb_entry") {
        boost::system::error_code ec;
        auto v = boost::json::parse(r.text(5), ec);
        if (!ec && v.is_object()) {
          if (auto* k = v.as_object().if_contains("kind"); k && k->is_string()) {
            kind = std::string(k->as_string());
          }
        }
      }
    }
    if (!kind.empty() && id > 0) {
      TING_RETURN_IF_ERROR(index_.remove(kind, r.integer(1), id));
      ++n;
    }
    audit_id_ = r.integer(0);
  }
  return n;
}

Result<std::int64_t> SearchSync::catchUp() {
  std::int64_t n = 0;
  using Step = Result<std::int64_t> (SearchSync::*)();
  for (Step step : {&SearchSync::syncCustomers, &SearchSync::syncWorkOrders, &SearchSync::syncKb,
                    &SearchSync::syncDeletions}) {
    TING_ASSIGN_OR_RETURN(std::int64_t done, (this->*step)());
    n += done;
  }
  if (n > 0) {
    TING_RETURN_IF_ERROR(index_.commit());
    saveCursors();
  }
  return n;
}

void SearchSync::run() {
  pthread_setname_np(pthread_self(), "search-sync");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    auto done = catchUp();
    if (!done.isOk()) spdlog::warn("search index sync failed: {}", done.status().message());
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace ting::server
