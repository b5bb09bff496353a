#pragma once
// ${name} references in prompt texts, set values and lookup URLs.

#include <map>
#include <string>
#include <string_view>

namespace ting::ivr {

// The variables of one call: built-ins (caller, did, call_id) and those the
// flow sets.
using Variables = std::map<std::string, std::string, std::less<>>;

// A variable name: a letter or '_', then letters, digits or '_', at most 64.
bool isVariableName(std::string_view name);

enum class Escape { kNone, kUrl };

// `text` with every ${name} replaced by the variable's value; unknown names
// give "". With Escape::kUrl values are percent-encoded (all but A-Z a-z 0-9
// - . _ ~), so a value cannot add query parameters or change the host. A '$'
// not starting a well-formed reference is kept as is.
std::string interpolate(std::string_view text, const Variables& variables,
                        Escape escape = Escape::kNone);

}  // namespace ting::ivr
