#pragma once
// The comparisons IVR conditions make: variable against value, caller number
// against a list of numbers, digits against a pattern.

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ting::ivr {

enum class CompareOp { kEq, kNe, kLt, kGt, kPrefix, kIn, kMatches };

// "eq", "ne", "lt", "gt", "prefix", "in", "matches".
std::optional<CompareOp> parseCompareOp(std::string_view name);
std::string_view compareOpName(CompareOp op);

// Whether `lhs op rhs` holds:
//  eq, ne, lt, gt  numerically when both sides are decimal numbers ("7",
//                  "-1.5"), else byte-wise on the strings;
//  prefix          lhs starts with rhs;
//  in              lhs equals one item of the comma-separated rhs (items
//                  trimmed of spaces);
//  matches         `pattern` (compiled from rhs) is found in lhs; false when
//                  pattern is null.
bool compareValues(std::string_view lhs, CompareOp op, std::string_view rhs,
                   const std::regex* pattern = nullptr);

// The longest pattern a flow may hold, the most copies its counted
// repetitions may make, and the longest text matched against one.
inline constexpr std::size_t kMaxPatternBytes = 200;
inline constexpr std::int64_t kMaxPatternStates = 1000;
inline constexpr std::size_t kMaxMatchBytes = 256;

// Compiles an ECMAScript regular expression for patternFound(). Matching
// takes time proportional to text length times pattern size: with
// libstdc++ no backtracking (so back-references are refused), and patterns
// whose counted repetitions multiply past kMaxPatternStates are refused. No
// pattern and no caller input can stall the call-control thread.
Result<std::shared_ptr<const std::regex>> compilePattern(std::string_view pattern);
// True when the pattern (from compilePattern) matches somewhere in `text`.
// Texts longer than kMaxMatchBytes and matcher failures count as no match.
bool patternFound(const std::regex& pattern, std::string_view text);

// A phone number reduced to the digits that identify it: everything but
// digits dropped, then a leading 0086 (or 86 when more than 11 digits
// remain) and one trunk 0 removed. "+86 139-0000-0000", "008613900000000"
// and "13900000000" all become "13900000000"; "010 1234 5678" and
// "+86 10 1234 5678" both become "1012345678".
std::string normalizePhone(std::string_view number);

// A named list of phone numbers (VIPs, blocked callers), kept normalized.
class NumberList {
 public:
  // False when `number` has no digits (nothing was added).
  bool add(std::string_view number);
  bool contains(std::string_view number) const;
  std::size_t size() const { return numbers_.size(); }

 private:
  std::set<std::string, std::less<>> numbers_;
};

}  // namespace ting::ivr
