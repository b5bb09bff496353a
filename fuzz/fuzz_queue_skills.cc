// A queue's required skills as an admin sends them (PATCH /api/v1/queues),
// and a call's as an IVR variable (from keys or an HTTP lookup): any bytes
// are parsed; what parses must be in range, and queue skills must serialize
// and parse back to the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "calls/acd_setup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The same bytes as a call's IVR variable `skills` ("english:4,billing").
  if (auto call = ting::calls::parseCallSkills(text); call.isOk()) {
    if (call->size() > 8) std::abort();
    for (const auto& r : *call) {
      if (r.steps.size() != 1 || r.steps[0].min_level < 1 || r.steps[0].min_level > 5) {
        std::abort();
      }
    }
  }
  auto skills = ting::calls::parseQueueSkills(text);
  if (!skills.isOk()) return 0;
  auto again = ting::calls::parseQueueSkills(ting::calls::queueSkillsJson(*skills));
  if (!again.isOk() || again->size() != skills->size()) std::abort();
  for (size_t i = 0; i < skills->size(); ++i) {
    if ((*again)[i].skill != (*skills)[i].skill ||
        (*again)[i].steps.size() != (*skills)[i].steps.size()) {
      std::abort();
    }
  }
  return 0;
}
