#pragma once
// Phone numbers as customers give them and as calls bring them: normalized
// with libphonenumber to E.164, so a lookup matches however the number
// arrives (13800138000, +86 138 0013 8000, 008613800138000, 013800138000 from
// another city, 010-12345678), and masked for roles that need not see them.

#include <string>
#include <string_view>

#include "common/status.h"

namespace ting::crm {

enum class PhoneKind { kMobile, kLandline, kTollFree, kOther };

struct Phone {
  std::string e164;  // "+8613800138000"
  PhoneKind kind = PhoneKind::kOther;
};

const char* phoneKindName(PhoneKind kind);

// A valid number, read as dialled in `region` (ISO 3166 code; numbers
// starting with + or 00 need none). kInvalidValue naming `field` when the
// text is not a phone number, or not a valid one (wrong length, unknown
// prefix).
Result<Phone> normalizePhone(std::string_view text, std::string_view region = "CN",
                             const std::string& field = "phone");

// The best key for looking a caller up: the E.164 form when the number is
// valid, otherwise its digits (with a leading + kept), so short service
// numbers and odd trunks still match what was stored the same way. "" when
// there are no digits.
std::string lookupKey(std::string_view text, std::string_view region = "CN");

// Callers on a local line often arrive without their area code (62345678
// from a Beijing trunk). The subscriber part of a Chinese landline in E.164
// (+861062345678 → 62345678), "" for any other number; and the digits of a
// caller ID that looks like such a local number (7 or 8 digits, not starting
// with 0 or 1), "" otherwise. A lookup falls back from one to the other.
std::string landlineLocalPart(std::string_view e164);
std::string localCallerDigits(std::string_view text);

// For roles that need not see numbers: the middle digits hidden, the first
// three and last four kept: 13800138000 → 138****8000, +8613800138000 →
// +86138****8000. Numbers of 7 digits or fewer keep only their last two.
std::string maskPhone(std::string_view number);

}  // namespace ting::crm
