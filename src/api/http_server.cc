#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "api/api_context.h"
#include "common/crypto.h"

namespace ting::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

bool splitHostPort(const std::string& listen, std::string& host, std::uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string p = listen.substr(colon + 1);
  unsigned value = 0;
  auto r = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size() || value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

namespace {

class Connection {
 public:
  virtual ~Connection() = default;
  // Ends the connection politely; runs on the connection's strand.
  virtual void shutdown() = 0;
};

bool safeRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

struct HttpServer::Impl {
  Impl(Router& r, WsHub& h, HttpLimits l, MetricsRegistry& m)
      : router(r),
        hub(h),
        limits(l),
        accept_ioc(std::make_unique<net::io_context>(1)),
        acceptor(std::make_unique<tcp::acceptor>(*accept_ioc)) {
    m.gauge("ting_http_connections", "Open HTTP connections (WebSocket included).",
            [this] { return static_cast<double>(open.load()); });
    request_prefix = randomToken(4);
  }

  std::string nextRequestId() {
    return request_prefix + "-" + std::to_string(request_counter.fetch_add(1) + 1);
  }

  std::uint64_t track(std::weak_ptr<Connection> c) {
    std::lock_guard lock(mu);
    std::uint64_t id = next_id++;
    connections.emplace(id, std::move(c));
    ++open;
    return id;
  }

  void untrack(std::uint64_t id) {
    std::lock_guard lock(mu);
    connections.erase(id);
    --open;
    cv.notify_all();
  }

  void accept();

  Router& router;
  WsHub& hub;
  HttpLimits limits;
  // Sessions hold a plain Impl*: the io_context (and with it every pending
  // handler and session) is destroyed first, in ~HttpServer.
  // One event loop per thread: a connection lives on one loop for its whole
  // life, so no strands and no hand-offs between threads. The acceptor has a
  // loop of its own and deals connections out round-robin.
  std::unique_ptr<net::io_context> accept_ioc;
  std::vector<std::unique_ptr<net::io_context>> iocs;
  std::size_t next_loop = 0;  // used only by the accept loop
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};
  std::atomic<int> open{0};
  std::string request_prefix;
  std::atomic<std::uint64_t> request_counter{0};
  std::mutex mu;  // guards connections and next_id
  std::condition_variable cv;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
  std::uint64_t next_id = 1;
};

namespace {

using Impl = HttpServer::Impl;

class WsSession final : public Connection,
                        public WsClient,
                        public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Impl* server, beast::tcp_stream&& stream, identity::Principal principal,
            std::set<std::string> topics)
      : server_(server),
        ws_(std::move(stream)),
        principal_(std::move(principal)),
        topics_(std::move(topics)) {}

  ~WsSession() override {
    if (client_id_) server_->hub.remove(client_id_);
    if (track_id_) server_->untrack(track_id_);
  }

  void run(http::request<http::string_body> req) {
    track_id_ = server_->track(weak_from_this());
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(server_->limits.ws_message_limit);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "ting"); }));
    ws_.async_accept(req, beast::bind_front_handler(&WsSession::onAccept, shared_from_this()));
  }

  void deliver(std::shared_ptr<const std::string> message) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), m = std::move(message)]() mutable {
      self->send(std::move(m));
    });
  }

  void shutdown() override {
    net::post(ws_.get_executor(), [self = shared_from_this()] {
      if (self->closing_) return;
      self->closing_ = true;
      self->ws_.async_close(
          websocket::close_reason(websocket::close_code::going_away, "server shutting down"),
          [self](beast::error_code) {});
    });
  }

 private:
  void onAccept(beast::error_code ec) {
    if (ec) return;
    client_id_ = server_->hub.add(weak_from_this(), principal_, topics_);
    send(std::make_shared<const std::string>(server_->hub.helloMessage(client_id_)));
    doRead();
  }

  void doRead() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t) {
    if (ec) return;  // closed, timed out, or too big (Beast closed it with 1009)
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    send(std::make_shared<const std::string>(server_->hub.handleClientMessage(client_id_, text)));
    doRead();
  }

  void send(std::shared_ptr<const std::string> message) {
    if (closing_) return;
    if (queue_.size() >= server_->limits.ws_queue_limit) {
      spdlog::warn("websocket client {} too slow: {} messages queued, disconnecting",
                   principal_.username, queue_.size());
      closing_ = true;
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
      return;
    }
    queue_.push_back(std::move(message));
    if (queue_.size() == 1) doWrite();
  }

  void doWrite() {
    ws_.text(true);
    ws_.async_write(net::buffer(*queue_.front()),
                    beast::bind_front_handler(&WsSession::onWrite, shared_from_this()));
  }

  void onWrite(beast::error_code ec, std::size_t) {
    if (ec) return;
    queue_.pop_front();
    if (!queue_.empty()) doWrite();
  }

  Impl* server_;
  websocket::stream<beast::tcp_stream> ws_;
  identity::Principal principal_;
  std::set<std::string> topics_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  WsHub::ClientId client_id_ = 0;
  std::uint64_t track_id_ = 0;
  bool closing_ = false;
};

