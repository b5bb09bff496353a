#include "tts/prompt_key.h"

#include <algorithm>

#include "common/crypto.h"

namespace ting::tts {

std::string PromptKey::id() const {
  if (isUpload()) return "upload:" + std::to_string(tenant_id) + "/" + name;
  return "tts:" + speechHash(voice, text);
}

std::string speechHash(std::string_view voice, std::string_view text) {
  std::string data;
  data.reserve(voice.size() + 1 + text.size());
  data.append(voice).push_back('\0');
  data.append(text);
  return sha256Hex(data);
}

bool validUploadName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

}  // namespace ting::tts
