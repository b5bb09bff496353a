#include "media/player.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ting::media {

void Player::start(std::vector<PcmPtr> segments, bool loop) {
  std::erase_if(segments, [](const PcmPtr& p) { return !p || p->empty(); });
  segments_ = std::move(segments);
  segment_ = 0;
  position_ = 0;
  loop_ = loop;
  active_ = !segments_.empty();
}

void Player::stop() {
  active_ = false;
  segments_.clear();
}

bool Player::fill(FrameSpan out) {
  size_t written = 0;
  bool ended = false;
  while (active_ && written < out.size()) {
    const Pcm& seg = *segments_[segment_];
    size_t n = std::min(out.size() - written, seg.size() - position_);
    std::copy_n(seg.begin() + static_cast<std::ptrdiff_t>(position_), n, out.begin() + written);
    written += n;
    position_ += n;
    if (position_ == seg.size()) {
      position_ = 0;
      if (++segment_ == segments_.size()) {
        segment_ = 0;
        if (!loop_) {
          active_ = false;
          segments_.clear();
          ended = true;
        }
      }
    }
  }
  std::fill(out.begin() + written, out.end(), 0);
  return ended;
}

void ToneGenerator::start(const Spec& spec) {
  spec_ = spec;
  sample_ = 0;
  active_ = true;
}

bool ToneGenerator::fill(FrameSpan out) {
  if (!active_) {
    std::fill(out.begin(), out.end(), 0);
    return false;
  }
  const std::uint64_t on = static_cast<std::uint64_t>(spec_.on_ms) * kSampleRate / 1000;
  const std::uint64_t off = static_cast<std::uint64_t>(spec_.off_ms) * kSampleRate / 1000;
  const std::uint64_t total = static_cast<std::uint64_t>(spec_.total_ms) * kSampleRate / 1000;
  const double w1 = 2 * std::numbers::pi * spec_.freq1_hz / kSampleRate;
  const double w2 = 2 * std::numbers::pi * spec_.freq2_hz / kSampleRate;
  bool ended = false;
  for (auto& s : out) {
    if (total != 0 && sample_ >= total) {
      s = 0;
      if (active_) ended = true;
      active_ = false;
      continue;
    }
    bool sounding = on == 0 || (sample_ % (on + off)) < on;
    double v = 0;
    if (sounding) {
      double t = static_cast<double>(sample_);
      v = spec_.level * std::sin(w1 * t);
      if (spec_.freq2_hz > 0) v += spec_.level * std::sin(w2 * t);
    }
    s = static_cast<std::int16_t>(std::clamp(v, -1.0, 1.0) * 32767);
    ++sample_;
  }
  if (active_ && total != 0 && sample_ >= total) {
    active_ = false;
    ended = true;
  }
  return ended;
}

}  // namespace ting::media
