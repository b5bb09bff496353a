#pragma once
// Inband DTMF detection (the tones themselves, ITU-T Q.23/Q.24) for phones
// and trunks that do not send RFC 4733 events. Wraps spandsp's detector.

#include <optional>
#include <string>

#include "media/audio.h"

struct dtmf_rx_state_s;

namespace ting::media {

class InbandDtmfDetector {
 public:
  InbandDtmfDetector();
  ~InbandDtmfDetector();
  InbandDtmfDetector(const InbandDtmfDetector&) = delete;
  InbandDtmfDetector& operator=(const InbandDtmfDetector&) = delete;

  // Feeds one frame of received audio; returns the digits that completed.
  std::string process(ConstFrameSpan frame);

 private:
  static void onDigits(void* self, const char* digits, int len);
  dtmf_rx_state_s* state_ = nullptr;
  std::string pending_;
};

}  // namespace ting::media
