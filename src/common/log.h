#pragma once
// Structured logging on spdlog. Messages name what happened and carry the
// request id (req=...) where there is one. Never log passwords, tokens or
// password hashes.

#include <spdlog/spdlog.h>

#include <string>

#include "common/status.h"

namespace ting {

// Sets up the default logger on stderr. `format` is "text" or "json".
Status initLogging(const std::string& level, const std::string& format);

}  // namespace ting
