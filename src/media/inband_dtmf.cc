#include "media/inband_dtmf.h"

#include <spandsp.h>

namespace ting::media {

InbandDtmfDetector::InbandDtmfDetector() {
  state_ = dtmf_rx_init(nullptr, &InbandDtmfDetector::onDigits, this);
}

InbandDtmfDetector::~InbandDtmfDetector() {
  if (state_ != nullptr) dtmf_rx_free(state_);
}

void InbandDtmfDetector::onDigits(void* self, const char* digits, int len) {
  static_cast<InbandDtmfDetector*>(self)->pending_.append(digits, static_cast<size_t>(len));
}

std::string InbandDtmfDetector::process(ConstFrameSpan frame) {
  dtmf_rx(state_, frame.data(), static_cast<int>(frame.size()));
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace ting::media
