#pragma once
// Prompts on disk, under one directory (<data>/prompts):
//   tts/<speechHash>.wav      rendered TTS, so each (voice, text) renders once
//   <tenant_id>/<name>.wav    recordings uploaded by a tenant
// Every file is a normalized 16-bit mono 8 kHz WAV written atomically.
// Thread-safe: it holds no state but the directory.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tts/pcm.h"

namespace ting::tts {

class PromptFiles {
 public:
  explicit PromptFiles(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path speechPath(std::string_view voice, std::string_view text) const;
  // kInvalidArgument for a tenant id below 1 or a name validUploadName() refuses.
  Result<std::filesystem::path> uploadPath(std::int64_t tenant_id, std::string_view name) const;

  // The cached rendering; kNotFound when there is none.
  Result<Pcm> readSpeech(std::string_view voice, std::string_view text) const;
  Status writeSpeech(std::string_view voice, std::string_view text, const Pcm& pcm) const;

  // Decodes `bytes` (see decodeAudio()) and stores the result as the
  // tenant's recording `name`, replacing any earlier one. Nothing is written
  // when the name or the audio is refused.
  Status storeUpload(std::int64_t tenant_id, std::string_view name,
                     std::span<const std::uint8_t> bytes) const;
  Result<Pcm> readUpload(std::int64_t tenant_id, std::string_view name) const;
  bool uploadExists(std::int64_t tenant_id, std::string_view name) const;
  // kNotFound when there is no such recording.
  Status deleteUpload(std::int64_t tenant_id, std::string_view name) const;
  // The tenant's recording names, sorted.
  std::vector<std::string> listUploads(std::int64_t tenant_id) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace ting::tts
