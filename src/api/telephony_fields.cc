#include "api/telephony_fields.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

#include "sip/directory.h"

namespace ting::api {

namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isAlnum(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

Status refuse(std::string_view field, const std::string& why) {
  return invalidValue("'" + std::string(field) + "' " + why, std::string(field));
}

// RFC 3261 §25.1 hostname: labels of letters, digits and '-', not starting
// or ending with '-', separated by dots (a final dot allowed).
bool isHostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.back() == '.') host.remove_suffix(1);
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t end = host.find('.', start);
    if (end == std::string_view::npos) end = host.size();
    std::string_view label = host.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    if (!std::all_of(label.begin(), label.end(), [](char c) { return isAlnum(c) || c == '-'; })) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

bool isPort(std::string_view p) {
  if (p.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), isDigit)) return false;
  int port = std::stoi(std::string(p));
  return port >= 1 && port <= 65535;
}

// RFC 3261 §25.1 user: unreserved, escaped and user-unreserved characters.
bool isUserChar(char c) {
  static constexpr std::string_view kMarks = "-_.!~*'()%&=+$,;?/";
  return isAlnum(c) || kMarks.find(c) != std::string_view::npos;
}

// Parameters and headers: visible ASCII without the characters that end a
// URI in a header or would need quoting.
bool isParamChar(char c) {
  return c > ' ' && c < 0x7f && c != '<' && c != '>' && c != '"' && c != '\\' && c != '`' &&
         c != '{' && c != '}' && c != '|' && c != '^';
}

}  // namespace

bool isDialNumber(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!isDigit(s[i]) && !(s[i] == '+' && i == 0 && s.size() > 1)) return false;
  }
  return true;
}

bool isSipExtension(std::string_view s) {
  return s.size() >= 2 && s.size() <= 10 && std::all_of(s.begin(), s.end(), isDigit);
}

Status checkInboundAddress(std::string_view text, std::string_view field, std::uint32_t& network,
                           int& prefix) {
  if (text.size() > 18 || !sip::parseCidr(std::string(text), network, prefix)) {
    return refuse(field, "must be an IPv4 address or network (203.0.113.5, 203.0.113.0/24)");
  }
  if (prefix < kMinTrunkPrefix) {
    return refuse(field, "may not be wider than a /" + std::to_string(kMinTrunkPrefix));
  }
  return Status::ok();
}

bool networksOverlap(std::uint32_t a, int a_prefix, std::uint32_t b, int b_prefix) {
  int p = std::min(a_prefix, b_prefix);
  std::uint32_t mask = p == 0 ? 0 : ~std::uint32_t{0} << (32 - p);
  return (a & mask) == (b & mask);
}

// A host part of a URI: a name or an IPv4 address.
bool isHost(std::string_view host) {
  if (std::all_of(host.begin(), host.end(), [](char c) { return isDigit(c) || c == '.'; })) {
    in_addr v4{};
    return !host.empty() && ::inet_pton(AF_INET, std::string(host).c_str(), &v4) == 1;
  }
  return isHostname(host);
}

Result<std::string> checkSipDomain(std::string_view text, std::string_view field) {
  if (!isHost(text) || text.back() == '.') {
    return refuse(field, "must be a host name (acme.example.com) or an IPv4 address");
  }
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

Status checkSipUri(std::string_view text, std::string_view field) {
  const std::string why = "must be a SIP URI: sip:[user@]host[:port][;parameters]";
  if (text.size() > 256) return refuse(field, "must be at most 256 bytes");
  std::string lower(text.substr(0, 5));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view rest;
  if (lower.rfind("sips:", 0) == 0) {
    rest = text.substr(5);
  } else if (lower.rfind("sip:", 0) == 0) {
    rest = text.substr(4);
  } else {
    return refuse(field, why);
  }
  // Parameters and headers follow the host part.
  std::size_t host_end = rest.size();
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view user = rest.substr(0, at);
    if (user.empty()) return refuse(field, why);
    if (user.find(':') != std::string_view::npos) {
      return refuse(field, "may not hold a password; put it in 'secret'");
    }
    if (!std::all_of(user.begin(), user.end(), isUserChar)) return refuse(field, why);
    rest = rest.substr(at + 1);
    host_end = rest.size();
  }
  if (auto cut = rest.find_first_of(";?"); cut != std::string_view::npos) host_end = cut;
  std::string_view tail = rest.substr(host_end);
  std::string_view hostport = rest.substr(0, host_end);
  if (!std::all_of(tail.begin(), tail.end(), isParamChar)) return refuse(field, why);

  std::string_view host = hostport, port;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return refuse(field, why);
    std::string v6(hostport.substr(1, close - 1));
    in6_addr addr{};
    if (::inet_pton(AF_INET6, v6.c_str(), &addr) != 1) return refuse(field, why);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return refuse(field, why);
      port = after.substr(1);
      if (!isPort(port)) return refuse(field, "has an invalid port");
    }
    return Status::ok();
  }
  if (auto colon = hostport.find(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
    if (!isPort(port)) return refuse(field, "has an invalid port");
  }
  if (!isHost(host)) return refuse(field, why);
  return Status::ok();
}

}  // namespace ting::api
