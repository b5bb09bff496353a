#include "media/media_loop.h"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "media/g711.h"
#include "media/rtcp.h"
#include "media/rtp_packet.h"

namespace ting::media {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A second of stereo audio per block handed to the writer thread.
constexpr size_t kRecordBlock = 2 * kSampleRate;
constexpr auto kRtcpInterval = std::chrono::seconds(5);

// Send-interval buckets, fine around 20 ms so the bench can tell 18–22 ms.
const std::vector<double>& sendIntervalBuckets() {
  static const std::vector<double> b = {0.005,  0.010, 0.015, 0.017, 0.018, 0.019, 0.0195,
                                        0.0205, 0.021, 0.022, 0.023, 0.025, 0.030, 0.040,
                                        0.060,  0.100, 0.250};
  return b;
}
// Real-time scheduling for the calling (media) thread: with the host busy, a
// normal thread can wait several milliseconds for a core and every call on
// the loop then sends late. Only these threads get it, and each one sleeps
// most of every 20 ms, so the rest of Ting (and the host) still runs.
void raisePriority(int priority) {
  if (priority <= 0) return;
  sched_param param{};
  param.sched_priority = priority;
  int rc = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &param);
  if (rc != 0) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      spdlog::warn(
          "media: cannot use real-time priority {} ({}); media threads run as ordinary "
          "threads, so RTP pacing may suffer on a busy host (grant CAP_SYS_NICE, or set "
          "media.realtime_priority = 0)",
          priority, std::strerror(rc));
    }
  }
}

const std::vector<double>& tickBuckets() {
  static const std::vector<double> b = {0.0001, 0.00025, 0.0005, 0.001, 0.002,
                                        0.004,  0.008,   0.012,  0.016, 0.020, 0.050};
  return b;
}

std::uint64_t ntpNow() {
  auto since = std::chrono::system_clock::now().time_since_epoch();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(since).count();
  std::uint64_t secs = static_cast<std::uint64_t>(us / 1'000'000) + 2208988800ull;
  std::uint64_t frac = (static_cast<std::uint64_t>(us % 1'000'000) << 32) / 1'000'000;
  return (secs << 32) | frac;
}

bool sameAddress(const sockaddr_in& a, const sockaddr_in& b) {
  return a.sin_addr.s_addr == b.sin_addr.s_addr && a.sin_port == b.sin_port;
}

}  // namespace

void MediaLoop::RxFifo::push(std::span<const std::int16_t> samples) {
  for (std::int16_t v : samples) {
    if (size == buf.size()) {  // the far end runs fast: drop the oldest
      head = (head + 1) % buf.size();
      --size;
    }
    buf[(head + size) % buf.size()] = v;
    ++size;
  }
}

void MediaLoop::RxFifo::pop(FrameSpan out) {
  size_t n = std::min(size, out.size());
  for (size_t i = 0; i < n; ++i) out[i] = buf[(head + i) % buf.size()];
  std::fill(out.begin() + n, out.end(), 0);
  head = (head + n) % buf.size();
  size -= n;
}

MediaLoop::MediaLoop(int index, MediaEngine& engine, RecordingWriter& writer,
                     MediaListener* listener, MetricsRegistry* metrics)
    : index_(index),
      engine_(engine),
      writer_(writer),
      listener_(listener),
      loop_("media-" + std::to_string(index)),
      rtp_timeout_(engine.config_.rtp_timeout_s),
      cname_(engine.config_.cname) {
  if (metrics != nullptr) {
    const std::string labels = "loop=\"" + std::to_string(index) + "\"";
    send_interval_ = &metrics->histogram(
        "ting_rtp_send_interval_seconds",
        "Time between consecutive RTP packets Ting sent on one call.", labels,
        sendIntervalBuckets());
    tick_duration_ = &metrics->histogram(
        "ting_media_tick_seconds", "Time one media loop took to serve all its calls for a 20 ms tick.",
        labels, tickBuckets());
    tick_lateness_ = &metrics->histogram(
        "ting_media_tick_lateness_seconds",
        "How late a media loop's 20 ms tick started: time the host kept the loop waiting for a "
        "core.",
        labels, tickBuckets());
    packets_sent_ = &metrics->counter("ting_rtp_packets_sent_total", "RTP packets sent.", labels);
    packets_received_ =
        &metrics->counter("ting_rtp_packets_received_total", "RTP packets received.", labels);
    packets_invalid_ = &metrics->counter("ting_rtp_packets_invalid_total",
                                         "Datagrams on RTP/RTCP ports that did not parse.", labels);
    dtmf_digits_ = &metrics->counter("ting_dtmf_digits_total",
                                     "DTMF digits received (RFC 4733 and inband).", labels);
  }
}

