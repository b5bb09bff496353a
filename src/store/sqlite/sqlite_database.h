#pragma once

#include <memory>
#include <string>

#include "store/database.h"

namespace ting::store {

// SQLite in WAL mode: one writer connection (callers take turns), a pool of
// reader connections that never wait for the writer.
Result<std::unique_ptr<Database>> openSqlite(const std::string& path,
                                             const DatabaseOptions& options);

}  // namespace ting::store