class HttpSession final : public Connection, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(Impl* server, tcp::socket&& socket) : server_(server), stream_(std::move(socket)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }

  ~HttpSession() override {
    if (track_id_) server_->untrack(track_id_);
  }

  void run() {
    track_id_ = server_->track(weak_from_this());
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&HttpSession::doRead, shared_from_this()));
  }

  void shutdown() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->closing_ = true;
      if (!self->busy_) self->close();
    });
  }

 private:
  void doRead() {
    if (closing_ || server_->draining) return close();
    busy_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->limits.header_limit));
    // The head first: the route it names decides how large a body may be.
    body_limit_ = server_->router.largestBodyLimit(server_->limits.body_limit);
    parser_->body_limit(body_limit_);
    stream_.expires_after(server_->limits.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::onHeader, shared_from_this()));
  }

  void onHeader(beast::error_code ec, std::size_t bytes) {
    if (ec) return onRead(ec, bytes);
    const auto& head = parser_->get();
    body_limit_ =
        server_->router.bodyLimit(std::string_view(head.method_string()),
                                  std::string_view(head.target()), server_->limits.body_limit);
    auto length = parser_->content_length();
    if (length && *length > body_limit_) return onRead(http::error::body_limit, bytes);
    parser_->body_limit(body_limit_);
    if (parser_->is_done()) return onRead(ec, bytes);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t) {
    busy_ = true;
    if (ec == http::error::body_limit) {
      return writeError(413, "body_too_large",
                        "the body exceeds " + std::to_string(body_limit_) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return writeError(
          431, "headers_too_large",
          "the request head exceeds " + std::to_string(server_->limits.header_limit) + " bytes");
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof || ec == net::error::bad_descriptor) {
      return close();
    }
    if (ec) {
      if (buffer_.size() == 0 && !parser_->got_some()) return close();
      return writeError(400, "bad_request", "malformed HTTP request: " + ec.message());
    }
    http::request<http::string_body> req = parser_->release();
    std::string request_id(req["X-Request-Id"]);
    if (!safeRequestId(request_id)) request_id = server_->nextRequestId();

    if (websocket::is_upgrade(req)) {
      std::vector<std::string> segments;
      QueryParams query;
      if (parseTarget(req.target(), segments, query) && segments.size() == 3 &&
          segments[0] == "api" && segments[1] == "v1" && segments[2] == "events") {
        return upgrade(std::move(req), query, request_id);
      }
    }

    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.content_type = std::string(req[http::field::content_type]);
    request.authorization = std::string(req[http::field::authorization]);
    request.range = std::string(req[http::field::range]);
    request.request_id = request_id;
    request.remote_address = remote_;
    request.body = std::move(req.body());

    Response response;
    if (server_->draining) {
      response = errorResponse(503, "shutting_down", "the server is stopping; retry shortly");
    } else {
      response = server_->router.handle(request);
    }
    if (response.status >= 500) {
      spdlog::warn("req={} {} {} -> {}", request_id, request.method, request.target,
                   response.status);
    } else {
      SPDLOG_DEBUG("req={} {} {} -> {}", request_id, request.method, request.target,
                   response.status);
    }
    bool keep_alive = req.keep_alive() && !server_->draining && !closing_;
    write(std::move(response), request_id, keep_alive, req.method() == http::verb::head);
  }

  void upgrade(http::request<http::string_body> req, const QueryParams& query,
               const std::string& request_id) {
    Request request;
    request.authorization = std::string(req[http::field::authorization]);
    request.request_id = request_id;
    auto principal = server_->router.authenticate(request, query, true);
    if (!principal.isOk()) return write(errorResponse(principal.status()), request_id, false);
    std::string requested;
    for (const auto& [k, v] : query) {
      if (k == "topics") requested = v;
    }
    auto topics = WsHub::resolveTopics(principal->role, requested);
    if (!topics.isOk()) return write(errorResponse(topics.status()), request_id, false);
    if (server_->draining) {
      return write(errorResponse(503, "shutting_down", "the server is stopping"), request_id,
                   false);
    }
    stream_.expires_never();
    auto ws = std::make_shared<WsSession>(server_, std::move(stream_), std::move(*principal),
                                          std::move(*topics));
    ws->run(std::move(req));
  }

  void writeError(int status, std::string_view code, const std::string& message) {
    write(errorResponse(status, code, message), server_->nextRequestId(), false);
  }

  void write(Response response, const std::string& request_id, bool keep_alive, bool head = false) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), 11);
    res->set(http::field::server, "ting");
    res->set("X-Request-Id", request_id);
    // Browsers take every body as the type it is served with (uploaded images too).
    res->set("X-Content-Type-Options", "nosniff");
    if (!response.content_type.empty()) res->set(http::field::content_type, response.content_type);
    for (auto& [k, v] : response.headers) res->set(k, v);
    res->keep_alive(keep_alive);
    res->body() = std::move(response.body);
    res->prepare_payload();
    if (head) res->body().clear();
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) return self->close();
          self->doRead();
        });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  Impl* server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  std::uint64_t track_id_ = 0;
  std::size_t body_limit_ = 0;  // of the request being read
  bool busy_ = false;
  bool closing_ = false;
};

}  // namespace

