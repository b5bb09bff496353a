#include "crm/custom_fields.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ting::crm {
namespace {

std::vector<FieldDefinition> defs() {
  FieldDefinition n{
      .key = "contract", .label = "合同号", .label_en = "Contract no", .type = "number"};
  FieldDefinition d{.key = "since", .label = "开户日期", .type = "date"};
  FieldDefinition b{.key = "paper", .label = "纸质账单", .type = "boolean"};
  FieldDefinition c{
      .key = "plan", .label = "套餐", .type = "choice", .choices = {"Gold", "Silver"}};
  return {n, d, b, c};
}

// The values after conforming, or the field an error names.
std::string conform(const std::string& json) {
  auto values = boost::json::parse(json).as_object();
  Status s = conformCustomFields(defs(), values);
  return s.isOk() ? boost::json::serialize(values) : "error:" + s.field();
}

TEST(CustomFields, ValuesTakeTheirDefinedType) {
  EXPECT_EQ(conform(R"({"contract": " 42 ", "free": 7})"), R"({"contract":42,"free":7})");
  EXPECT_EQ(conform(R"({"contract": "2.5"})"), R"({"contract":2.5E0})");
  EXPECT_EQ(conform(R"({"since": "2024/2/29"})"), R"({"since":"2024-02-29"})");
  EXPECT_EQ(conform(R"({"paper": "否", "plan": "SILVER"})"), R"({"paper":false,"plan":"Silver"})");
  EXPECT_EQ(conform(R"({"paper": true, "contract": 3})"), R"({"paper":true,"contract":3})");
  // Empty clears a typed field; null removes it (left for the card to apply).
  EXPECT_EQ(conform(R"({"contract": "", "since": null})"), R"({"contract":null,"since":null})");
}

TEST(CustomFields, BadValuesNameTheirField) {
  EXPECT_EQ(conform(R"({"contract": "12a"})"), "error:custom_fields.contract");
  EXPECT_EQ(conform(R"({"contract": "nan"})"), "error:custom_fields.contract");
  EXPECT_EQ(conform(R"({"since": "2023-02-29"})"), "error:custom_fields.since");
  EXPECT_EQ(conform(R"({"since": "2023-1"})"), "error:custom_fields.since");
  EXPECT_EQ(conform(R"({"since": "20230-01-01"})"), "error:custom_fields.since");
  EXPECT_EQ(conform(R"({"paper": "perhaps"})"), "error:custom_fields.paper");
  EXPECT_EQ(conform(R"({"plan": "Bronze"})"), "error:custom_fields.plan");
  EXPECT_EQ(conform(R"({"plan": ["Gold"]})"), "error:custom_fields.plan");
}

TEST(CustomFields, ColumnsNameFieldsByKeyOrLabel) {
  EXPECT_EQ(definedKeyForColumn(defs(), "合同号"), "contract");
  EXPECT_EQ(definedKeyForColumn(defs(), "contract no"), "contract");
  EXPECT_EQ(definedKeyForColumn(defs(), "Contract_No"), "contract");
  EXPECT_EQ(definedKeyForColumn(defs(), "PLAN"), "plan");
  EXPECT_EQ(definedKeyForColumn(defs(), "区域"), "");
}

TEST(CustomFields, DefinitionsAreCheckedFieldByField) {
  auto apply = [](const std::string& json, bool create) {
    FieldDefinition d{.key = "plan", .label = "套餐", .type = "choice", .choices = {"Gold"}};
    if (create) d = {};
    Status s = applyFieldDefinitionJson(boost::json::parse(json).as_object(), d, create);
    return s.isOk() ? std::string("ok") : s.field();
  };
  EXPECT_EQ(apply(R"({"key": "region", "label": "区域", "type": "text"})", true), "ok");
  EXPECT_EQ(apply(R"({"key": "bad key", "label": "x", "type": "text"})", true), "key");
  EXPECT_EQ(apply(R"({"key": "k", "label": "", "type": "text"})", true), "label");
  EXPECT_EQ(apply(R"({"key": "k", "label": "x", "type": "money"})", true), "type");
  EXPECT_EQ(apply(R"({"key": "k", "label": "x", "type": "choice"})", true), "choices");
  EXPECT_EQ(apply(R"({"key": "k", "label": "x", "type": "text", "choices": ["a"]})", true),
            "choices");
  EXPECT_EQ(apply(R"({"choices": ["Gold", "gold"]})", false), "choices[1]");
  EXPECT_EQ(apply(R"({"type": "text"})", false), "type");
  EXPECT_EQ(apply(R"({"colour": "red"})", false), "colour");
  EXPECT_EQ(apply(R"({"label_en": "Plan", "position": 3})", false), "ok");
}

}  // namespace
}  // namespace ting::crm
