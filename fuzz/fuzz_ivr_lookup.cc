// Answers of external systems to IVR HTTP lookups: whatever bytes come back
// are fed to a session waiting on a lookup whose results point into the
// answer in several ways.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ivr/session.h"
#include "ivr/validate.h"

namespace {

constexpr const char* kFlow = R"({"start": "lookup", "nodes": {
  "lookup": {"type": "http", "url": "https://crm.example/c?n=${caller}",
             "results": {"level": "/customer/level", "name": "/customer/name", "first": "/items/0",
                         "all": "", "odd": "/a~1b/~0c"},
             "next": "route", "on_error": "failed"},
  "route": {"type": "condition", "rules": [
              {"variable": "level", "op": "in", "value": "gold, platinum", "next": "vip"},
              {"variable": "first", "op": "gt", "value": "10", "next": "vip"},
              {"variable": "name", "op": "matches", "value": "^[A-Z]", "next": "vip"}],
            "else": "regular"},
  "vip": {"type": "play", "prompt": "${name} ${level} ${all}", "next": "bye"},
  "regular": {"type": "play", "prompt": "${odd}", "next": "bye"},
  "failed": {"type": "hangup"},
  "bye": {"type": "hangup"}}})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto flow = ting::ivr::compileFlow(kFlow, {}, nullptr);
  if (!flow.isOk()) __builtin_trap();
  ting::ivr::Session session(*flow, {"fuzz-call", "13800138000", "4000"});
  ting::UnixMillis now = 1'790'000'000'000;
  std::uint64_t lookup = 0;
  for (const auto& a : session.start(now)) {
    if (const auto* h = std::get_if<ting::ivr::HttpLookup>(&a)) lookup = h->id;
  }
  if (lookup == 0) __builtin_trap();
  std::string body(reinterpret_cast<const char*>(data), size);
  (void)session.onLookupDone(lookup, body, now + 10);
  (void)session.pathJson();
  return 0;
}
