// Request targets (path and query) and WebSocket topic lists from clients.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/router.h"
#include "api/ws_hub.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> segments;
  ting::api::QueryParams query;
  (void)ting::api::parseTarget(text, segments, query);
  (void)ting::api::WsHub::resolveTopics(ting::identity::Role::kAdmin, text);
  return 0;
}
