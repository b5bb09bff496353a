#pragma once
// Speech synthesis behind an interface, so the prompt cache can be tested
// with a fake and other engines can plug in.

#include <string_view>

#include "common/status.h"
#include "tts/pcm.h"

namespace ting::tts {

class TtsEngine {
 public:
  virtual ~TtsEngine() = default;
  // `text` (UTF-8) spoken in `voice`, as 8 kHz mono PCM. kInvalidValue for an
  // unknown voice, kInvalidArgument for empty or oversized text. Engines need
  // not be thread-safe: the prompt cache calls one from a single thread.
  virtual Result<Pcm> render(std::string_view voice, std::string_view text) = 0;
};

}  // namespace ting::tts
