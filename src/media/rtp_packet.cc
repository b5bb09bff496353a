#include "media/rtp_packet.h"

namespace ting::media {

namespace {

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

}  // namespace

Result<RtpPacket> parseRtp(std::span<const std::uint8_t> d) {
  constexpr size_t kFixedHeader = 12;  // RFC 3550 §5.1
  if (d.size() < kFixedHeader) return invalidArgument("RTP packet shorter than its header");
  const std::uint8_t b0 = d[0];
  if ((b0 >> 6) != 2) return invalidArgument("RTP version is not 2");
  const bool padding = (b0 & 0x20) != 0;
  const bool extension = (b0 & 0x10) != 0;
  const size_t csrc_count = b0 & 0x0f;
  RtpPacket p;
  p.header.marker = (d[1] & 0x80) != 0;
  p.header.payload_type = d[1] & 0x7f;
  p.header.sequence = be16(&d[2]);
  p.header.timestamp = be32(&d[4]);
  p.header.ssrc = be32(&d[8]);
  size_t offset = kFixedHeader + 4 * csrc_count;
  if (offset > d.size()) return invalidArgument("RTP CSRC list overruns the packet");
  if (extension) {
    // RFC 3550 §5.3.1: 16-bit profile field, 16-bit length in 32-bit words.
    if (offset + 4 > d.size()) return invalidArgument("RTP extension header overruns the packet");
    size_t words = be16(&d[offset + 2]);
    offset += 4 + 4 * words;
    if (offset > d.size()) return invalidArgument("RTP extension overruns the packet");
  }
  size_t end = d.size();
  if (padding) {
    // RFC 3550 §5.1: the last octet counts the padding octets, itself included.
    size_t pad = d[d.size() - 1];
    if (pad == 0 || offset + pad > end) return invalidArgument("RTP padding is malformed");
    end -= pad;
  }
  p.payload = d.subspan(offset, end - offset);
  return p;
}

void writeRtp(const RtpHeader& h, std::span<const std::uint8_t> payload,
              std::vector<std::uint8_t>& out) {
  out.reserve(out.size() + 12 + payload.size());
  out.push_back(0x80);  // version 2, no padding, no extension, no CSRC
  out.push_back(static_cast<std::uint8_t>((h.marker ? 0x80 : 0) | (h.payload_type & 0x7f)));
  out.push_back(static_cast<std::uint8_t>(h.sequence >> 8));
  out.push_back(static_cast<std::uint8_t>(h.sequence));
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(h.timestamp >> shift));
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(h.ssrc >> shift));
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace ting::media
