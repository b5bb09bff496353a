#pragma once
// Outgoing HTTP for IVR lookups: GET requests run on one thread of their own
// (libcurl's multi interface), so a slow external system never holds up the
// call-control loop or other calls. Each request has its own timeout and
// answer size limit; the callback runs on the fetch thread.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace ting {
class Counter;
class MetricsRegistry;
}  // namespace ting

namespace ting::calls {

class HttpFetcher {
 public:
  // The answer body on a 2xx status; an error naming what went wrong
  // otherwise (timeout, connection, HTTP status, too large).
  using Done = std::function<void(Result<std::string>)>;

  struct Request {
    std::string url;  // http:// or https://
    int timeout_ms = 2000;
    size_t max_bytes = 1 << 20;
    Done done;
  };

  explicit HttpFetcher(MetricsRegistry* metrics = nullptr);
  ~HttpFetcher();  // stops: requests still running finish with an error
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  void fetch(Request request);

 private:
  void run();

  std::mutex mu_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  void* multi_ = nullptr;  // CURLM*
  Counter* ok_ = nullptr;
  Counter* failed_ = nullptr;
  std::thread thread_;
};

}  // namespace ting::calls
