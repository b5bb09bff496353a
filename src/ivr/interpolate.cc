#include "ivr/interpolate.h"

#include "common/crypto.h"

namespace ting::ivr {

namespace {

bool isNameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool isNameChar(char c) {
  return isNameStart(c) || (c >= '0' && c <= '9');
}

}  // namespace

bool isVariableName(std::string_view name) {
  if (name.empty() || name.size() > 64 || !isNameStart(name[0])) return false;
  for (char c : name) {
    if (!isNameChar(c)) return false;
  }
  return true;
}

std::string interpolate(std::string_view text, const Variables& variables, Escape escape) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      auto close = text.find('}', i + 2);
      if (close != std::string_view::npos && isVariableName(text.substr(i + 2, close - i - 2))) {
        auto it = variables.find(text.substr(i + 2, close - i - 2));
        if (it != variables.end()) {
          if (escape == Escape::kUrl) {
            out += percentEncode(it->second);
          } else {
            out += it->second;
          }
        }
        i = close + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace ting::ivr
