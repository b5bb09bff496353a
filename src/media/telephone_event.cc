#include "media/telephone_event.h"

#include <algorithm>

namespace ting::media {

namespace {
constexpr char kDigits[] = "0123456789*#ABCD";
}

Result<TelephoneEvent> parseTelephoneEvent(std::span<const std::uint8_t> p) {
  if (p.size() < 4) return invalidArgument("telephone-event payload shorter than 4 octets");
  TelephoneEvent e;
  e.event = p[0];
  e.end = (p[1] & 0x80) != 0;
  e.volume = p[1] & 0x3f;
  e.duration = static_cast<std::uint16_t>(p[2] << 8 | p[3]);
  return e;
}

void writeTelephoneEvent(const TelephoneEvent& e, std::array<std::uint8_t, 4>& out) {
  out[0] = e.event;
  out[1] = static_cast<std::uint8_t>((e.end ? 0x80 : 0) | (e.volume & 0x3f));
  out[2] = static_cast<std::uint8_t>(e.duration >> 8);
  out[3] = static_cast<std::uint8_t>(e.duration);
}

std::optional<char> dtmfDigit(std::uint8_t event) {
  if (event < 16) return kDigits[event];
  return std::nullopt;
}

std::optional<std::uint8_t> dtmfEvent(char digit) {
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  for (std::uint8_t i = 0; i < 16; ++i) {
    if (kDigits[i] == digit) return i;
  }
  return std::nullopt;
}

std::optional<char> DtmfReceiver::onPacket(const RtpHeader& header,
                                           std::span<const std::uint8_t> payload) {
  auto event = parseTelephoneEvent(payload);
  if (!event.isOk()) return std::nullopt;
  auto digit = dtmfDigit(event->event);
  if (!digit) return std::nullopt;
  Key key{header.ssrc, header.timestamp};
  if (std::find(recent_.begin(), recent_.end(), key) != recent_.end()) return std::nullopt;
  recent_[next_] = key;
  next_ = (next_ + 1) % recent_.size();
  return digit;
}

}  // namespace ting::media
