#include "crm/csv.h"

#include <cassert>
#include <utility>

namespace ting::crm {

namespace {


bool isLineBreak(char c) {
  return c == '\r' || c == '\n';
}

bool isContinuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// The length of the well-formed UTF-8 character at text[pos], or 0 when the
// bytes there are not one (RFC 3629 §4: no overlong forms, no surrogates,
// nothing above U+10FFFF, no truncated sequences).
std::size_t utf8CharacterLength(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) -> unsigned char {
    return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : 0;
  };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  // The allowed range of the second byte depends on the lead byte.
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // a continuation byte, an overlong 2-byte lead or no lead at all
  }
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!isContinuation(byte(i))) return 0;
  }
  return length;
}

bool startsFormula(std::string_view value) {
  if (value.empty()) return false;
  const char c = value.front();
  return c == '=' || c == '+' || c == '-' || c == '@';
}

}  // namespace

CsvReader::CsvReader(std::string_view text) : text_(text) {
  if (text_.starts_with(kByteOrderMark)) pos_ = kByteOrderMark.size();
}

Result<std::optional<CsvRow>> CsvReader::next() {
  // Completely empty lines hold no record.
  while (pos_ < text_.size() && isLineBreak(text_[pos_])) consumeLineBreak();
  if (pos_ == text_.size()) return std::optional<CsvRow>();
  record_line_ = line_;
  CsvRow row;
  row.line = line_;
  if (Status status = readRecord(row.fields); !status.isOk()) {
    // pos_ is where the problem was found, not yet past it: this consumes input.
    skipRestOfLine();
    return status;
  }
  return std::optional<CsvRow>(std::move(row));
}

Status CsvReader::readRecord(std::vector<std::string>& fields) {
  fields.emplace_back();
  while (true) {
    std::string& field = fields.back();
    const bool quoted = pos_ < text_.size() && text_[pos_] == '"';
    TING_RETURN_IF_ERROR(quoted ? readQuotedField(field) : readUnquotedField(field));
    // Both readers stop only at a separator, a line break or the end of input.
    if (pos_ == text_.size()) return Status::ok();
    if (text_[pos_] != ',') {
      consumeLineBreak();
      return Status::ok();
    }
    if (fields.size() == kCsvMaxFields) {
      return recordError("more than 1024 fields", "too_many_fields", line_);
    }
    ++pos_;
    fields.emplace_back();
  }
}

Status CsvReader::readUnquotedField(std::string& field) {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == ',' || isLineBreak(c)) break;
    // RFC 4180 §2.5: a field holding quotes must be quoted as a whole.
    if (c == '"') return recordError("quote inside an unquoted field", "stray_quote", line_);
    TING_RETURN_IF_ERROR(takeCharacter(field));
  }
  return Status::ok();
}

Status CsvReader::readQuotedField(std::string& field) {
  const std::size_t open_line = line_;
  ++pos_;  // the opening quote
  while (true) {
    if (pos_ == text_.size()) {
      return recordError("unterminated quoted field", "unterminated_quote", open_line);
    }
    const char c = text_[pos_];
    if (c == '"') {
      // RFC 4180 §2.7: a quote inside a quoted field is written twice.
      if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
        TING_RETURN_IF_ERROR(append(field, "\""));
        pos_ += 2;
        continue;
      }
      ++pos_;  // the closing quote
      break;
    }
    if (isLineBreak(c)) {
      // RFC 4180 §2.6: line breaks inside quotes are data, kept as written.
      const bool crlf = c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n';
      TING_RETURN_IF_ERROR(append(field, text_.substr(pos_, crlf ? 2 : 1)));
      consumeLineBreak();
      continue;
    }
    TING_RETURN_IF_ERROR(takeCharacter(field));
  }
  if (pos_ < text_.size() && text_[pos_] != ',' && !isLineBreak(text_[pos_])) {
    return recordError("unexpected character after closing quote", "text_after_quote", line_);
  }
  return Status::ok();
}

Status CsvReader::takeCharacter(std::string& field) {
  const std::size_t length = utf8CharacterLength(text_, pos_);
  if (length == 0) return recordError("invalid UTF-8", "invalid_utf8", line_);
  TING_RETURN_IF_ERROR(append(field, text_.substr(pos_, length)));
  pos_ += length;
  return Status::ok();
}

Status CsvReader::append(std::string& field, std::string_view bytes) {
  if (field.size() + bytes.size() > kCsvMaxFieldBytes) {
    return recordError("field longer than 65536 bytes", "field_too_long", line_);
  }
  field.append(bytes);
  return Status::ok();
}

void CsvReader::consumeLineBreak() {
  assert(pos_ < text_.size() && isLineBreak(text_[pos_]));
  if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
  ++pos_;
  ++line_;
}

void CsvReader::skipRestOfLine() {
  while (pos_ < text_.size() && !isLineBreak(text_[pos_])) ++pos_;
  if (pos_ < text_.size()) consumeLineBreak();
}

Status CsvReader::recordError(std::string_view what, const char* reason,
                              std::size_t at_line) const {
  std::string message = "line " + std::to_string(record_line_) + ": " + std::string(what);
  if (at_line != record_line_) message += " (at line " + std::to_string(at_line) + ")";
  return invalidArgument(std::move(message)).withReason(reason);
}

std::string csvField(std::string_view value) {
  const bool formula = startsFormula(value);
  const bool quote = formula || value.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!value.empty() && (value.front() == ' ' || value.back() == ' ')) ||
                     value.starts_with(kByteOrderMark);
  if (!quote) return std::string(value);
  std::string out;
  out.reserve(value.size() + 4);
  out += '"';
  if (formula) out += '\'';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csvLine(const std::vector<std::string>& fields) {
  if (fields.size() == 1 && fields.front().empty()) return "\"\"\r\n";
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += csvField(fields[i]);
  }
  out += "\r\n";
  return out;
}

}  // namespace ting::crm
