#include "media/media_engine.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "media/media_loop.h"
#include "media/recording_writer.h"

namespace ting::media {
namespace {

int bindUdp(const std::string& address, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  // DSCP EF (RFC 4594) for voice, where the network honours it.
  int tos = 0xb8;
  ::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  return fd;
}

constexpr int kLoopBits = 8;

}  // namespace

MediaEngine::MediaEngine(MediaConfig config, MediaListener* listener, MetricsRegistry* metrics)
    : config_(std::move(config)), listener_(listener), metrics_(metrics) {
  if (config_.port_min % 2 != 0) ++config_.port_min;
  next_port_ = config_.port_min;
}

MediaEngine::~MediaEngine() { stop(); }

Status MediaEngine::start() {
  if (config_.port_min >= config_.port_max) {
    return invalidValue("media port range is empty", "media.port_min");
  }
  int n = config_.loops > 0 ? config_.loops
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  n = std::min(n, (1 << kLoopBits) - 1);
  writer_ = std::make_unique<RecordingWriter>();
  for (int i = 0; i < n; ++i) {
    loops_.push_back(std::make_unique<MediaLoop>(i, *this, *writer_, listener_, metrics_));
  }
  for (auto& loop : loops_) loop->start();
  if (metrics_ != nullptr) {
    metrics_->gauge("ting_media_sessions", "RTP sessions open.",
                    [this] { return static_cast<double>(activeSessions()); });
  }
  return Status::ok();
}

void MediaEngine::stop() {
  for (auto& loop : loops_) loop->stop();
  loops_.clear();
  writer_.reset();  // completes every queued write
}

std::optional<std::uint16_t> MediaEngine::takePortPair() {
  std::lock_guard lock(ports_mu_);
  if (!free_ports_.empty()) {
    std::uint16_t p = free_ports_.front();
    free_ports_.erase(free_ports_.begin());
    return p;
  }
  if (next_port_ + 1 > config_.port_max) return std::nullopt;
  std::uint16_t p = next_port_;
  next_port_ = static_cast<std::uint16_t>(next_port_ + 2);
  return p;
}

void MediaEngine::releasePort(std::uint16_t port) {
  std::lock_guard lock(ports_mu_);
  // Reused last (FIFO), so a late packet of an old call rarely meets a new one.
  free_ports_.push_back(port);
}

Result<MediaEngine::Allocated> MediaEngine::allocateOn(size_t loop_index) {
  const size_t range = (config_.port_max - config_.port_min + 1) / 2;
  for (size_t attempt = 0; attempt < range; ++attempt) {
    auto port = takePortPair();
    if (!port) break;
    int rtp = bindUdp(config_.bind_address, *port);
    int rtcp = rtp < 0 ? -1 : bindUdp(config_.bind_address, static_cast<std::uint16_t>(*port + 1));
    if (rtp < 0 || rtcp < 0) {
      // Taken by another program: skip this pair for good.
      if (rtp >= 0) ::close(rtp);
      continue;
    }
    SessionId id = (next_session_.fetch_add(1) << kLoopBits) | loop_index;
    active_.fetch_add(1, std::memory_order_relaxed);
    MediaLoop* loop = loops_[loop_index].get();
    std::uint16_t p = *port;
    loop->loop().post([loop, id, rtp, rtcp, p] { loop->addSession(id, rtp, rtcp, p); });
    return Allocated{id, p};
  }
  return unavailable("no free RTP ports in the configured range");
}

Result<MediaEngine::Allocated> MediaEngine::allocate() {
  if (loops_.empty()) return unavailable("media engine is not running");
  return allocateOn(next_loop_.fetch_add(1) % loops_.size());
}

Result<MediaEngine::Allocated> MediaEngine::allocateNear(SessionId near) {
  if (loops_.empty()) return unavailable("media engine is not running");
  return allocateOn((near & ((1u << kLoopBits) - 1)) % loops_.size());
}

MediaLoop& MediaEngine::loopOf(SessionId id) {
  return *loops_[(id & ((1u << kLoopBits) - 1)) % loops_.size()];
}

void MediaEngine::setRemote(SessionId id, const RemoteMedia& remote) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id, remote] { l->setRemote(id, remote); });
}

void MediaEngine::play(SessionId id, std::uint64_t play_id, std::vector<PcmPtr> segments,
                       bool loop) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id, play_id, segments = std::move(segments), loop]() mutable {
    l->play(id, play_id, std::move(segments), loop);
  });
}

void MediaEngine::playTone(SessionId id, std::uint64_t play_id, const ToneGenerator::Spec& tone) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id, play_id, tone] { l->playTone(id, play_id, tone); });
}

void MediaEngine::stopPlay(SessionId id) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id] { l->stopPlay(id); });
}

void MediaEngine::startRecording(SessionId id, std::filesystem::path path) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id, path = std::move(path)] { l->startRecording(id, path); });
}

void MediaEngine::pauseRecording(SessionId id, bool paused) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id, paused] { l->pauseRecording(id, paused); });
}

void MediaEngine::startCapture(SessionId id, std::uint64_t record_id, std::filesystem::path path,
                               int max_ms) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id, record_id, path = std::move(path), max_ms] {
    l->startCapture(id, record_id, path, max_ms);
  });
}

void MediaEngine::stopCapture(SessionId id) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id] { l->stopCapture(id); });
}

void MediaEngine::bridge(SessionId a, SessionId b) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(a);
  l->loop().post([l, a, b] { l->bridge(a, b); });
}

void MediaEngine::unbridge(SessionId id) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id] { l->unbridge(id); });
}

void MediaEngine::setMix(SessionId id, std::vector<SessionId> sources) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id, sources = std::move(sources)]() mutable {
    l->setMix(id, std::move(sources));
  });
}

void MediaEngine::release(SessionId id) {
  if (loops_.empty()) return;
  MediaLoop* l = &loopOf(id);
  l->loop().post([l, id] { l->release(id); });
}

}  // namespace ting::media
