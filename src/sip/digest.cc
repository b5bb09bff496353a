#include "sip/digest.h"

#include <sofia-sip/su_md5.h>

#include <algorithm>
#include <cctype>

#include "common/crypto.h"

namespace ting::sip {

std::string md5Hex(std::string_view data) {
  su_md5_t ctx;
  su_md5_init(&ctx);
  su_md5_update(&ctx, data.data(), data.size());
  char hex[2 * SU_MD5_DIGEST_SIZE + 1];
  su_md5_hexdigest(&ctx, hex);
  return std::string(hex, 2 * SU_MD5_DIGEST_SIZE);
}

std::string digestHa1(std::string_view username, std::string_view realm,
                      std::string_view password) {
  std::string s;
  s.append(username).append(":").append(realm).append(":").append(password);
  return md5Hex(s);
}

Result<DigestCredentials> parseDigestCredentials(std::string_view scheme,
                                                 const std::vector<std::string_view>& params) {
  auto lower = [](std::string_view v) {
    std::string out(v);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
  };
  if (lower(scheme) != "digest") return invalidArgument("authorization scheme is not Digest");
  DigestCredentials c;
  std::map<std::string, std::string*> fields = {
      {"username", &c.username}, {"realm", &c.realm},         {"nonce", &c.nonce},
      {"uri", &c.uri},           {"response", &c.response},   {"algorithm", &c.algorithm},
      {"cnonce", &c.cnonce},     {"nc", &c.nc},               {"qop", &c.qop},
      {"opaque", &c.opaque}};
  for (std::string_view p : params) {
    auto eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name = lower(p.substr(0, eq));
    std::string_view value = p.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (auto it = fields.find(name); it != fields.end()) *it->second = std::string(value);
  }
  if (c.username.empty() || c.realm.empty() || c.nonce.empty() || c.uri.empty() ||
      c.response.empty()) {
    return invalidArgument("digest credentials lack username, realm, nonce, uri or response");
  }
  if (!c.algorithm.empty() && lower(c.algorithm) != "md5") {
    return invalidArgument("digest algorithm is not MD5");
  }
  return c;
}

std::string NonceIssuer::sign(std::string_view stamp) const {
  return sha256Hex(secret_ + ":" + std::string(stamp)).substr(0, 24);
}

std::string NonceIssuer::issue(std::int64_t now_ms) const {
  std::string stamp = std::to_string(now_ms);
  return stamp + "." + sign(stamp);
}

NonceIssuer::Check NonceIssuer::check(std::string_view nonce, std::int64_t now_ms) const {
  auto dot = nonce.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 20) return Check::kInvalid;
  std::string_view stamp = nonce.substr(0, dot);
  if (!std::all_of(stamp.begin(), stamp.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Check::kInvalid;
  }
  if (nonce.substr(dot + 1) != sign(stamp)) return Check::kInvalid;
  std::int64_t issued = std::stoll(std::string(stamp));
  if (issued > now_ms + 60'000 || now_ms - issued > lifetime_ms_) return Check::kStale;
  return Check::kValid;
}

std::string digestChallenge(std::string_view realm, std::string_view nonce, bool stale) {
  std::string s = "Digest realm=\"";
  s.append(realm).append("\", nonce=\"").append(nonce).append("\", algorithm=MD5, qop=\"auth\"");
  if (stale) s.append(", stale=true");
  return s;
}

bool verifyDigest(const DigestCredentials& c, std::string_view ha1, std::string_view method) {
  std::string a2;
  a2.append(method).append(":").append(c.uri);
  const std::string ha2 = md5Hex(a2);
  std::string s(ha1);
  s.append(":").append(c.nonce).append(":");
  if (!c.qop.empty()) s.append(c.nc).append(":").append(c.cnonce).append(":").append(c.qop).append(":");
  s.append(ha2);
  std::string expected = md5Hex(s);
  std::string got = c.response;
  std::transform(got.begin(), got.end(), got.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return got.size() == expected.size() &&
         std::equal(got.begin(), got.end(), expected.begin());  // both public-length hex
}

}  // namespace ting::sip