MediaLoop::~MediaLoop() { stop(); }

void MediaLoop::start() {
  loop_.post([this] {
    raisePriority(engine_.config_.realtime_priority);
    loop_.setPeriodic(std::chrono::milliseconds(kFrameMs), [this] { tick(); });
  });
  loop_.start();
}

void MediaLoop::stop() {
  loop_.post([this] {
    std::vector<SessionId> ids;
    for (auto& [id, s] : sessions_) ids.push_back(id);
    for (SessionId id : ids) release(id);
  });
  loop_.stop();
}

MediaLoop::Session* MediaLoop::find(SessionId id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void MediaLoop::addSession(SessionId id, int rtp_fd, int rtcp_fd, std::uint16_t port) {
  auto s = std::make_unique<Session>();
  s->id = id;
  s->rtp_fd = rtp_fd;
  s->rtcp_fd = rtcp_fd;
  s->port = port;
  thread_local std::mt19937 rng{std::random_device{}()};
  s->ssrc = static_cast<std::uint32_t>(rng());
  s->sequence = static_cast<std::uint16_t>(rng());
  s->timestamp = static_cast<std::uint32_t>(rng());
  s->last_receive = SteadyClock::now();
  s->next_rtcp = SteadyClock::now() + kRtcpInterval;
  s->inband = std::make_unique<InbandDtmfDetector>();
  Session* raw = s.get();
  sessions_.emplace(id, std::move(s));
  loop_.watch(rtp_fd, [this, raw](std::uint32_t) { receiveRtp(*raw); });
  loop_.watch(rtcp_fd, [this, raw](std::uint32_t) { receiveRtcp(*raw); });
}

void MediaLoop::setRemote(SessionId id, const RemoteMedia& remote) {
  Session* s = find(id);
  if (s == nullptr) return;
  bool first = !s->has_remote;
  s->remote = remote;
  s->has_remote = true;
  // Until symmetric RTP latches, send where the SDP says (RFC 3550 §11:
  // RTCP on the next port up).
  if (first || !s->packets_received) {
    s->rtp_dest = remote.address;
    s->rtcp_dest = remote.address;
    s->rtcp_dest.sin_port = htons(static_cast<std::uint16_t>(ntohs(remote.address.sin_port) + 1));
  }
  s->last_receive = SteadyClock::now();
  s->timeout_reported = false;
}

void MediaLoop::finishPlayback(Session& s, bool completed) {
  if (s.player.active()) {
    s.player.stop();
    listener_->onPlayDone(s.id, s.play_id, completed);
  }
  if (s.tone.active()) {
    s.tone.stop();
    listener_->onPlayDone(s.id, s.tone_id, completed);
  }
}

void MediaLoop::play(SessionId id, std::uint64_t play_id, std::vector<PcmPtr> segments,
                     bool loop) {
  Session* s = find(id);
  if (s == nullptr) return;
  finishPlayback(*s, false);
  s->play_id = play_id;
  s->player.start(std::move(segments), loop);
  // Nothing to play (all segments empty): done at once.
  if (!s->player.active()) listener_->onPlayDone(id, play_id, true);
}

void MediaLoop::playTone(SessionId id, std::uint64_t play_id, const ToneGenerator::Spec& tone) {
  Session* s = find(id);
  if (s == nullptr) return;
  finishPlayback(*s, false);
  s->tone_id = play_id;
  s->tone.start(tone);
}

void MediaLoop::stopPlay(SessionId id) {
  if (Session* s = find(id)) finishPlayback(*s, false);
}

void MediaLoop::startRecording(SessionId id, const std::filesystem::path& path) {
  Session* s = find(id);
  if (s == nullptr || s->record_file != 0) return;
  s->record_file = writer_.open(path, 2);
  s->record_buf.reserve(kRecordBlock + 2 * kFrameSamples);
}

void MediaLoop::pauseRecording(SessionId id, bool paused) {
  if (Session* s = find(id)) s->record_paused = paused;
}

void MediaLoop::startCapture(SessionId id, std::uint64_t record_id,
                             const std::filesystem::path& path, int max_ms) {
  Session* s = find(id);
  if (s == nullptr) return;
  if (s->capture_file != 0) finishCapture(*s);
  s->capture_file = writer_.open(path, 1);
  s->capture_id = record_id;
  s->capture_frames = 0;
  s->capture_max_frames = static_cast<std::uint64_t>(std::max(max_ms, kFrameMs)) / kFrameMs;
}

void MediaLoop::stopCapture(SessionId id) {
  if (Session* s = find(id); s != nullptr && s->capture_file != 0) finishCapture(*s);
}

void MediaLoop::finishCapture(Session& s) {
  if (!s.capture_buf.empty()) writer_.append(s.capture_file, std::move(s.capture_buf));
  s.capture_buf = {};
  auto* listener = listener_;
  SessionId id = s.id;
  std::uint64_t record_id = s.capture_id;
  writer_.close(s.capture_file, [listener, id, record_id](Status st, std::uint64_t frames) {
    listener->onRecordingDone(id, record_id, std::move(st), frames * 1000 / kSampleRate);
  });
  s.capture_file = 0;
}

void MediaLoop::finishRecording(Session& s) {
  if (s.record_file == 0) return;
  if (!s.record_buf.empty()) writer_.append(s.record_file, std::move(s.record_buf));
  s.record_buf = {};
  auto* listener = listener_;
  SessionId id = s.id;
  writer_.close(s.record_file, [listener, id](Status st, std::uint64_t frames) {
    listener->onRecordingDone(id, 0, std::move(st), frames * 1000 / kSampleRate);
  });
  s.record_file = 0;
}

void MediaLoop::bridge(SessionId a, SessionId b) {
  Session* sa = find(a);
  Session* sb = find(b);
  if (sa == nullptr || sb == nullptr) return;
  finishPlayback(*sa, false);
  finishPlayback(*sb, false);
  sa->bridged = b;
  sb->bridged = a;
}

void MediaLoop::unbridge(SessionId id) {
  Session* s = find(id);
  if (s == nullptr) return;
  if (Session* peer = find(s->bridged)) peer->bridged = 0;
  s->bridged = 0;
}

void MediaLoop::setMix(SessionId id, std::vector<SessionId> sources) {
  if (Session* s = find(id)) s->mix = std::move(sources);
}

void MediaLoop::release(SessionId id) {
  Session* s = find(id);
  if (s == nullptr) return;
  finishPlayback(*s, false);
  if (s->capture_file != 0) finishCapture(*s);
  finishRecording(*s);
  unbridge(id);
  loop_.unwatch(s->rtp_fd);
  loop_.unwatch(s->rtcp_fd);
  ::close(s->rtp_fd);
  ::close(s->rtcp_fd);
  engine_.releasePort(s->port);
  sessions_.erase(id);
  engine_.active_.fetch_sub(1, std::memory_order_relaxed);
}

void MediaLoop::receiveRtp(Session& s) {
  std::uint8_t buf[2048];
  for (;;) {
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(s.rtp_fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from),
                           &from_len);
    if (n < 0) return;  // EAGAIN: drained
    auto parsed = parseRtp(std::span<const std::uint8_t>(buf, static_cast<size_t>(n)));
    if (!parsed) {
      if (packets_invalid_) packets_invalid_->inc();
      continue;
    }
    if (packets_received_) packets_received_->inc();
    const RtpPacket& p = *parsed;
    // Symmetric RTP: answer where the audio comes from, which is what works
    // through NAT. RTCP follows on the next port.
    if (!sameAddress(from, s.rtp_dest)) {
      s.rtp_dest = from;
      s.rtcp_dest = from;
      s.rtcp_dest.sin_port = htons(static_cast<std::uint16_t>(ntohs(from.sin_port) + 1));
    }
    ++s.packets_received;
    s.remote_ssrc = p.header.ssrc;
    s.highest_sequence = p.header.sequence;
    s.last_receive = SteadyClock::now();
    s.timeout_reported = false;
    if (!s.has_remote || !s.remote.receive) continue;
    if (s.remote.telephone_event_type && p.header.payload_type == *s.remote.telephone_event_type) {
      s.saw_telephone_event = true;
      if (auto digit = s.dtmf.onPacket(p.header, p.payload)) {
        if (dtmf_digits_) dtmf_digits_->inc();
        listener_->onDtmf(s.id, *digit);
      }
      continue;
    }
    std::int16_t pcm[1024];
    size_t samples = std::min(p.payload.size(), std::size(pcm));
    if (p.header.payload_type == 0) {
      decodeUlaw(p.payload.first(samples), std::span<std::int16_t>(pcm, samples));
    } else if (p.header.payload_type == 8) {
      decodeAlaw(p.payload.first(samples), std::span<std::int16_t>(pcm, samples));
    } else {
      continue;  // comfort noise and anything not negotiated
    }
    s.fifo.push(std::span<const std::int16_t>(pcm, samples));
  }
}

