#pragma once
// Versioned schema migrations, applied in order at start and by `ting migrate`.
// One list serves both dialects: {{id}} becomes the dialect's auto-increment
// primary key. A migration, once released, is never edited: add a new one.

#include <string>
#include <vector>

#include "store/database.h"

namespace ting::store {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

const std::vector<Migration>& migrations();

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
};

// Applies every migration newer than the database's version, each in its own
// transaction. Safe to run from several processes at once.
Result<MigrationReport> migrate(Database& db);

// Highest applied version (0 for an empty database).
Result<int> schemaVersion(Database& db);

}  // namespace ting::store
