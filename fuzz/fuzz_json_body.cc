// Request bodies: every API body parser reads through JsonBody.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/json_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ting::api::JsonBody body(text);
  (void)body.string("name", ting::api::kRequired, 400);
  (void)body.string("phone", false, 40);
  (void)body.boolean("vip");
  (void)body.integer("limit", false, 1, 200);
  (void)body.nullableInteger("owner_id", 1);
  (void)body.has("notes");
  (void)body.finish();
  return 0;
}
