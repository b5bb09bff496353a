#pragma once
// Sources of what a caller hears: a prompt player and a tone generator. Both
// fill one 20 ms frame per call from the media loop's tick; neither allocates
// or blocks there.

#include <cstdint>
#include <vector>

#include "media/audio.h"

namespace ting::media {

// Plays a sequence of PCM segments once, or in a loop (music on hold).
class Player {
 public:
  void start(std::vector<PcmPtr> segments, bool loop);
  void stop();
  bool active() const { return active_; }

  // Fills `out` with the next 20 ms (silence after the end). Returns true
  // when the playback reached its end during this frame (never for a loop).
  bool fill(FrameSpan out);

 private:
  std::vector<PcmPtr> segments_;
  size_t segment_ = 0;
  size_t position_ = 0;
  bool loop_ = false;
  bool active_ = false;
};

// One or two frequencies with an on/off cadence (ITU-T E.180 style), e.g. a
// 1 kHz beep before a voicemail, or a soft dual tone for music on hold.
class ToneGenerator {
 public:
  struct Spec {
    double freq1_hz = 0;
    double freq2_hz = 0;   // 0: a single tone
    double level = 0.25;   // of full scale, per frequency
    int on_ms = 0;         // 0: continuous
    int off_ms = 0;
    int total_ms = 0;      // 0: until stopped
  };
  void start(const Spec& spec);
  void stop() { active_ = false; }
  bool active() const { return active_; }
  // Like Player::fill: true when `total_ms` ran out during this frame.
  bool fill(FrameSpan out);

 private:
  Spec spec_;
  std::uint64_t sample_ = 0;
  bool active_ = false;
};

}  // namespace ting::media
