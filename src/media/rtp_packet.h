#pragma once
// RTP packets (RFC 3550 §5.1): parsing what arrives from the network and
// writing what Ting sends. Parsing never trusts lengths from the packet.

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace ting::media {

struct RtpHeader {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
};

// A parsed packet; `payload` points into the buffer that was parsed.
struct RtpPacket {
  RtpHeader header;
  std::span<const std::uint8_t> payload;
};

// kInvalidArgument for anything that is not a well-formed RTP version 2
// packet: short, wrong version, CSRC list, extension or padding overrunning
// the packet.
Result<RtpPacket> parseRtp(std::span<const std::uint8_t> datagram);

// Appends a 12-byte header (no CSRC, no extension, no padding) and `payload`.
void writeRtp(const RtpHeader& header, std::span<const std::uint8_t> payload,
              std::vector<std::uint8_t>& out);

}  // namespace ting::media
