#pragma once
// CSV as customer imports and exports use it: RFC 4180 records read one at a
// time from a whole file in memory, and fields written so that Excel and
// LibreOffice open them safely.

#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ting::crm {

// Limits that keep hostile input from exhausting memory.
inline constexpr std::size_t kCsvMaxFieldBytes = 65'536;  // 64 KiB
inline constexpr std::size_t kCsvMaxFields = 1024;

struct CsvRow {
  std::size_t line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

// Reads RFC 4180 records from `text`, which the caller keeps alive while the
// reader is used.
//
// - Fields are separated by ','; a record ends at LF, CRLF or a lone CR.
// - A field starting with '"' is quoted: inside it "" is a literal quote and
//   commas and line breaks are data (kept as they are, CRLF stays CRLF).
// - Completely empty lines are skipped. Spaces around fields are kept, so
//   ` "a"` is an unquoted field with a quote in it, which is an error.
// - Every record has at least one field; "a," has two, the second empty.
// - Lines are physical lines: a record whose quoted field holds a line break
//   spans two of them, and the next record's line counts both.
//
// A malformed record is kInvalidArgument, its message naming the line where
// the record starts: "line 7: <what>", with " (at line 9)" added when the
// problem lies on a later line of a multi-line record. The reason
// (Status::reason()) says which problem it is:
//   "line N: quote inside an unquoted field"           stray_quote
//   "line N: unexpected character after closing quote" text_after_quote
//   "line N: unterminated quoted field"                unterminated_quote
//   "line N: invalid UTF-8"                            invalid_utf8
//   "line N: field longer than 65536 bytes"            field_too_long
//   "line N: more than 1024 fields"                    too_many_fields
// The reader then resumes after the end of the physical line where it found
// the problem (for an unterminated quoted field, that is the end of input),
// so a caller can report the bad row and go on. Every call to next() either
// consumes input or returns nullopt at the end.
class CsvReader {
 public:
  // Skips a UTF-8 byte order mark (EF BB BF) at the start of `text`.
  explicit CsvReader(std::string_view text);
  // Not from a temporary std::string, which would die before the reader reads it.
  // Only an rvalue std::string matches, so copies and moves are not hidden.
  template <class S>
  requires std::same_as<S, std::string>
  explicit CsvReader(S&& temporary) = delete;  // NOLINT(bugprone-forwarding-reference-overload)

  // The next record; nullopt at the end of input.
  Result<std::optional<CsvRow>> next();

  // How far into `text` the reader is (BOM included), for progress.
  std::size_t bytesRead() const { return pos_; }
  // The line where the record last returned or rejected by next() starts;
  // 0 before the first record.
  std::size_t recordLine() const { return record_line_; }

 private:
  Status readRecord(std::vector<std::string>& fields);
  Status readQuotedField(std::string& field);
  Status readUnquotedField(std::string& field);
  // Appends the UTF-8 character at pos_ to `field` and moves past it.
  Status takeCharacter(std::string& field);
  Status append(std::string& field, std::string_view bytes);
  // Requires a CR or LF at pos_: moves past the line break (CRLF is one).
  void consumeLineBreak();
  // Moves past the end of the current physical line, or to the end of input.
  void skipRestOfLine();
  Status recordError(std::string_view what, const char* reason, std::size_t at_line) const;

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;  // the physical line pos_ is on
  std::size_t record_line_ = 0;
};

// UTF-8's byte order mark: skipped when reading; written at the start of the
// files Ting hands out, which spreadsheet programs need to show Chinese.
inline constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// One field as written to a CSV file. The value is quoted (quotes doubled)
// when it contains ',', '"', CR or LF, starts or ends with a space (which
// spreadsheets would trim) or starts with a byte order mark.
//
// Formula injection defence (OWASP "CSV Injection"): a value starting with
// '=', '+', '-' or '@' is quoted and prefixed with a single quote inside the
// quotes ("=1+1" is written "'=1+1" in quotes), so a spreadsheet shows it as
// text instead of evaluating it. A reader therefore gets the value back with
// the ' in front; "-5" comes back as "'-5".
//
// `value` should be valid UTF-8, which CsvReader requires.
std::string csvField(std::string_view value);

// One record: the fields through csvField(), joined with ',' and ended with
// CRLF (RFC 4180 §2.1). A record of a single empty field is written as ""
// because an empty line holds no record.
std::string csvLine(const std::vector<std::string>& fields);

}  // namespace ting::crm
