#pragma once
// The custom fields a tenant defines for its customer cards (docs/crm.md
// "Custom fields"): a key, labels in Chinese and English, a type and, for a
// choice, its options. Values of defined fields are checked and converted to
// their type wherever they arrive (API, CSV import); fields nobody defined
// stay free text, as before. Defining a field never rewrites stored cards.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace ting::crm {

// text, number, date (YYYY-MM-DD), boolean, choice.
inline constexpr const char* kFieldTypes[] = {"text", "number", "date", "boolean", "choice"};
inline constexpr std::size_t kMaxFieldDefinitions = 50;
inline constexpr std::size_t kMaxChoices = 100;

struct FieldDefinition {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string key;       // the name in custom_fields and the CSV column
  std::string label;     // shown in Chinese
  std::string label_en;  // shown in English ("" : the key)
  std::string type = "text";
  std::vector<std::string> choices;  // for "choice"
  int position = 0;
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
};

boost::json::object toJson(const FieldDefinition& d);

// The tenant's definitions in position order.
Result<std::vector<FieldDefinition>> listFieldDefinitions(store::Session& s,
                                                          std::int64_t tenant_id);
// From a POST body (key, label and type required) or, onto `d`, a PATCH body
// (label, label_en, choices, position; key and type never change). Errors
// name the field.
Status applyFieldDefinitionJson(const boost::json::object& body, FieldDefinition& d, bool create);
Result<FieldDefinition> createFieldDefinition(store::Tx& tx, FieldDefinition d);
Result<FieldDefinition> updateFieldDefinition(store::Tx& tx, std::int64_t id,
                                              const boost::json::object& patch);
// Removes the definition; the values stored under its key stay on the cards.
Status deleteFieldDefinition(store::Tx& tx, std::int64_t id);

// Checks the values of defined fields in `values` and converts them to their
// type (a number or true/false given as text, 2026/1/5 as 2026-01-05, a
// choice in any case as defined); null is left alone (it removes a field).
// kInvalidValue naming custom_fields.<key> otherwise.
Status conformCustomFields(const std::vector<FieldDefinition>& defs, boost::json::object& values);

// The key of the definition a CSV column names by key, label or English
// label (any case; spaces and dashes as _), or "" when none does.
std::string definedKeyForColumn(const std::vector<FieldDefinition>& defs, std::string_view column);

}  // namespace ting::crm
