#include "calls/http_fetch.h"

#include <curl/curl.h>
#include <pthread.h>

#include <map>
#include <memory>

#include "common/metrics.h"

namespace ting::calls {
namespace {

struct Transfer {
  HttpFetcher::Request request;
  std::string body;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};
};

size_t onData(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t->body.size() + len > t->request.max_bytes) {
    t->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  t->body.append(data, len);
  return len;
}

Result<std::string> outcome(Transfer& t, CURLcode code, long status) {
  if (t.too_large) {
    return invalidValue("the answer is larger than " + std::to_string(t.request.max_bytes) +
                        " bytes");
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return unavailable("no answer within " + std::to_string(t.request.timeout_ms) + " ms");
  }
  if (code != CURLE_OK) {
    return unavailable(t.error[0] != '\0' ? std::string(t.error) : curl_easy_strerror(code));
  }
  if (status < 200 || status > 299) {
    return unavailable("HTTP status " + std::to_string(status));
  }
  return std::move(t.body);
}

}  // namespace

HttpFetcher::HttpFetcher(MetricsRegistry* metrics) {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)global;
  multi_ = curl_multi_init();
  if (metrics != nullptr) {
    ok_ = &metrics->counter("ting_ivr_lookups_total", "IVR HTTP lookups by outcome.",
                            "outcome=\"ok\"");
    failed_ = &metrics->counter("ting_ivr_lookups_total", "IVR HTTP lookups by outcome.",
                                "outcome=\"failed\"");
  }
  thread_ = std::thread([this] { run(); });
}

HttpFetcher::~HttpFetcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
  thread_.join();
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void HttpFetcher::fetch(Request request) {
  std::unique_lock lock(mu_);
  if (stopping_) {
    lock.unlock();
    request.done(unavailable("the server is stopping"));
    return;
  }
  queue_.push_back(std::move(request));
  lock.unlock();
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void HttpFetcher::run() {
  ::pthread_setname_np(::pthread_self(), "http-fetch");
  auto* multi = static_cast<CURLM*>(multi_);
  std::map<CURL*, std::unique_ptr<Transfer>> running;
  const std::string user_agent = std::string("Ting/") + TING_VERSION;
  auto finish = [&](CURL* easy, Result<std::string> result) {
    auto it = running.find(easy);
    std::unique_ptr<Transfer> t = std::move(it->second);
    running.erase(it);
    curl_multi_remove_handle(multi, easy);
    curl_easy_cleanup(easy);
    if (result.isOk()) {
      if (ok_) ok_->inc();
    } else if (failed_) {
      failed_->inc();
    }
    t->request.done(std::move(result));
  };
  for (;;) {
    std::deque<Request> fresh;
    bool stop;
    {
      std::lock_guard lock(mu_);
      fresh.swap(queue_);
      stop = stopping_;
    }
    if (stop) {
      for (auto& r : fresh) r.done(unavailable("the server is stopping"));
      while (!running.empty()) finish(running.begin()->first, unavailable("the server is stopping"));
      return;
    }
    for (auto& r : fresh) {
      auto t = std::make_unique<Transfer>();
      t->request = std::move(r);
      CURL* easy = curl_easy_init();
      curl_easy_setopt(easy, CURLOPT_URL, t->request.url.c_str());
      curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 3L);
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(t->request.timeout_ms));
      curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent.c_str());
      curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
      curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, onData);
      curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
      curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error);
      if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
        curl_easy_cleanup(easy);
        if (failed_) failed_->inc();
        t->request.done(internalError("cannot start the request"));
        continue;
      }
      running.emplace(easy, std::move(t));
    }
    int still_running = 0;
    curl_multi_perform(multi, &still_running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode code = msg->data.result;
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      finish(easy, outcome(*running.at(easy), code, status));
    }
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
}

}  // namespace ting::calls
