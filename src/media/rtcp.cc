#include "media/rtcp.h"

namespace ting::media {
namespace {

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}

RtcpReportBlock parseBlock(const std::uint8_t* p) {
  RtcpReportBlock b;
  b.ssrc = be32(p);
  b.fraction_lost = p[4];
  // 24-bit signed cumulative loss.
  std::int32_t lost = (std::int32_t{p[5]} << 16) | (std::int32_t{p[6]} << 8) | p[7];
  if (lost & 0x800000) lost -= 0x1000000;
  b.cumulative_lost = lost;
  b.highest_sequence = be32(p + 8);
  b.jitter = be32(p + 12);
  b.last_sr = be32(p + 16);
  b.delay_since_last_sr = be32(p + 20);
  return b;
}

}  // namespace

Result<std::vector<RtcpPacket>> parseRtcp(std::span<const std::uint8_t> d) {
  std::vector<RtcpPacket> packets;
  size_t at = 0;
  if (d.size() < 4) return invalidArgument("RTCP datagram shorter than a header");
  while (at < d.size()) {
    if (d.size() - at < 4) return invalidArgument("RTCP packet header truncated");
    const std::uint8_t* p = d.data() + at;
    if ((p[0] >> 6) != 2) return invalidArgument("RTCP version is not 2");
    const int count = p[0] & 0x1f;
    RtcpPacket packet;
    packet.type = p[1];
    // §6.4.1: length in 32-bit words minus one, including the header.
    const size_t length = (static_cast<size_t>((p[2] << 8) | p[3]) + 1) * 4;
    if (length > d.size() - at) return invalidArgument("RTCP length overruns the datagram");
    if (length >= 8) packet.ssrc = be32(p + 4);
    size_t body = 8;
    if (packet.type == 200) {
      if (length < 28) return invalidArgument("RTCP SR shorter than its sender info");
      RtcpSenderInfo s;
      s.ntp_timestamp = (std::uint64_t{be32(p + 8)} << 32) | be32(p + 12);
      s.rtp_timestamp = be32(p + 16);
      s.packet_count = be32(p + 20);
      s.octet_count = be32(p + 24);
      packet.sender = s;
      body = 28;
    }
    if (packet.type == 200 || packet.type == 201) {
      if (length < body || (length - body) / 24 < static_cast<size_t>(count)) {
        return invalidArgument("RTCP report count does not fit the packet");
      }
      for (int i = 0; i < count; ++i) packet.reports.push_back(parseBlock(p + body + 24 * i));
    }
    packets.push_back(std::move(packet));
    at += length;
  }
  return packets;
}

void writeRtcpReport(std::uint32_t ssrc, const std::optional<RtcpSenderInfo>& sender,
                     const std::optional<RtcpReportBlock>& block, std::string_view cname,
                     std::vector<std::uint8_t>& out) {
  const std::uint8_t count = block ? 1 : 0;
  const size_t words = 1 + (sender ? 5 : 0) + (block ? 6 : 0);  // after the header word
  out.push_back(static_cast<std::uint8_t>(0x80 | count));
  out.push_back(sender ? 200 : 201);
  put16(out, static_cast<std::uint16_t>(words));
  put32(out, ssrc);
  if (sender) {
    put32(out, static_cast<std::uint32_t>(sender->ntp_timestamp >> 32));
    put32(out, static_cast<std::uint32_t>(sender->ntp_timestamp));
    put32(out, sender->rtp_timestamp);
    put32(out, sender->packet_count);
    put32(out, sender->octet_count);
  }
  if (block) {
    put32(out, block->ssrc);
    std::uint32_t lost = static_cast<std::uint32_t>(block->cumulative_lost) & 0xffffff;
    put32(out, (std::uint32_t{block->fraction_lost} << 24) | lost);
    put32(out, block->highest_sequence);
    put32(out, block->jitter);
    put32(out, block->last_sr);
    put32(out, block->delay_since_last_sr);
  }
  // SDES with one chunk: SSRC, CNAME item, end item, padded to 32 bits.
  const size_t name_len = std::min<size_t>(cname.size(), 255);
  size_t chunk = 4 + 2 + name_len + 1;
  chunk = (chunk + 3) / 4 * 4;
  out.push_back(0x81);
  out.push_back(202);
  put16(out, static_cast<std::uint16_t>(chunk / 4));
  put32(out, ssrc);
  out.push_back(1);
  out.push_back(static_cast<std::uint8_t>(name_len));
  out.insert(out.end(), cname.begin(), cname.begin() + static_cast<std::ptrdiff_t>(name_len));
  for (size_t pad = 4 + 2 + name_len; pad < chunk; ++pad) out.push_back(0);
}

}  // namespace ting::media
