// RTP and RTCP datagrams from the network, and RFC 4733 telephone-events.
#include <cstddef>
#include <cstdint>
#include <span>

#include "media/rtcp.h"
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
  // The same bytes as an RTCP compound packet (RTP and RTCP share the first byte's layout).
  auto rtcp = ting::media::parseRtcp(std::span<const uint8_t>(data, size));
  if (rtcp.isOk()) {
    for (const auto& p : *rtcp) {
      std::vector<uint8_t> out;
      std::optional<ting::media::RtcpReportBlock> block;
      if (!p.reports.empty()) block = p.reports.front();
      ting::media::writeRtcpReport(p.ssrc, p.sender, block, "fuzz", out);
      auto again = ting::media::parseRtcp(out);
      if (!again.isOk()) __builtin_trap();  // what Ting writes must parse
    }
  }
  return 0;
}
