// RTP packets from the network, and RFC 4733 telephone-events inside them.
#include <cstddef>
#include <cstdint>
#include <span>

#include "media/rtp_packet.h"
#include "media/telephone_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ting::media::DtmfReceiver receiver;
  auto packet = ting::media::parseRtp(std::span<const uint8_t>(data, size));
  if (packet.isOk()) {
    (void)receiver.onPacket(packet->header, packet->payload);
    std::vector<uint8_t> out;
    ting::media::writeRtp(packet->header, packet->payload, out);
  }
  return 0;
}
