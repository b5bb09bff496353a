#include "ivr/compare.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <vector>

namespace ting::ivr {

namespace {

// A plain decimal number: optional '-', digits, optional fraction.
std::optional<double> decimal(std::string_view s) {
  if (s.empty() || s.size() > 40) return std::nullopt;
  std::size_t i = s[0] == '-' ? 1 : 0;
  bool digits = false, dot = false;
  for (std::size_t k = i; k < s.size(); ++k) {
    if (s[k] >= '0' && s[k] <= '9') {
      digits = true;
    } else if (s[k] == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool inList(std::string_view lhs, std::string_view list) {
  while (true) {
    auto comma = list.find(',');
    if (trim(list.substr(0, comma)) == lhs) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

// -1, 0, 1 as lhs is below, equal to or above rhs.
int order(std::string_view lhs, std::string_view rhs) {
  auto a = decimal(lhs), b = decimal(rhs);
  if (a && b) return *a < *b ? -1 : *a > *b ? 1 : 0;
  int c = lhs.compare(rhs);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

// A rough count of the states the pattern's automaton will have: counted
// repetition copies what it repeats, so (a{20}){20} needs 400 copies of a.
// Saturates at kMaxPatternStates + 1.
std::int64_t estimatedStates(std::string_view p) {
  auto sat = [](std::int64_t v) { return v > kMaxPatternStates ? kMaxPatternStates + 1 : v; };
  std::vector<std::int64_t> sums{0};  // per open group: the size so far
  std::int64_t last = 0;              // size of the latest atom or group
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      ++i;
      last = 1;
    } else if (c == '[') {
      std::size_t j = i + 1;
      if (j < p.size() && p[j] == '^') ++j;
      if (j < p.size() && p[j] == ']') ++j;
      while (j < p.size() && p[j] != ']') j += p[j] == '\\' ? 2 : 1;
      i = j;
      last = 1;
    } else if (c == '(') {
      sums.push_back(0);
      last = 0;
      continue;
    } else if (c == ')') {
      if (sums.size() > 1) {
        last = sums.back();
        sums.pop_back();
      }
    } else if (c == '{') {
      std::size_t j = i + 1;
      std::int64_t low = 0, high = -1, n = 0;
      bool digits = false, comma = false;
      for (; j < p.size() && p[j] != '}'; ++j) {
        if (p[j] >= '0' && p[j] <= '9') {
          n = sat(n * 10 + (p[j] - '0'));
          digits = true;
        } else if (p[j] == ',' && !comma) {
          low = n;
          n = 0;
          comma = true;
          digits = false;
        } else {
          break;
        }
      }
      if (j < p.size() && p[j] == '}') {
        high = comma ? (digits ? n : low + 1) : n;
        sums.back() = sat(sums.back() + sat(last * std::max<std::int64_t>(high - 1, 0)));
        last = sat(last * std::max<std::int64_t>(high, 1));
        i = j;
        continue;
      }
      last = 1;  // a literal '{'
    } else if (c == '+') {
      sums.back() = sat(sums.back() + last);
      last = sat(last * 2);
      continue;
    } else if (c == '*' || c == '?' || c == '|') {
      continue;
    } else {
      last = 1;
    }
    sums.back() = sat(sums.back() + last);
  }
  std::int64_t total = 0;
  for (auto v : sums) total = sat(total + v);
  return total;
}

}  // namespace

std::optional<CompareOp> parseCompareOp(std::string_view name) {
  for (auto op : {CompareOp::kEq, CompareOp::kNe, CompareOp::kLt, CompareOp::kGt,
                  CompareOp::kPrefix, CompareOp::kIn, CompareOp::kMatches}) {
    if (compareOpName(op) == name) return op;
  }
  return std::nullopt;
}

std::string_view compareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "eq";
    case CompareOp::kNe:
      return "ne";
    case CompareOp::kLt:
      return "lt";
    case CompareOp::kGt:
      return "gt";
    case CompareOp::kPrefix:
      return "prefix";
    case CompareOp::kIn:
      return "in";
    case CompareOp::kMatches:
      return "matches";
  }
  return "?";
}

bool compareValues(std::string_view lhs, CompareOp op, std::string_view rhs,
                   const std::regex* pattern) {
  switch (op) {
    case CompareOp::kEq:
      return order(lhs, rhs) == 0;
    case CompareOp::kNe:
      return order(lhs, rhs) != 0;
    case CompareOp::kLt:
      return order(lhs, rhs) < 0;
    case CompareOp::kGt:
      return order(lhs, rhs) > 0;
    case CompareOp::kPrefix:
      return lhs.substr(0, rhs.size()) == rhs;
    case CompareOp::kIn:
      return inList(lhs, rhs);
    case CompareOp::kMatches:
      return pattern != nullptr && patternFound(*pattern, lhs);
  }
  return false;
}

Result<std::shared_ptr<const std::regex>> compilePattern(std::string_view pattern) {
  if (pattern.empty()) return invalidValue("the pattern is empty");
  if (pattern.size() > kMaxPatternBytes) {
    return invalidValue("the pattern is longer than " + std::to_string(kMaxPatternBytes) +
                        " bytes");
  }
  if (estimatedStates(pattern) > kMaxPatternStates) {
    return invalidValue("the pattern is too complex: its repetitions multiply to more than " +
                        std::to_string(kMaxPatternStates) + " steps");
  }
  auto flags = std::regex::ECMAScript;
#if defined(__GLIBCXX__)
  // libstdc++'s breadth-first matcher: time linear in the text for a given
  // pattern, instead of backtracking that can take exponential time.
  flags |= std::regex_constants::__polynomial;
#endif
  try {
    // The pattern alone first: wrapped, a stray ')' could close the wrapper.
    std::regex alone(pattern.begin(), pattern.end(), flags);
    // "Found anywhere" as one whole-text match: a single pass over the text
    // instead of one per starting position. ^ and $ still mean the text's
    // start and end.
    std::string wrapped = "[\\s\\S]*(?:" + std::string(pattern) + ")[\\s\\S]*";
    return std::make_shared<const std::regex>(wrapped, flags);
  } catch (const std::regex_error& e) {
    if (e.code() == std::regex_constants::error_complexity) {
      return invalidValue("back-references are not supported in patterns");
    }
    return invalidValue(std::string("not a valid regular expression: ") + e.what());
  } catch (const std::exception& e) {
    return invalidValue(std::string("not a valid regular expression: ") + e.what());
  }
}

bool patternFound(const std::regex& pattern, std::string_view text) {
  if (text.size() > kMaxMatchBytes) return false;
  try {
    return std::regex_match(text.begin(), text.end(), pattern);
  } catch (const std::exception&) {
    return false;
  }
}

std::string normalizePhone(std::string_view number) {
  std::string digits;
  for (char c : number) {
    if (c >= '0' && c <= '9') digits += c;
  }
  std::string_view d = digits;
  if (d.starts_with("0086")) {
    d.remove_prefix(4);
  } else if (d.starts_with("86") && d.size() > 11) {
    d.remove_prefix(2);
  }
  if (d.starts_with('0')) d.remove_prefix(1);
  return std::string(d);
}

bool NumberList::add(std::string_view number) {
  std::string n = normalizePhone(number);
  if (n.empty()) return false;
  numbers_.insert(std::move(n));
  return true;
}

bool NumberList::contains(std::string_view number) const {
  std::string n = normalizePhone(number);
  return !n.empty() && numbers_.contains(n);
}

}  // namespace ting::ivr
