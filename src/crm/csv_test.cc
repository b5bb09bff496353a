#include "crm/csv.h"

#include <gtest/gtest.h>

namespace ting::crm {
namespace {

using Fields = std::vector<std::string>;

const std::string kBom = "\xEF\xBB\xBF";

// Every record of `text` (errors as "error: <message>") with its line, as
// "<line>:<field>|<field>...". Fails the test if a call makes no progress.
std::vector<std::string> readAll(std::string_view text) {
  std::vector<std::string> out;
  CsvReader reader(text);
  while (true) {
    const std::size_t before = reader.bytesRead();
    auto row = reader.next();
    if (row.isOk() && !row->has_value()) break;
    EXPECT_GT(reader.bytesRead(), before) << "no progress";
    if (reader.bytesRead() <= before) break;
    if (!row.isOk()) {
      out.push_back("error: " + row.status().message());
      continue;
    }
    std::string s = std::to_string((*row)->line) + ":";
    for (std::size_t i = 0; i < (*row)->fields.size(); ++i) {
      s += (i > 0 ? "|" : "") + (*row)->fields[i];
    }
    out.push_back(s);
  }
  EXPECT_EQ(reader.bytesRead(), text.size());
  return out;
}

TEST(CsvReader, SkipsByteOrderMark) {
  EXPECT_EQ(readAll(kBom + "name,phone\nAda,1\n"),
            (std::vector<std::string>{"1:name|phone", "2:Ada|1"}));
  EXPECT_EQ(readAll(kBom), std::vector<std::string>{});
  // Only at the start of the file: later it is data.
  EXPECT_EQ(readAll("a\n" + kBom + "b\n"), (std::vector<std::string>{"1:a", "2:" + kBom + "b"}));
}

TEST(CsvReader, EndsRecordsAtLfCrlfAndLoneCr) {
  EXPECT_EQ(readAll("a,b\nc,d\r\ne,f\rg,h"),
            (std::vector<std::string>{"1:a|b", "2:c|d", "3:e|f", "4:g|h"}));
  // LF then CR is two line breaks, the second an empty line.
  EXPECT_EQ(readAll("a\n\rb\r\n"), (std::vector<std::string>{"1:a", "3:b"}));
}

TEST(CsvReader, QuotedFieldsHoldSeparatorsQuotesAndLineBreaks) {
  EXPECT_EQ(readAll("\"a,b\",\"say \"\"hi\"\"\",\"\"\n"
                    "\"two\nlines\",x\n"
                    "\"crlf\r\nkept\"\r\n"
                    "next\n"),
            (std::vector<std::string>{"1:a,b|say \"hi\"|", "2:two\nlines|x", "4:crlf\r\nkept",
                                      "6:next"}));
}

TEST(CsvReader, SkipsEmptyLinesButKeepsSpacesAndEmptyFields) {
  EXPECT_EQ(readAll("\n\r\n\ra\n\n\nb\n\n"), (std::vector<std::string>{"4:a", "7:b"}));
  EXPECT_EQ(readAll(" a , b \n,\n   \n\"\"\n"),
            (std::vector<std::string>{"1: a | b ", "2:|", "3:   ", "4:"}));
  CsvReader reader("a,,\n");
  auto row = reader.next();
  ASSERT_TRUE(row.isOk() && row->has_value());
  EXPECT_EQ((*row)->fields, (Fields{"a", "", ""}));
}

TEST(CsvReader, KeepsChineseTextByteForByte) {
  const std::string text = "姓名,电话,备注\n张伟,13800138000,\"VIP客户，请优先接听\"\n";
  CsvReader reader(text);
  auto header = reader.next();
  ASSERT_TRUE(header.isOk() && header->has_value());
  EXPECT_EQ((*header)->fields, (Fields{"姓名", "电话", "备注"}));
  auto row = reader.next();
  ASSERT_TRUE(row.isOk() && row->has_value());
  EXPECT_EQ((*row)->fields, (Fields{"张伟", "13800138000", "VIP客户，请优先接听"}));
  EXPECT_EQ((*row)->fields[2].size(), std::string_view("VIP客户，请优先接听").size());
}

TEST(CsvReader, ReportsEachErrorWithItsLineAndGoesOn) {
  struct Case {
    std::string text;
    std::string message;
    std::string reason;
    std::vector<std::string> records;  // all of them, the error included
  };
  const std::vector<Case> cases = {
      {"a,b\nx\"y,z\nc,d\n",
       "line 2: quote inside an unquoted field",
       "stray_quote",
       {"1:a|b", "error: line 2: quote inside an unquoted field", "3:c|d"}},
      {" \"a\",b\nc\n",
       "line 1: quote inside an unquoted field",
       "stray_quote",
       {"error: line 1: quote inside an unquoted field", "2:c"}},
      {"\"ab\"c,d\nok\n",
       "line 1: unexpected character after closing quote",
       "text_after_quote",
       {"error: line 1: unexpected character after closing quote", "2:ok"}},
      {"\"x\ny\"z,w\nnext\n",
       "line 1: unexpected character after closing quote (at line 2)",
       "text_after_quote",
       {"error: line 1: unexpected character after closing quote (at line 2)", "3:next"}},
      {"ok\nbad\xFF,x\nnext\n",
       "line 2: invalid UTF-8",
       "invalid_utf8",
       {"1:ok", "error: line 2: invalid UTF-8", "3:next"}},
      {"\xC0\xAF\nnext\n",  // overlong '/'
       "line 1: invalid UTF-8",
       "invalid_utf8",
       {"error: line 1: invalid UTF-8", "2:next"}},
      {"\"\xED\xA0\x80\"\nnext\n",  // a surrogate
       "line 1: invalid UTF-8",
       "invalid_utf8",
       {"error: line 1: invalid UTF-8", "2:next"}},
      {"\xE5\xBC\nnext\n",  // truncated 张
       "line 1: invalid UTF-8",
       "invalid_utf8",
       {"error: line 1: invalid UTF-8", "2:next"}},
      {"\xF4\x90\x80\x80\nnext\n",  // above U+10FFFF
       "line 1: invalid UTF-8",
       "invalid_utf8",
       {"error: line 1: invalid UTF-8", "2:next"}},
      {"a\n\"open,\nmore\n",
       "line 2: unterminated quoted field",
       "unterminated_quote",
       {"1:a", "error: line 2: unterminated quoted field"}},
      {"a,\"x\ny\",\"open\n",
       "line 1: unterminated quoted field (at line 2)",
       "unterminated_quote",
       {"error: line 1: unterminated quoted field (at line 2)"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(readAll(c.text), c.records) << c.text;
    // The first error's status.
    CsvReader reader(c.text);
    while (true) {
      auto row = reader.next();
      if (row.isOk() && row->has_value()) continue;
      ASSERT_FALSE(row.isOk()) << c.text;
      EXPECT_EQ(row.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(row.status().message(), c.message);
      EXPECT_EQ(row.status().reason(), c.reason);
      break;
    }
  }
}

TEST(CsvReader, RecordLineNamesTheLastRecord) {
  CsvReader reader("a\n\n\"b\nc\"\nd\"\n");
  EXPECT_EQ(reader.recordLine(), 0u);
  ASSERT_TRUE(reader.next().isOk());
  EXPECT_EQ(reader.recordLine(), 1u);
  ASSERT_TRUE(reader.next().isOk());
  EXPECT_EQ(reader.recordLine(), 3u);
  EXPECT_FALSE(reader.next().isOk());
  EXPECT_EQ(reader.recordLine(), 5u);
}

TEST(CsvReader, CapsFieldSize) {
  const std::string longest(kCsvMaxFieldBytes, 'x');
  const std::string too_long(kCsvMaxFieldBytes + 1, 'x');
  EXPECT_EQ(readAll("a," + longest + "\nb\n"), (std::vector<std::string>{"1:a|" + longest, "2:b"}));
  EXPECT_EQ(
      readAll("a\n" + too_long + "\nb\n"),
      (std::vector<std::string>{"1:a", "error: line 2: field longer than 65536 bytes", "3:b"}));
  // Doubled quotes count once; the cap applies to the value.
  std::string quoted = "\"";
  for (std::size_t i = 0; i < kCsvMaxFieldBytes; ++i) quoted += "\"\"";
  EXPECT_EQ(readAll(quoted + "\"\nb\n"),
            (std::vector<std::string>{"1:" + std::string(kCsvMaxFieldBytes, '"'), "2:b"}));
  EXPECT_EQ(readAll(quoted + "\"\"\"\nb\n"),
            (std::vector<std::string>{"error: line 1: field longer than 65536 bytes", "2:b"}));
}

TEST(CsvReader, CapsFieldsPerRecord) {
  std::string most = "f";
  for (std::size_t i = 1; i < kCsvMaxFields; ++i) most += ",f";
  const std::string text = most + "\n" + most + ",f\nnext\n";
  CsvReader reader(text);
  auto row = reader.next();
  ASSERT_TRUE(row.isOk() && row->has_value());
  EXPECT_EQ((*row)->fields.size(), kCsvMaxFields);
  auto too_many = reader.next();
  ASSERT_FALSE(too_many.isOk());
  EXPECT_EQ(too_many.status().message(), "line 2: more than 1024 fields");
  EXPECT_EQ(too_many.status().reason(), "too_many_fields");
  auto next = reader.next();
  ASSERT_TRUE(next.isOk() && next->has_value());
  EXPECT_EQ((*next)->line, 3u);
  EXPECT_EQ((*next)->fields, Fields{"next"});
}

TEST(CsvReader, ReportsProgress) {
  const std::string text = kBom + "ab,c\r\nd\n";
  CsvReader reader(text);
  EXPECT_EQ(reader.bytesRead(), 3u);
  ASSERT_TRUE(reader.next().isOk());
  EXPECT_EQ(reader.bytesRead(), 9u);
  ASSERT_TRUE(reader.next().isOk());
  EXPECT_EQ(reader.bytesRead(), text.size());
  auto end = reader.next();
  ASSERT_TRUE(end.isOk());
  EXPECT_FALSE(end->has_value());
  EXPECT_FALSE(reader.next()->has_value());  // stays at the end
}

TEST(CsvField, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(csvField("plain"), "plain");
  EXPECT_EQ(csvField(""), "");
  EXPECT_EQ(csvField("张伟"), "张伟");
  EXPECT_EQ(csvField("in ner"), "in ner");
  EXPECT_EQ(csvField("a,b"), "\"a,b\"");
  EXPECT_EQ(csvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csvField("a\nb"), "\"a\nb\"");
  EXPECT_EQ(csvField("a\rb"), "\"a\rb\"");
  EXPECT_EQ(csvField(" lead"), "\" lead\"");
  EXPECT_EQ(csvField("trail "), "\"trail \"");
  EXPECT_EQ(csvField(kBom + "x"), "\"" + kBom + "x\"");
}

TEST(CsvField, DefusesFormulas) {
  EXPECT_EQ(csvField("=1+1"), "\"'=1+1\"");
  EXPECT_EQ(csvField("+86 138"), "\"'+86 138\"");
  EXPECT_EQ(csvField("-5"), "\"'-5\"");
  EXPECT_EQ(csvField("@SUM(A1)"), "\"'@SUM(A1)\"");
  EXPECT_EQ(csvField("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
  EXPECT_EQ(csvField("a=b"), "a=b");  // only at the start
}

TEST(CsvLine, JoinsAndEndsWithCrlf) {
  EXPECT_EQ(csvLine({"a", "b c", ""}), "a,b c,\r\n");
  EXPECT_EQ(csvLine({"", ""}), ",\r\n");
  EXPECT_EQ(csvLine({""}), "\"\"\r\n");  // not an empty line, which holds no record
}

TEST(CsvLine, RoundTripsThroughTheReader) {
  const Fields tricky = {"",          "plain",      "a,b",        "\"",
                         "\"\"",      "say \"hi\"", "two\nlines", "crlf\r\nkept",
                         "lone\rcr",  " spaced ",   "张伟，VIP",  kBom + "bom",
                         "tab\there", ",",          "\r\n",       "'quoted'"};
  std::string text;
  for (const auto& value : tricky) text += csvLine({value});
  text += csvLine(tricky);
  text += csvLine({""});
  CsvReader reader(text);
  for (const auto& value : tricky) {
    auto row = reader.next();
    ASSERT_TRUE(row.isOk()) << row.status().message();
    ASSERT_TRUE(row->has_value());
    EXPECT_EQ((*row)->fields, Fields{value});
  }
  auto all = reader.next();
  ASSERT_TRUE(all.isOk() && all->has_value()) << all.status().message();
  EXPECT_EQ((*all)->fields, tricky);
  auto empty = reader.next();
  ASSERT_TRUE(empty.isOk() && empty->has_value());
  EXPECT_EQ((*empty)->fields, Fields{""});
  EXPECT_FALSE(reader.next()->has_value());
}

TEST(CsvLine, FormulasComeBackAsText) {
  const std::string text = csvLine({"=1+1", "-5", "+86", "@x", "ok"});
  CsvReader reader(text);
  auto row = reader.next();
  ASSERT_TRUE(row.isOk() && row->has_value());
  EXPECT_EQ((*row)->fields, (Fields{"'=1+1", "'-5", "'+86", "'@x", "ok"}));
}

}  // namespace
}  // namespace ting::crm
