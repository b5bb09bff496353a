// Phone numbers from outside: SIP callers' numbers, API bodies, CSV imports.
// Any bytes are normalized, keyed and masked; a number that normalizes must
// be E.164 and normalize again to itself, and masking never changes length.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crm/phone.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto phone = ting::crm::normalizePhone(text);
  if (phone.isOk()) {
    if (phone->e164.size() < 3 || phone->e164[0] != '+') std::abort();
    auto again = ting::crm::normalizePhone(phone->e164);
    if (!again.isOk() || again->e164 != phone->e164) std::abort();
  }
  (void)ting::crm::lookupKey(text);
  if (ting::crm::maskPhone(text).size() != text.size()) std::abort();
  return 0;
}
