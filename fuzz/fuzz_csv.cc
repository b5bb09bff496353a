// A CSV file as an admin uploads it for a customer import: any bytes are read
// to the end. Every call to next() must consume input or end, every record
// must keep within the limits, and every record written back with csvLine()
// must read back as the same fields (formula-like values with the ' that
// csvField() puts in front of them).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "crm/csv.h"

namespace {

using ting::crm::CsvReader;

void checkRoundTrip(const std::vector<std::string>& fields) {
  std::vector<std::string> expected;
  bool too_long = false;
  for (const auto& f : fields) {
    const bool formula = !f.empty() && (f[0] == '=' || f[0] == '+' || f[0] == '-' || f[0] == '@');
    expected.push_back(formula ? "'" + f : f);
    too_long = too_long || expected.back().size() > ting::crm::kCsvMaxFieldBytes;
  }
  const std::string line = ting::crm::csvLine(fields);
  CsvReader reader(line);
  auto row = reader.next();
  // The ' of a formula-like value can push a field just past the cap.
  if (too_long) {
    if (row.isOk()) std::abort();
    return;
  }
  if (!row.isOk() || !row->has_value()) std::abort();
  if ((*row)->line != 1 || (*row)->fields != expected) std::abort();
  auto end = reader.next();
  if (!end.isOk() || end->has_value() || reader.bytesRead() != line.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CsvReader reader(text);
  // Each call but the last consumes at least one byte, so size + 1 calls end it.
  for (size_t calls = 0; calls <= size + 1; ++calls) {
    const size_t before = reader.bytesRead();
    auto row = reader.next();
    if (row.isOk() && !row->has_value()) {
      if (reader.bytesRead() != size) std::abort();
      return 0;
    }
    if (reader.bytesRead() <= before || reader.bytesRead() > size) std::abort();
    if (!row.isOk()) continue;
    const auto& fields = (*row)->fields;
    if (fields.empty() || fields.size() > ting::crm::kCsvMaxFields) std::abort();
    for (const auto& f : fields) {
      if (f.size() > ting::crm::kCsvMaxFieldBytes) std::abort();
    }
    checkRoundTrip(fields);
  }
  std::abort();
}
