#include "calls/http_fetch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace ting::calls {
namespace {

// A real HTTP/1.1 peer on loopback that answers by path:
//   /ok → 200 JSON, /status/500 → 500, /big → 2 MiB, /moved → 302 to /ok,
//   /hang → reads the request and never answers.
class TestServer {
 public:
  TestServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TestServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (int c : held_) ::close(c);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      const std::string path = req.substr(4, req.find(' ', 4) - 4);
      std::string status = "200 OK", body, extra;
      if (path == "/ok") {
        body = R"({"customer":{"level":"gold"}})";
      } else if (path == "/status/500") {
        status = "500 Internal Server Error";
        body = "{}";
      } else if (path == "/big") {
        body.assign(2 << 20, 'x');
      } else if (path == "/moved") {
        status = "302 Found";
        extra = "Location: /ok\r\n";
      } else if (path == "/hang") {
        held_.push_back(c);
        continue;
      }
      std::string resp = "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\n" + extra +
                         "Content-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body;
      for (size_t off = 0; off < resp.size();) {
        ssize_t n = ::write(c, resp.data() + off, resp.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> held_;
  std::thread thread_;
};

Result<std::string> get(HttpFetcher& f, const std::string& url, int timeout_ms = 2000) {
  std::promise<Result<std::string>> p;
  auto fut = p.get_future();
  f.fetch({url, timeout_ms, 1 << 20, [&p](Result<std::string> r) { p.set_value(std::move(r)); }});
  return fut.get();
}

TEST(HttpFetch, ReturnsTheBodyOfA2xxAnswer) {
  TestServer server;
  HttpFetcher f;
  auto r = get(f, server.url("/ok"));
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(*r, R"({"customer":{"level":"gold"}})");
}

TEST(HttpFetch, FollowsARedirect) {
  TestServer server;
  HttpFetcher f;
  auto r = get(f, server.url("/moved"));
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_NE(r->find("gold"), std::string::npos);
}

TEST(HttpFetch, AnHttpErrorStatusIsAnError) {
  TestServer server;
  HttpFetcher f;
  auto r = get(f, server.url("/status/500"));
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("500"), std::string::npos);
}

TEST(HttpFetch, AnAnswerOverTheLimitIsAnError) {
  TestServer server;
  HttpFetcher f;
  auto r = get(f, server.url("/big"));
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("larger"), std::string::npos);
}

TEST(HttpFetch, NoAnswerTimesOutWithoutHoldingUpOtherRequests) {
  TestServer server;
  HttpFetcher f;
  std::promise<Result<std::string>> slow;
  auto slow_done = slow.get_future();
  f.fetch({server.url("/hang"), 300, 1 << 20,
           [&slow](Result<std::string> r) { slow.set_value(std::move(r)); }});
  // A second request is answered while the first still waits.
  auto quick = get(f, server.url("/ok"));
  ASSERT_TRUE(quick.isOk());
  auto r = slow_done.get();
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("300 ms"), std::string::npos) << r.status().message();
}

TEST(HttpFetch, OtherSchemesAreRefused) {
  HttpFetcher f;
  auto r = get(f, "file:///etc/passwd");
  EXPECT_FALSE(r.isOk());
}

TEST(HttpFetch, StoppingFailsRequestsInFlight) {
  TestServer server;
  std::promise<Result<std::string>> p;
  auto fut = p.get_future();
  {
    HttpFetcher f;
    f.fetch({server.url("/hang"), 30000, 1 << 20,
             [&p](Result<std::string> r) { p.set_value(std::move(r)); }});
  }
  auto r = fut.get();
  EXPECT_FALSE(r.isOk());
}

}  // namespace
}  // namespace ting::calls
