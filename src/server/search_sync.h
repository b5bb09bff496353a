#pragma once
// Keeps the full-text index (search/search_index.h) in step with the
// database: customers, work orders and the knowledge base. A thread of its
// own polls each table by its change time, so rows written by any process —
// the server, `ting import customers` beside it — become searchable within
// a second or two; deletions and merges are read from the audit log. The
// cursors live beside the index (cursors.json), so a restart goes on where it
// stopped and a missing index is rebuilt from scratch.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

#include "search/search_index.h"
#include "store/store.h"

namespace ting::server {

class SearchSync {
 public:
  SearchSync(store::Store& store, search::Index& index, std::filesystem::path cursor_file,
             std::chrono::milliseconds interval);
  ~SearchSync();
  SearchSync(const SearchSync&) = delete;
  SearchSync& operator=(const SearchSync&) = delete;

  void start();
  void stop();
  // One pass over every source; returns how many documents it wrote or removed.
  Result<std::int64_t> catchUp();

 private:
  struct Cursor {
    UnixMillis at = 0;
    std::int64_t id = 0;
  };
  Result<std::int64_t> syncCustomers();
  Result<std::int64_t> syncWorkOrders();
  Result<std::int64_t> syncKb();
  Result<std::int64_t> syncDeletions();
  void loadCursors();
  void saveCursors() const;
  void run();

  store::Store& store_;
  search::Index& index_;
  std::filesystem::path cursor_file_;
  std::chrono::milliseconds interval_;
  Cursor customers_, work_orders_, kb_;
  std::int64_t audit_id_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ting::server
