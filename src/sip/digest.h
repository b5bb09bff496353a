#pragma once
// HTTP digest authentication for SIP (RFC 3261 §22, RFC 2617 with qop=auth,
// MD5). Ting stores a phone's secret only as HA1 = MD5(user:realm:password),
// never the password. Nonces are stateless: a timestamp signed with a
// server secret, so any node with the secret can check them.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ting::sip {

std::string md5Hex(std::string_view data);

// HA1 = MD5(username ":" realm ":" password).
std::string digestHa1(std::string_view username, std::string_view realm,
                      std::string_view password);

// The parameters of an Authorization / Proxy-Authorization header's digest
// credentials, lower-cased names and unquoted values.
struct DigestCredentials {
  std::string username, realm, nonce, uri, response, algorithm, cnonce, nc, qop, opaque;
};

// Parses `name=value` items as sofia-sip splits them (values may be quoted).
// kInvalidArgument when the scheme is not Digest or a required item is missing.
Result<DigestCredentials> parseDigestCredentials(std::string_view scheme,
                                                 const std::vector<std::string_view>& params);

class NonceIssuer {
 public:
  explicit NonceIssuer(std::string secret, std::int64_t lifetime_ms = 5 * 60 * 1000)
      : secret_(std::move(secret)), lifetime_ms_(lifetime_ms) {}
  std::string issue(std::int64_t now_ms) const;
  enum class Check { kValid, kStale, kInvalid };
  Check check(std::string_view nonce, std::int64_t now_ms) const;

 private:
  std::string sign(std::string_view stamp) const;
  std::string secret_;
  std::int64_t lifetime_ms_;
};

// The value of a WWW-Authenticate / Proxy-Authenticate header.
std::string digestChallenge(std::string_view realm, std::string_view nonce, bool stale);

// True when `c.response` matches HA1, the request method and the nonce
// parameters (RFC 2617 §3.2.2.1).
bool verifyDigest(const DigestCredentials& c, std::string_view ha1, std::string_view method);

}  // namespace ting::sip
