#pragma once
// Rules for the telephony values admins type into the API: numbers, SIP
// extensions, trunk addresses and SIP URIs. Each check names the field it
// refuses (kInvalidValue, HTTP 422).

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace ting::api {

// Inbound numbers (DIDs) and caller ids: digits with an optional leading
// '+', 1 to 32 characters.
bool isDialNumber(std::string_view s);

// Phone extensions: 2 to 10 digits.
bool isSipExtension(std::string_view s);

// The narrowest prefix a trunk may trust: a /7 would let a tenant claim a
// good part of the Internet as its carrier.
inline constexpr int kMinTrunkPrefix = 8;

// A trunk's source: an IPv4 address ("203.0.113.5") or network
// ("203.0.113.0/24", prefix kMinTrunkPrefix..32). On success `network`
// (host byte order, host bits cleared) and `prefix` describe it.
Status checkInboundAddress(std::string_view text, std::string_view field, std::uint32_t& network,
                           int& prefix);

// True when the networks share an address (one contains the other).
bool networksOverlap(std::uint32_t a, int a_prefix, std::uint32_t b, int b_prefix);

// A tenant's SIP domain, which is also its digest realm: a host name
// ("acme.example.com") or an IPv4 address, at most 253 bytes. Returns it
// lower-cased.
Result<std::string> checkSipDomain(std::string_view text, std::string_view field);

// A SIP or SIPS URI to send calls to (RFC 3261 §19.1.1):
// sip:[user@]host[:port][;params][?headers], the host a name, an IPv4
// address or a bracketed IPv6 address. A password in the URI is refused:
// trunk secrets go in their own, encrypted field. At most 256 bytes.
Status checkSipUri(std::string_view text, std::string_view field);

}  // namespace ting::api
