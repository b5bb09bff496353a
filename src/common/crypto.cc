#include "common/crypto.h"

#include <argon2.h>
#include <sodium.h>

#include <vector>

namespace ting {

Status initCrypto() {
  if (sodium_init() < 0) return internalError("libsodium failed to initialize");
  return Status::ok();
}

std::string percentEncode(std::string_view data) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(data.size());
  for (char c : data) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

std::string base64UrlEncode(std::string_view data) {
  const auto* bin = reinterpret_cast<const unsigned char*>(data.data());
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(data.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bin, data.size(), variant);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

bool base64UrlDecode(std::string_view in, std::string& out) {
  out.assign(in.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), in.data(),
                        in.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return false;
  }
  out.resize(len);
  return true;
}

std::string randomToken(size_t n) {
  std::string raw(n, '\0');
  randombytes_buf(raw.data(), raw.size());
  return base64UrlEncode(raw);
}

std::string randomPassword(size_t n) {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out(n, '\0');
  for (auto& c : out) c = kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return out;
}

std::string sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

Result<std::string> hashPassword(std::string_view password, const PasswordParams& p) {
  unsigned char salt[16];
  randombytes_buf(salt, sizeof salt);
  constexpr size_t kHashLen = 32;
  size_t encoded_len = argon2_encodedlen(p.iterations, p.memory_kib, p.parallelism, sizeof salt,
                                         kHashLen, Argon2_id);
  std::vector<char> encoded(encoded_len);
  int rc = argon2id_hash_encoded(p.iterations, p.memory_kib, p.parallelism, password.data(),
                                 password.size(), salt, sizeof salt, kHashLen, encoded.data(),
                                 encoded.size());
  if (rc != ARGON2_OK) return internalError(std::string("argon2id: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

bool verifyPassword(std::string_view password, const std::string& encoded) {
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace ting
