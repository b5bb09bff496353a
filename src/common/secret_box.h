#pragma once
// Secrets Ting must give back later (a trunk's registration password), kept
// encrypted at rest: XSalsa20-Poly1305 (libsodium crypto_secretbox) under one
// 32-byte key per installation, stored in <data>/keys/secret.key. The key
// never enters the database, so a copy of the database alone reveals nothing.
//
// Sealed form: base64 (RFC 4648 §4, with padding) of nonce || ciphertext,
// where the ciphertext carries a 16-byte MAC, so any change is detected.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ting {

class SecretKey {
 public:
  static constexpr std::size_t kSize = 32;

  // A fresh random key (initCrypto() must have run).
  static SecretKey generate();
  // The key of these bytes; kInvalidArgument unless there are exactly kSize.
  static Result<SecretKey> fromBytes(std::string_view bytes);

  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  // Wipes the key bytes.
  ~SecretKey();

  const std::uint8_t* data() const { return bytes_.data(); }

 private:
  SecretKey() = default;
  std::array<std::uint8_t, kSize> bytes_{};
};

// Encrypts `plain` with a random nonce. Two seals of the same text differ.
Result<std::string> sealSecret(const SecretKey& key, std::string_view plain);

// Decrypts what sealSecret() made with the same key. kInvalidArgument when
// `sealed` is not well formed, kInvalidValue when it does not authenticate
// (another key, or the bytes were changed).
Result<std::string> openSecret(const SecretKey& key, std::string_view sealed);

// The installation's key, <data_dir>/keys/secret.key (32 raw bytes). Made on
// first use: the directory with mode 0700, the file with mode 0600, written
// under a temporary name and linked into place, so concurrent first starts
// agree on one key and nobody reads half a file. kInternal when it cannot be
// read or made, or the file is not 32 bytes. Logs a warning when the file is
// readable by group or others. Calls initCrypto().
Result<SecretKey> loadOrCreateSecretKey(const std::filesystem::path& data_dir);

}  // namespace ting
