#pragma once
// Randomness, hashing and password hashing (libsodium, libargon2).

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ting {

// Must run once before any other function here (idempotent, thread-safe).
Status initCrypto();

// `n` bytes from the OS CSPRNG, base64url without padding.
std::string randomToken(size_t n);
// Lower-case hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);
// A random alphanumeric password of `n` characters (for generated credentials).
std::string randomPassword(size_t n);

std::string base64UrlEncode(std::string_view data);
bool base64UrlDecode(std::string_view in, std::string& out);
// RFC 3986 percent-encoding of every byte but the unreserved A-Z a-z 0-9 - . _ ~
// (URL query values, RFC 8187 header parameters).
std::string percentEncode(std::string_view data);

struct PasswordParams {
  std::uint32_t memory_kib = 19456;  // argon2id m
  std::uint32_t iterations = 2;      // argon2id t
  std::uint32_t parallelism = 1;     // argon2id p
};

// An argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
Result<std::string> hashPassword(std::string_view password, const PasswordParams& params);
// True when `password` matches `encoded`. False for a malformed hash too.
bool verifyPassword(std::string_view password, const std::string& encoded);

}  // namespace ting
