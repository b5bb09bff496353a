#pragma once
// Checks a flow before it goes live, and compiles flow documents.

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ivr/flow.h"

namespace ting::ivr {

// Bounds validate() enforces.
inline constexpr int kMaxInputTimeoutMs = 60'000;  // menu and collect timeout_ms
inline constexpr int kMaxInterDigitTimeoutMs = 30'000;
inline constexpr int kMaxLookupTimeoutMs = 30'000;
inline constexpr int kMaxRetries = 10;
inline constexpr int kMaxCollectDigits = 64;
inline constexpr int kMaxVoicemailSeconds = 600;
inline constexpr std::size_t kMaxRules = 50;

struct ValidateOptions {
  // Whether an uploaded recording of this name exists. When empty, file
  // prompts are only checked for a well-formed name. Called on the
  // validating thread, never kept.
  std::function<bool(std::string_view name)> prompt_exists;
};

// Every problem of the flow, each with its node id (empty for flow-level
// problems) and JSON path, in document order: unknown or missing targets,
// nodes not reachable from start, loops that never wait for the caller,
// missing or unknown prompts, malformed patterns, unknown calendars and
// lists, bad choice keys, values out of range. Empty means the flow can run.
std::vector<FlowError> validate(const Flow& flow, const ValidateOptions& options = {});

// Parses and validates a flow document. On success the flow is ready for
// Sessions; it is shared (not unique) because calls still running on a
// flow keep it alive after a newer version replaces it. On failure the
// Status lists every problem (kInvalidArgument when the document is not a
// JSON object, kInvalidValue otherwise, reason "invalid_flow"), and when
// `errors` is given the same problems are stored there for the API's
// `errors: [{node, path, message}]`.
Result<std::shared_ptr<const Flow>> compileFlow(std::string_view json,
                                                const ValidateOptions& options = {},
                                                std::vector<FlowError>* errors = nullptr);

// Names the built-in variables every call has: caller, did, call_id.
bool isBuiltinVariable(std::string_view name);

}  // namespace ting::ivr
