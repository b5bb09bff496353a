#include "store/postgres/pg_database.h"

#include <gtest/gtest.h>

namespace ting::store {

TEST(PgPlaceholders, RewritesOutsideQuotesOnly) {
  EXPECT_EQ(rewritePlaceholders("SELECT ? , '?' FROM t WHERE a = ? AND b = \"?\""),
            "SELECT $1 , '?' FROM t WHERE a = $2 AND b = \"?\"");
}

TEST(PgUrl, RedactsThePassword) {
  EXPECT_EQ(redactUrl("postgresql://ting:s3cret@db:5432/ting"),
            "postgresql://ting:***@db:5432/ting");
  EXPECT_EQ(redactUrl("postgresql://ting@db/ting"), "postgresql://ting@db/ting");
}

}  // namespace ting::store
