#pragma once
// The IVR flow of the demo tenant's number (src/ivr/demo_flow.json, built in).

#include <string_view>

namespace ting::ivr {

// The number the demo flow answers.
inline constexpr std::string_view kDemoDid = "4000";

// The flow document, exactly as in demo_flow.json. It passes validate().
std::string_view demoFlowJson();

}  // namespace ting::ivr
