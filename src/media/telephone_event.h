#pragma once
// RFC 4733 telephone-events: the DTMF digits phones send as RTP packets.

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "common/status.h"
#include "media/rtp_packet.h"

namespace ting::media {

// RFC 4733 §2.3: one event report.
struct TelephoneEvent {
  std::uint8_t event = 0;      // 0-9 digits, 10 '*', 11 '#', 12-15 'A'-'D', 16 flash
  bool end = false;            // E bit: the event has ended
  std::uint8_t volume = 0;     // dBm0 below 0, 0..63
  std::uint16_t duration = 0;  // in timestamp units since the event began
};

Result<TelephoneEvent> parseTelephoneEvent(std::span<const std::uint8_t> payload);
void writeTelephoneEvent(const TelephoneEvent& e, std::array<std::uint8_t, 4>& out);

// '0'-'9', '*', '#', 'A'-'D'; nullopt for other events (flash, tones).
std::optional<char> dtmfDigit(std::uint8_t event);
// The event code of a DTMF character, or nullopt.
std::optional<std::uint8_t> dtmfEvent(char digit);

// Turns the stream of telephone-event packets of one call into digits, each
// reported once. All packets of one event carry the same RTP timestamp
// (RFC 4733 §2.5.1.2); the end packet is sent three times (§2.5.1.4) and
// packets may be duplicated or reordered, so an event is known by (SSRC,
// timestamp). A new SSRC or sequence base in the middle of a call — as when a
// gateway or SIPp's DTMF captures switch streams — simply starts new events.
class DtmfReceiver {
 public:
  // The digit the packet starts, or nullopt (repeat, end, not DTMF, malformed).
  std::optional<char> onPacket(const RtpHeader& header, std::span<const std::uint8_t> payload);

 private:
  struct Key {
    std::uint32_t ssrc;
    std::uint32_t timestamp;
    bool operator==(const Key&) const = default;
  };
  std::array<std::optional<Key>, 8> recent_{};  // the last events seen, oldest overwritten
  size_t next_ = 0;
};

}  // namespace ting::media
