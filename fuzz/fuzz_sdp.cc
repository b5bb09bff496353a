// SDP bodies of INVITEs and re-INVITEs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sip/sdp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto offer = ting::sip::parseSdp(std::string_view(reinterpret_cast<const char*>(data), size));
  if (offer.isOk()) {
    auto answer = ting::sip::negotiate(*offer);
    if (answer.isOk()) (void)ting::sip::writeSdp({"127.0.0.1", 20000, 1, 1}, &*answer);
  }
  return 0;
}
