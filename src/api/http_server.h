#pragma once
// The HTTP and WebSocket server (Boost.Beast). The only translation unit that
// includes Beast: requests are handed to the Router as plain api::Request.
//
// Threads: `threads` I/O threads run one io_context; each connection lives on
// its own strand. Handlers run on the I/O thread that read the request.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/router.h"
#include "api/ws_hub.h"
#include "common/metrics.h"

namespace ting::api {

struct HttpLimits {
  std::size_t body_limit = 1 << 20;
  std::size_t header_limit = 16 << 10;
  std::chrono::seconds request_timeout{30};
  std::size_t ws_message_limit = 64 << 10;
  std::size_t ws_queue_limit = 1024;
};

class HttpServer {
 public:
  HttpServer(Router& router, WsHub& hub, HttpLimits limits, MetricsRegistry& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `listen` ("ADDR:PORT"; port 0 picks a free one) and starts serving.
  Status start(const std::string& listen, int threads);
  std::uint16_t port() const;
  // Stops accepting; requests in flight finish (up to `grace`), idle
  // keep-alive connections close, WebSocket clients get a 1001 close; then
  // the I/O threads are joined. Idempotent.
  void stop(std::chrono::seconds grace);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" / "[v6]:port". False when malformed.
bool splitHostPort(const std::string& listen, std::string& host, std::uint16_t& port);

}  // namespace ting::api