void MediaLoop::receiveRtcp(Session& s) {
  std::uint8_t buf[1500];
  for (;;) {
    ssize_t n = ::recv(s.rtcp_fd, buf, sizeof buf, 0);
    if (n < 0) return;
    auto parsed = parseRtcp(std::span<const std::uint8_t>(buf, static_cast<size_t>(n)));
    if (!parsed && packets_invalid_) packets_invalid_->inc();
  }
}

void MediaLoop::tick() {
  const auto start = SteadyClock::now();
  // Lateness is measured from the earliest wake-up seen for this slot phase:
  // a tick that comes earlier than expected becomes the new baseline.
  constexpr auto kFrame = std::chrono::milliseconds(kFrameMs);
  if (next_due_ == SteadyClock::time_point{} || start < next_due_) next_due_ = start;
  const auto late = start - next_due_;
  if (tick_lateness_) tick_lateness_->observe(std::chrono::duration<double>(late).count());
  next_due_ += kFrame * (late / kFrame + 1);  // past the slots the host made us miss
  // First what everyone received this tick, so a bridge sends each leg the
  // other's audio of the same frame.
  for (auto& [id, s] : sessions_) {
    s->fifo.pop(s->rx_frame);
    if (!s->saw_telephone_event && s->has_remote) {
      for (char digit : s->inband->process(s->rx_frame)) {
        if (dtmf_digits_) dtmf_digits_->inc();
        listener_->onDtmf(s->id, digit);
      }
    }
  }
  // Then every packet, back to back, so each call's send time within the
  // tick stays the same from tick to tick; the rest can wait a moment.
  for (auto& [id, s] : sessions_) {
    produce(*s);
    send(*s);
  }
  for (auto& [id, s] : sessions_) {
    record(*s);
    if (s->has_remote && s->remote.receive && !s->timeout_reported &&
        start - s->last_receive > rtp_timeout_) {
      s->timeout_reported = true;
      listener_->onMediaTimeout(s->id);
    }
    if (start >= s->next_rtcp) {
      s->next_rtcp = start + kRtcpInterval;
      sendRtcp(*s);
    }
  }
  if (tick_duration_) {
    tick_duration_->observe(std::chrono::duration<double>(SteadyClock::now() - start).count());
  }
}

