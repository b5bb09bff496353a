// The TOML configuration file.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ting::Config config;
  (void)ting::applyConfigToml(config, std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
