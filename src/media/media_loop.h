#pragma once
// One media thread: an EventLoop with every RTP/RTCP socket of its sessions
// and one 20 ms tick that sends a packet for each session. Internal to
// MediaEngine; all methods except the constructor run on the loop thread.

#include <netinet/in.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/event_loop.h"
#include "common/metrics.h"
#include "media/inband_dtmf.h"
#include "media/media_engine.h"
#include "media/player.h"
#include "media/recording_writer.h"
#include "media/telephone_event.h"

namespace ting::media {

class MediaLoop {
 public:
  MediaLoop(int index, MediaEngine& engine, RecordingWriter& writer, MediaListener* listener,
            MetricsRegistry* metrics);
  ~MediaLoop();

  EventLoop& loop() { return loop_; }
  void start();
  void stop();

  // Loop thread: takes ownership of the bound sockets.
  void addSession(SessionId id, int rtp_fd, int rtcp_fd, std::uint16_t port);
  void setRemote(SessionId id, const RemoteMedia& remote);
  void play(SessionId id, std::uint64_t play_id, std::vector<PcmPtr> segments, bool loop);
  void playTone(SessionId id, std::uint64_t play_id, const ToneGenerator::Spec& tone);
  void stopPlay(SessionId id);
  void startRecording(SessionId id, const std::filesystem::path& path);
  void pauseRecording(SessionId id, bool paused);
  void startCapture(SessionId id, std::uint64_t record_id, const std::filesystem::path& path,
                    int max_ms);
  void stopCapture(SessionId id);
  void bridge(SessionId a, SessionId b);
  void unbridge(SessionId id);
  void setMix(SessionId id, std::vector<SessionId> sources);
  void release(SessionId id);

 private:
  struct RxFifo {
    std::array<std::int16_t, 4000> buf{};  // 500 ms
    size_t head = 0;
    size_t size = 0;
    void push(std::span<const std::int16_t> samples);
    void pop(FrameSpan out);  // pads with silence
  };
  struct Session {
    SessionId id = 0;
    int rtp_fd = -1;
    int rtcp_fd = -1;
    std::uint16_t port = 0;
    bool has_remote = false;
    RemoteMedia remote;
    sockaddr_in rtp_dest{};
    sockaddr_in rtcp_dest{};
    // sending (RFC 3550 §5.1)
    std::uint32_t ssrc = 0;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t packets_sent = 0;
    std::uint32_t octets_sent = 0;
    bool first_packet = true;
    std::optional<std::chrono::steady_clock::time_point> last_send;
    std::chrono::steady_clock::time_point next_rtcp;
    // receiving
    RxFifo fifo;
    DtmfReceiver dtmf;
    std::unique_ptr<InbandDtmfDetector> inband;
    bool saw_telephone_event = false;
    std::uint32_t packets_received = 0;
    std::uint32_t remote_ssrc = 0;
    std::uint16_t highest_sequence = 0;
    std::chrono::steady_clock::time_point last_receive;
    bool timeout_reported = false;
    // what the caller hears
    Player player;
    std::uint64_t play_id = 0;
    ToneGenerator tone;
    std::uint64_t tone_id = 0;
    SessionId bridged = 0;
    // Sessions whose received audio is added to what this one sends
    // (supervisor monitor, whisper, barge); on top of the bridge or playback.
    std::vector<SessionId> mix;
    // this tick's audio
    std::array<std::int16_t, kFrameSamples> rx_frame{};
    std::array<std::int16_t, kFrameSamples> tx_frame{};
    // recordings
    RecordingWriter::FileId record_file = 0;
    std::vector<std::int16_t> record_buf;
    bool record_paused = false;
    std::uint64_t record_frames = 0;
    RecordingWriter::FileId capture_file = 0;
    std::uint64_t capture_id = 0;
    std::vector<std::int16_t> capture_buf;
    std::uint64_t capture_frames = 0;
    std::uint64_t capture_max_frames = 0;
  };

  Session* find(SessionId id);
  void tick();
  void receiveRtp(Session& s);
  void receiveRtcp(Session& s);
  // This tick's audio to send: produceOwn() (bridge, playback or silence)
  // plus the session's mix sources.
  void produce(Session& s);
  void produceOwn(Session& s);
  void send(Session& s);
  void sendRtcp(Session& s);
  void record(Session& s);
  void finishCapture(Session& s);
  void finishRecording(Session& s);
  void finishPlayback(Session& s, bool completed);

  int index_;
  MediaEngine& engine_;
  RecordingWriter& writer_;
  MediaListener* listener_;
  EventLoop loop_;
  std::unordered_map<SessionId, std::unique_ptr<Session>> sessions_;
  std::vector<std::uint8_t> packet_;  // scratch for outgoing packets
  std::chrono::seconds rtp_timeout_;
  std::string cname_;

  Histogram* send_interval_ = nullptr;
  Histogram* tick_duration_ = nullptr;
  Histogram* tick_lateness_ = nullptr;
  // When the current tick was due: ticks keep the phase of the first one.
  std::chrono::steady_clock::time_point next_due_{};
  Counter* packets_sent_ = nullptr;
  Counter* packets_received_ = nullptr;
  Counter* packets_invalid_ = nullptr;
  Counter* dtmf_digits_ = nullptr;
};

}  // namespace ting::media
