#pragma once
// The media path: RTP sessions spread over a few media loops (one thread
// each, one 20 ms timer each), never a thread per call. Call control drives
// sessions through this thread-safe facade; every command is posted to the
// loop that owns the session, and results come back through MediaListener on
// that loop's thread. Nothing here touches the database or blocks on disk.

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "media/audio.h"
#include "media/player.h"

namespace ting::media {

class RecordingWriter;
class MediaLoop;

using SessionId = std::uint64_t;

enum class Codec { kPcmu, kPcma };

// What the SIP layer negotiated for a session.
struct RemoteMedia {
  sockaddr_in address{};  // where to send RTP until symmetric RTP latches
  Codec codec = Codec::kPcmu;
  int payload_type = 0;
  std::optional<int> telephone_event_type;  // RFC 4733 negotiated
  bool send = true;                         // false while the peer holds us (recvonly/inactive)
  bool receive = true;
};

// Callbacks on the owning media loop's thread. Implementations post to their
// own thread and return at once.
class MediaListener {
 public:
  virtual ~MediaListener() = default;
  virtual void onDtmf(SessionId session, char digit) = 0;
  // A playback started with play() ended (completed) or was replaced/stopped.
  virtual void onPlayDone(SessionId session, std::uint64_t play_id, bool completed) = 0;
  // A recording finished and is on disk (status, duration in ms).
  virtual void onRecordingDone(SessionId session, std::uint64_t record_id, Status status,
                               std::uint64_t duration_ms) = 0;
  // No RTP for the configured timeout while the session expected some.
  virtual void onMediaTimeout(SessionId session) = 0;
};

struct MediaConfig {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port_min = 20000;
  std::uint16_t port_max = 29999;
  int loops = 0;  // 0: one per core
  int rtp_timeout_s = 60;
  int realtime_priority = 0;  // SCHED_FIFO priority of the loop threads; 0: none
  std::string cname = "ting";
};

class MediaEngine {
 public:
  MediaEngine(MediaConfig config, MediaListener* listener, MetricsRegistry* metrics);
  ~MediaEngine();

  Status start();
  void stop();

  // Binds an RTP/RTCP port pair and places a new session on a loop.
  // kUnavailable when the port range is exhausted.
  struct Allocated {
    SessionId id;
    std::uint16_t port;
  };
  Result<Allocated> allocate();
  // Picks the loop of `near` for the new session, so a bridge between the
  // two stays within one thread.
  Result<Allocated> allocateNear(SessionId near);

  void setRemote(SessionId id, const RemoteMedia& remote);
  // Plays `segments` in order (replacing what plays). `play_id` comes back in
  // onPlayDone.
  void play(SessionId id, std::uint64_t play_id, std::vector<PcmPtr> segments, bool loop);
  void playTone(SessionId id, std::uint64_t play_id, const ToneGenerator::Spec& tone);
  void stopPlay(SessionId id);
  // Two-channel call recording: left = what the session receives (the
  // caller), right = what it sends (prompts, or the bridged leg).
  void startRecording(SessionId id, std::filesystem::path path);
  // While paused, both channels record silence (time keeps its place).
  void pauseRecording(SessionId id, bool paused);
  // A mono recording of what the session receives (voicemail), ended by
  // stopCapture(), a '#'... the caller decides; at most `max_ms`.
  void startCapture(SessionId id, std::uint64_t record_id, std::filesystem::path path,
                    int max_ms);
  void stopCapture(SessionId id);
  // Joins two sessions: each sends what the other receives. Both must be on
  // one loop (allocateNear).
  void bridge(SessionId a, SessionId b);
  void unbridge(SessionId id);
  // Adds what each of `sources` receives to what `id` sends, on top of its
  // bridge or playback (supervisors: monitor, whisper, barge); {} ends it.
  // All on one loop (allocateNear).
  void setMix(SessionId id, std::vector<SessionId> sources);
  // Stops everything the session does, finishes its recordings, frees ports.
  void release(SessionId id);

  int loopCount() const { return static_cast<int>(loops_.size()); }
  size_t activeSessions() const { return active_.load(std::memory_order_relaxed); }

 private:
  MediaLoop& loopOf(SessionId id);
  Result<Allocated> allocateOn(size_t loop_index);
  std::optional<std::uint16_t> takePortPair();

  MediaConfig config_;
  MediaListener* listener_;
  MetricsRegistry* metrics_;
  std::unique_ptr<RecordingWriter> writer_;
  std::vector<std::unique_ptr<MediaLoop>> loops_;
  std::atomic<size_t> next_loop_{0};
  std::atomic<std::uint64_t> next_session_{1};
  std::atomic<size_t> active_{0};

  std::mutex ports_mu_;
  std::uint16_t next_port_ = 0;  // guarded by ports_mu_
  std::vector<std::uint16_t> free_ports_;  // guarded by ports_mu_: released pairs
  friend class MediaLoop;
  void releasePort(std::uint16_t port);
};

}  // namespace ting::media
