#include "tts/pcm_lru.h"

#include <gtest/gtest.h>

namespace ting::tts {
namespace {

PcmPtr samples(size_t n) {
  return std::make_shared<const Pcm>(n, 0);
}

TEST(PcmLru, EvictsTheLeastRecentlyUsedToStayWithinItsBytes) {
  PcmLru lru(300);  // 150 samples
  lru.put("a", samples(50));
  lru.put("b", samples(50));
  lru.put("c", samples(50));
  EXPECT_NE(lru.get("a"), nullptr);  // a is now the most recent
  lru.put("d", samples(50));         // evicts b
  EXPECT_EQ(lru.get("b"), nullptr);
  EXPECT_NE(lru.get("a"), nullptr);
  EXPECT_NE(lru.get("c"), nullptr);
  EXPECT_NE(lru.get("d"), nullptr);
  EXPECT_EQ(lru.bytes(), 300u);
}

TEST(PcmLru, ReplacingAnEntryCountsOnlyTheNewOne) {
  PcmLru lru(1000);
  lru.put("a", samples(100));
  lru.put("a", samples(10));
  EXPECT_EQ(lru.size(), 1u);
  EXPECT_EQ(lru.bytes(), 20u);
  lru.erase("a");
  EXPECT_EQ(lru.bytes(), 0u);
}

TEST(PcmLru, AnEntryLargerThanTheLimitIsNotKept) {
  PcmLru lru(100);
  lru.put("small", samples(10));
  lru.put("huge", samples(51));
  EXPECT_EQ(lru.get("huge"), nullptr);
  EXPECT_NE(lru.get("small"), nullptr);
}

}  // namespace
}  // namespace ting::tts
