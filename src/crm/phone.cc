#include "crm/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <vector>

namespace ting::crm {

namespace pn = i18n::phonenumbers;

namespace {

// Longer inputs are not phone numbers; libphonenumber caps at 250 anyway.
constexpr std::size_t kMaxPhoneText = 64;

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

const char* phoneKindName(PhoneKind kind) {
  switch (kind) {
    case PhoneKind::kMobile:
      return "mobile";
    case PhoneKind::kLandline:
      return "landline";
    case PhoneKind::kTollFree:
      return "toll_free";
    case PhoneKind::kOther:
      break;
  }
  return "other";
}

Result<Phone> normalizePhone(std::string_view text, std::string_view region,
                             const std::string& field) {
  if (text.empty() || text.size() > kMaxPhoneText) {
    return invalidValue("'" + field + "' is not a phone number", field);
  }
  if (std::none_of(text.begin(), text.end(), isDigit)) {
    return invalidValue("'" + field + "' is not a phone number", field);
  }
  const pn::PhoneNumberUtil& util = *pn::PhoneNumberUtil::GetInstance();
  pn::PhoneNumber number;
  if (util.Parse(std::string(text), std::string(region), &number) !=
      pn::PhoneNumberUtil::NO_PARSING_ERROR) {
    return invalidValue("'" + field + "' is not a phone number", field);
  }
  if (!util.IsValidNumber(number)) {
    return invalidValue("'" + field + "' is not a valid phone number: " + std::string(text), field);
  }
  Phone out;
  util.Format(number, pn::PhoneNumberUtil::E164, &out.e164);
  switch (util.GetNumberType(number)) {
    case pn::PhoneNumberUtil::MOBILE:
      out.kind = PhoneKind::kMobile;
      break;
    case pn::PhoneNumberUtil::FIXED_LINE:
    case pn::PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
      out.kind = PhoneKind::kLandline;
      break;
    case pn::PhoneNumberUtil::TOLL_FREE:
    case pn::PhoneNumberUtil::SHARED_COST:
      out.kind = PhoneKind::kTollFree;
      break;
    default:
      break;
  }
  return out;
}

std::string lookupKey(std::string_view text, std::string_view region) {
  if (auto p = normalizePhone(text, region); p.isOk()) return p->e164;
  std::string digits;
  for (char c : text.substr(0, kMaxPhoneText)) {
    if (isDigit(c)) digits += c;
  }
  if (digits.empty()) return "";
  const auto first = text.find_first_not_of(' ');
  if (first != std::string_view::npos && text[first] == '+') digits.insert(0, "+");
  return digits;
}

std::string landlineLocalPart(std::string_view e164) {
  if (!e164.starts_with("+86") || e164.size() < 12) return "";
  const pn::PhoneNumberUtil& util = *pn::PhoneNumberUtil::GetInstance();
  pn::PhoneNumber number;
  if (util.Parse(std::string(e164), "CN", &number) != pn::PhoneNumberUtil::NO_PARSING_ERROR) {
    return "";
  }
  const auto type = util.GetNumberType(number);
  if (type != pn::PhoneNumberUtil::FIXED_LINE &&
      type != pn::PhoneNumberUtil::FIXED_LINE_OR_MOBILE) {
    return "";
  }
  const int area = util.GetLengthOfGeographicalAreaCode(number);
  std::string national;
  util.GetNationalSignificantNumber(number, &national);
  if (area <= 0 || static_cast<std::size_t>(area) >= national.size()) return "";
  return national.substr(static_cast<std::size_t>(area));
}

std::string localCallerDigits(std::string_view text) {
  std::string digits;
  for (char c : text.substr(0, kMaxPhoneText)) {
    if (isDigit(c)) {
      digits += c;
    } else if (c != ' ' && c != '-') {
      return "";  // a + or anything else: not a bare local number
    }
  }
  if (digits.size() < 7 || digits.size() > 8 || digits[0] == '0' || digits[0] == '1') return "";
  return digits;
}

std::string maskPhone(std::string_view number) {
  std::string out(number);
  // Positions of the digits, so separators and a leading + stay in place.
  std::vector<std::size_t> digits;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (isDigit(out[i])) digits.push_back(i);
  }
  std::size_t keep_head = 3, keep_tail = 4;
  if (!out.empty() && out[0] == '+' && out.size() > 3 && out.compare(0, 3, "+86") == 0) {
    keep_head = 5;  // +86 and the mobile prefix 13x
  }
  if (digits.size() <= 7) {
    keep_head = 0;
    keep_tail = 2;
  } else if (digits.size() < keep_head + keep_tail + 1) {
    keep_head = digits.size() - keep_tail - 1;
  }
  for (std::size_t k = keep_head; k + keep_tail < digits.size(); ++k) out[digits[k]] = '*';
  return out;
}

}  // namespace ting::crm
