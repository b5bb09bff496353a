// Telephony fields admins send through the API: numbers, extensions, inbound
// networks, SIP domains and URIs, and the SIP URI a trunk dials through.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/telephony_fields.h"
#include "sip/directory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ting::api::isDialNumber(text);
  (void)ting::api::isSipExtension(text);
  std::uint32_t network = 0;
  int prefix = 0;
  if (ting::api::checkInboundAddress(text, "inbound_address", network, prefix).isOk()) {
    (void)ting::api::networksOverlap(network, prefix, 0x0A000000, 8);
  }
  (void)ting::api::checkSipDomain(text, "sip_domain");
  if (ting::api::checkSipUri(text, "outbound_uri").isOk()) {
    (void)ting::sip::dialUri(std::string(text), "8613800138000");
  }
  return 0;
}
