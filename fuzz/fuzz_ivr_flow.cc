// IVR flow documents: parsing and validation, then a call driven through
// every flow that compiles, with a fixed mix of events.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ivr/session.h"
#include "ivr/validate.h"

namespace {

using ting::ivr::Actions;

struct Ids {
  std::uint64_t play = 0, record = 0, lookup = 0;

  void track(const Actions& actions) {
    for (const auto& a : actions) {
      if (const auto* p = std::get_if<ting::ivr::Play>(&a)) play = p->id;
      if (const auto* r = std::get_if<ting::ivr::Record>(&a)) record = r->id;
      if (const auto* h = std::get_if<ting::ivr::HttpLookup>(&a)) lookup = h->id;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ting::ivr::ValidateOptions options;
  options.prompt_exists = [](std::string_view name) { return name.size() % 2 == 0; };
  std::vector<ting::ivr::FlowError> errors;
  auto flow = ting::ivr::compileFlow(text, options, &errors);
  (void)ting::ivr::flowErrorsJson(errors);
  if (!flow.isOk()) return 0;

  ting::ivr::Session session(*flow, {"fuzz-call", "+86 138 0013 8000", "4000"});
  ting::UnixMillis now = 1'790'000'000'000;
  Ids ids;
  ids.track(session.start(now));
  static constexpr std::string_view kKeys = "1#2*90345A";
  for (std::size_t i = 0; i < 96; ++i) {
    now += 700;
    switch (i % 6) {
      case 0:
        ids.track(session.onPlayDone(ids.play, now));
        break;
      case 1:
        ids.track(session.onDigit(kKeys[(i + size) % kKeys.size()], now));
        break;
      case 2:
        if (auto deadline = session.deadline()) {
          now = std::max(now, *deadline);
          ids.track(session.onTimer(now));
        }
        break;
      case 3:
        if (i % 4 == 1) {
          ids.track(session.onLookupDone(ids.lookup, ting::unavailable("down"), now));
        } else {
          ids.track(session.onLookupDone(
              ids.lookup, std::string(R"({"customer": {"level": "gold", "n": [1, 2.5, null]}})"),
              now));
        }
        break;
      case 4:
        ids.track(session.onRecordDone(ids.record, i % 5 != 0, "rec-1", now));
        break;
      case 5:
        ids.track(session.onTransferFailed(now));
        break;
    }
  }
  (void)session.pathJson();
  return 0;
}