void MediaLoop::produce(Session& s) {
  produceOwn(s);
  for (SessionId source : s.mix) {
    const Session* from = find(source);
    if (from == nullptr) continue;
    for (size_t i = 0; i < kFrameSamples; ++i) {
      const int sum = int{s.tx_frame[i]} + int{from->rx_frame[i]};
      s.tx_frame[i] = static_cast<std::int16_t>(std::clamp(sum, -32768, 32767));
    }
  }
}

void MediaLoop::produceOwn(Session& s) {
  if (s.bridged != 0) {
    if (Session* peer = find(s.bridged)) {
      s.tx_frame = peer->rx_frame;
      return;
    }
  }
  if (s.player.active()) {
    if (s.player.fill(s.tx_frame)) listener_->onPlayDone(s.id, s.play_id, true);
  } else if (s.tone.active()) {
    if (s.tone.fill(s.tx_frame)) listener_->onPlayDone(s.id, s.tone_id, true);
  } else {
    s.tx_frame.fill(0);
  }
}

void MediaLoop::send(Session& s) {
  // The timestamp advances with time whether or not we send (RFC 3550 §5.1).
  const std::uint32_t ts = s.timestamp;
  s.timestamp += kFrameSamples;
  const std::uint16_t seq = s.sequence;
  if (!s.has_remote || !s.remote.send || s.rtp_dest.sin_port == 0) return;
  s.sequence++;
  std::uint8_t payload[kFrameSamples];
  if (s.remote.codec == Codec::kPcmu) {
    encodeUlaw(s.tx_frame, payload);
  } else {
    encodeAlaw(s.tx_frame, payload);
  }
  RtpHeader h;
  h.marker = s.first_packet;
  h.payload_type = static_cast<std::uint8_t>(s.remote.payload_type);
  h.sequence = seq;
  h.timestamp = ts;
  h.ssrc = s.ssrc;
  packet_.clear();
  writeRtp(h, payload, packet_);
  ssize_t n = ::sendto(s.rtp_fd, packet_.data(), packet_.size(), 0,
                       reinterpret_cast<const sockaddr*>(&s.rtp_dest), sizeof s.rtp_dest);
  if (n < 0) return;  // ICMP unreachable, full buffer: the next tick tries again
  s.first_packet = false;
  ++s.packets_sent;
  s.octets_sent += kFrameSamples;
  if (packets_sent_) packets_sent_->inc();
  const auto sent_at = SteadyClock::now();
  if (s.last_send && send_interval_) {
    send_interval_->observe(std::chrono::duration<double>(sent_at - *s.last_send).count());
  }
  s.last_send = sent_at;
}

