#pragma once
// What a call asks to hear: text spoken in a TTS voice, or a recording a
// tenant uploaded.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace ting::tts {

struct PromptKey {
  enum class Kind { kSpeech, kUpload };

  Kind kind = Kind::kSpeech;
  std::string voice;           // kSpeech: engine voice, e.g. "cmn-latn-pinyin"
  std::string text;            // kSpeech: UTF-8 text
  std::int64_t tenant_id = 0;  // kUpload
  std::string name;            // kUpload: recording name, see validUploadName()

  static PromptKey speech(std::string voice, std::string text) {
    return {Kind::kSpeech, std::move(voice), std::move(text), 0, {}};
  }
  static PromptKey upload(std::int64_t tenant_id, std::string name) {
    return {Kind::kUpload, {}, {}, tenant_id, std::move(name)};
  }
  bool isUpload() const { return kind == Kind::kUpload; }

  // Unique per prompt, for the caches: "tts:<speechHash>" or "upload:<tenant>/<name>".
  std::string id() const;
};

// Lower-case hex SHA-256 of voice, a NUL, and text: the TTS cache file name.
std::string speechHash(std::string_view voice, std::string_view text);

// Upload names are 1-64 characters of [A-Za-z0-9_-], so they are safe as
// file names.
bool validUploadName(std::string_view name);

}  // namespace ting::tts
