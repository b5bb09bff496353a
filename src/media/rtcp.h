#pragma once
// RTCP (RFC 3550 §6): the sender and receiver reports a call's media sends
// every few seconds, and what the other side reports back (loss, jitter).

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ting::media {

// RFC 3550 §6.4.1: one reception report block.
struct RtcpReportBlock {
  std::uint32_t ssrc = 0;          // the source this block reports on
  std::uint8_t fraction_lost = 0;  // of 256, since the last report
  std::int32_t cumulative_lost = 0;
  std::uint32_t highest_sequence = 0;
  std::uint32_t jitter = 0;  // in timestamp units
  std::uint32_t last_sr = 0;
  std::uint32_t delay_since_last_sr = 0;
};

struct RtcpSenderInfo {
  std::uint64_t ntp_timestamp = 0;
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
};

// One packet of a compound RTCP datagram. Types Ting does not use (SDES
// items, APP) are listed with their type only.
struct RtcpPacket {
  std::uint8_t type = 0;  // 200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP
  std::uint32_t ssrc = 0;
  std::optional<RtcpSenderInfo> sender;
  std::vector<RtcpReportBlock> reports;
};

// Parses a compound RTCP datagram (RFC 3550 §6.1). kInvalidArgument for a
// wrong version, a length overrunning the datagram, or report counts that do
// not fit their packet.
Result<std::vector<RtcpPacket>> parseRtcp(std::span<const std::uint8_t> datagram);

// Appends a compound SR (or RR when `sender` is empty) with at most one
// report block, followed by an SDES CNAME as §6.1 requires.
void writeRtcpReport(std::uint32_t ssrc, const std::optional<RtcpSenderInfo>& sender,
                     const std::optional<RtcpReportBlock>& block, std::string_view cname,
                     std::vector<std::uint8_t>& out);

}  // namespace ting::media