void HttpServer::Impl::accept() {
  auto& loop = *iocs[next_loop++ % iocs.size()];
  acceptor->async_accept(loop, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<HttpSession>(this, std::move(socket))->run();
    } else {
      spdlog::warn("accept failed: {}", ec.message());
    }
    accept();
  });
}

HttpServer::HttpServer(Router& router, WsHub& hub, HttpLimits limits, MetricsRegistry& metrics)
    : impl_(std::make_unique<Impl>(router, hub, limits, metrics)) {}

HttpServer::~HttpServer() {
  stop(std::chrono::seconds(0));
  // Destroys pending handlers and with them the sessions, while the rest of
  // Impl (registry, hub) is still alive.
  impl_->acceptor.reset();
  impl_->accept_ioc.reset();
  impl_->iocs.clear();
}

Status HttpServer::start(const std::string& listen, int threads) {
  std::string host;
  std::uint16_t port = 0;
  if (!splitHostPort(listen, host, port)) {
    return invalidValue("'" + listen + "' is not ADDR:PORT", "http.listen");
  }
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return invalidValue("'" + host + "' is not an IP address", "http.listen");
  tcp::endpoint endpoint(address, port);
  for (int i = 0; i < std::max(1, threads); ++i) {
    impl_->iocs.push_back(std::make_unique<net::io_context>(1));
  }
  auto& acceptor = *impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return unavailable("cannot listen on " + listen + ": " + ec.message());
  impl_->accept();
  for (int i = 0; i < threads; ++i) {
    impl_->threads.emplace_back([loop = impl_->iocs[i].get()] {
      auto guard = net::make_work_guard(*loop);  // idle loops wait for connections
      loop->run();
    });
  }
  impl_->threads.emplace_back([impl = impl_.get()] { impl->accept_ioc->run(); });
  return Status::ok();
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpServer::stop(std::chrono::seconds grace) {
  auto& s = *impl_;
  if (s.stopped.exchange(true)) return;
  s.draining = true;
  net::post(s.acceptor->get_executor(), [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor->close(ignored);
  });
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(s.mu);
    for (auto& [id, weak] : s.connections) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  for (auto& c : live) c->shutdown();
  live.clear();
  {
    std::unique_lock lock(s.mu);
    s.cv.wait_for(lock, grace, [&] { return s.open.load() == 0; });
  }
  s.accept_ioc->stop();
  for (auto& loop : s.iocs) loop->stop();
  for (auto& t : s.threads) {
    if (t.joinable()) t.join();
  }
  s.threads.clear();
}

}  // namespace ting::api
