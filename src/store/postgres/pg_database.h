#pragma once

#include <memory>
#include <string>

#include "store/database.h"

namespace ting::store {

// PostgreSQL through libpq: a pool of connections, prepared statements per
// connection, `?` placeholders rewritten to $n.
Result<std::unique_ptr<Database>> openPostgres(const std::string& url,
                                               const DatabaseOptions& options);

// "SELECT ? , '?'" → "SELECT $1 , '?'": placeholders outside quotes only.
std::string rewritePlaceholders(std::string_view sql);

// The URL with any password replaced by ***.
std::string redactUrl(const std::string& url);

}  // namespace ting::store
