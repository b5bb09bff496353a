#pragma once
// Reads a flow document (JSON, see docs/ivr.md) into a Flow.

#include <string_view>
#include <vector>

#include "common/status.h"
#include "ivr/flow.h"

namespace ting::ivr {

// Parses `json` (at most kMaxFlowBytes). Every problem with the document's
// shape — wrong types, unknown fields, unknown node types, bad times and
// dates — is appended to `errors`, not just the first. The result holds all
// that could be read; nodes that could not be read at all are listed in
// Flow::dropped_nodes. Rules about values and references are checked by
// validate(), not here. A document that is not a JSON object gives a single
// error with an empty path. Never throws.
Flow parseFlow(std::string_view json, std::vector<FlowError>& errors);

}  // namespace ting::ivr