void MediaLoop::sendRtcp(Session& s) {
  if (!s.has_remote || s.rtcp_dest.sin_port == 0) return;
  std::optional<RtcpSenderInfo> sender;
  if (s.packets_sent > 0) {
    sender = RtcpSenderInfo{ntpNow(), s.timestamp, s.packets_sent, s.octets_sent};
  }
  std::optional<RtcpReportBlock> block;
  if (s.packets_received > 0) {
    block = RtcpReportBlock{};
    block->ssrc = s.remote_ssrc;
    block->highest_sequence = s.highest_sequence;
  }
  packet_.clear();
  writeRtcpReport(s.ssrc, sender, block, cname_, packet_);
  [[maybe_unused]] auto n =
      ::sendto(s.rtcp_fd, packet_.data(), packet_.size(), 0,
               reinterpret_cast<const sockaddr*>(&s.rtcp_dest), sizeof s.rtcp_dest);
}

void MediaLoop::record(Session& s) {
  if (s.record_file != 0) {
    const size_t at = s.record_buf.size();
    s.record_buf.resize(at + 2 * kFrameSamples);  // zeros: what a paused recording keeps
    if (!s.record_paused) {
      std::int16_t* out = s.record_buf.data() + at;
      for (size_t i = 0; i < kFrameSamples; ++i) {
        out[2 * i] = s.rx_frame[i];
        out[2 * i + 1] = s.tx_frame[i];
      }
    }
    ++s.record_frames;
    if (s.record_buf.size() >= kRecordBlock) {
      writer_.append(s.record_file, std::move(s.record_buf));
      s.record_buf = {};
      s.record_buf.reserve(kRecordBlock + 2 * kFrameSamples);
    }
  }
  if (s.capture_file != 0) {
    s.capture_buf.insert(s.capture_buf.end(), s.rx_frame.begin(), s.rx_frame.end());
    if (s.capture_buf.size() >= kRecordBlock) {
      writer_.append(s.capture_file, std::move(s.capture_buf));
      s.capture_buf = {};
    }
    if (++s.capture_frames >= s.capture_max_frames) finishCapture(s);
  }
}

}  // namespace ting::media
